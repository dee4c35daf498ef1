"""Which hospital stay a keyed expense belongs to, and the stay keys that cannot be right.

Parts of one stay share a ``stay`` key (a transfer, wuhan notice 六.4). An emergency rescue
before admission carries the key of the stay it led to and is settled as part of it (wuhan
notice 六.7: 在门诊实施紧急抢救后住院，其紧急抢救费用并入住院医疗费用); the Shanghai seeds
say nothing else, and the key is the staff's statement that the rescue led to that stay.
A key on care that can never belong to a stay is refused, never ignored.
"""

from collections.abc import Sequence

from .codes import CARE_LABELS, LEVEL_LABELS, STAY_CARES
from .plan import rule_for
from .policy import PolicyYearRules
from .values import Expense


class StayKeyError(ValueError):
    """A ``stay`` key that cannot be settled; ``index`` is the expense's place in the list and
    ``message`` is for staff."""

    def __init__(self, index: int, message: str):
        super().__init__(f"expenses[{index}].stay: {message}")
        self.index = index
        self.message = message


def stay_cares(rules: PolicyYearRules, expenses: Sequence[Expense]) -> dict[str, str]:
    """The care of each stay an emergency rescue joins, by stay key (``inpatient`` or
    ``maternity``); raises ``StayKeyError`` for a key on outpatient or chronic care, for a
    rescue whose key names no stay or two kinds of stay, and for a rescue at a facility level
    the policy year has no rule for in that kind of stay."""
    kinds: dict[str, set[str]] = {}
    for expense in expenses:
        if expense.stay is not None and expense.care in STAY_CARES:
            kinds.setdefault(expense.stay, set()).add(expense.care)

    joined: dict[str, str] = {}
    for index, expense in enumerate(expenses):
        key = expense.stay
        if key is None or expense.care in STAY_CARES:
            continue
        if expense.care != "emergency":
            raise StayKeyError(
                index,
                f"{CARE_LABELS[expense.care]}费用不属于任何一次住院，不能填写同一住院标识"
                f"（“{key}”）。",
            )
        found = kinds.get(key, set())
        if not found:
            raise StayKeyError(
                index,
                f"没有同一住院标识为“{key}”的住院费用，急诊抢救费用无法并入住院。",
            )
        if len(found) > 1:
            raise StayKeyError(
                index,
                f"同一住院标识“{key}”同时用于住院和生育住院费用，无法确定急诊抢救费用并入哪一次住院。",
            )
        (care,) = found
        try:
            rule_for(rules, care, expense.level)
        except ValueError:
            raise StayKeyError(
                index,
                f"急诊抢救费用并入{CARE_LABELS[care]}后按{CARE_LABELS[care]}待遇结算，"
                f"但本医保年度没有{LEVEL_LABELS[expense.level]}的{CARE_LABELS[care]}待遇。",
            ) from None
        joined[key] = care
    return joined
