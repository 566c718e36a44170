"""plan_score: the plan of a year loaded in a constant number of queries, then scored by the pure core."""

from decimal import Decimal
from io import BytesIO

import pytest

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import Measurement, Round
from consuntivi.scores import plan_score, unit_score_lines
from indicators.models import Indicator, Target
from plans.models import Objective, Plan
from tests.factories import FIXTURES
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def modena(db) -> Plan:
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def test_the_modena_demo_scores_area_3_as_the_hand_calculation(modena):
    scoring = plan_score(plan=modena, year=2017)
    area = Objective.objects.get(plan=modena, code="3")
    # Area 3's six indicators (weights 20, 20, 15, 15, 15, 15) with the demo's invented 2017 values:
    #   >= 90 %  ← 92,18      → 100
    #   <= 18    ← 17,06      → 100
    #   >= 210 % ← 158,59     → 158,59 / 210 × 100 = 75,519… → 75,52
    #   >= 275 % ← 331,3      → 100
    #   >= 134 % ← 130,73     → 130,73 / 134 × 100 = 97,559… → 97,56
    #   >= 137 % ← 163,69     → 100
    # (20·100 + 20·100 + 15·75,52 + 15·100 + 15·97,56 + 15·100) / 100 = 9596,2 / 100 = 95,962 → 95,96
    achievements = sorted(scoring.indicator(i.pk).achievement for i in area.indicators.all())
    assert achievements == [D("75.52"), D("97.56"), D("100"), D("100"), D("100"), D("100")]
    assert scoring.node(area.pk).score == D("95.96")


def test_the_modena_ente_score_is_the_equal_mean_of_its_unweighted_areas(modena):
    scoring = plan_score(plan=modena, year=2017)
    areas = [scoring.node(a.pk).score for a in Objective.objects.filter(plan=modena, level="area").order_by("code")]
    # Modena weights no objective (seeds/README.md): equal shares. (100 + 100 + 95,96) / 3 = 98,653… → 98,65
    assert areas == [D("100.00"), D("100.00"), D("95.96")]
    assert scoring.result.score == D("98.65")


def _measure(plan: Plan, objective_code: str, values: list[Decimal]) -> None:
    final, _ = Round.objects.get_or_create(plan=plan, year=2021, final=True)
    indicators = Indicator.objects.filter(objective__plan=plan, objective__code=objective_code).order_by("position")
    assert len(indicators) == len(values)
    for indicator, value in zip(indicators, values, strict=True):
        Measurement.objects.create(indicator=indicator, round=final, year=2021, value_number=value)


def test_the_ravenna_ferrara_plan_uses_its_30_70_split(rf_plan):
    _measure(rf_plan, "1.1", [D(520), D(8), D(12)])  # >= 500 N. · >= 10 N. · >= 10,00 €  → 100, 80, 100
    _measure(rf_plan, "1.1.1", [D(100), D(12), D(6), D(8), D(95)])  # 100 N. · >= 15 · >= 6 · >= 16 · >= 95 %
    _measure(rf_plan, "1.1.2", [D(81)])  # >= 90,00 % → 81 / 90 = 90,00
    scoring = plan_score(plan=rf_plan, year=2021)
    os_11 = Objective.objects.get(plan=rf_plan, code="1.1")
    result = scoring.node(os_11.pk)
    # OS indicators, no weights → equal shares: (100 + 80 + 100) / 3 = 93,33
    assert result.indicators_part == D("93.33")
    # OO 1.1.1: its indicator weights are blank or 0,00 % (RF:17-29) → equal shares:
    #   (100 + 12/15·100 + 100 + 8/16·100 + 100) / 5 = (100 + 80 + 100 + 50 + 100) / 5 = 86,00
    # OO 1.1.2: 81 / 90 × 100 = 90,00; OOs weighted 50/50 → (86 + 90) / 2 = 88,00
    assert result.children_part == D("88.00")
    # quota indicatori 30 %: 0,30 × 93,33 + 0,70 × 88,00 = 27,999 + 61,6 = 89,599 → 89,60
    assert result.share == D("30") and result.score == D("89.60")


