"""A claim's page holds its receipts (editable while it is a draft), its documents
checklist (received or not, with the scans, until it is decided) and its history."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.scans import scan_head, scan_kind, scan_problem
from policies import engine
from policies.models import CatastrophicDisease

from .. import rules, services, workflow
from ..models import ClaimDocument, ClaimEvent, ClaimLine
from ..services.create import ClaimDraft, draft_problem

# a claim's facts and receipts change only as a draft; documents come until the decision
EDITABLE = {workflow.DRAFT}
DOCUMENTS_OPEN = {workflow.DRAFT, workflow.SUBMITTED, workflow.IN_REVIEW}


class ClaimLineForm(forms.ModelForm):
    """A receipt typed at the window. The database's constraints are checked here in
    the clerk's words; a receipt already claimed elsewhere is accepted on a new claim
    (claims.services marks it, and submission rejects the claim duplicate_receipt) but
    not typed into an existing one."""

    class Meta:
        model = ClaimLine
        fields = [
            "invoice_number",
            "invoice_date",
            "visit_date",
            "discharge_date",
            "care",
            "level",
            "facility",
            "facility_name",
            "total",
            "in_scope",
            "out_of_scope",
            "catastrophic_disease",
            "excluded",
            "stay_key",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # codes the engine knows, picked by their names
        diseases = CatastrophicDisease.objects.values_list("code", "name")
        self.fields["catastrophic_disease"] = forms.ChoiceField(
            label=self.fields["catastrophic_disease"].label,
            choices=[("", "—"), *diseases],
            required=False,
        )
        self.fields["excluded"] = forms.ChoiceField(
            label=self.fields["excluded"].label,
            choices=[("", "—"), *engine.EXCLUSION_LABELS.items()],
            required=False,
        )
        if "out_of_scope" in self.fields:  # left empty: what the invoice holds beyond scope
            self.fields["out_of_scope"].required = False
            if self.instance.pk is None:
                self.initial["out_of_scope"] = None

    def clean(self):
        data = super().clean()
        total, in_scope = data.get("total"), data.get("in_scope")
        out_of_scope = data.get("out_of_scope")
        if out_of_scope is None and total is not None and in_scope is not None:
            out_of_scope = data["out_of_scope"] = total - in_scope
        if total is not None and total < 0:
            self.add_error("total", "发票金额不能为负数。")
        if in_scope is not None and in_scope < 0:
            self.add_error("in_scope", "医保范围内金额不能为负数。")
        if total is not None and in_scope is not None and in_scope > total:
            self.add_error("in_scope", f"医保范围内金额 {in_scope} 超过发票金额 {total}。")
        if out_of_scope is not None and out_of_scope < 0:
            self.add_error("out_of_scope", "医保范围外金额不能为负数。")
        visit, discharge = data.get("visit_date"), data.get("discharge_date")
        if visit and discharge and discharge < visit:
            self.add_error("discharge_date", "出院日期早于就诊日期。")
        return data

    def validate_unique(self):
        invoice = (self.cleaned_data.get("invoice_number") or "").strip()
        if (
            not invoice
            or self.instance.claim_id is None
            or "invoice_number" not in self.changed_data
        ):
            return
        earlier = (
            ClaimLine.objects.filter(invoice_number=invoice, duplicate_of__isnull=True)
            .exclude(pk=self.instance.pk)
            .select_related("claim")
            .first()
        )
        if earlier is not None:
            self.add_error(
                "invoice_number", f"票据 {invoice} 已在报销申请 {earlier.claim} 中报销。"
            )


def line_input(data: dict) -> services.LineInput:
    """A receipt form's data as claims.services.claim_create takes it."""
    facility = data.get("facility")
    return services.LineInput(
        invoice_number=data["invoice_number"],
        invoice_date=data["invoice_date"],
        visit_date=data["visit_date"],
        care=data["care"],
        level=data["level"],
        total=data["total"],
        in_scope=data["in_scope"],
        out_of_scope=data.get("out_of_scope"),
        discharge_date=data.get("discharge_date"),
        facility_id=facility.pk if facility else None,
        facility_name=data.get("facility_name") or (facility.name if facility else ""),
        catastrophic_disease=data.get("catastrophic_disease") or "",
        excluded=data.get("excluded") or "",
        stay_key=data.get("stay_key") or "",
    )


