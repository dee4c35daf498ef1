"""What the audit trail (django-auditlog) records: every change to the office's records of
money and people, and to the policy years that price them — who, when, what changed
(README "Sign-in, sessions, audit"). Plain data, read by settings.

ID numbers are stored masked (`310*****42`, enrollment.rules.mask_id), for everyone: the
trail must not become a second copy of the roster, and a full number shows only on the
student's page to who holds `view_full_id`. What can be read off an ID number (birth
date, gender) is left out, as on the student's page for who may not see it; bank
accounts are masked as on the claim's page. Timestamps kept by the records themselves,
stored files' bytes and the long engine explanations are left out (the amounts they
explain are kept)."""

_MASK_ID = "enrollment.rules.mask_id"
_MASK_ACCOUNT = "claims.rules.mask_bank_account"
_TIMESTAMPS = ["created_at", "updated_at"]


def _model(name: str, *, exclude=(), mask=(), mask_callable: str | None = None) -> dict:
    entry = {"model": name, "exclude_fields": [*_TIMESTAMPS, *exclude]}
    if mask:
        entry.update(mask_fields=list(mask), mask_callable=mask_callable)
    return entry


AUDITED_MODELS = [
    _model(
        "enrollment.Student",
        mask=["id_number"],
        mask_callable=_MASK_ID,
        exclude=["birth_date", "gender"],
    ),
    _model("enrollment.Enrollment"),
    _model("enrollment.OptOut"),
    _model("enrollment.Payment"),
    _model("enrollment.Refund"),
    _model("enrollment.PaymentList", exclude=["content"]),
    _model(
        "claims.Claim",
        mask=["bank_account"],
        mask_callable=_MASK_ACCOUNT,
        exclude=["breakdown"],
    ),
    _model("claims.ClaimLine", exclude=["steps"]),
    _model("claims.ClaimDocument"),
    _model("policies.PolicyYear"),
    _model("policies.SpecialGroupRule"),
    _model("policies.BenefitRule"),
    _model("policies.CatastrophicTier"),
]
