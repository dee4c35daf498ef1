from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, flatten_fieldsets
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from office import confirm
from office.errors import Refused
from office.money_columns import MoneyColumns
from office.tables import Table
from office.templatetags.office_format import ratio

from . import services, views
from .catalog import CALENDAR_FIELDS
from .models import (
    BenefitRule,
    CalendarCorrection,
    CatastrophicDisease,
    CatastrophicTier,
    ExclusionCategory,
    PolicyYear,
    Region,
    SpecialGroupRule,
)


class FrozenWhenPublishedInline(admin.TabularInline):
    extra = 0
    # ratios a published (read-only) year shows as staff read them: 0.7500 reads 75%
    ratio_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if _editable(obj):
            return fields
        shown = [
            self._ratio_display(name) if name in self.ratio_fields else name for name in fields
        ]
        # in its place, not again at the end with the read-only fields Django appends
        return list(dict.fromkeys(shown))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if _editable(obj):
            return readonly
        return [*readonly, *(self._ratio_display(name) for name in self.ratio_fields)]

    def _ratio_display(self, name: str):
        # one callable per field and inline: the admin matches read-only fields by identity
        shown = self.__dict__.setdefault("_ratio_displays", {})
        if name not in shown:
            shown[name] = _RatioDisplay(self.model, name)
        return shown[name]

    def has_add_permission(self, request, obj=None):
        return _editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _editable(obj) and super().has_delete_permission(request, obj)


