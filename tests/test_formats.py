"""perfplan.formats: the one place where numbers, dates and values are written in Italian for people."""

import datetime as dt
from decimal import Decimal

import pytest

from indicators.notation import Unit, format_number, with_unit
from perfplan.formats import date_it, datetime_it, number_it, percent_it, value_it

D = Decimal


def test_it_formats_numbers_the_italian_way():
    assert number_it(D("1234567.891")) == "1.234.567,891"
    assert number_it(D("-7.72")) == "-7,72"
    assert number_it(D("86.5"), 2) == "86,50"
    assert number_it(D("99.995"), 2) == "100,00"  # half up
    assert number_it(D("100.00")) == "100"
    assert number_it(D("-0")) == "0"
    assert number_it(D("1E+3")) == "1.000"
    assert number_it(1250) == "1.250" and number_it(2.5) == "2,5" and number_it(None, empty="—") == "—"


def test_it_formats_numbers_as_the_plans_write_them():
    """notation.format_number keeps the decimals the value has (`0,00`), as a target is written."""
    assert format_number(D("1701")) == "1.701"
    assert format_number(D("11774058127")) == "11.774.058.127"
    assert format_number(D("-7.72")) == "-7,72"
    assert format_number(D("2435.09")) == "2.435,09"
    assert format_number(D("0.00")) == "0,00"
    assert format_number(D("-0")) == "0"
    assert format_number(D("1E+3")) == "1.000"
    assert format_number(D("999")) == "999"
    assert number_it(D("0.50"), as_written=True) == "0,50"


def test_percentages_and_dates():
    assert percent_it(D("87.345")) == "87,35 %"
    assert percent_it(None) == "N/D"
    assert date_it(dt.date(2017, 9, 30)) == "30/09/2017"
    assert date_it(dt.date(999, 1, 5)) == "05/01/0999"
    assert date_it(None) == ""
    assert datetime_it(dt.datetime(2017, 9, 30, 14, 5, 9)) == "30/09/2017 14:05"
    assert datetime_it(dt.datetime(2017, 9, 30, 14, 5, 9), seconds=True) == "30/09/2017 14:05:09"


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (None, None, ""),
        ("", 2, ""),
        (True, None, "SI"),
        (False, 2, "NO"),
        (dt.date(2017, 9, 30), 2, "30/09/2017"),
        (D("1250.125"), None, "1.250,125"),
        (D("6.333"), 2, "6,33"),
        (D("1.5"), 2, "1,50"),
        (D("1.005"), 2, "1,01"),  # half up
        (D("11.999"), 2, "12"),
        (D("12.000000"), 2, "12"),
        (382, 2, "382"),
        (2017, None, "2017"),
        (2.5, None, "2,5"),
        ("buono", 2, "buono"),
    ],
)
def test_a_value_as_text(value, places, text):
    assert value_it(value, places) == text


def test_a_number_with_its_unit():
    assert with_unit("87,35", Unit.PERCENT) == "87,35 %"
    assert with_unit("382", Unit.COUNT) == "382 N."
    assert with_unit("30", Unit.DAYS) == "30 gg"
    assert with_unit("1.250", Unit.EURO) == "1.250 €"
    assert with_unit("1.250", None) == "1.250"
    assert with_unit("", Unit.PERCENT) == ""
