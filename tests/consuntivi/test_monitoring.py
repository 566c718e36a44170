"""Mid-year monitoring: the year as it stood at a date, the at-risk rule, the Responsabile's flag, score_plan --al.

The plan of tests/consuntivi/factories.py with a semester round at 30/06/2017 (f = 181/365 = 0,49589… of the year)
holding four values, typed by hand here:
- F1 «Pubblicazioni» >= 350 N. (a flow: path from 0): 150 → 150/350 = 42,857 → 42,86; expected 350 × f = 173,56: at risk
- «Tempo medio di pagamento» <= 25 gg, baseline 18 (a level): 22 → met → 100; above the path 18 + 7 × f = 21,47,
  but it already meets the year's target: not at risk
- «Eventi organizzati» >= 10 N. (flow): 6 → 60,00; expected 10 × f = 4,96: on track
- «Report pubblicati entro la scadenza» entro 30/09/2017: no value → «senza valore»
OS 101 (share 50 %): indicators (42,86 + 100) / 2 = 71,43; children: only OO 1011.02 measured (60) → 60;
0,5 × 71,43 + 0,5 × 60 = 65,715 → 65,72; the area and the ente follow (one child each).
"""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from consuntivi.models import Measurement, RiskFlag
from consuntivi.monitoring import indicator_risk, monitoring_state, year_fraction
from consuntivi.scores import plan_score, round_at
from consuntivi.services import risk_flag_clear, risk_flag_set, year_close
from indicators.notation import Kind, ParsedTarget, Unit
from indicators.scoring import MISSING, OK, IndicatorInput, IndicatorScore
from tests.consuntivi.factories import indicator, open_round

pytestmark = pytest.mark.django_db

F = Decimal(181) / Decimal(365)


@pytest.fixture
def semester(plan, who):
    rnd = open_round(plan, who["planner"], period="semester")
    for name, value in (
        ("Pubblicazioni sul sito camerale", "150"),
        ("Tempo medio di pagamento", "22"),
        ("Eventi organizzati", "6"),
    ):
        Measurement.objects.create(
            indicator=indicator(plan, name), round=rnd, year=2017, raw=value, value_number=Decimal(value)
        )
    return rnd


def score(*args) -> str:
    out = StringIO()
    call_command("score_plan", *args, stdout=out)
    return out.getvalue()


# --- The year at a date ------------------------------------------------------------------------------------------


def test_the_round_at_a_date_is_the_latest_whose_period_has_ended(plan, who, semester):
    final = open_round(plan, who["planner"])  # annual: period ends 31/12/2017
    assert round_at(plan=plan, year=2017, at=dt.date(2017, 5, 31)) is None
    assert round_at(plan=plan, year=2017, at=dt.date(2017, 6, 30)) == semester
    assert round_at(plan=plan, year=2017, at=dt.date(2017, 12, 30)) == semester
    assert round_at(plan=plan, year=2017, at=dt.date(2018, 1, 15)) == final


def test_the_year_is_scored_with_the_values_of_the_semester_round(plan, semester):
    scoring = plan_score(plan=plan, year=2017, data_round=semester)
    f1 = indicator(plan, "Pubblicazioni sul sito camerale")
    assert scoring.indicator(f1.pk).achievement == Decimal("42.86")
    os_101 = next(n for n in scoring.tree.objectives if n.code == "101")
    assert scoring.node(os_101.pk).score == Decimal("65.72")
    assert scoring.result.score == Decimal("65.72")
    # The final round has no value yet: the default (final) state is unmeasured
    assert plan_score(plan=plan, year=2017).result.score is None


def test_score_plan_at_a_date_adds_al_to_the_same_json(plan, semester):
    document = json.loads(score(str(plan.pk), "--year", "2017", "--al", "30/06/2017", "--json"))
    assert document["al"] == "2017-06-30"
    assert document["round"]["id"] == semester.pk and document["round"]["period"] == "semester"
    assert document["score"] == 65.72
    f1 = document["nodes"][0]["children"][0]["indicators"][0]
    assert (f1["value"], f1["score"], f1["status"]) == (150.0, 42.86, "ok")
    by_round = json.loads(score(str(plan.pk), "--year", "2017", "--round", str(semester.pk), "--json"))
    assert by_round["score"] == 65.72 and by_round["al"] == "2017-06-30"


def test_score_plan_without_al_keeps_its_json(plan, semester):
    document = json.loads(score(str(plan.pk), "--year", "2017", "--json"))
    assert "al" not in document and "round" not in document
    assert document["score"] is None  # the final round's values, as before


