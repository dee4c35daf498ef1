"""The claims admin's own pages: a student's statement for a year, printable (issue #11:
the admin has the same statement as `claim_statement`), and a document's scan, opened
through the access log like an opt-out's."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from enrollment.models import Student
from enrollment.services import commitment_kind
from enrollment.views.common import record_export
from office.errors import Refused

from .. import rules, workflow
from ..models import Claim, ClaimDocument
from ..selectors import claim_statement

SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
PAYER_LABELS = {**rules.PAYER_LABELS, None: "待定"}


def claim_statement_page(request, student: int, year: int):
    """报销结算单: every claim of the student's year, approved ones as stored and the others
    as they would be settled now, line by line with each step's sentence, and the
    approved claims a date-order recomputation would change."""
    person = get_object_or_404(Student, pk=student)
    try:
        statement = claim_statement(student=person, year=year)
    except Refused as exc:
        raise Http404(exc.message) from None
    names = dict(Claim.objects.filter(student=person).values_list("number", "pk"))
    claims = [
        {
            **claim,
            "pk": names.get(claim["number"]),
            "type_label": rules.TYPE_LABELS.get(claim["type"], claim["type"]),
            "state_label": workflow.LABELS.get(claim["state"], claim["state"]),
            "payer_label": PAYER_LABELS.get(claim["payer"], claim["payer"]),
            "rejection_label": rules.REJECTION_LABELS.get(
                (claim["rejection"] or {}).get("code"), ""
            ),
        }
        for claim in statement["claims"]
    ]
    return TemplateResponse(
        request,
        "admin/claims/statement.html",
        {
            "student": person,
            "year": year,
            "statement": statement,
            "claims": claims,
            "title": f"报销结算单 · {person} · {year} 年度",
        },
    )


def claim_document_scan(request, pk: int):
    """The scan, typed by its first bytes whatever its name: a PDF or an image is shown,
    anything else only downloaded."""
    document = get_object_or_404(ClaimDocument.objects.select_related("claim"), pk=pk)
    if not document.scan:
        raise Http404
    record_export(
        user=request.user,
        student_id=document.claim.student_id,
        detail=f"报销材料 {document.claim} {document}",
    )
    scan = document.scan.open("rb")
    kind = commitment_kind(scan.read(16))
    scan.seek(0)
    if kind is None:
        return FileResponse(scan, as_attachment=True, content_type="application/octet-stream")
    return FileResponse(scan, content_type=SCAN_TYPES[kind])
