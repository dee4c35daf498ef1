from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    name = "office"
    verbose_name = _("Office")

    def ready(self):
        from . import job_list
        from .models import ScheduledRun

        job_list.register(ScheduledRun, file_url=job_list.scheduled_run_file_url)
