"""The estimate request as plain JSON data (the `estimate_reimbursement` command's file and
the admin's estimate page both build one): parsed into the rule engine's dataclasses, with
every error naming the field it is about, and the result turned back into JSON.

Everything the engine would refuse is refused here first, in Chinese and with the field
named, so that staff never see the engine's own checks (which guard programming errors)."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from . import engine

# The largest amount a money column holds (models.money_field: 12 digits, 2 places).
MAX_AMOUNT = Decimal("9999999999.99")
MAX_STAY_KEY = 32
# Values quoted back in a message are cut to this many characters.
QUOTE_LENGTH = 40
KIND_LABELS = {"collective": "集中参保", "freshman": "新生参保", "late": "中途参保"}


class EstimateInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_member(
    data: Any, policy: engine.PolicyYearRules
) -> engine.Member | engine.EnrollmentFacts:
    _require_object(data, "member")
    category = data.get("category", "standard")
    _require_choice(category, engine.CATEGORIES, "member.category")
    if "enrollment" in data:
        return _enrollment_facts(data["enrollment"], category, policy)
    start = _date(data.get("cover_start"), "member.cover_start", required=False)
    end = _date(data.get("cover_end"), "member.cover_end", required=False)
    _within_year(start, "member.cover_start", "待遇开始日期", policy)
    _within_year(end, "member.cover_end", "待遇截止日期", policy)
    if start is not None and end is not None and end < start:
        raise EstimateInputError("member.cover_end", f"待遇截止日期 {end} 早于开始日期 {start}")
    return engine.Member(category=category, cover_start=start, cover_end=end)


def _enrollment_facts(
    enrollment: Any, category: str, policy: engine.PolicyYearRules
) -> engine.EnrollmentFacts:
    where = "member.enrollment"
    _require_object(enrollment, where)
    kind = enrollment.get("kind")
    _require_choice(kind, engine.ENROLLMENT_KINDS, f"{where}.kind")
    facts = {
        name: _date(enrollment.get(name), f"{where}.{name}", required=False)
        for name in ("declared_on", "paid_on", "registered_on")
    }
    needed = {"freshman": ["registered_on"], "late": ["declared_on", "paid_on"]}
    for name in needed.get(kind, []):
        if facts[name] is None:
            raise EstimateInputError(
                f"{where}.{name}", f"{KIND_LABELS[kind]}必须填写此日期（YYYY-MM-DD）"
            )
    if kind == "freshman":
        _within_year(facts["registered_on"], f"{where}.registered_on", "报到注册日期", policy)
    if kind == "late":
        _within_year(facts["declared_on"], f"{where}.declared_on", "中途参保申报日期", policy)
    if facts["paid_on"] is not None and facts["paid_on"].year > policy.year:
        raise EstimateInputError(
            f"{where}.paid_on", f"缴费日期 {facts['paid_on']} 晚于 {policy.year} 医保年度"
        )
    gap_years = _count(enrollment.get("gap_years", 0), f"{where}.gap_years")
    most = engine.max_gap_years(policy)
    if gap_years > most:
        raise EstimateInputError(
            f"{where}.gap_years",
            f"{policy.year} 医保年度最多有 {most} 个断保年度：连续参保和断保年限从 "
            f"{policy.gaps_counted_from_year} 年度起计算，此前年度不计入，填写的是 {gap_years}",
        )
    back_paid_years = _count(enrollment.get("back_paid_years", 0), f"{where}.back_paid_years")
    if back_paid_years > gap_years:
        raise EstimateInputError(
            f"{where}.back_paid_years",
            f"补缴年数（{back_paid_years}）不能多于断保年数（{gap_years}）",
        )
    return engine.EnrollmentFacts(
        kind=kind,
        gap_years=gap_years,
        back_paid_years=back_paid_years,
        category=category,
        **facts,
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
        except ValueError:
            raise EstimateInputError(
                f"{where}.care",
                f"医保年度 {policy.code} 没有{engine.CARE_LABELS[care]}·"
                f"{engine.LEVEL_LABELS[level]}的待遇规则",
            ) from None
        excluded = item.get("excluded")
        if excluded is not None:
            _require_choice(excluded, engine.EXCLUSIONS, f"{where}.excluded")
        day = _date(item.get("date"), f"{where}.date", required=True)
        _within_year(day, f"{where}.date", "费用日期", policy)
        expenses.append(
            engine.Expense(
                date=day,
                care=care,
                level=level,
                in_scope=_money(item.get("in_scope"), f"{where}.in_scope", required=True),
                out_of_scope=_money(item.get("out_of_scope"), f"{where}.out_of_scope"),
                catastrophic_disease=_flag(
                    item.get("catastrophic_disease"), f"{where}.catastrophic_disease"
                ),
                excluded=excluded,
                referral=_flag(item.get("referral"), f"{where}.referral"),
                stay=_stay(item.get("stay"), f"{where}.stay"),
            )
        )
    try:
        engine.stay_cares(policy, expenses)
    except engine.StayKeyError as exc:
        raise EstimateInputError(f"expenses[{exc.index}].stay", exc.message) from None
    return expenses


def estimate_as_json(policy: engine.PolicyYearRules, estimate: engine.Estimate) -> dict:
    """The result as JSON. Each line's `fund` is said with who pays it (`payer`,
    `payer_label`): the basic fund, or the school from its own outpatient fund (wuhan notice
    五.1), never plain 基金; `fund_payers` splits the total the same way, payers who pay
    nothing left out."""
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
                "payer": result.payer,
                "payer_label": engine.PAYER_LABELS.get(result.payer, ""),
            }
            for result in estimate.expenses
        ],
        "totals": {
            "fund": str(estimate.totals.fund),
            "catastrophic": str(estimate.totals.catastrophic),
            "student": str(estimate.totals.student),
        },
        "fund_by_payer": {
            payer: str(amount) for payer, amount in estimate.totals.fund_by_payer.items()
        },
        "fund_payers": [
            {"payer": payer, "label": engine.PAYER_LABELS[payer], "fund": str(amount)}
            for payer, amount in estimate.totals.fund_by_payer.items()
            if amount
        ],
    }


def quote(value: Any) -> str:
    """A value as a message repeats it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= QUOTE_LENGTH else f"{text[:QUOTE_LENGTH]}…"


