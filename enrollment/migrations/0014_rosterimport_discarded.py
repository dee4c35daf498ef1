# Uploads with full ID numbers are kept for a retention period (#13, office.retention): a
# roster import still waiting for confirmation then, or given up by the staff, is
# discarded and its files deleted. A choice more; no data changes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0013_admin_search_indexes")]

    operations = [
        migrations.AlterField(
            model_name="rosterimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("checking", "Checking"),
                    ("checked", "Checked, waiting for confirmation"),
                    ("importing", "Importing"),
                    ("imported", "Imported"),
                    ("refused", "File refused"),
                    ("failed", "Failed"),
                    ("discarded", "Discarded, file deleted"),
                ],
                default="checking",
                max_length=16,
                verbose_name="status",
            ),
        ),
    ]
