"""A scored plan kept between requests never outlives its data, whatever path wrote it (consuntivi.data_version).

Transactional tests: on PostgreSQL the triggers change the token as a transaction commits, so every write here
commits, as a request's would.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from consuntivi.data_version import TOKENS, TRACKED, plan_token
from consuntivi.models import Measurement, Round
from consuntivi.scores import plan_score
from indicators.models import Baseline, Indicator, Target
from perfplan.collector import release
from plans.models import Objective, OrgUnit, Plan
from tests.factories import FIXTURES
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal


@pytest.fixture
def modena(settings) -> Plan:
    settings.PLAN_SCORES_KEPT = 8
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def area_3(plan: Plan) -> Objective:
    return Objective.objects.get(plan=plan, code="3")


def explain_the_miss_of_area_3(plan: Plan) -> int:
    """A plain UPDATE, past every service: the «>= 210 %» indicator (158,59 in the demo) given 100 by hand."""
    return Measurement.objects.filter(
        indicator__objective=area_3(plan), round__final=True, value_number=D("158.59")
    ).update(manual_achievement=D("100"), manual_reason="Obiettivo ridefinito in corso d'anno")


def test_a_kept_score_is_given_again_until_a_write_changes_the_plan(modena, django_assert_num_queries):
    area = area_3(modena)
    first = plan_score(plan=modena, year=2017)
    # Area 3's six indicators (tests/consuntivi/test_selectors.py): 9596,2 / 100 → 95,96; the plan (100 + 100 + 95,96)
    # / 3 → 98,65
    assert first.node(area.pk).score == D("95.96") and first.result.score == D("98.65")
    with django_assert_num_queries(1):  # the token alone: the year is kept
        again = plan_score(plan=modena, year=2017)
    assert again.result is first.result and again.plan is modena

    assert explain_the_miss_of_area_3(modena) == 1
    changed = plan_score(plan=modena, year=2017)
    # (20·100 + 20·100 + 15·100 + 15·100 + 15·97,56 + 15·100) / 100 = 9963,4 / 100 = 99,634 → 99,63;
    # the plan (100 + 100 + 99,63) / 3 = 99,876… → 99,88
    assert changed.node(area.pk).score == D("99.63") and changed.result.score == D("99.88")


def test_each_caller_gets_its_own_scoring_so_freeing_one_leaves_the_kept_one(modena):
    first = plan_score(plan=modena, year=2017)
    release(first)  # what the plan page does once drawn
    other_instance = Plan.objects.get(pk=modena.pk)
    again = plan_score(plan=other_instance, year=2017)
    assert again.result.score == D("98.65")
    assert again.plan is other_instance and again.tree.plan is other_instance


def test_a_score_made_inside_a_rolled_back_transaction_is_never_given_afterwards(modena):
    area = area_3(modena)
    assert plan_score(plan=modena, year=2017).node(area.pk).score == D("95.96")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        explain_the_miss_of_area_3(modena)
        assert plan_score(plan=modena, year=2017).node(area.pk).score == D("99.63")
        raise Undo
    assert plan_score(plan=modena, year=2017).node(area.pk).score == D("95.96")


def test_every_table_the_score_reads_is_tracked(modena, settings):
    settings.PLAN_SCORES_KEPT = 0  # a scoring that reads everything
    with CaptureQueriesContext(connection) as queries:
        plan_score(plan=modena, year=2017)
    read = {
        table
        for query in queries
        for table in re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"], flags=re.IGNORECASE)
    }
    assert {"indicators_measurement", "indicators_target", "plans_objective"} <= read  # the pattern finds tables
    assert read - {TOKENS} <= {tracked.table for tracked in TRACKED}


def _measurement(plan: Plan) -> Measurement:
    return Measurement.objects.filter(round__plan=plan, round__final=True).order_by("pk").first()


def _raw_update(table: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [pk])


def _measurement_deleted_and_created_again(plan: Plan) -> None:
    measurement = _measurement(plan)
    Measurement.objects.filter(pk=measurement.pk).delete()
    measurement.pk = None
    Measurement.objects.bulk_create([measurement])


WRITES = {
    "un consuntivo salvato (ORM)": lambda plan: _measurement(plan).save(),
    "un consuntivo cancellato e ricreato in blocco": _measurement_deleted_and_created_again,
    "un target aggiornato in massa": lambda plan: Target.objects.filter(indicator__objective__plan=plan).update(
        reason="rettifica"
    ),
    "un indicatore in SQL": lambda plan: _raw_update(
        "indicators_indicator", Indicator.objects.filter(objective__plan=plan).first().pk
    ),
    "una baseline cancellata": lambda plan: Baseline.objects.filter(indicator__objective__plan=plan).first().delete(),
    "un obiettivo in SQL": lambda plan: _raw_update("plans_objective", Objective.objects.filter(plan=plan).first().pk),
    "una struttura rinominata": lambda plan: OrgUnit.objects.filter(ente_id=plan.ente_id).update(name="Nuovo nome"),
    "le regole del piano": lambda plan: Plan.objects.filter(pk=plan.pk).update(cap=False),
    "una rilevazione in SQL": lambda plan: _raw_update("indicators_round", Round.objects.filter(plan=plan).first().pk),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_to_what_the_score_reads_changes_the_token(modena, write):
    before = plan_token(modena.pk)
    assert before is not None
    WRITES[write](modena)
    after = plan_token(modena.pk)
    assert after is not None and after != before


def test_a_write_to_another_plan_leaves_the_token_alone(modena):
    report = plan_import(source=FIXTURES / "ravenna_ferrara_2021_2023.xlsx")
    assert report.ok, report.errors
    before = plan_token(modena.pk)
    assert Indicator.objects.filter(objective__plan_id=report.plan_id).update(source="altro piano") > 0
    assert Target.objects.filter(indicator__objective__plan_id=report.plan_id).update(reason="altro piano") > 0
    assert plan_token(modena.pk) == before