def test_score_plan_says_in_italian_when_no_round_has_ended_by_the_date(plan, semester):
    with pytest.raises(CommandError, match="Nessuna rilevazione del 2017 ha un periodo concluso entro il 31/05/2017"):
        score(str(plan.pk), "--year", "2017", "--al", "31/05/2017")
    with pytest.raises(CommandError, match="Data non valida"):
        score(str(plan.pk), "--year", "2017", "--al", "31 maggio")


def test_score_plan_text_says_which_round(plan, semester):
    lines = score(str(plan.pk), "--year", "2017", "--al", "30/06/2017").splitlines()
    assert lines[1].startswith("Situazione al 30/06/2017: Monitoraggio semestrale 2017")
    assert lines[2].startswith("Ente") and lines[2].endswith("65,72 %")


# --- The at-risk rule --------------------------------------------------------------------------------------------


def _verdict(target: ParsedTarget, value, *, unit=None, baseline=None, polarity="higher_better", at=(2017, 6, 30)):
    ind = IndicatorInput(1, "", "x", None, polarity=polarity, unit=unit, target=target, baseline=baseline)
    number = target.value if isinstance(target.value, Decimal) else None
    met = None
    if isinstance(value, dt.date):
        met = value <= target.deadline
    elif isinstance(value, Decimal):
        met = value >= number if target.comparator == ">=" else value <= number
    score = IndicatorScore(1, Decimal(0), Decimal(0), OK, "", value, number, False, "", met=met)
    return indicator_risk(ind, score, dt.date(*at))


def test_the_year_fraction_at_30_june_is_181_days_of_365():
    assert year_fraction(dt.date(2017, 6, 30)) == F
    assert year_fraction(dt.date(2017, 12, 31)) == 1
    assert year_fraction(dt.date(2016, 6, 30)) == Decimal(182) / Decimal(366)  # leap year


def test_a_flow_follows_the_path_from_zero():
    target = ParsedTarget(Kind.NUMBER, ">= 350", ">=", Decimal(350))
    # 350 × 181/365 = 173,56: 173 is behind, 174 in line
    assert _verdict(target, Decimal(173), unit=Unit.COUNT, baseline=Decimal(382)).at_risk
    on_track = _verdict(target, Decimal(174), unit=Unit.COUNT, baseline=Decimal(382))
    assert not on_track.at_risk and on_track.expected.quantize(Decimal("0.01")) == Decimal("173.56")


def test_a_level_follows_the_path_from_its_baseline():
    target = ParsedTarget(Kind.NUMBER, "<= 20", "<=", Decimal(20))
    # 30 + (20 − 30) × 181/365 = 25,04: 26 days is above the path (at risk), 25 is in line
    assert _verdict(target, Decimal(26), unit=Unit.DAYS, baseline=Decimal(30)).at_risk
    assert not _verdict(target, Decimal(25), unit=Unit.DAYS, baseline=Decimal(30)).at_risk
    rate = ParsedTarget(Kind.NUMBER, ">= 90 %", ">=", Decimal(90), Unit.PERCENT)
    # 70 + 20 × 181/365 = 79,92
    assert _verdict(rate, Decimal("79.9"), baseline=Decimal(70)).at_risk
    assert not _verdict(rate, Decimal("80"), baseline=Decimal(70)).at_risk


def test_a_value_that_already_meets_the_target_is_never_at_risk():
    # baseline 100 better than the target 98: the path 100 → 98 asks 99,01 at 30/06, the target only 98
    rate = ParsedTarget(Kind.NUMBER, ">= 98 %", ">=", Decimal(98), Unit.PERCENT)
    assert not _verdict(rate, Decimal("98.7"), baseline=Decimal(100)).at_risk
    assert _verdict(rate, Decimal("97"), baseline=Decimal(100)).at_risk
    days = ParsedTarget(Kind.NUMBER, "<= 25", "<=", Decimal(25))
    assert not _verdict(days, Decimal(22), unit=Unit.DAYS, baseline=Decimal(18)).at_risk  # path 21,47, target met


def test_a_level_without_baseline_is_held_to_its_target():
    rate = ParsedTarget(Kind.NUMBER, ">= 90 %", ">=", Decimal(90), Unit.PERCENT)
    assert _verdict(rate, Decimal("89.9")).at_risk
    assert not _verdict(rate, Decimal("90")).at_risk


