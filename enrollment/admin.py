import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policies.selectors import PolicyYearAmbiguous, policy_year_for

from . import rules, selectors, services, views, workflow
from .forms import OptOutForm, PaymentForm, StudentForm
from .models import (
    CollectiveRun,
    DeclarationBatch,
    Enrollment,
    EnrollmentEvent,
    OptOut,
    Payment,
    PaymentList,
    PersonalDataAccess,
    Refund,
    RosterImport,
    Student,
)

FULL_ID_PERMISSION = "enrollment.view_full_id"


class EligibilityFilter(admin.SimpleListFilter):
    title = _("eligibility")
    parameter_name = "eligibility"

    def lookups(self, request, model_admin):
        return [("eligible", _("Eligible")), *rules.INELIGIBILITY_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                pk__in=selectors.student_pks_with_eligibility(queryset, self.value())
            )
        return queryset


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    form = StudentForm
    list_display = [
        "student_number",
        "name",
        "masked_id_number",
        "college",
        "education_level",
        "registered_on",
        "subsidy_category",
        "eligibility",
    ]
    list_filter = [
        "college",
        "education_level",
        "study_mode",
        "subsidy_category",
        "school_status",
        EligibilityFilter,
    ]
    search_fields = ["student_number", "name", "=id_number"]
    date_hierarchy = "registered_on"
    readonly_fields = ["birth_date", "gender", "eligibility_reason", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "id_type", "id_number", "student_number"]}),
        (
            _("School"),
            {
                "fields": [
                    "school",
                    "college",
                    "major",
                    "education_level",
                    "study_mode",
                    "registered_on",
                    "school_status",
                    "graduation_date",
                ]
            },
        ),
        (
            _("Person"),
            {"fields": ["gender", "birth_date", "phone", "nationality", "origin"]},
        ),
        (
            _("Insurance"),
            {
                "fields": [
                    "eligibility_reason",
                    "subsidy_category",
                    "training_mode",
                    "in_service",
                    "insured_elsewhere",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    actions = ["enroll_late"]

    @admin.action(
        description=_("Late enrollment for this year (with a waiting period)"),
        permissions=["change"],
    )
    def enroll_late(self, request, queryset):
        today = timezone.localdate()
        created = 0
        for student in queryset:
            # the region the student was last enrolled in, where a year has several
            last = student.enrollments.select_related("policy_year__region").first()
            region = last.policy_year.region.code if last else None
            try:
                policy_year = policy_year_for(year=today.year, region=region)
            except PolicyYearAmbiguous as exc:
                self.message_user(request, f"{student}：{exc}", messages.WARNING)
                continue
            if student.enrollments.filter(policy_year=policy_year).exists():
                self.message_user(
                    request,
                    _("%(student)s already has an enrollment for %(year)s.")
                    % {"student": student, "year": policy_year},
                    messages.WARNING,
                )
                continue
            try:
                services.enrollment_create(
                    student=student,
                    policy_year=policy_year,
                    kind=workflow.LATE,
                    today=today,
                    by=request.user,
                )
            except services.EnrollmentRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                created += 1
        if created:
            self.message_user(
                request,
                _("%(count)d late enrollments declared; cover starts once paid.")
                % {"count": created},
                messages.SUCCESS,
            )

    @admin.display(description=_("eligibility"))
    def eligibility(self, student: Student) -> str:
        status = selectors.student_eligibility(student)
        return "✓" if status.eligible else rules.INELIGIBILITY_LABELS[status.code]

    @admin.display(description=_("eligibility"))
    def eligibility_reason(self, student: Student) -> str:
        status = selectors.student_eligibility(student)
        return _("Eligible") if status.eligible else status.message

    @admin.display(description=_("ID number"))
    def masked_id_number(self, student: Student) -> str:
        return student.masked_id_number

    def get_list_display(self, request):
        if request.user.has_perm(FULL_ID_PERMISSION):
            return _unmasked(self.list_display)
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.has_perm(FULL_ID_PERMISSION):
            return fieldsets
        return [(name, {**opts, "fields": _masked(opts["fields"])}) for name, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm(FULL_ID_PERMISSION):
            readonly.append("masked_id_number")
        return readonly

    def save_model(self, request, obj, form, change):
        services.student_derive_from_id(obj)
        super().save_model(request, obj, form, change)

    def lookup_allowed(self, lookup, value, request=None):
        # URL filters on the ID number would let anyone probe it digit by digit
        if lookup.startswith("id_number") and not (
            request and request.user.has_perm(FULL_ID_PERMISSION)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        # Searching by a full ID number would let anyone probe who is on the roster.
        if request.user.has_perm(FULL_ID_PERMISSION):
            return self.search_fields
        return [field for field in self.search_fields if field != "=id_number"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and request.user.has_perm(FULL_ID_PERMISSION):
            services.personal_data_access_record(
                user=request.user,
                action=PersonalDataAccess.Action.VIEW_FULL_ID,
                student_id=object_id,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@dataclass(frozen=True)
class Page:
    """An extra admin page: its URL, the one enrollment permission that guards it, and
    the label of its button on the change list, if it has one. A page that renders
    within the admin (`with_site`) is given the admin site."""

    pattern: str
    view: Callable
    permission: str
    name: str
    button: str = ""
    with_site: bool = False


class WithPages:
    """Declares its extra pages once (`pages`): the URLs, their guards and the change
    list's buttons (shown to who holds the page's permission) all follow from it."""

    pages: tuple[Page, ...] = ()
    change_list_template = "admin/enrollment/change_list_links.html"

    def get_urls(self):
        return [*(self._url(page) for page in self.pages), *super().get_urls()]

    def _url(self, page: Page):
        view = (
            functools.partial(page.view, admin_site=self.admin_site)
            if page.with_site
            else page.view
        )
        guarded = permission_required(f"enrollment.{page.permission}", raise_exception=True)(view)
        return path(
            page.pattern, self.admin_site.admin_view(guarded), name=f"enrollment_{page.name}"
        )

    def changelist_view(self, request, extra_context=None):
        links = [
            (reverse(f"admin:enrollment_{page.name}"), page.button)
            for page in self.pages
            if page.button and request.user.has_perm(f"enrollment.{page.permission}")
        ]
        return super().changelist_view(request, {"extra_links": links, **(extra_context or {})})


def _masked(fields):
    return ["masked_id_number" if field == "id_number" else field for field in fields]


def _unmasked(fields):
    return ["id_number" if field == "masked_id_number" else field for field in fields]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "student", "detail"]
    list_filter = ["action"]
    list_select_related = ["user", "student"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RosterImport)
class RosterImportAdmin(WithPages, admin.ModelAdmin):
    list_display = ["uploaded_at", "original_name", "status", "uploaded_by", "rows", "problems"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    pages = (
        Page("upload/", views.roster_upload, "add_rosterimport", "roster_upload", with_site=True),
        Page(
            "<int:pk>/progress/",
            views.roster_import_progress,
            "view_rosterimport",
            "rosterimport_progress",
        ),
        Page(
            "<int:pk>/confirm/",
            views.roster_import_confirm,
            "add_rosterimport",
            "rosterimport_confirm",
        ),
        Page(
            "<int:pk>/errors/",
            views.roster_import_errors,
            "add_rosterimport",
            "rosterimport_errors",
        ),
    )

    @admin.display(description=_("rows"))
    def rows(self, roster_import: RosterImport):
        return roster_import.summary.get("rows", "")

    @admin.display(description=_("rows with errors"))
    def problems(self, roster_import: RosterImport):
        return roster_import.summary.get("invalid_rows", "")

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:enrollment_roster_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            return super().change_view(request, object_id, form_url, extra_context)
        return views.roster_import_detail(request, self.admin_site, int(object_id))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EnrollmentEventInline(admin.TabularInline):
    model = EnrollmentEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "reason", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "student",
        "college",
        "policy_year",
        "kind",
        "state",
        "payer",
        "premium_due",
        "amount_paid",
        "cover_start",
    ]
    list_filter = [
        "policy_year",
        "kind",
        "state",
        "payer",
        "student__college",
        "declaration_batch",
    ]
    list_select_related = ["student", "policy_year__region"]
    search_fields = ["student__student_number", "student__name"]
    readonly_fields = [
        "student",
        "policy_year",
        "kind",
        "state",
        "payer",
        "premium_due",
        "amount_paid",
        "cover_start",
        "cover_end",
        "waiting_months",
        "reason",
        "declaration_batch",
        "created_at",
        "updated_at",
    ]
    inlines = [EnrollmentEventInline]
    actions = ["confirm_for_students", "choose_family_aid"]

    @admin.display(description=_("college"), ordering="student__college")
    def college(self, enrollment: Enrollment) -> str:
        return enrollment.student.college

    @admin.action(
        description=_("Confirm on the students' behalf (bulk confirmation)"), permissions=["change"]
    )
    def confirm_for_students(self, request, queryset):
        moved, refused = services.enrollments_confirm(
            enrollments=queryset.select_related("student"), by=request.user
        )
        if moved:
            self.message_user(
                request,
                _("%(count)d freshmen confirmed, now pending review.") % {"count": moved},
                messages.SUCCESS,
            )
        for message in refused[:20]:
            self.message_user(request, message, messages.WARNING)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # every field is read-only here: states change through actions and services
        read_only = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(
            request, object_id, form_url, {**read_only, **(extra_context or {})}
        )

    @admin.action(
        description=_("A relative pays from an employee account (family mutual aid)"),
        permissions=["change"],
    )
    def choose_family_aid(self, request, queryset):
        moved = 0
        for enrollment in queryset.select_related("student"):
            try:
                services.enrollment_choose_family_aid(
                    enrollment=enrollment, at=timezone.now(), by=request.user
                )
            except (services.EnrollmentRefused, workflow.TransitionRefused) as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                moved += 1
        if moved:
            self.message_user(
                request,
                _("%(count)d enrollments now paid by family mutual aid.") % {"count": moved},
                messages.SUCCESS,
            )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentList)
class PaymentListAdmin(WithPages, admin.ModelAdmin):
    list_display = ["number", "year", "rows", "total", "frozen_at", "frozen_by", "download"]
    list_select_related = ["frozen_by"]
    readonly_fields = ["number", "year", "rows", "total", "sha256", "frozen_at", "frozen_by"]
    pages = (
        Page(
            "freeze/",
            views.payment_list_freeze,
            "add_paymentlist",
            "paymentlist_freeze",
            with_site=True,
        ),
        Page(
            "<int:pk>/download/",
            views.payment_list_download,
            "export_paymentlist",
            "paymentlist_download",
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("file"))
    def download(self, payment_list: PaymentList) -> str:
        url = reverse("admin:enrollment_paymentlist_download", args=[payment_list.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:enrollment_paymentlist_freeze")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WithoutRelatedLinks:
    """Foreign keys without the admin's add/change/delete icons: a clerk recording an
    opt-out or a payment must not edit students or policy years from there."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.is_relation and field is not None:
            for name in ("can_add_related", "can_change_related", "can_delete_related"):
                setattr(field.widget, name, False)
        return field


@admin.register(CollectiveRun)
class CollectiveRunAdmin(WithPages, admin.ModelAdmin):
    list_display = ["number", "policy_year", "status", "started_at", "started_by", "progress"]
    list_filter = ["status", "policy_year"]
    list_select_related = ["policy_year__region", "started_by"]
    pages = (
        Page(
            "start/",
            views.collective_run_start,
            "add_collectiverun",
            "collectiverun_start",
            button=_("Start the collective enrollment"),
            with_site=True,
        ),
        Page(
            "<int:pk>/progress/",
            views.collective_run_progress,
            "view_collectiverun",
            "collectiverun_progress",
        ),
    )

    @admin.display(description=_("run number"), ordering="pk")
    def number(self, run: CollectiveRun) -> str:
        return f"#{run.pk}"

    @admin.display(description=_("progress"))
    def progress(self, run: CollectiveRun) -> str:
        return f"{run.progress_done} / {run.progress_total}"

    def has_add_permission(self, request):
        return False  # started with its own button

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            return super().change_view(request, object_id, form_url, extra_context)
        return views.collective_run_detail(request, self.admin_site, int(object_id))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeclarationBatch)
class DeclarationBatchAdmin(WithPages, admin.ModelAdmin):
    list_display = ["number", "policy_year", "registered", "rows", "exported", "download"]
    list_filter = ["policy_year"]
    list_select_related = ["policy_year__region", "created_by"]
    fields = [
        "number",
        "policy_year",
        "registered_from",
        "registered_to",
        "rows",
        "members",
        "created_by",
        "created_at",
        "exported_at",
        "exported_by",
        "sha256",
        "download",
    ]
    readonly_fields = fields
    pages = (
        Page(
            "create/",
            views.declaration_batch_create,
            "add_declarationbatch",
            "declarationbatch_create",
            button=_("New declaration batch"),
            with_site=True,
        ),
        # the upload file carries full ID numbers
        Page(
            "<int:pk>/download/",
            views.declaration_batch_download,
            "view_full_id",
            "declarationbatch_download",
        ),
        Page(
            "results/",
            views.bureau_results,
            "change_enrollment",
            "bureau_results",
            button=_("Import the bureau's account results"),
            with_site=True,
        ),
        Page(
            "pending/",
            views.pending_lists,
            "view_enrollment",
            "pending_lists",
            button=_("Pending confirmations"),
            with_site=True,
        ),
    )

    actions = ["export_and_freeze"]

    @admin.display(description=_("registered"), ordering="registered_from")
    def registered(self, batch: DeclarationBatch) -> str:
        return f"{batch.registered_from:%Y-%m-%d} ~ {batch.registered_to:%m-%d}"

    @admin.display(description=_("exported at"), ordering="exported_at")
    def exported(self, batch: DeclarationBatch) -> str:
        return (
            f"{timezone.localtime(batch.exported_at):%Y-%m-%d %H:%M}" if batch.exported_at else "-"
        )

    @admin.display(description=_("file"))
    def download(self, batch: DeclarationBatch) -> str:
        if not batch.is_frozen:
            return _("not exported yet")
        url = reverse("admin:enrollment_declarationbatch_download", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.action(description=_("Export and freeze (upload file)"), permissions=["freeze"])
    def export_and_freeze(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one batch."), messages.WARNING)
            return None
        return views.declaration_batch_file(request, queryset.get())

    @admin.display(description=_("members"))
    def members(self, batch: DeclarationBatch) -> str:
        url = reverse("admin:enrollment_enrollment_changelist")
        return format_html(
            '<a href="{}?declaration_batch__id__exact={}">{}</a>',
            url,
            batch.pk,
            _("Enrollments in this batch"),
        )

    def get_list_display(self, request):
        return self._with_download(request, super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._with_download(request, super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        return self._with_download(request, super().get_fields(request, obj))

    def _with_download(self, request, fields):
        """The file carries full ID numbers: its link only for who may open it."""
        if request.user.has_perm(FULL_ID_PERMISSION):
            return fields
        return [field for field in fields if field != "download"]

    def has_freeze_permission(self, request) -> bool:
        """The upload file carries full ID numbers."""
        return request.user.has_perms(
            ["enrollment.add_declarationbatch", "enrollment.view_full_id"]
        )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request):
        return False  # created with its own button

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return bool(obj is None or not obj.is_frozen) and super().has_delete_permission(
            request, obj
        )


@admin.register(OptOut)
class OptOutAdmin(WithoutRelatedLinks, WithPages, admin.ModelAdmin):
    form = OptOutForm
    list_display = ["student", "policy_year", "reason", "signed_on", "scan", "recorded_by"]
    list_filter = ["policy_year", "reason", "student__college"]
    list_select_related = ["student", "policy_year__region", "recorded_by"]
    search_fields = ["student__student_number", "student__name"]
    autocomplete_fields = ["student"]
    pages = (
        Page("<int:pk>/commitment/", views.opt_out_commitment, "view_optout", "optout_commitment"),
        Page(
            "chase/",
            views.students_to_chase,
            "view_optout",
            "students_to_chase",
            button=_("Not enrolled, no signed commitment"),
            with_site=True,
        ),
    )

    @admin.display(description=_("scan"))
    def scan(self, opt_out: OptOut) -> str:
        if not opt_out.commitment:
            return _("missing")
        url = reverse("admin:enrollment_optout_commitment", args=[opt_out.pk])
        return format_html('<a href="{}">{}</a>', url, _("View"))

    def save_model(self, request, obj, form, change):
        if change:  # only the scan can be added later, through the service that names it
            upload = form.cleaned_data.get("commitment")
            if "commitment" in form.changed_data and upload:
                services.opt_out_attach_commitment(
                    opt_out=OptOut.objects.get(pk=obj.pk), commitment=upload
                )
            return
        data = form.cleaned_data
        saved = services.opt_out_record(
            student=data["student"],
            policy_year=data["policy_year"],
            reason=data["reason"],
            detail=data["detail"],
            signed_on=data["signed_on"],
            commitment=data.get("commitment") or None,
            by=request.user,
        )
        obj.pk = saved.pk

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["student", "policy_year", "reason", "detail", "signed_on", "scan"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # read-only, Django would link the stored file itself, past the access log
            fields = [field for field in fields if field != "commitment"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(WithoutRelatedLinks, WithPages, admin.ModelAdmin):
    form = PaymentForm
    list_display = [
        "receipt_number",
        "enrollment",
        "amount",
        "paid_on",
        "channel",
        "mismatch",
        "recorded_by",
    ]
    list_filter = ["channel", "paid_on", "enrollment__policy_year"]
    list_select_related = ["enrollment__student", "enrollment__policy_year__region", "recorded_by"]
    search_fields = ["receipt_number", "enrollment__student__student_number"]
    autocomplete_fields = ["enrollment"]
    pages = (
        Page(
            "import/",
            views.payments_import,
            "add_payment",
            "payments_import",
            button=_("Import a payment file"),
            with_site=True,
        ),
        Page(
            "reconciliation/",
            views.reconciliation,
            "view_payment",
            "reconciliation",
            button=_("Reconciliation"),
            with_site=True,
        ),
    )

    def save_model(self, request, obj, form, change):
        saved = services.payment_record(**form.cleaned_data, by=request.user)
        obj.pk = saved.pk
        if saved.mismatch:
            self.message_user(request, saved.mismatch, messages.WARNING)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(WithPages, admin.ModelAdmin):
    list_display = ["enrollment", "amount", "reason", "created_at", "created_by"]
    list_filter = ["reason", "enrollment__policy_year"]
    list_select_related = ["enrollment__student", "enrollment__policy_year__region", "created_by"]
    search_fields = ["enrollment__student__student_number", "enrollment__student__name"]
    pages = (
        Page(
            "issue/",
            views.refunds_issue,
            "add_refund",
            "refunds_issue",
            button=_("Record the refunds due"),
            with_site=True,
        ),
        Page("list/", views.refund_list_download, "view_refund", "refund_list"),
    )

    def has_add_permission(self, request):
        return False  # recorded with 登记应退费用

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
