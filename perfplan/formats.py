"""Italian formats, one place for every page, export and PDF: `33,34 %`, `1.250`, `30/09/2017`."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def number_it(value: Decimal | int | float | None, places: int | None = None, *, empty: str = "") -> str:
    """`1250.5` → `1.250,5`; with places, rounded half up and padded (`places=2` → `1.250,50`)."""
    if value is None:
        return empty
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{number:,.{places}f}"
    else:
        normal = number.normalize()
        text = f"{normal:,f}" if normal == normal.to_integral_value() else f"{normal:,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\u0001").replace(".", ",").replace("\u0001", ".")


def percent_it(value: Decimal | None, places: int = 2, *, empty: str = "N/D") -> str:
    """A score: `87,35 %`, or `N/D` when there is none."""
    if value is None:
        return empty
    return f"{number_it(value, places)} %"


def date_it(value: dt.date | None, *, empty: str = "") -> str:
    return value.strftime("%d/%m/%Y") if value else empty
