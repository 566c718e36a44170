"""Demo data for a first run: the seed plans of fixtures/ and one fictitious user per role.

It sits on top of every app (it fills plans, consuntivi and reports), like the commands that call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from consuntivi.models import Measurement, MeasurementStatus, Round
from consuntivi.services import risk_flag_set, round_close, round_open
from indicators.models import IndicatorUnit, Polarity
from perfplan.formats import number_it
from perfplan.roles import Role
from plans.lifecycle import plan_year_get, plan_year_transition
from plans.models import Ente, OrgUnit, Plan, PlanKind, Profile, RiskMeasureLink, YearState
from plans.public_value import ImpactIndicatorData, PublicValueData, public_values_sync
from plans.revisions import RevisionLog
from reports.models import BilancioLine
from workbook.plan_import import plan_import

DEMO_WORKBOOKS = ["modena_2017_2019.xlsx", "ravenna_ferrara_2021_2023.xlsx"]
DEMO_ENTE = "MO"
DEMO_UNITS = ["AO1", "AO2"]  # the two units the demo Responsabile leads
DEMO_YEAR = 2017  # the year with (invented) consuntivi: in monitoraggio, ready to be closed and reported on
# The mid-year round of the demo year: every value in it is INVENTED (worked out from the final values, see _invented),
# so the monitoring pages and report have something to show at 30/06/2017. The final round's numbers are untouched.
DEMO_SEMESTER_LABEL = "Monitoraggio semestrale 2017 – VALORI INVENTATI per la demo"
DEMO_SEMESTER_END = dt.date(DEMO_YEAR, 6, 30)
DEMO_FLAG_REASON = (
    "Esempio inventato per la demo: la gara per il servizio è slittata a settembre, il target annuale è a rischio."
)

# Invented income statements of the demo ente (whole euros, DPR 254/2005 lines of reports.bilancio), so that the
# demo Relazione's tables 1.2 and 2.1 have figures. Plausible for a mid-size Camera di commercio; NOT real data.
DEMO_BILANCIO = {
    "1": [9_420_000, 9_180_000, 8_960_000, 8_870_000],
    "2": [2_610_000, 2_580_000, 2_640_000, 2_690_000],
    "3": [640_000, 710_000, 590_000, 620_000],
    "4": [310_000, 295_000, 330_000, 342_000],
    "5": [-4_000, 2_500, -1_800, 1_200],
    "6": [4_620_000, 4_540_000, 4_470_000, 4_410_000],
    "7": [3_060_000, 2_990_000, 2_950_000, 2_920_000],
    "8": [3_350_000, 3_280_000, 3_150_000, 3_240_000],
    "9": [1_580_000, 1_610_000, 1_640_000, 1_590_000],
    "10": [160_000, 140_000, 120_000, 110_000],
    "11": [6_000, 5_000, 5_000, 4_000],
    "12": [210_000, 180_000, 240_000, 190_000],
    "13": [85_000, 90_000, 70_000, 60_000],
    "14": [0, 0, 0, 0],
    "15": [20_000, 15_000, 25_000, 10_000],
}


@dataclass
class DemoUser:
    role: str
    username: str
    password: str
    note: str = ""


DEMO_USERS = [
    DemoUser(Role.PLANNER, "pianificazione", "Pianifica-2017!"),
    DemoUser(Role.OFFICE_HEAD, "responsabile", "Responsabile-2017!"),
    DemoUser(Role.OIV, "oiv", "Valuta-2017!"),
    DemoUser(Role.ADMIN, "admin", "Amministra-2017!", "(anche /admin/)"),
]


@dataclass
class DemoResult:
    errors: list[str] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)


@transaction.atomic
def demo_seed(*, fixtures_dir: Path) -> DemoResult:
    result = DemoResult()
    for name in DEMO_WORKBOOKS:
        report = plan_import(source=fixtures_dir / name, reason="Caricamento dati dimostrativi")
        result.errors.extend(f"{name}: {e}" for e in report.errors)
    if result.errors:
        transaction.set_rollback(True)
        return result
    ente = Ente.objects.get(code=DEMO_ENTE)
    User = get_user_model()
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.set_password(demo.password)
        user.first_name = demo.role
        user.last_name = "(demo)"
        user.is_staff = user.is_superuser = demo.role == Role.ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=demo.role)])
        Profile.objects.update_or_create(user=user, defaults={"ente": ente})
        if demo.role == Role.OFFICE_HEAD:
            units = list(OrgUnit.objects.filter(ente=ente, code__in=DEMO_UNITS))
            for unit in units:
                unit.leaders.add(user)
            demo.note = "(guida " + ", ".join(u.code for u in units) + ")"
        result.users.append(demo)
    _demo_year_and_accounts(ente)
    _demo_semester(ente)
    result.users.extend(_demo_piao())
    return result


def _demo_year_and_accounts(ente: Ente) -> None:
    """The demo year enters monitoraggio (its consuntivi are in) and gets four years of invented accounts."""
    planner = get_user_model().objects.get(username="pianificazione")
    plan = Plan.objects.get(ente=ente, start_year=DEMO_YEAR)
    plan_year = plan_year_get(plan=plan, year=DEMO_YEAR)
    if plan_year.state == YearState.PLANNED:
        plan_year_transition(plan_year=plan_year, to_state=YearState.MONITORING, user=planner)
    years = range(DEMO_YEAR - 3, DEMO_YEAR + 1)
    for code, amounts in DEMO_BILANCIO.items():
        for year, amount in zip(years, amounts, strict=True):
            BilancioLine.objects.update_or_create(ente=ente, year=year, code=code, defaults={"amount": amount})


# The Ravenna-Ferrara plan printed as a PIAO: its section 2.1 needs impatti, which the seed (a 2021 Piano della
# performance, before the PIAO) does not have. INVENTED, each marked so, linked to real strategic objectives of RF.
PIAO_ENTE = "RAFE"
PIAO_TITLE = "Piano della performance 2021-2023"
INVENTED = "(esempio inventato)"
DEMO_PUBLIC_VALUES = [
    PublicValueData(
        code="VP1",
        title=f"Imprese più digitali, adempimenti più semplici {INVENTED}",
        description=f"Meno tempo e meno costi per le imprese nei rapporti con la Camera e la PA {INVENTED}.",
        dimensions=["semplificazione", "digitalizzazione"],
        objective_codes=["1.2.D", "1.2.S"],
        indicators=[
            ImpactIndicatorData(
                code="VP1.1",
                name=f"Pratiche del Registro imprese evase entro 5 giorni {INVENTED}",
                unit="percent",
                source="Registro imprese",
                baseline_year=2020,
                baseline="78 %",
                targets={2021: ">= 80 %", 2022: ">= 83 %", 2023: ">= 85 %"},
            ),
            ImpactIndicatorData(
                code="VP1.2",
                name=f"Imprese con identità digitale rilasciata dalla Camera {INVENTED}",
                unit="count",
                source="InfoCamere",
                baseline_year=2020,
                baseline="4.200",
                targets={2021: ">= 4.500", 2022: ">= 4.800", 2023: ">= 5.000"},
            ),
        ],
    ),
    PublicValueData(
        code="VP2",
        title=f"Un territorio attrattivo e sostenibile {INVENTED}",
        description=f"Turismo, cultura e ambiente come leve di sviluppo delle due province {INVENTED}.",
        dimensions=["accessibilita"],
        objective_codes=["2.1", "2.3"],
        indicators=[
            ImpactIndicatorData(
                code="VP2.1",
                name=f"Imprese aderenti ai percorsi di sostenibilità ambientale {INVENTED}",
                unit="count",
                baseline_year=2020,
                baseline="120",
                targets={2021: ">= 140", 2022: ">= 160", 2023: ">= 180"},
            ),
        ],
    ),
    PublicValueData(
        code="VP3",
        title=f"Pari opportunità nel fare impresa {INVENTED}",
        description=f"Più imprese femminili e giovanili tra quelle che la Camera accompagna {INVENTED}.",
        dimensions=["accessibilita", "pari_opportunita"],
        objective_codes=["1.3", "1.4"],
        indicators=[
            ImpactIndicatorData(
                code="VP3.1",
                name=f"Imprese femminili sul totale delle imprese assistite {INVENTED}",
                unit="percent",
                baseline_year=2020,
                baseline="31 %",
                targets={2021: ">= 33 %", 2022: ">= 35 %", 2023: ">= 36 %"},
            ),
        ],
    ),
]
DEMO_RISK_MEASURES = [
    ("M01", f"Rotazione del personale nei processi a rischio {INVENTED}", "https://example.org/piao/2-3#M01"),
    ("M02", f"Monitoraggio dei tempi dei procedimenti {INVENTED}", "https://example.org/piao/2-3#M02"),
]


PIAO_USER = DemoUser(Role.PLANNER, "pianificazione_rafe", "Pianifica-2021!", "(Ravenna-Ferrara: il PIAO)")


def _demo_piao() -> list[DemoUser]:
    """The Ravenna-Ferrara 2021 plan (loaded from its seed workbook above) flagged as PIAO, with invented impatti and
    section 2.3 references, so that `render_piao` and the plan page print a whole section 2; and a planner of that
    ente, who sees the plan in the browser (the other demo users belong to Modena). Idempotent."""
    plan = Plan.objects.filter(ente__code=PIAO_ENTE, title=PIAO_TITLE).first()
    if plan is None:
        return []
    plan.kind = PlanKind.PIAO
    plan.save(update_fields=["kind"])
    # Demo data, not a change of the adopted plan: no revisions.
    public_values_sync(plan=plan, items=DEMO_PUBLIC_VALUES, revisions=RevisionLog(plan, None, "", adopted=False))
    for position, (code, title, link) in enumerate(DEMO_RISK_MEASURES, start=1):
        RiskMeasureLink.objects.update_or_create(
            plan=plan, code=code, defaults={"title": title, "link": link, "position": position}
        )
    user, _ = get_user_model().objects.get_or_create(username=PIAO_USER.username)
    user.set_password(PIAO_USER.password)
    user.first_name, user.last_name = PIAO_USER.role, "(demo)"
    user.save()
    user.groups.set([Group.objects.get(name=PIAO_USER.role)])
    Profile.objects.update_or_create(user=user, defaults={"ente": plan.ente})
    return [PIAO_USER]


def _invented(measurement: Measurement, index: int, flow: bool, lower_better: bool) -> dict:
    """The invented mid-year value of one indicator, from its final value: a flow (counts, euro) at about half of it
    (a third for one indicator in four: behind the path), a level at the final value (15 % worse for one in four);
    a date after 30/06 not yet done; one SI in two still NO."""
    behind = index % 4 == 0
    values: dict = {"raw": "", "status": MeasurementStatus.ACCEPTED}
    if flow:
        factor = Decimal("0.35") if behind else Decimal("0.55")
    elif behind:
        factor = Decimal("1.15") if lower_better else Decimal("0.85")
    else:
        factor = Decimal(1)
    if measurement.value_number is not None:
        number = (measurement.value_number * factor).quantize(Decimal("0.01"))
        values.update(value_number=number, raw=number_it(number))
    elif measurement.numerator is not None and measurement.denominator is not None:
        numerator = (measurement.numerator * factor).quantize(Decimal("0.01"))
        denominator = measurement.denominator * (factor if flow else 1)
        values.update(numerator=numerator, denominator=denominator.quantize(Decimal("0.01")))
    elif measurement.variables:
        values["variables"] = dict(measurement.variables)
    elif measurement.value_date is not None:
        if measurement.value_date <= DEMO_SEMESTER_END:
            values.update(value_date=measurement.value_date, raw=f"{measurement.value_date:%d/%m/%Y}")
        else:
            values.update(not_done=True, raw="NO")
    elif measurement.value_bool is not None:
        done = measurement.value_bool and index % 2 == 0
        values.update(value_bool=done, raw="SI" if done else "NO")
    elif measurement.value_level:
        values.update(value_level=measurement.value_level, raw=measurement.value_level)
    else:
        return {}
    return values


def _demo_semester(ente: Ente) -> None:
    """A closed semester round at 30/06/2017 with invented values (one indicator in seven left without a value) and
    one invented «a rischio» flag by the demo Responsabile: the monitoring pages and report have data to show."""
    planner = get_user_model().objects.get(username="pianificazione")
    plan = Plan.objects.get(ente=ente, start_year=DEMO_YEAR)
    if Round.objects.filter(plan=plan, year=DEMO_YEAR, label=DEMO_SEMESTER_LABEL).exists():
        return  # seeded already: seed_demo is idempotent
    semester = round_open(
        plan=plan,
        year=DEMO_YEAR,
        period="semester",
        user=planner,
        label=DEMO_SEMESTER_LABEL,
        reference_date=DEMO_SEMESTER_END,
    )
    finals = (
        Measurement.objects.filter(round__plan=plan, round__final=True, year=DEMO_YEAR)
        .select_related("indicator")
        .order_by("indicator__objective__code", "indicator__position", "indicator_id")
    )
    rows = []
    for index, final in enumerate(finals):
        if index % 7 == 3:
            continue  # not yet measured at 30/06: listed «senza valore»
        ind = final.indicator
        flow = ind.unit in (IndicatorUnit.COUNT, IndicatorUnit.EURO)
        values = _invented(final, index, flow, ind.polarity == Polarity.LOWER_BETTER)
        if values:
            rows.append(Measurement(indicator=ind, round=semester, year=DEMO_YEAR, updated_by=planner, **values))
    Measurement.objects.bulk_create(rows)
    round_close(data_round=semester, user=planner)
    head = get_user_model().objects.get(username="responsabile")
    led = Measurement.objects.filter(round=semester, indicator__objective__org_unit__code__in=DEMO_UNITS)
    first = led.order_by("indicator__objective__code", "indicator_id").first()
    if first is not None:
        risk_flag_set(data_round=semester, indicator_id=first.indicator_id, user=head, reason=DEMO_FLAG_REASON)
