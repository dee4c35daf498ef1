"""报销申请 in the admin: the list the office works from, and a claim's page with its
receipts, documents checklist and history (claims.admin.inlines), the automatic check's
rejection, the breakdown stored on approval, the bank account masked for who may not see
it, the workflow's moves as actions and buttons (claims.admin.moves) and the student's
statement to print (claims.admin.pages)."""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.views.main import IS_POPUP_VAR
from django.db.models import Min, Sum
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from enrollment.models import PersonalDataAccess
from enrollment.resources import LoggedExport
from enrollment.services import personal_data_access_record
from office.admin_pages import Page, WithoutRelatedLinks, WithPages
from office.errors import Refused
from office.money_columns import MoneyColumns
from office.scoping import ScopedAdmin
from policies.engine import fen

from .. import rules, services, views
from ..models import Claim, ClaimDocument, ClaimLine
from ..resources import ClaimResource
from . import moves, pages
from .forms import ClaimForm
from .inlines import (
    DOCUMENTS_OPEN,
    EDITABLE,
    ClaimDocumentInline,
    ClaimEventInline,
    ClaimLineInline,
    ClaimLineSummaryInline,
)

# who may read a full bank account: who may read full ID numbers (README, Roles)
FULL_ACCOUNT_PERMISSION = "enrollment.view_full_id"


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            Claim.objects.exclude(policy_year=None)
            .order_by("-policy_year__year")
            .values_list("policy_year__year", flat=True)
            .distinct()
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if (self.value() or "").isdigit():
            return queryset.filter(policy_year__year=int(self.value()))
        return queryset


