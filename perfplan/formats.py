"""Italian formats, one place for every page, export and PDF: `33,34 %`, `1.250`, `30/09/2017`, `SI`.

Pure Python (the scoring core uses it too): no Django here.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

_ITALIAN_MARKS = str.maketrans(",.", ".,")  # `1,250.5` (Python's grouping) → `1.250,5`
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def number_it(
    value: Decimal | int | float | None, places: int | None = None, *, empty: str = "", as_written: bool = False
) -> str:
    """`1250.5` → `1.250,5`; never `-0`.

    With places, rounded half up and padded (`places=2` → `1.250,50`). Without, trailing zeros are dropped
    (`100.00` → `100`), or with as_written kept as the value has them, as a plan writes a number (`0.50` → `0,50`).
    Called for every step of every score explanation, so it leans on the C formatter (`,` grouping).
    """
    if value is None:
        return empty
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    if number == 0:
        number = number.copy_abs()
    if places is not None:
        number = number.quantize(_QUANTUM.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    elif not as_written:
        number = number.normalize()
    return f"{number:,f}".translate(_ITALIAN_MARKS)


def megabytes_it(size: int) -> str:
    """A size in bytes as people read it: `20,0 MB`."""
    return f"{number_it(Decimal(size) / 1_048_576, 1)} MB"


def percent_it(value: Decimal | None, places: int = 2, *, empty: str = "N/D") -> str:
    """A score: `87,35 %`, or `N/D` when there is none."""
    if value is None:
        return empty
    return f"{number_it(value, places)} %"


def date_it(value: dt.date | None, *, empty: str = "") -> str:
    """`30/09/2017`; the year always with four digits."""
    return f"{value:%d/%m/}{value.year:04d}" if value else empty


def datetime_it(value: dt.datetime, *, seconds: bool = False) -> str:
    """`30/09/2017 14:05` (`14:05:09` with seconds), the time as given (convert it to local time first)."""
    return f"{date_it(value)} {value:%H:%M:%S}" if seconds else f"{date_it(value)} {value:%H:%M}"


def value_it(value: object, places: int | None = None, *, empty: str = "") -> str:
    """A value (a consuntivo, a baseline, an old or new value in a history) as people read it.

    `SI`/`NO`, `30/09/2017`, a number in Italian form, a level or a text as it is; None and "" → empty. With
    places, a number with more decimals is rounded half up to places and padded (`6,333` → `6,33`, `1,5` →
    `1,50`); a whole number, before or after rounding, shows none (`12`, `11,999` → `12`). Without places, every
    decimal it has (`1.250,125`). An int is a count or a year and stays as it is (`2017`).
    """
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "SI" if value else "NO"
    if isinstance(value, dt.date):
        return date_it(value)
    if isinstance(value, Decimal | float):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if places is None or not number.is_finite() or number == number.to_integral_value():
            return number_it(number)
        rounded = number.quantize(_QUANTUM.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return number_it(rounded) if rounded == rounded.to_integral_value() else number_it(rounded, places)
    return str(value)


def parse_date_it(text: str) -> dt.date | None:
    """`30/06/2017` (or ISO `2017-06-30`, as a date input sends it) → a date; None when it is not one."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None
