"""The claim workflow's moves in the admin, all derived from claims.workflow: the actions
on a selection (one per action name the user may take, workflow.by_hand), the buttons on
a claim's page (the moves open to the user now, workflow.available), and the page each
button leads to, where a rejection is given its sentence. Each move is one service call
per claim; what was refused is said claim by claim, naming what is missing."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from office import admin_pages
from office.errors import Refused

from .. import rules, services, workflow
from ..models import Claim
from ..services.approval import claim_approve
from .forms import ClaimPaymentForm, PaymentForm, RejectForm


def _submit(claim: Claim, request, **kwargs) -> str:
    """Submitting runs the automatic checks: a claim failing one comes back rejected,
    which staff are told as a warning with the check's sentence."""
    done = services.claim_submit(claim=claim, today=timezone.localdate(), by=request.user)
    if done.state == workflow.REJECTED:
        raise Refused(f"{done}：自动检查未通过，已驳回。{done.rejection_message}")
    return done.number


def _start_review(claim: Claim, request, **kwargs) -> str:
    return services.claim_start_review(claim=claim, by=request.user).number


def _approve(claim: Claim, request, **kwargs) -> str:
    done = claim_approve(claim=claim, by=request.user)
    return f"{done.number}（报销 {done.fund} 元，大病保险 {done.catastrophic} 元）"


def _reject(claim: Claim, request, *, code: str = rules.OTHER, message: str = "", **kwargs) -> str:
    return services.claim_reject(claim=claim, code=code, message=message, by=request.user).number


def _record_payment(claim: Claim, request, *, paid_on, amount=None, reference="", **kwargs) -> str:
    """The bureau's or the insurer's payment; a selection is recorded at each claim's
    approved amount, one claim's page gives the amount paid."""
    done = services.claim_record_payment(
        claim=claim,
        paid_on=paid_on,
        amount=services.approved_amount(claim) if amount is None else amount,
        reference=reference,
        by=request.user,
        today=timezone.localdate(),
    )
    return f"{done.number}（{done.paid_on} 支付 {done.paid_amount} 元）"


# target state -> the use case that makes the move
MOVES = {
    workflow.SUBMITTED: _submit,
    workflow.IN_REVIEW: _start_review,
    workflow.APPROVED: _approve,
    workflow.REJECTED: _reject,
    workflow.PAID: _record_payment,
}


def move(claims, request, target: str, **details) -> tuple[list[str], list[str]]:
    """Each claim moved on its own; returns what moved and, for the others, why not."""
    moved, refused = [], []
    for claim in claims:
        try:
            moved.append(MOVES[target](claim, request, **details))
        except Refused as exc:
            message = exc.message
            refused.append(message if message.startswith(claim.number) else f"{claim}：{message}")
    return moved, refused


def report(modeladmin, request, target: str, moved: list[str], refused: list[str]) -> None:
    if moved:
        modeladmin.message_user(
            request,
            _("%(count)d claims now 「%(state)s」: %(claims)s")
            % {"count": len(moved), "state": workflow.LABELS[target], "claims": "、".join(moved)},
            messages.SUCCESS,
        )
    for message in refused[:20]:
        modeladmin.message_user(request, message, messages.WARNING)
    if len(refused) > 20:
        modeladmin.message_user(
            request,
            _("… and %(count)d more claims refused.") % {"count": len(refused) - 20},
            messages.WARNING,
        )


def _action(transition):
    def act(modeladmin, request, queryset):
        claims = queryset.select_related("student").order_by("number")
        if transition.needs_reason:
            return reject_page(modeladmin, request, claims)
        if transition.target == workflow.PAID:
            return payment_page(modeladmin, request, claims)
        moved, refused = move(claims, request, transition.target)
        report(modeladmin, request, transition.target, moved, refused)
        return None

    act.__name__ = transition.action
    return act


def actions(user) -> dict:
    """The admin actions `user` may take, one per action name of the workflow's map."""
    return {
        transition.action: (_action(transition), transition.action, transition.label)
        for transition in workflow.by_hand(user)
    }