class ClaimLineFormSet(BaseInlineFormSet):
    """A new claim is checked as claims.services.claim_create will check it, so that a
    refusal shows on the form rather than after saving."""

    def receipts(self) -> list[services.LineInput]:
        return [
            line_input(form.cleaned_data)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        claim = self.instance
        if claim.pk is not None or any(self.errors) or not claim.student_id:
            return
        draft = ClaimDraft(
            student_id=claim.student_id,
            type=claim.type,
            lines=tuple(self.receipts()),
            channel=claim.channel,
            remote_registration=claim.remote_registration,
        )
        problem = draft_problem(draft)
        if problem:
            raise forms.ValidationError(problem)


class ClaimLineInline(admin.StackedInline):
    """The receipts of a draft, one block each, to type at the window (a row of fifteen
    inputs would not fit a screen)."""

    model = ClaimLine
    form = ClaimLineForm
    formset = ClaimLineFormSet
    extra = 0
    min_num = 1
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("invoice_number", "invoice_date"),
                    ("visit_date", "discharge_date", "stay_key"),
                    ("care", "level"),
                    ("facility", "facility_name"),
                    ("total", "in_scope", "out_of_scope"),
                    ("catastrophic_disease", "excluded"),
                ]
            },
        )
    ]
    autocomplete_fields = ["facility"]

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.state in EDITABLE) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (
            obj is not None
            and obj.state in EDITABLE
            and obj.lines.count() > 1
            and super().has_delete_permission(request, obj)
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.is_relation and field is not None:
            for name in ("can_add_related", "can_change_related", "can_delete_related"):
                setattr(field.widget, name, False)
        return field


class ClaimLineSummaryInline(admin.TabularInline):
    """The receipts of a claim past its draft, read-only, with what each is paid once
    approved (the steps are in the breakdown above)."""

    model = ClaimLine
    extra = 0
    can_delete = False
    fields = [
        "position",
        "invoice_number",
        "visit_date",
        "care",
        "level",
        "facility_label",
        "total",
        "in_scope",
        "duplicate_of",
        "fund",
        "catastrophic",
        "student",
    ]
    readonly_fields = fields

    @admin.display(description=_("facility"))
    def facility_label(self, line: ClaimLine) -> str:
        return line.facility_name or (line.facility.name if line.facility_id else "—")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility", "duplicate_of__claim")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimDocumentForm(forms.ModelForm):
    """Receiving a document: the box ticked, a scan optional (PDF, JPG or PNG, checked by
    its first bytes and size as an opt-out's scan is); an online claim's documents are
    PDFs (sjtu rules art. 40)."""

    class Meta:
        model = ClaimDocument
        fields = ["received", "scan"]

    def clean(self):
        data = super().clean()
        label = rules.DOCUMENT_LABELS.get(self.instance.kind, self.instance.kind)
        scan = data.get("scan")
        if "scan" in self.changed_data and scan:
            head = scan_head(scan)
            problem = scan_problem(head, scan.size)
            if problem:
                self.add_error("scan", f"{label}：{problem}")
            elif rules.scan_needed(self.instance.claim.channel) and scan_kind(head) != "pdf":
                self.add_error("scan", f"{label}：线上申请的材料须上传 PDF 扫描件。")
        elif (
            "received" in self.changed_data
            and data.get("received")
            and rules.scan_needed(self.instance.claim.channel)
            and not self.instance.scan
        ):
            self.add_error("scan", f"{label}：线上申请的材料须上传 PDF 扫描件。")
        if self.instance.received and not data.get("received"):
            self.add_error("received", f"{label}已登记收到，不能撤销。")
        return data


class ClaimDocumentInline(admin.TabularInline):
    """The checklist the claim's type and channel require (claims.rules), laid out when
    the claim was made. Saving goes through claims.services.document_receive."""

    model = ClaimDocument
    form = ClaimDocumentForm
    extra = 0
    fields = ["kind", "received", "scan", "scan_link", "received_at", "received_by"]
    readonly_fields = ["kind", "scan_link", "received_at", "received_by"]

    @admin.display(description=_("scan"))
    def scan_link(self, document: ClaimDocument) -> str:
        if not document.scan:
            return "—"
        url = reverse("admin:claims_claimdocument_scan", args=[document.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("View"))

    def is_open(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.state in DOCUMENTS_OPEN
            and self.has_change_permission(request, obj)
        )

    def get_fields(self, request, obj=None):
        if self.is_open(request, obj):
            return self.fields
        # read-only, Django would link the stored file itself, past the access log
        return [field for field in self.fields if field != "scan"]

    def get_readonly_fields(self, request, obj=None):
        if self.is_open(request, obj):
            return self.readonly_fields
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "reason", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False
