"""The previous years' results of each indicator (consuntivi.year_over_year): the same plan's earlier years, the
ente's earlier plan recognised by catalogue code, by indicator code or by name under the same objective code.

Every number is computed by hand next to its assertion (targets and values are those of the workbooks below).
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import RoundPeriod
from consuntivi.scores import plan_score
from consuntivi.services import accepted_measurement_create, round_open
from consuntivi.year_over_year import previous_results, results_line
from indicators.models import Indicator
from perfplan.roles import Role
from plans.editing import plan_copy_to_next_cycle
from plans.models import Ente, Plan
from plans.selectors import plan_tree_rows
from tests.factories import make_user, plan_with_values
from workbook.plan_import import plan_import


@pytest.fixture
def planner(three_years):
    """A planner of the ente of these plans (the suite's own planner belongs to another plan's ente)."""
    return make_user("pianificazione_yy", Role.PLANNER, three_years.ente)


def texts(results, indicator: Indicator) -> list[str]:
    return [r.text for r in results.get(indicator.pk, [])]


@pytest.fixture
def three_years(db) -> Plan:
    """F1 «Pubblicazioni» (N., crescente): targets ≥ 350, ≥ 360, ≥ 370; values 2017 382, 2018 342.
    «Tempo medio di pagamento» (gg, decrescente, uncoded): targets ≤ 25, ≤ 20, ≤ 18; 2017 from 2900 / 100."""
    return plan_with_values(
        "Piano triennale 2017-2019",
        range(2017, 2020),
        [
            ["101", "F1", "Pubblicazioni sul sito camerale", "N.", "crescente", ">= 350", ">= 360", ">= 370"],
            ["101", "", "Tempo medio di pagamento", "gg", "decrescente", "<= 25", "<= 20", "<= 18"],
        ],
        [
            ["101", "F1", "", 2017, "382", None, None],
            ["101", "F1", "", 2018, "342", None, None],
            ["101", "", "Tempo medio di pagamento", 2017, "", 2900, 100],
        ],
    )


def test_it_lists_the_same_plans_earlier_years_newest_first(three_years):
    results = previous_results(plan=three_years, year=2019)
    f1 = Indicator.objects.get(objective__plan=three_years, code="F1")
    time = Indicator.objects.get(objective__plan=three_years, name="Tempo medio di pagamento")
    # 2018: 342 / 360 = 95 % ; 2017: 382 / 350 = 109,14 %, capped at 100 %.
    assert texts(results, f1) == ["2018: 342 N. (95,00 %)", "2017: 382 N. (100,00 %)"]
    # 2017: 2900 / 100 = 29 gg against ≤ 25 (lower is better): 25 / 29 = 86,206… → 86,21 %.
    assert texts(results, time) == ["2017: 29 gg (86,21 %)"]
    assert results_line(results[f1.pk]) == "2018: 342 N. (95,00 %) · 2017: 382 N. (100,00 %)"
    assert all(r.plan_title == "" for r in results[f1.pk])
    # The same achievement the plan's own scoring gave that year.
    assert results[f1.pk][0].achievement == plan_score(plan=three_years, year=2018).indicator(f1.pk).achievement


def test_it_shows_only_the_years_before_the_one_asked(three_years):
    results = previous_results(plan=three_years, year=2018)
    f1 = Indicator.objects.get(objective__plan=three_years, code="F1")
    assert texts(results, f1) == ["2017: 382 N. (100,00 %)"]
    assert previous_results(plan=three_years, year=2017) == {}


def test_a_plan_copied_forward_shows_the_earlier_plans_values_by_indicator_code_and_by_name(three_years, planner):
    copy = plan_copy_to_next_cycle(plan=three_years, user=planner)
    assert (copy.start_year, copy.end_year) == (2018, 2020)
    results = previous_results(plan=copy, year=2019)
    f1 = Indicator.objects.get(objective__plan=copy, code="F1")
    time = Indicator.objects.get(objective__plan=copy, name="Tempo medio di pagamento")
    assert texts(results, f1) == ["2018: 342 N. (95,00 %)", "2017: 382 N. (100,00 %)"]
    assert texts(results, time) == ["2017: 29 gg (86,21 %)"]  # uncoded: same name under the same objective 101
    assert {r.plan_title for r in results[f1.pk]} == {"Piano triennale 2017-2019"}


def test_the_plans_own_value_of_a_year_wins_over_the_earlier_plans(three_years, planner):
    copy = plan_copy_to_next_cycle(plan=three_years, user=planner)
    f1 = Indicator.objects.get(objective__plan=copy, code="F1")
    # The copy records its own 2018 value (it is a year of both plans): 380 against its 2018 target ≥ 360 → 100 %.
    data_round = round_open(plan=copy, year=2018, period=RoundPeriod.ANNUAL, user=planner)
    accepted_measurement_create(
        indicator=f1, data_round=data_round, user=planner, values={"value_number": Decimal(380)}, action="import"
    )
    results = previous_results(plan=copy, year=2019)
    assert texts(results, f1) == ["2018: 380 N. (100,00 %)", "2017: 382 N. (100,00 %)"]
    assert [r.plan_title for r in results[f1.pk]] == ["", "Piano triennale 2017-2019"]


@pytest.fixture
def earlier_with_catalogue(three_years) -> Plan:
    """An earlier plan (2014-2016) of the same ente where the DFP 1.3 indicator had another code and objective:
    «Grado di copertura delle attività formative» (%), target 2016 ≥ 60, value 2016 45."""
    earlier = plan_with_values(
        "Piano della performance 2014-2016",
        range(2014, 2017),
        [["1011.01", "FORM", "Grado di copertura della formazione", "%", "crescente", "", "", ">= 60"]],
        [["1011.01", "FORM", "", 2016, "45", None, None]],
    )
    Indicator.objects.filter(objective__plan=earlier, code="FORM").update(catalogue_code="DFP 1.3")
    return earlier


def test_an_earlier_plan_is_matched_by_catalogue_code(three_years, earlier_with_catalogue):
    Indicator.objects.filter(objective__plan=three_years, code="F1").update(catalogue_code="DFP 1.3")
    results = previous_results(plan=three_years, year=2019)
    f1 = Indicator.objects.get(objective__plan=three_years, code="F1")
    # 2018 and 2017 from the plan itself, 2016 from the earlier plan: 45 / 60 = 75 %.
    assert texts(results, f1) == ["2018: 342 N. (95,00 %)", "2017: 382 N. (100,00 %)", "2016: 45,00 % (75,00 %)"]
    assert results[f1.pk][2].plan_title == "Piano della performance 2014-2016"


def test_nothing_is_shown_when_no_earlier_indicator_is_recognised(three_years, earlier_with_catalogue):
    # F1 has no catalogue code and the earlier plan has no F1: no 2016 value; another ente's F1 is never read.
    plan_with_values(
        "Piano della performance 2014-2016",
        range(2014, 2017),
        [["101", "F1", "Pubblicazioni sul sito camerale", "N.", "crescente", "", "", ">= 300"]],
        [["101", "F1", "", 2016, "999", None, None]],
        ente="ALTRO",
    )
    assert Ente.objects.count() == 2 and Plan.objects.filter(title__endswith="2014-2016").count() == 2
    results = previous_results(plan=three_years, year=2019)
    f1 = Indicator.objects.get(objective__plan=three_years, code="F1")
    assert [r.year for r in results[f1.pk]] == [2018, 2017]


def test_an_ambiguous_catalogue_code_matches_nothing(three_years, earlier_with_catalogue):
    # Two DFP 1.3 indicators in the earlier plan, neither under F1's objective (101): no guess.
    Indicator.objects.create(
        objective=earlier_with_catalogue.objectives.get(code="1011.0101"),
        code="FORM2",
        name="Altro",
        catalogue_code="DFP 1.3",
    )
    Indicator.objects.filter(objective__plan=three_years, code="F1").update(catalogue_code="DFP 1.3")
    results = previous_results(plan=three_years, year=2019)
    f1 = Indicator.objects.get(objective__plan=three_years, code="F1")
    assert [r.year for r in results[f1.pk]] == [2018, 2017]


def synthetic(ente: str, **shape) -> Plan:
    workbook = synthetic_workbook(ente_code=ente, title=f"Piano {ente}", years=(2025, 2026, 2027), **shape)
    report = plan_import(source=BytesIO(workbook))
    assert report.ok, report.errors[:3]
    return Plan.objects.get(pk=report.plan_id)


def test_it_runs_the_same_queries_for_a_small_and_a_large_plan(db, django_assert_num_queries):
    small = synthetic("PICCOLO", areas=1, strategic=1, operational=1, actions=1, indicators=1)
    large = synthetic("GRANDE", areas=2, strategic=3, operational=3, actions=2, indicators=3)
    for plan in (small, large):
        planner = make_user(f"pianificazione_{plan.ente.code}", Role.PLANNER, plan.ente)
        copy = plan_copy_to_next_cycle(plan=plan, user=planner)  # 2026-2028: 2025 comes from the earlier plan
        tree = plan_tree_rows(plan=copy, year=2027)
        with django_assert_num_queries(4):  # earlier plans, their candidate indicators, final values, their targets
            results = previous_results(plan=copy, year=2027, tree=tree)
        assert results and all(r.year == 2025 and r.plan_title == plan.title for rs in results.values() for r in rs)
        with django_assert_num_queries(5):  # and the plan's own indicators
            assert previous_results(plan=copy, year=2027) == results
    assert len(results) > 50
