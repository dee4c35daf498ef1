from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self):
        from . import job_kinds  # the jobs in office's 任务 list

        job_kinds.register()

        from office import home

        from . import selectors_home  # the home page of the year: its years and blocks

        home.register_years(selectors_home.policy_years)
        home.register(selectors_home.year_blocks)

        from office import scoping

        from . import selectors_students  # the roster's colleges, for the offices' page

        scoping.register_colleges(selectors_students.colleges)
