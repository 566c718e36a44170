"""Relazione fixtures: the small plan with its year closed, and helpers to walk it through the workflow."""

import datetime as dt
from io import BytesIO

import pytest

from benchmarks.synthetic import synthetic_workbook
from plans.models import Plan, YearState
from reports.models import BilancioLine, Relazione
from reports.services import (
    ValidationInput,
    relazione_approve,
    relazione_close_year,
    relazione_get_or_create,
    relazione_update_texts,
    relazione_validate,
)
from workbook.plan_import import plan_import

YEAR = 2017


@pytest.fixture
def relazione(small_plan) -> Relazione:
    return relazione_get_or_create(plan=small_plan, year=YEAR)


@pytest.fixture
def closed_relazione(relazione, planner) -> Relazione:
    plan_year = relazione_close_year(plan=relazione.plan, year=YEAR, user=planner, confirmed=True)
    assert plan_year.state == YearState.CLOSED
    return relazione


# The texts whose default is an instruction («Descrivere…», «Indicare…»), written as the planning office would:
# approval is refused while an instruction is left (reports.checks).
WRITTEN_TEXTS = {
    "contesto": "<p>Nel 2017 l'economia provinciale è cresciuta; l'ente ha operato con 120 dipendenti.</p>",
    "misurazione": "<p>La misurazione è stata svolta a gennaio 2018 sui dati al 31 dicembre 2017.</p>",
    "genere": "<p>Nel 2017 il personale era composto per il 68 % da donne; il CUG ha promosso due corsi.</p>",
    "processo": "<p>Il calendario del ciclo è stato rispettato.</p>",
}


def write_texts(relazione: Relazione, user) -> None:
    relazione_update_texts(relazione=relazione, texts=WRITTEN_TEXTS, user=user)


@pytest.fixture
def approved_relazione(closed_relazione, planner) -> Relazione:
    # The small plan has no adopting act: record one on the plan so that the pre-flight check passes.
    plan = closed_relazione.plan
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, YEAR)
    write_texts(closed_relazione, planner)
    closed_relazione.refresh_from_db()
    return relazione_approve(
        relazione=closed_relazione, organ="delibera di Giunta", number="45", date=dt.date(2018, 6, 20), user=planner
    )


def add_bilancio(ente, year: int) -> None:
    """Year N of table 2.1 (approval needs it while table 1.2 is printed): A = 12.000.000, B = 10.500.000."""
    amounts = {"1": 9_000_000, "2": 3_000_000, "6": 4_000_000, "7": 2_500_000, "8": 3_000_000, "9": 1_000_000}
    BilancioLine.objects.bulk_create(BilancioLine(ente=ente, year=year, code=c, amount=a) for c, a in amounts.items())


def validation_input(**changes) -> ValidationInput:
    values = {
        "date": dt.date(2018, 6, 28),
        "outcome": "validata",
        "text": "La Relazione è conforme, comprensibile e attendibile.",
        "members": "Mario Rossi (presidente), Anna Bianchi",
        "checklist": ["contenuti", "fonti", "affidabilita"],
    }
    values.update(changes)
    return ValidationInput(**values)


@pytest.fixture
def validated_relazione(approved_relazione, oiv) -> Relazione:
    relazione_validate(relazione=approved_relazione, data=validation_input(), user=oiv)
    approved_relazione.refresh_from_db()
    return approved_relazione


@pytest.fixture
def large_plan(db):
    # 2 areas × 5 OS × 6 OO × 4 actions × 3 indicators on every node ≈ 900 indicators (benchmarks/synthetic.py).
    workbook = synthetic_workbook(areas=2, strategic=5, operational=6, actions=4, indicators=3, ente_code="PR")
    report = plan_import(source=BytesIO(workbook))
    assert report.ok, report.errors[:3]
    return Plan.objects.select_related("ente").get(pk=report.plan_id)
