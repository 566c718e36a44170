"""Builders for the consuntivi tests: a small plan with three units and no values yet, its people and a round.

Units: A1 (Area promozione) > U1 (Ufficio studi), U2 (Ufficio eventi). OS 101 and OO 1011.01 take 50 % of their
score from their own indicators and 50 % from their children. Indicators with a 2017 target:
- 101 (unit A1): F1 "Pubblicazioni sul sito camerale" >= 350 N.; "Tempo medio di pagamento" <= 25 gg (decrescente)
- 1011.01 (unit U1): "Report pubblicati entro la scadenza" entro 30/09/2017; "Indice di liquidità" >= 1,5 with
  Algoritmo Liq_Imm / PassCorr
- 1011.0101 (no unit: inherits U1): "Pratiche evase nei termini" >= 90 % (numeratore / denominatore)
- 1011.02 (unit U2): "Eventi organizzati" >= 10 N.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.test import Client

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import Measurement, Round
from consuntivi.services import EntryValues, round_open
from indicators.models import Indicator
from indicators.notation import parse_decimal
from perfplan.roles import Role
from plans.models import Plan
from tests.factories import PASSWORD, make_user, workbook_bytes
from workbook.plan_import import plan_import

TITLE = "Piano della performance 2017-2019 (consuntivi)"

ENTRY_SHEETS: dict[str, list[list[Any]]] = {
    "Piano": [
        ["Voce", "Valore"],
        ["Ente", "Camera di commercio di Esempio"],
        ["Codice ente", "EN"],
        ["Titolo", TITLE],
        ["Anno inizio", 2017],
        ["Anno fine", 2019],
    ],
    "Unita organizzative": [
        ["Codice", "Nome", "Codice padre", "Responsabile"],
        ["A1", "Area promozione", "", "Dirigente"],
        ["U1", "Ufficio studi", "A1", "Responsabile ufficio studi"],
        ["U2", "Ufficio eventi", "A1", "Responsabile ufficio eventi"],
    ],
    "Obiettivi": [
        ["Codice", "Tipo", "Codice padre", "Titolo", "Peso", "Quota indicatori", "Unità organizzativa"],
        ["1", "Area strategica", "", "Competitività delle imprese", 100, None, ""],
        ["101", "Obiettivo strategico", "1", "Informazione economica", 100, 50, "A1"],
        ["1011.01", "Obiettivo operativo", "101", "Pubblicazioni e analisi", 60, 50, "U1"],
        ["1011.0101", "Azione", "1011.01", "Gestione delle pratiche", None, None, ""],
        ["1011.02", "Obiettivo operativo", "101", "Eventi per le imprese", 40, None, "U2"],
    ],
    "Indicatori": [
        [
            "Codice obiettivo",
            "Codice indicatore",
            "Nome",
            "Algoritmo",
            "Unità",
            "Polarità",
            "Peso",
            "Baseline anno",
            "Baseline",
            "Target 2017",
            "Target 2018",
            "Target 2019",
        ],
        [
            "101",
            "F1",
            "Pubblicazioni sul sito camerale",
            "",
            "N.",
            "crescente",
            50,
            2016,
            "382",
            ">= 350",
            ">= 350",
            "",
        ],
        ["101", "", "Tempo medio di pagamento", "", "gg", "decrescente", 50, None, "18", "<= 25", "<= 20", "<= 18"],
        ["1011.01", "", "Report pubblicati entro la scadenza", "", "", "", None, None, "", "entro 30/09/2017", "", ""],
        [
            "1011.01",
            "LIQ",
            "Indice di liquidità",
            "Liq_Imm / PassCorr",
            "",
            "crescente",
            None,
            None,
            "",
            ">= 1,5",
            "",
            "",
        ],
        ["1011.0101", "", "Pratiche evase nei termini", "", "%", "crescente", None, None, "", ">= 90 %", "", ""],
        ["1011.02", "", "Eventi organizzati", "", "N.", "crescente", None, None, "8", ">= 10", ">= 12", ""],
    ],
}


def entry_plan() -> Plan:
    # Role groups survive the flush of transactional tests: plans.apps recreates them after every migrate/flush.
    report = plan_import(source=workbook_bytes(ENTRY_SHEETS))
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def people(plan: Plan) -> dict[str, Any]:
    """The personas of the consuntivi tests, all in the plan's ente."""
    units = {u.code: u for u in plan.ente.org_units.all()}
    return {
        "planner": make_user("pianificazione_en", Role.PLANNER, plan.ente),
        "head_u1": make_user("resp_studi", Role.OFFICE_HEAD, plan.ente, units=[units["U1"]]),
        "head_u2": make_user("resp_eventi", Role.OFFICE_HEAD, plan.ente, units=[units["U2"]]),
        "oiv": make_user("oiv_en", Role.OIV, plan.ente),
        "admin": make_user("admin_en", Role.ADMIN, plan.ente),
        "units": units,
    }


def open_round(plan: Plan, planner, year: int = 2017, period: str = "annual", **kwargs) -> Round:
    return round_open(plan=plan, year=year, period=period, user=planner, **kwargs)


def indicator(plan: Plan, name: str) -> Indicator:
    return Indicator.objects.get(objective__plan=plan, name=name)


def field_names(ind: Indicator) -> str:
    return f"m{ind.pk}"


def synthetic_round(operational: int, ente_code: str) -> tuple[Round, Any]:
    """The final round of a synthetic plan (benchmarks/synthetic.py), values back to drafts; a head of every unit."""
    content = synthetic_workbook(
        areas=2, strategic=2, operational=operational, actions=3, indicators=2, ente_code=ente_code
    )
    report = plan_import(source=BytesIO(content))
    assert report.ok, report.errors[:3]
    plan = Plan.objects.get(pk=report.plan_id)
    rnd = Round.objects.get(plan=plan, final=True)  # created by the import with about 90 % of the values
    Measurement.objects.filter(round=rnd).update(status="bozza")  # editable rows: one form each
    head = make_user(f"resp{ente_code}", Role.OFFICE_HEAD, plan.ente, units=list(plan.ente.org_units.all()))
    return rnd, head


def entry(ind: Indicator, value: str | None = None, *, version: int = 0, **fields: Any) -> EntryValues:
    """What a unit types for one indicator, as the form hands it to the service."""
    values = EntryValues(indicator_id=ind.pk, version=version, **fields)
    if value is not None:
        values.raw = value
        values.value_number = parse_decimal(value)
    return values


def client_for(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
