from django.contrib import admin

from .selectors import policy_years_school_first


class PolicyYearFilter(admin.RelatedFieldListFilter):
    """A change list's 医保年度 filter, the school's region's years first, as in the forms'
    drop-downs (a Wuhan office should not scroll past Shanghai's years)."""

    def field_choices(self, field, request, model_admin):
        return [(year.pk, str(year)) for year in policy_years_school_first()]
