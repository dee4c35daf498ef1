"""The first year the portal's own enrollment records of a region are complete (issue
#10 point 11): before it, gap years come only from imported prior coverage."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("policies", "0004_seed_benefit_rule_payers")]

    operations = [
        migrations.AddField(
            model_name="region",
            name="records_complete_from_year",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                verbose_name="portal records complete from year",
                help_text=(
                    "The first year whose enrollments of this region the portal holds for "
                    "every student. From that year on, a year without cover in the portal is "
                    "a gap year; before it only imported prior coverage counts. Empty: the "
                    "years whose collective enrollment the portal ran."
                ),
            ),
        ),
    ]