class CalendarCorrectionInline(admin.TabularInline):
    model = CalendarCorrection
    extra = 0
    fields = ["field_label", "old_value", "new_value", "corrected_by", "corrected_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("field"))
    def field_label(self, correction):
        return PolicyYear._meta.get_field(correction.field).verbose_name


class BenefitRuleInline(FrozenWhenPublishedInline):
    model = BenefitRule
    ratio_fields = ("ratio",)


class CatastrophicTierInline(FrozenWhenPublishedInline):
    model = CatastrophicTier
    ratio_fields = ("ratio", "low_income_ratio")


class SpecialGroupRuleInline(FrozenWhenPublishedInline):
    """Which groups are exempt, government-paid or school-paid; a group not listed pays
    its premium itself. Its assumed mark (`assumed["special_groups"]`) is on its title."""

    model = SpecialGroupRule


@admin.register(PolicyYear)
class PolicyYearAdmin(MoneyColumns, admin.ModelAdmin):
    list_display = ["code", "region", "year", "status", "premium", "collective_window_opens_on"]
    list_filter = ["region", "status"]
    list_select_related = ["region"]
    readonly_fields = ["code", "status"]
    inlines = [
        BenefitRuleInline,
        CatastrophicTierInline,
        SpecialGroupRuleInline,
        CalendarCorrectionInline,
    ]
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
                    "freshman_confirms_in_app",
                    "freshman_confirmation_channel",
                    "freshman_cover_needs_full_premium",
                    "freshman_august_starts_on_september",
                    "freshman_always_starts_on_september",
                ]
            },
        ),
        (
            _("Family mutual aid"),
            {"fields": ["family_aid_refunded_by_school", "family_aid_for_freshmen"]},
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
                    "catastrophic_insurers",
                    "claim_window_months",
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

    def has_delete_permission(self, request, obj=None):
        return _editable(obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if _editable(obj):
            return self.readonly_fields
        # Published: frozen but for the dates, which the office may correct.
        frozen = [
            name
            for name in flatten_fieldsets(self.fieldsets)
            if name not in CALENDAR_FIELDS and name not in self.readonly_fields
        ]
        return [*self.readonly_fields, *frozen, *self._assumed_displays(obj, frozen).values()]

    def get_fieldsets(self, request, obj=None):
        """An assumed value that is shown, not edited, is shown with its mark."""
        displays = self._assumed_displays(obj, self.get_readonly_fields(request, obj))
        return [
            (title, {**options, "fields": [_field_or(displays, f) for f in options["fields"]]})
            for title, options in self.fieldsets
        ]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        reason = (obj.assumed if obj else {}).get("special_groups")
        for inline in inlines:
            if reason and isinstance(inline, SpecialGroupRuleInline):
                inline.verbose_name_plural = format_lazy(
                    "{}{}", SpecialGroupRule._meta.verbose_name_plural, _assumed_mark(reason)
                )
        return inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        for name, reason in (obj.assumed if obj else {}).items():
            if name in form.base_fields:
                form.base_fields[name].help_text = _assumed_mark(reason)
        return form

    def save_model(self, request, obj, form, change):
        if change and not _editable(PolicyYear.objects.get(pk=obj.pk)):
            services.policy_year_calendar_correct(
                policy_year=obj,
                values={name: form.cleaned_data[name] for name in form.changed_data},
                user=request.user,
                now=timezone.now(),
            )
            return
        obj.code = services.policy_year_code(region_code=obj.region.code, year=obj.year)
        obj.assumed = {k: v for k, v in obj.assumed.items() if k not in form.changed_data}
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        policy_year = form.instance
        if formset.model is SpecialGroupRule and formset.has_changed():
            # the office stated the year's special groups: no longer assumed
            policy_year.assumed = {
                k: v for k, v in policy_year.assumed.items() if k != "special_groups"
            }
            policy_year.save(update_fields=["assumed"])

    @staticmethod
    def _assumed_displays(obj, readonly) -> dict:
        if obj is None:
            return {}
        return {
            name: _AssumedDisplay(name, reason)
            for name, reason in obj.assumed.items()
            if name in readonly
        }

    def get_urls(self):
        estimate = self.admin_site.admin_view(
            permission_required("policies.view_policyyear", raise_exception=True)(
                views.EstimateView.as_view(admin_site=self.admin_site)
            )
        )
        publish = self.admin_site.admin_view(self.publish_view)
        return [
            path("estimate/", estimate, name="policies_estimate"),
            path("<int:pk>/publish/", publish, name="policies_policyyear_publish"),
            *super().get_urls(),
        ]

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
        """What publishing does is shown first; the years are published once confirmed."""
        if not confirm.confirmed(request):
            return self._publish_question(request, list(queryset.select_related("region")))
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

    def _publish_question(self, request, years, *, action: str = "publish"):
        drafts = [year for year in years if not year.is_published]
        return confirm.confirm_page(
            request,
            self.admin_site,
            opts=self.opts,
            title=_("Publish policy years"),
            what=[PUBLISHING],
            tables=[
                Table(
                    title=_("To be published"),
                    headers=[_("code"), _("region"), _("year"), _field_label("premium")],
                    rows=[[y.code, y.region.name, y.year, y.premium] for y in drafts],
                )
            ],
            action=action,
            chosen=[year.pk for year in drafts],
            confirm_label=_("Yes, publish"),
            cancel_url=reverse("admin:policies_policyyear_changelist"),
            can_confirm=bool(drafts),
        )

    def publish_view(self, request, pk: int):
        """A draft's 发布 button: the same question, then the same publishing."""
        policy_year = get_object_or_404(PolicyYear.objects.select_related("region"), pk=pk)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        if not confirm.confirmed(request):
            return self._publish_question(request, [policy_year], action="")
        self.publish(request, PolicyYear.objects.filter(pk=pk))
        return redirect("admin:policies_policyyear_change", pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy_year = self.get_object(request, object_id)
        context = {}
        drafted = policy_year is not None and _editable(policy_year)
        if drafted and self.has_publish_permission(request):
            url = reverse("admin:policies_policyyear_publish", args=[policy_year.pk])
            context["publish_url"] = url
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )


# what publishing does, said before it is done (office.confirm)
PUBLISHING = _(
    "Publishing freezes the year: its premium, benefits, waiting periods and special groups "
    "can no longer be changed, only its dates corrected (each correction is recorded). "
    "Enrollments, collective runs and claims use a published year."
)


def _field_label(name: str) -> str:
    return PolicyYear._meta.get_field(name).verbose_name


def _editable(policy_year: PolicyYear | None) -> bool:
    return policy_year is None or not policy_year.is_published


def _assumed_mark(reason: str) -> str:
    return f"（{reason}）"


class _AssumedDisplay:
    """A frozen value shown with its assumed mark. The admin asks for the read-only fields
    several times per page and matches them by equality, hence __eq__ on what it shows."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        self.model_field = PolicyYear._meta.get_field(name)
        self.__name__ = f"{name}_assumed"
        self.short_description = self.model_field.verbose_name

    def __call__(self, obj):
        value = display_for_field(getattr(obj, self.name), self.model_field, "-")
        return format_html("{}{}", value, _assumed_mark(self.reason))

    def __eq__(self, other):
        if not isinstance(other, _AssumedDisplay):
            return NotImplemented
        return (self.name, self.reason) == (other.name, other.reason)

    def __hash__(self):
        return hash((self.name, self.reason))


class _RatioDisplay:
    """A ratio field shown read-only as a percent (office_format.ratio): 0.7500 -> 75%."""

    def __init__(self, model, name: str):
        self.name = name
        self.__name__ = name  # its column keeps the field's name
        self.short_description = model._meta.get_field(name).verbose_name

    def __call__(self, obj):
        value = getattr(obj, self.name)
        return "-" if value is None else ratio(value)


def _field_or(displays: dict, name):
    return (displays[name],) if name in displays else name


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "records_complete_from_year"]


@admin.register(ExclusionCategory)
class ExclusionCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CatastrophicDisease)
class CatastrophicDiseaseAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
