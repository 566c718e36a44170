"""How typed values are stored on every write path (forms, workbook import, command line).

Weights, shares and manual achievements keep two decimals, rounded half up as people round by hand
(33,345 → 33,35). Before this module the import rounded half-even (33,34) and the forms half-up. A parsed
target becomes the same Target columns, and an adoption act the same organ/number/date, whichever path wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from indicators.notation import ParsedTarget

CENT = Decimal("0.01")


def two_places(value: Decimal | int | float | None) -> Decimal | None:
    """A weight, share or percentage as stored: two decimals, half up; None stays None."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


ACT_PATTERN = re.compile(
    r"^(?P<organ>.*?)\s+n\.?\s*(?P<number>[\w/-]+)\s+del(?:l')?\s+(?P<date>\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE
)


def parse_act(text: str) -> tuple[str, str, Any]:
    """Split "Delibera di Giunta n. 12 del 30/01/2017" into organ, number and date (blank when unreadable)."""
    match = ACT_PATTERN.match(text.strip())
    if not match:
        return text.strip(), "", None
    try:
        date = dt.datetime.strptime(match["date"], "%d/%m/%Y").date()
    except ValueError:
        date = None
    return match["organ"].strip(), match["number"], date


def target_fields(parsed: ParsedTarget, warnings: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The columns of a Target row for a parsed target (the reverse is Target.parsed())."""
    value = parsed.value
    return {
        "raw": parsed.raw,
        "kind": parsed.kind.value,
        "comparator": parsed.comparator or "",
        "number": value if isinstance(value, Decimal) else None,
        "flag": value if isinstance(value, bool) else None,
        "level": value if isinstance(value, str) else "",
        "unit": parsed.unit.value if parsed.unit else "",
        "deadline": parsed.deadline,
        "absolute": parsed.absolute,
        "qualifier": parsed.qualifier or "",
        "warnings": list(warnings),  # the workbook keeps them as a tuple
    }


TARGET_FIELDS = [
    "raw",
    "kind",
    "comparator",
    "number",
    "flag",
    "level",
    "unit",
    "deadline",
    "absolute",
    "qualifier",
    "warnings",
]
