from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims management")

    def ready(self):
        from office import home

        from .selectors import home as claims_home  # the claims block of the home page

        home.register(claims_home.year_blocks)