@admin.register(Claim)
class ClaimAdmin(
    ScopedAdmin, WithoutRelatedLinks, WithPages, LoggedExport, MoneyColumns, admin.ModelAdmin
):
    resource_classes = [ClaimResource]
    form = ClaimForm
    college_path = "student__college"  # office.scoping
    whole_school_pages = ("claims_import",)
    other_records_pages = ("claimdocument_scan",)  # a document's pk: scoped in its view
    list_display = [
        "number",
        "student",
        "type",
        "visit_date",
        "claimed",
        "state",
        "payer",
        "fund",
        "student_pays",
    ]
    list_filter = ["state", "type", "payer", YearFilter, "channel", "out_of_city"]
    list_select_related = ["student"]
    search_fields = ["=number", "student__student_number", "student__name"]
    autocomplete_fields = ["student", "referral"]
    # what the clerk gives; the rest is decided by the services
    FACTS = ClaimForm.Meta.fields
    fieldsets = [
        (
            _("Application"),
            {"fields": ["number", "student", "type", "channel", "submitted_on", "bank_account"]},
        ),
        (
            _("Where the care was"),
            {
                "fields": [
                    "out_of_city",
                    "remote_registration",
                    "remote_registration_valid_until",
                    "referral",
                ]
            },
        ),
        (
            _("Review"),
            {
                "fields": [
                    "state",
                    "missing_documents",
                    "rejection",
                    "payer",
                    "policy_year",
                    "enrollment",
                ]
            },
        ),
        (
            _("Breakdown stored on approval"),
            {
                "fields": [
                    "fund",
                    "catastrophic",
                    "student_pays",
                    "breakdown_table",
                    "rules_version",
                    "approved_at",
                    "approved_by",
                    "approval_sequence",
                ]
            },
        ),
        (_("Payment"), {"fields": ["payment"]}),
        (_("Record"), {"fields": ["created_at", "created_by", "updated_at"]}),
    ]
    pages = (
        Page(
            "import/",
            views.claims_import,
            "add_claim",
            "claims_import",
            button=_("Import claims"),
            with_site=True,
        ),
        Page(
            "<int:pk>/move/<str:target>/",
            moves.claim_move,
            "change_claim",
            "claim_move",
            with_site=True,
        ),
        Page(
            "statement/<int:student>/<int:year>/",
            pages.claim_statement_page,
            "view_claim",
            "claim_statement",
        ),
        Page(
            "documents/<int:pk>/scan/",
            pages.claim_document_scan,
            "view_claim",
            "claimdocument_scan",
        ),
        Page(
            "<int:pk>/bank-account/",
            pages.claim_bank_account,
            "change_claim",
            "claim_bank_account",
            with_site=True,
        ),
        Page(
            "<int:pk>/recompute/",
            pages.claim_recompute_page,
            "change_claim",
            "claim_recompute",
            with_site=True,
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(first_visit=Min("lines__visit_date"), claimed_total=Sum("lines__total"))
        )

    @admin.display(description=_("visit date"), ordering="first_visit")
    def visit_date(self, claim: Claim):
        return claim.first_visit

    @admin.display(description=_("claimed"), ordering="claimed_total")
    def claimed(self, claim: Claim):
        # SQLite sums decimals to a number without its fen
        return None if claim.claimed_total is None else fen(Decimal(claim.claimed_total))

    # the claim's page ----------------------------------------------------------------

    def sees_full_account(self, request) -> bool:
        return request.user.has_perm(FULL_ACCOUNT_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # a new claim: what the clerk gives, its receipts below
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f in self.FACTS]})
                for name, opts in fieldsets[:2]
            ]
        if obj.fund is None:  # nothing stored before approval
            fieldsets = [(name, opts) for name, opts in fieldsets if "fund" not in opts["fields"]]
        if obj.state != Claim.State.PAID:
            fieldsets = [(n, opts) for n, opts in fieldsets if "payment" not in opts["fields"]]
        if self.sees_full_account(request):
            return fieldsets
        masked = {"bank_account": "masked_bank_account"}
        return [
            (name, {**opts, "fields": [masked.get(f, f) for f in opts["fields"]]})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        facts = set(self.FACTS)
        everything = [f for _name, opts in self.fieldsets for f in opts["fields"]]
        if obj.state in EDITABLE and self.has_change_permission(request, obj):
            readonly = [f for f in everything if f not in facts]
        else:
            readonly = everything
        if not self.sees_full_account(request):
            readonly.append("masked_bank_account")
        return readonly

    @admin.display(description=_("bank account"))
    def masked_bank_account(self, claim: Claim) -> str:
        return claim.masked_bank_account or "—"

    @admin.display(description=_("how the claim was paid"))
    def payment(self, claim: Claim) -> str:
        """Who paid the claim and how: its payout list, or the payer's payment recorded."""
        entry = getattr(claim, "payout_entry", None)
        if entry is not None:
            listed = entry.payout_list
            frozen = f"{listed.frozen_at:%Y-%m-%d}"
            return f"{listed}，第 {entry.position} 行，{entry.amount} 元（{frozen} 冻结）"
        if claim.paid_on is None:
            return "—"
        payer = rules.PAYER_LABELS.get(claim.payer, claim.payer)
        paid = f"{payer}于 {claim.paid_on} 支付 {claim.paid_amount} 元"
        if claim.payment_reference:
            paid += f"（凭证号 {claim.payment_reference}）"
        approved = services.approved_amount(claim)
        if claim.paid_amount != approved:
            paid += f"；核定 {approved} 元"
        return paid

    @admin.display(description=_("documents missing"))
    def missing_documents(self, claim: Claim) -> str:
        return "、".join(services.missing_documents_of(claim)) or "—"

    @admin.display(description=_("rejection"))
    def rejection(self, claim: Claim) -> str:
        if not claim.rejection_code and not claim.rejection_message:
            return "—"
        return format_html(
            "<strong>{}</strong>（{}）<br>{}",
            rules.REJECTION_LABELS.get(claim.rejection_code, claim.rejection_code),
            claim.rejection_code,
            claim.rejection_message,
        )

    @admin.display(description=_("breakdown"))
    def breakdown_table(self, claim: Claim) -> str:
        """The breakdown stored on approval, receipt by receipt with each step's sentence;
        a claim not approved has none yet (its statement shows what it would get now)."""
        if claim.fund is None:
            return "—"
        headers = [
            _("invoice number"),
            _("fund pays"),
            _("catastrophic cover pays"),
            _("student pays"),
            _("steps"),
        ]
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td class="nowrap">{}</td><td class="nowrap">{}</td>'
            '<td class="nowrap">{}</td><td>{}</td></tr>',
            (
                (
                    line.invoice_number,
                    line.fund,
                    line.catastrophic,
                    line.student,
                    format_html_join("", "<div>{}</div>", ((step,) for step in line.steps or ())),
                )
                for line in claim.lines.all()
            ),
        )
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<th>{}</th>", ((header,) for header in headers)),
            rows,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        context = {}
        if claim is not None and (
            claim.state not in DOCUMENTS_OPEN or not self.has_change_permission(request, claim)
        ):  # nothing left to save here: states change through the moves
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        if claim is not None:
            context["claim_moves"] = moves.buttons(claim, request.user) + self._tools(
                request, claim
            )
            if claim.policy_year_id:
                context["statement_url"] = reverse(
                    "admin:claims_claim_statement",
                    args=[claim.student_id, claim.policy_year.year],
                )
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def _tools(self, request, claim: Claim) -> list[tuple[str, str]]:
        """The claim's pages besides its moves: its bank account once its receipts are
        closed (until it is paid), the recomputation of an approved claim."""
        if not self.has_change_permission(request, claim):
            return []
        tools = []
        if claim.state not in EDITABLE and claim.state in services.payments.ACCOUNT_OPEN:
            url = reverse("admin:claims_claim_bank_account", args=[claim.pk])
            tools.append((url, _("bank account")))
        if claim.state == Claim.State.APPROVED:
            url = reverse("admin:claims_claim_recompute", args=[claim.pk])
            tools.append((url, _("Recompute in visit-date order")))
        return tools

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.bank_account and self.sees_full_account(request):
            personal_data_access_record(
                user=request.user,
                action=PersonalDataAccess.Action.VIEW_FULL_ID,
                student_id=obj.student_id,
                detail=f"报销申请 {obj.number} 收款账户",
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # saving: a new claim through claims.services.claim_create, documents through
    # document_receive --------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # a new claim is made with its receipts, in save_related

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
            # a draft whose type, channel or receipts changed may need other documents
            for kind in services.required_documents_of(form.instance):
                ClaimDocument.objects.get_or_create(claim=form.instance, kind=kind)
            return
        for formset in formsets:  # saved by the service, not by the formsets
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        lines = next(formset for formset in formsets if formset.model is ClaimLine)
        data = form.cleaned_data
        claim = services.claim_create(
            student=data["student"],
            type=data["type"],
            lines=lines.receipts(),
            channel=data["channel"],
            submitted_on=data.get("submitted_on"),
            out_of_city=data.get("out_of_city", False),
            remote_registration=data["remote_registration"],
            remote_registration_valid_until=data.get("remote_registration_valid_until"),
            referral=data.get("referral"),
            bank_account=data.get("bank_account") or "",
            by=request.user,
        )
        form.instance.pk, form.instance.number = claim.pk, claim.number
        repeated = claim.lines.filter(duplicate_of__isnull=False).select_related(
            "duplicate_of__claim"
        )
        for line in repeated:
            messages.warning(
                request,
                f"票据 {line.invoice_number} 已在报销申请 {line.duplicate_of.claim} 中报销："
                "提交时本申请将被驳回（票据重复报销）。",
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is ClaimDocument:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for document in formset.forms:
                if document.has_changed() and (
                    document.cleaned_data.get("received") or document.cleaned_data.get("scan")
                ):
                    self._receive(request, document)
            return
        if formset.model is ClaimLine:
            lines = formset.save(commit=False)
            last = max(form.instance.lines.values_list("position", flat=True), default=0)
            for line in lines:
                if line.position is None:
                    last += 1
                    line.position = last
                line.save()
            for line in formset.deleted_objects:
                line.delete()
            return
        super().save_formset(request, form, formset, change)

    def _receive(self, request, document_form) -> None:
        document = document_form.instance
        scan = document_form.cleaned_data.get("scan")
        try:
            services.document_receive(
                claim=document.claim,
                kind=document.kind,
                scan=scan if "scan" in document_form.changed_data and scan else None,
                by=request.user,
            )
        except Refused as exc:
            messages.warning(request, exc.message)

    def get_inlines(self, request, obj):
        if obj is None:  # a new claim's checklist follows from its type and channel
            return [ClaimLineInline]
        if obj.state in EDITABLE and self.has_change_permission(request, obj):
            return [ClaimLineInline, ClaimDocumentInline, ClaimEventInline]
        return [ClaimLineSummaryInline, ClaimDocumentInline, ClaimEventInline]

    def get_actions(self, request):
        """The moves staff may make by hand on a selection come from the workflow's map
        and the user's permissions (claims.workflow), ahead of the list's own actions."""
        actions = super().get_actions(request)
        if IS_POPUP_VAR in request.GET:
            return actions
        return {**moves.actions(request.user), **actions}

    def has_delete_permission(self, request, obj=None):
        return False
