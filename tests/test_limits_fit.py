"""perfplan.limits, the one rule "does this value fit this column", as forms, services, admin and URLs use it."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve
from django.urls.exceptions import Resolver404

from consuntivi.models import Measurement
from indicators.models import Target
from perfplan.converters import IdConverter
from perfplan.limits import MAX_ID, field_problem, fit_errors, parse_id, require_fit
from plans.models import Objective, OrgUnit, Plan
from reports.models import BilancioLine, CycleActivity, Relazione, RelazioneArtifact


def test_each_integer_field_has_the_range_postgresql_gives_it():
    assert field_problem(BilancioLine, "amount", 10**15) is None  # bigint
    assert field_problem(BilancioLine, "amount", 2**63) == (
        "è fuori dall'intervallo ammesso (-9.223.372.036.854.775.808–9.223.372.036.854.775.807)"
    )
    assert field_problem(RelazioneArtifact, "size", 2**40) is None  # positive bigint
    assert field_problem(Plan, "start_year", 2**31) == "è fuori dall'intervallo ammesso (0–2.147.483.647)"
    assert field_problem(CycleActivity, "start_day", 40_000) == "è fuori dall'intervallo ammesso (0–32.767)"


def test_an_amount_with_a_giant_exponent_is_refused_at_once():
    started = time.perf_counter()
    assert field_problem(BilancioLine, "amount", Decimal("1e999999999")).startswith("è fuori dall'intervallo")
    assert field_problem(BilancioLine, "amount", "1e999999999").startswith("è fuori dall'intervallo")
    assert field_problem(Objective, "weight", Decimal("1e999999999")).startswith("è troppo grande")
    assert time.perf_counter() - started < 1  # int(Decimal("1e999999999")) alone would take minutes
    assert field_problem(BilancioLine, "amount", "12,5") == "non è un numero intero"
    assert field_problem(BilancioLine, "amount", Decimal("NaN")) == "non è un numero intero"


def test_decimals_are_held_to_their_whole_digits_and_must_be_finite():
    assert field_problem(Objective, "weight", Decimal("99999.99")) is None
    assert (
        field_problem(Objective, "weight", Decimal("99999.996"))
        == "è troppo grande: al massimo 5 cifre prima della virgola"
    )
    assert (
        field_problem(Target, "number", Decimal("1e18")) == "è troppo grande: al massimo 18 cifre prima della virgola"
    )
    assert field_problem(Measurement, "value_number", Decimal("Infinity")) == "non è un numero finito"


def test_text_with_a_nul_character_does_not_fit_postgresql_text_or_json():
    assert field_problem(Objective, "title", "a\x00b") == "contiene un carattere non ammesso (NUL)"
    assert field_problem(Relazione, "texts", {"premessa": "a\x00b"}) == "contiene un carattere non ammesso (NUL)"
    assert field_problem(Relazione, "texts", {"premessa": "<p>ok</p>"}) is None


def test_require_fit_names_every_field_that_does_not_fit_in_italian():
    unit = OrgUnit(code="x" * 41, name="Ufficio", head="a\x00")
    assert fit_errors(unit) == {
        "code": "Il campo «codice» è troppo lungo: al massimo 40 caratteri (ne ha 41).",
        "head": "Il campo «responsabile» contiene un carattere non ammesso (NUL).",
    }
    with pytest.raises(ValidationError) as refused:
        require_fit(unit, prefix="unita_")
    assert set(refused.value.message_dict) == {"unita_code", "unita_head"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 7 ", 7), ("0", None), ("-3", None), ("abc", None), ("1e3", None), (str(2**63), None), ("", None)],
)
def test_parse_id_reads_only_ids_a_primary_key_can_be(text, expected):
    assert parse_id(text) == expected


def test_the_id_converter_refuses_zero_and_numbers_beyond_the_largest_key():
    converter = IdConverter()
    assert converter.to_python(str(MAX_ID)) == MAX_ID
    for text in ("0", str(MAX_ID + 1)):
        with pytest.raises(ValueError):
            converter.to_python(text)
    with pytest.raises(Resolver404):
        resolve("/piani/" + "9" * 20 + "/")
    assert resolve("/piani/12/").kwargs == {"plan_id": 12}
