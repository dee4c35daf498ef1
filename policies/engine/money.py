"""Money: ``Decimal`` quantised to the fen with ROUND_HALF_UP, through ``fen()`` only."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def fen(value: Decimal | str | float) -> Decimal:
    """Quantise money to the fen (0.01), rounding half up.

    A float goes through ``str()`` first so that 2.675 rounds like the number as written
    (2.68), not like its binary approximation.
    """
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(ratio: Decimal) -> str:
    """A ratio as the reasons write it: 0.70 -> "70%"."""
    return f"{(ratio * 100).normalize():f}%"