def _require_object(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise EstimateInputError(field, "应为 JSON 对象")


def _require_choice(value: Any, allowed: tuple[str, ...], field: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise EstimateInputError(
            field, f"取值 {quote(value)} 无效，应为 {' / '.join(allowed)} 之一"
        )


def _date(value: Any, field: str, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise EstimateInputError(field, "必须填写日期（YYYY-MM-DD）")
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise EstimateInputError(field, f"日期 {quote(value)} 格式错误，应为 YYYY-MM-DD") from None


def _within_year(day: date | None, field: str, what: str, policy: engine.PolicyYearRules) -> None:
    if day is not None and day.year != policy.year:
        raise EstimateInputError(
            field,
            f"{what} {day} 不在 {policy.year} 医保年度内（{policy.year}-01-01 至 "
            f"{policy.year}-12-31）",
        )


def _money(value: Any, field: str, *, required: bool = False) -> Decimal:
    if value in (None, ""):
        if required:
            raise EstimateInputError(field, "必须填写金额")
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise EstimateInputError(field, f"金额 {quote(value)} 不是数字")
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise EstimateInputError(field, f"金额 {quote(value)} 不是数字") from None
    if not amount.is_finite() or amount < 0:
        raise EstimateInputError(field, f"金额 {quote(value)} 应为非负数")
    if amount > MAX_AMOUNT:
        raise EstimateInputError(field, f"金额 {quote(value)} 过大，最多 {MAX_AMOUNT} 元")
    if amount != engine.fen(amount):
        raise EstimateInputError(field, f"金额 {quote(value)} 最多保留两位小数（精确到分）")
    return amount


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EstimateInputError(field, f"{quote(value)} 应为非负整数")
    return value


def _flag(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EstimateInputError(field, f"{quote(value)} 应为 true 或 false")
    return value


def _stay(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EstimateInputError(field, f"同一住院标识 {quote(value)} 应为文字或数字")
    key = str(value)
    if len(key) > MAX_STAY_KEY:
        raise EstimateInputError(field, f"同一住院标识最长 {MAX_STAY_KEY} 个字符")
    return key