def test_a_deadline_is_at_risk_only_once_passed_or_missed():
    target = ParsedTarget(Kind.DEADLINE, "entro 30/09/2017", "<=", deadline=dt.date(2017, 9, 30))
    assert not _verdict(target, None).at_risk  # not done, deadline ahead at 30/06
    assert _verdict(target, None, at=(2017, 12, 31)).at_risk  # not done, deadline passed
    assert not _verdict(target, dt.date(2017, 5, 2)).at_risk  # done in time
    assert _verdict(target, dt.date(2017, 10, 2), at=(2017, 12, 31)).at_risk  # done late


def test_a_yes_no_target_is_judged_only_at_year_end():
    target = ParsedTarget(Kind.BOOL, "SI", value=True)
    ind = IndicatorInput(1, "", "x", None, target=target)
    not_met = IndicatorScore(1, Decimal(0), Decimal(0), OK, "SI/NO", False, None, False, "", met=False)
    assert indicator_risk(ind, not_met, dt.date(2017, 6, 30)) is None
    assert indicator_risk(ind, not_met, dt.date(2017, 12, 31)).at_risk


def test_no_value_is_not_at_risk_but_listed_apart(plan, semester):
    missing = IndicatorScore(1, None, None, MISSING, "N/D", None, None, False, "")
    ind = IndicatorInput(1, "", "x", None, target=ParsedTarget(Kind.NUMBER, ">= 1", ">=", Decimal(1)))
    assert indicator_risk(ind, missing, dt.date(2017, 6, 30)) is None
    state = monitoring_state(plan=plan, year=2017, at=dt.date(2017, 6, 30))
    assert "Report pubblicati entro la scadenza" in [ind.name for _, ind in state.without_value]


def test_the_objectives_at_risk_at_30_june(plan, semester):
    state = monitoring_state(plan=plan, year=2017, at=dt.date(2017, 6, 30))
    assert [o.objective.code for o in state.objectives] == ["101"]
    assert [i.indicator.name for i in state.objectives[0].indicators] == ["Pubblicazioni sul sito camerale"]
    assert state.objectives[0].indicators[0].reasons == [
        "Valore 150 sotto l'atteso: percorso da 0 (grandezza che si accumula nell'anno) al target 350: al 30/06/2017 "
        "(49,6 % dell'anno) atteso 173,56."
    ]
    assert [n.code for n in state.objectives[0].path] == ["1"]
    area = state.scoring.tree.roots[0]
    assert state.under(area.pk) == 1
    assert monitoring_state(plan=plan, year=2017, at=dt.date(2017, 5, 31)) is None


# --- The Responsabile's flag -------------------------------------------------------------------------------------


def test_the_responsabile_flags_an_indicator_of_their_unit(plan, who, semester):
    events = indicator(plan, "Eventi organizzati")  # OO 1011.02, unit U2
    risk_flag_set(data_round=semester, indicator_id=events.pk, user=who["head_u2"], reason="Sala non disponibile")
    state = monitoring_state(plan=plan, year=2017, data_round=semester)
    flagged = next(o for o in state.objectives if o.objective.code == "1011.02")
    assert flagged.indicators[0].reasons == ["Segnalato dal Responsabile: Sala non disponibile"]
    risk_flag_set(data_round=semester, indicator_id=events.pk, user=who["head_u2"], reason="Rinvio a settembre")
    assert RiskFlag.objects.get().reason == "Rinvio a settembre"
    assert risk_flag_clear(data_round=semester, indicator_id=events.pk, user=who["head_u2"])
    assert not RiskFlag.objects.exists()


def test_a_flag_needs_a_reason(plan, who, semester):
    events = indicator(plan, "Eventi organizzati")
    with pytest.raises(ValidationError, match="serve la motivazione"):
        risk_flag_set(data_round=semester, indicator_id=events.pk, user=who["head_u2"], reason="  ")


@pytest.mark.parametrize("persona", ["head_u1", "oiv", "planner", "admin"])
def test_only_the_units_responsabile_may_flag(plan, who, semester, persona):
    events = indicator(plan, "Eventi organizzati")  # U2's: head_u1 leads U1 only
    with pytest.raises(PermissionDenied):
        risk_flag_set(data_round=semester, indicator_id=events.pk, user=who[persona], reason="Ritardo")
    assert not RiskFlag.objects.exists()


def test_no_flag_in_a_closed_year(plan, who, semester):
    final = open_round(plan, who["planner"])
    year_close(plan=plan, year=2017, user=who["planner"], confirmed=True)
    final.refresh_from_db()
    events = indicator(plan, "Eventi organizzati")
    with pytest.raises(PermissionDenied, match="chiuso"):
        risk_flag_set(data_round=semester, indicator_id=events.pk, user=who["head_u2"], reason="Ritardo")