def reject_page(modeladmin, request, claims):
    """The action 驳回: a page asking the sentence the student reads (and the check it
    failed, if one), whose button posts the same selection back."""
    form = RejectForm(request.POST if "reject" in request.POST else None)
    if form.is_valid():
        moved, refused = move(claims, request, workflow.REJECTED, **form.cleaned_data)
        report(modeladmin, request, workflow.REJECTED, moved, refused)
        return None
    return TemplateResponse(
        request,
        "admin/claims/claim/reject.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Reject claims"),
            "opts": Claim._meta,
            "claims": claims,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def payment_page(modeladmin, request, claims):
    """The action 登记已支付: a page listing the selected claims with who pays them and
    their approved amounts, asking the day the payer paid (and its reference); its
    button posts the same selection back."""
    form = PaymentForm(request.POST if "record_payment" in request.POST else None)
    if form.is_valid():
        moved, refused = move(claims, request, workflow.PAID, **form.cleaned_data)
        report(modeladmin, request, workflow.PAID, moved, refused)
        return None
    return TemplateResponse(
        request,
        "admin/claims/claim/payment.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Record the payer's payment"),
            "opts": Claim._meta,
            "claims": [
                (claim, rules.PAYER_LABELS.get(claim.payer, "—"), services.approved_amount(claim))
                for claim in claims
            ],
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def buttons(claim: Claim, user) -> list[tuple[str, str]]:
    """(url, label) of the moves `user` may make on `claim` now. Review stays offered
    while documents are missing, so that its page says which ones."""
    # documents are named when the move is tried; who pays decides how it is paid
    facts = workflow.Facts(state=claim.state, payer=claim.payer)
    return [
        (reverse("admin:claims_claim_move", args=[claim.pk, transition.target]), transition.label)
        for transition in workflow.available(facts, user)
        if transition.target in MOVES
    ]


def claim_move(request, pk: int, target: str, admin_site):
    """One claim's move from its page: a confirmation (with the rejection's sentence for a
    rejection), then the service; back on the claim's page with what happened."""
    claim = get_object_or_404(Claim.objects.select_related("student"), pk=pk)
    transition = workflow.WORKFLOW.transition(claim.state, target)
    back = reverse("admin:claims_claim_change", args=[claim.pk])
    if (
        target not in MOVES
        or transition is None
        or not workflow.WORKFLOW.may(request.user, transition)
    ):
        wanted = workflow.LABELS.get(target, target)
        messages.warning(
            request, f"{claim}「{workflow.LABELS[claim.state]}」不能变为「{wanted}」。"
        )
        return redirect(back)
    form = _form(transition, claim, request)
    if request.method == "POST" and (form is None or form.is_valid()):
        details = form.cleaned_data if form is not None else {}
        moved, refused = move([claim], request, target, **details)
        for message in moved:
            messages.success(request, f"{message} 已变为「{workflow.LABELS[target]}」。")
        for message in refused:
            messages.warning(request, message)
        return redirect(back)
    return admin_pages.page(
        request,
        admin_site,
        title=f"{claim}：{transition.label}",
        opts=Claim._meta,
        intro=f"{claim.student} 的{claim.get_type_display()}报销申请 {claim}，"
        f"现为「{workflow.LABELS[claim.state]}」。{_payment_intro(claim, target)}",
        form=form,
        submit=transition.label,
        confirm=None if form is not None else {"fields": {}, "label": transition.label},
    )


def _form(transition, claim: Claim, request):
    """The details a move asks for on a claim's page: a rejection's sentence, a payment's
    date and amount (the approved amount offered)."""
    data = request.POST if request.method == "POST" else None
    if transition.needs_reason:
        return RejectForm(data)
    if transition.target == workflow.PAID:
        initial = {"paid_on": timezone.localdate(), "amount": services.approved_amount(claim)}
        return ClaimPaymentForm(data, initial=initial)
    return None


def _payment_intro(claim: Claim, target: str) -> str:
    if target != workflow.PAID:
        return ""
    payer = rules.PAYER_LABELS.get(claim.payer, "支付方")
    return (
        f"核定支付 {services.approved_amount(claim)} 元，由{payer}支付；"
        f"登记{payer}实际支付的日期和金额。"
    )
