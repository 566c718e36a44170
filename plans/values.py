"""How numbers are stored on every write path (forms, workbook import, command line): one rounding rule.

Weights, shares and manual achievements keep two decimals, rounded half up as people round by hand
(33,345 → 33,35). Before this module the import rounded half-even (33,34) and the forms half-up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def two_places(value: Decimal | int | float | None) -> Decimal | None:
    """A weight, share or percentage as stored: two decimals, half up; None stays None."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(CENT, rounding=ROUND_HALF_UP)
