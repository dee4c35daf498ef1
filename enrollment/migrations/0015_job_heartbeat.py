# Jobs after a crash (#13): the heartbeat and the claim token of office.models.Job, which is
# abstract, so its fields live in the enrollment app's job tables. CollectiveRun had its
# heartbeat already; a roster import gets one. Running imports from before have none: the
# stale rule then counts from their start (office.jobs).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0014_rosterimport_discarded")]

    operations = [
        migrations.AddField(
            model_name="collectiverun",
            name="attempt",
            field=models.PositiveIntegerField(default=0, verbose_name="attempt"),
        ),
        migrations.AddField(
            model_name="rosterimport",
            name="attempt",
            field=models.PositiveIntegerField(default=0, verbose_name="attempt"),
        ),
        migrations.AddField(
            model_name="rosterimport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last progress at"),
        ),
    ]
