"""The estimate request as plain JSON data (the `estimate_reimbursement` command's file and
the admin's estimate page both build one): parsed into the rule engine's dataclasses, with
every error naming the field it is about, and the result turned back into JSON."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from . import engine


class EstimateInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_member(data: Any) -> engine.Member | engine.EnrollmentFacts:
    _require_object(data, "member")
    category = data.get("category", "standard")
    _require_choice(category, engine.CATEGORIES, "member.category")
    if "enrollment" in data:
        enrollment = data["enrollment"]
        _require_object(enrollment, "member.enrollment")
        kind = enrollment.get("kind")
        _require_choice(kind, engine.ENROLLMENT_KINDS, "member.enrollment.kind")
        facts = {
            name: _date(enrollment.get(name), f"member.enrollment.{name}", required=False)
            for name in ("declared_on", "paid_on", "registered_on")
        }
        needed = {"freshman": ["registered_on"], "late": ["declared_on", "paid_on"]}
        for name in needed.get(kind, []):
            if facts[name] is None:
                raise EstimateInputError(
                    f"member.enrollment.{name}", f"{kind} 参保必须填写此日期（YYYY-MM-DD）"
                )
        return engine.EnrollmentFacts(
            kind=kind,
            gap_years=_count(enrollment.get("gap_years", 0), "member.enrollment.gap_years"),
            back_paid_years=_count(
                enrollment.get("back_paid_years", 0), "member.enrollment.back_paid_years"
            ),
            category=category,
            **facts,
        )
    return engine.Member(
        category=category,
        cover_start=_date(data.get("cover_start"), "member.cover_start", required=False),
        cover_end=_date(data.get("cover_end"), "member.cover_end", required=False),
    )


def parse_expenses(data: Any, policy: engine.PolicyYearRules) -> list[engine.Expense]:
    if not isinstance(data, list):
        raise EstimateInputError("expenses", "应为费用列表")
    expenses = []
    for index, item in enumerate(data):
        where = f"expenses[{index}]"
        _require_object(item, where)
        care, level = item.get("care"), item.get("level")
        _require_choice(care, engine.CARE_TYPES, f"{where}.care")
        _require_choice(level, engine.LEVELS, f"{where}.level")
        try:
            engine.rule_for(policy, care, level)
        except ValueError as exc:
            raise EstimateInputError(f"{where}.care", str(exc)) from exc
        excluded = item.get("excluded")
        if excluded is not None:
            _require_choice(excluded, engine.EXCLUSIONS, f"{where}.excluded")
        stay = item.get("stay")
        expenses.append(
            engine.Expense(
                date=_date(item.get("date"), f"{where}.date", required=True),
                care=care,
                level=level,
                in_scope=_money(item.get("in_scope"), f"{where}.in_scope", required=True),
                out_of_scope=_money(item.get("out_of_scope"), f"{where}.out_of_scope"),
                catastrophic_disease=_flag(
                    item.get("catastrophic_disease"), f"{where}.catastrophic_disease"
                ),
                excluded=excluded,
                referral=_flag(item.get("referral"), f"{where}.referral"),
                stay=None if stay in (None, "") else str(stay),
            )
        )
    return expenses


def estimate_as_json(policy: engine.PolicyYearRules, estimate: engine.Estimate) -> dict:
    return {
        "policy_year": policy.code,
        "cover": {
            "start": estimate.cover.start.isoformat(),
            "end": estimate.cover.end.isoformat(),
            "waiting_months": estimate.cover.waiting_months,
        },
        "expenses": [
            {
                "deductible": str(result.deductible),
                "fund": str(result.fund),
                "catastrophic": str(result.catastrophic),
                "student": str(result.student),
                "status": result.status,
                "reasons": list(result.reasons),
            }
            for result in estimate.expenses
        ],
        "totals": {
            "fund": str(estimate.totals.fund),
            "catastrophic": str(estimate.totals.catastrophic),
            "student": str(estimate.totals.student),
        },
    }


def _require_object(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise EstimateInputError(field, "应为 JSON 对象")


def _require_choice(value: Any, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise EstimateInputError(field, f"取值 {value!r} 无效，应为 {' / '.join(allowed)} 之一")


def _date(value: Any, field: str, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise EstimateInputError(field, "必须填写日期（YYYY-MM-DD）")
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise EstimateInputError(field, f"日期 {value!r} 格式错误，应为 YYYY-MM-DD") from None


def _money(value: Any, field: str, *, required: bool = False) -> Decimal:
    if value in (None, ""):
        if required:
            raise EstimateInputError(field, "必须填写金额")
        return Decimal("0")
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise EstimateInputError(field, f"金额 {value!r} 不是数字") from None
    if not amount.is_finite() or amount < 0:
        raise EstimateInputError(field, f"金额 {value!r} 应为非负数")
    if amount != engine.fen(amount):
        raise EstimateInputError(field, f"金额 {value!r} 最多保留两位小数（精确到分）")
    return amount


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EstimateInputError(field, f"{value!r} 应为非负整数")
    return value


def _flag(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EstimateInputError(field, f"{value!r} 应为 true 或 false")
    return value
