from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from office.errors import Refused

from . import services, views
from .models import (
    BenefitRule,
    CatastrophicDisease,
    CatastrophicTier,
    ExclusionCategory,
    PolicyYear,
    Region,
)


class FrozenWhenPublishedInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return _editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _editable(obj) and super().has_delete_permission(request, obj)


class BenefitRuleInline(FrozenWhenPublishedInline):
    model = BenefitRule


class CatastrophicTierInline(FrozenWhenPublishedInline):
    model = CatastrophicTier


@admin.register(PolicyYear)
class PolicyYearAdmin(admin.ModelAdmin):
    list_display = ["code", "region", "year", "status", "premium", "collective_window_opens_on"]
    list_filter = ["region", "status"]
    list_select_related = ["region"]
    readonly_fields = ["code", "status"]
    inlines = [BenefitRuleInline, CatastrophicTierInline]
    actions = ["copy_to_next_year", "publish"]
    fieldsets = [
        (None, {"fields": ["region", "year", "code", "status", "premium", "source"]}),
        (
            _("Calendar"),
            {
                "fields": [
                    "collective_window_opens_on",
                    "collective_window_closes_on",
                    "family_aid_deadline_at",
                    "freshman_window_opens_on",
                    "freshman_window_closes_on",
                ]
            },
        ),
        (
            _("Freshmen"),
            {
                "fields": [
                    "freshman_premium_waived",
                    "freshman_august_starts_on_september",
                    "freshman_always_starts_on_september",
                ]
            },
        ),
        (
            _("Benefits"),
            {
                "fields": [
                    "community_as_level_1",
                    "emergency_as_outpatient",
                    "maternity_as_inpatient_without_deductible",
                    "basic_annual_cap",
                    "catastrophic_requires_disease",
                    "catastrophic_cap",
                ]
            },
        ),
        (
            _("Waiting period"),
            {
                "fields": [
                    "waiting_fixed_months",
                    "waiting_months_per_gap_year",
                    "waiting_months_removed_per_back_paid_year",
                    "waiting_floor_months",
                    "waiting_floor_from_gap_years",
                    "gaps_counted_from_year",
                ]
            },
        ),
    ]

    def has_change_permission(self, request, obj=None):
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _editable(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.code = services.policy_year_code(region_code=obj.region.code, year=obj.year)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        estimate = self.admin_site.admin_view(
            permission_required("policies.view_policyyear", raise_exception=True)(
                views.EstimateView.as_view(admin_site=self.admin_site)
            )
        )
        return [path("estimate/", estimate, name="policies_estimate"), *super().get_urls()]

    @admin.action(description=_("Copy to a draft for the next year"), permissions=["add"])
    def copy_to_next_year(self, request, queryset):
        for policy_year in queryset.select_related("region"):
            try:
                draft = services.policy_year_copy_to_draft(
                    policy_year=policy_year, year=policy_year.year + 1
                )
            except Refused as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, _("Draft %(code)s created.") % {"code": draft.code}, messages.SUCCESS
                )

    @admin.action(description=_("Publish (freezes the policy year)"), permissions=["publish"])
    def publish(self, request, queryset):
        published = 0
        for policy_year in queryset:
            try:
                services.policy_year_publish(policy_year=policy_year)
            except Refused as exc:
                self.message_user(request, f"{policy_year.code}: {exc}", messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d policy year published.",
                    "%(count)d policy years published.",
                    published,
                )
                % {"count": published},
                messages.SUCCESS,
            )

    def has_publish_permission(self, request):
        # Drafts can be edited by anyone who may change policy years, so may publishing.
        return super().has_change_permission(request)


def _editable(policy_year: PolicyYear | None) -> bool:
    return policy_year is None or not policy_year.is_published


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(ExclusionCategory)
class ExclusionCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CatastrophicDisease)
class CatastrophicDiseaseAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
