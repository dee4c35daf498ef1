# The student and enrollment lists at 200,000 students (#12): an exact ID number, a
# college's students in the list's order or in key order (the enrollment list filtered by
# college) and a name's start are read through an index (enrollment/admin/search.py)
# instead of scanning the roster. The two college indexes replace the college's own.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0012_roles_full_id")]

    operations = [
        migrations.AlterField(
            model_name="student",
            name="college",
            field=models.CharField(max_length=100, verbose_name="college"),
        ),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(fields=["id_number"], name="student_id_number"),
        ),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(fields=["college", "student_number"], name="student_college_number"),
        ),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(fields=["college", "id"], name="student_college_id"),
        ),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(
                fields=["name"], name="student_name_start", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
