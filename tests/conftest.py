"""Shared personas (planner, office head, OIV, admin, outsider) and plans for the suite."""

import pytest
from hypothesis import settings as hypothesis_settings

from perfplan.roles import Role
from plans.models import Ente, Plan
from tests.factories import FIXTURES, make_user, workbook_bytes
from tests.s3 import s3_bucket, s3_server  # noqa: F401 - fixtures: an S3 server (moto) and a bucket on it
from workbook.plan_import import plan_import

# Property tests check behaviour, not speed: a loaded CI machine must not turn them into timing failures.
hypothesis_settings.register_profile("perfplan", deadline=None)
hypothesis_settings.load_profile("perfplan")


@pytest.fixture
def small_plan(db) -> Plan:
    report = plan_import(source=workbook_bytes())
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


@pytest.fixture
def rf_plan(db) -> Plan:
    report = plan_import(source=FIXTURES / "ravenna_ferrara_2021_2023.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


@pytest.fixture
def other_ente(db) -> Ente:
    return Ente.objects.create(code="ALTRO", name="Camera di commercio di Altrove")


@pytest.fixture
def planner(small_plan):
    return make_user("pianificatore", Role.PLANNER, small_plan.ente)


@pytest.fixture
def office_head(small_plan):
    unit = small_plan.ente.org_units.get(code="U1")
    return make_user("responsabile", Role.OFFICE_HEAD, small_plan.ente, units=[unit])


@pytest.fixture
def oiv(small_plan):
    return make_user("oiv", Role.OIV, small_plan.ente)


@pytest.fixture
def admin_user(small_plan):
    return make_user("amministratore", Role.ADMIN, small_plan.ente)


@pytest.fixture
def outsider(other_ente):
    return make_user("estraneo", Role.PLANNER, other_ente)


@pytest.fixture
def no_role_user(small_plan):
    return make_user("senzaruolo", None, small_plan.ente)
