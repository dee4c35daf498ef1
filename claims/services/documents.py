"""A claim's documents checklist: each required document received or not, with an
optional scan checked by its content and size and stored under a name of ours, as the
opt-out commitments are (enrollment.services.opt_outs)."""

from django.db import transaction
from django.utils import timezone

from office.scans import scan_head, scan_keep, scan_kind, scan_problem, scan_removed_on_failure

from .. import rules, workflow
from ..models import Claim, ClaimDocument
from .common import ClaimRefused, required_documents_of

# a document may still be brought while the claim waits for its decision
OPEN_STATES = (workflow.DRAFT, workflow.SUBMITTED, workflow.IN_REVIEW)


def document_receive(*, claim: Claim, kind: str, scan=None, by=None) -> ClaimDocument:
    """Mark `kind` received for `claim`, with its scan if one is given (a clearer scan
    replaces the one kept). An online claim's documents are its uploaded PDFs (sjtu rules
    art. 40: 所有材料均以 PDF 格式上传), so online a PDF scan is required."""
    if kind not in rules.DOCUMENT_LABELS:
        raise ClaimRefused(f"未知的材料类型「{kind}」。", code="invalid")
    label = rules.DOCUMENT_LABELS[kind]
    head = b""
    if scan is not None:
        head = scan_head(scan)
        problem = scan_problem(head, scan.size)
        if problem:
            raise ClaimRefused(f"{label}：{problem}", code="scan")
    if rules.scan_needed(claim.channel) and scan_kind(head) != "pdf":
        raise ClaimRefused(f"{label}：线上申请的材料须上传 PDF 扫描件。", code="scan")
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.state not in OPEN_STATES:
            raise ClaimRefused(
                f"{current}「{workflow.LABELS[current.state]}」，不能再更改材料。",
                code="closed",
            )
        document, _ = ClaimDocument.objects.select_for_update().get_or_create(
            claim=current, kind=kind
        )
        previous = document.scan.name
        with scan_removed_on_failure(document, "scan"):
            if scan is not None:
                scan_keep(document.scan, scan, head)
            document.received = True
            document.received_at = timezone.now()
            document.received_by = by
            document.save()
    if scan is not None and previous:
        document.scan.storage.delete(previous)
    return document


def documents_checklist(claim: Claim) -> list[tuple[str, str, bool]]:
    """(kind, label, received) for every document the claim needs, in checklist order,
    then any other document received for it."""
    received = {document.kind: document.received for document in claim.documents.all()}
    required = required_documents_of(claim)
    rows = [(kind, rules.DOCUMENT_LABELS[kind], received.get(kind, False)) for kind in required]
    rows += [
        (kind, rules.DOCUMENT_LABELS[kind], True)
        for kind in rules.DOCUMENT_LABELS
        if kind not in required and received.get(kind)
    ]
    return rows
