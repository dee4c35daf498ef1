"""Numbers as staff read them, in any template: `{% load office_format %}`.

    {{ amount|money }}          4,488,560.00  (to the fen, half up)
    {{ rule.ratio|ratio }}      75%           (a stored ratio, 0.755 -> 75.5%)
    {{ paid|share:due }}        75%           (a part of a whole, office.charts' rounding)
    {{ cell|cell }}             a table cell: money if it is an amount, else as it is

Amounts are Decimal (or their text, as the estimate's results carry them); anything
else passes through unchanged, so a filter never hides a value."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import SafeString

from office import charts

register = template.Library()

# a cell this short never wraps (a state, a date, an amount)
SHORT_CELL = 16


def _amount(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None
    return None


@register.filter
def money(value):
    amount = _amount(value)
    return value if amount is None else charts.money_text(amount)


@register.filter
def ratio(value):
    amount = _amount(value)
    if amount is None:
        return value
    percent = (amount * 100).quantize(Decimal("0.1")).normalize()
    return f"{percent:f}%"


@register.filter
def share(part, whole):
    if _amount(part) is None or _amount(whole) is None:
        return "—"
    return charts.percent_text(_amount(part), _amount(whole))


@register.filter
def cell(value):
    """A table cell: an amount (Decimal) to the fen with separators, else unchanged."""
    if isinstance(value, Decimal):
        return charts.money_text(value)
    return value


@register.filter
def wraps(value) -> bool:
    """A cell long enough to wrap (a reason, a message); shorter ones never do: a state, a
    date, an amount or a name stays on one line (office.css `.office-rows`)."""
    if isinstance(value, SafeString):  # markup: a link, its label short
        return False
    return len(str(cell(value))) > SHORT_CELL