def test_the_loader_runs_seven_queries_for_a_ten_thousand_indicator_plan(django_assert_max_num_queries):
    # 5 areas × 10 OS × 10 OO × 5 actions, 4 indicators on each node (benchmarks/synthetic.py)
    report = plan_import(source=BytesIO(synthetic_workbook(areas=5, strategic=10, operational=10, actions=4)))
    assert report.ok, report.errors[:3]
    plan = Plan.objects.get(pk=report.plan_id)
    assert Indicator.objects.filter(objective__plan=plan).count() >= 10_000
    with django_assert_max_num_queries(7):  # the plan's data token, then six to load the tree with its values
        scoring = plan_score(plan=plan, year=plan.start_year)
    assert scoring.result.score is not None
    assert len(scoring.result.indicators) >= 10_000


def test_unit_lines_follow_the_unit_tree_and_list_each_units_objectives(modena):
    scoring = plan_score(plan=modena, year=2017)
    lines = unit_score_lines(scoring=scoring)
    assert [line.code for line in lines][:4] == ["AD1", "AO1", "AO2", "AD2"] or lines[0].depth == 0
    for line in lines:
        assert line.score.id == line.unit_id
        for objective, node_score, _ in line.objectives:
            assert node_score.id == objective.pk


def _fields(instance, skip=()) -> dict:
    return {
        f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields if f.attname not in skip
    }


def test_the_tree_loader_gives_the_same_values_as_the_orm(modena, django_assert_num_queries):
    """The loader converts each distinct raw value once and shares it between rows: every loaded field must still
    equal what Django's own iteration gives, type included (Decimal places, dates, JSON)."""
    from consuntivi.trees import TREE_SKIPS_MEASUREMENT, plan_tree_with_values
    from plans.selectors import TREE_SKIPS_TARGET

    Measurement.objects.filter(indicator__objective__plan=modena).update(variables={"A": "1"})
    tree = plan_tree_with_values(plan=modena, year=2017)
    targets = {t.pk: t for by_year in tree.targets_of.values() for t in by_year.values()}
    measurements = {m.pk: m for ms in tree.measurements_of.values() for m in ms}
    assert len(targets) == 237 and len(measurements) > 0  # Modena: 237 indicators, each with a 2017 target
    for target in Target.objects.filter(pk__in=targets):
        loaded = _fields(targets[target.pk], TREE_SKIPS_TARGET)
        expected = _fields(target, TREE_SKIPS_TARGET)
        assert loaded == expected
        assert [type(v) for v in loaded.values()] == [type(v) for v in expected.values()]
    for m in Measurement.objects.filter(pk__in=measurements):
        loaded, expected = _fields(measurements[m.pk], TREE_SKIPS_MEASUREMENT), _fields(m, TREE_SKIPS_MEASUREMENT)
        assert loaded == expected
        assert [type(v) for v in loaded.values()] == [type(v) for v in expected.values()]
    first, second = list(measurements.values())[:2]
    assert first.variables == {"A": "1"} and first.variables is not second.variables  # JSON is never shared
    empty = [t.warnings for t in targets.values() if t.warnings == []]
    assert len(empty) >= 2 and empty[0] is not empty[1]  # nor the empty lists the loader makes without parsing
    indicators = [i for inds in tree.indicators_of.values() for i in inds]
    expected_indicators = {i.pk: _fields(i) for i in Indicator.objects.filter(objective__plan=modena)}
    assert {i.pk: _fields(i) for i in indicators} == expected_indicators
    some_target = next(iter(targets.values()))
    changed_at = Target.objects.get(pk=some_target.pk).changed_at
    with django_assert_num_queries(1):  # a skipped (audit) column is deferred: read on demand, never wrong
        assert some_target.changed_at == changed_at


def test_a_scored_plan_is_freed_by_reference_counting_alone(modena, settings):
    """Views run with the collector paused (perfplan.collector): a scored plan must not hang in a reference cycle,
    or each request would keep its whole plan until the next collection (a process that keeps none, here; the kept
    ones live on by design)."""
    import gc
    import weakref

    from perfplan.collector import gc_paused

    settings.PLAN_SCORES_KEPT = 0
    with gc_paused():
        scoring = plan_score(plan=modena, year=2017)
        assert any(s.status == "missing" for s in scoring.result.indicators.values())  # some failures were kept
        result, tree = weakref.ref(scoring.result), weakref.ref(scoring.tree)
        del scoring
        assert result() is None and tree() is None
    gc.collect()
