"""The Modena demo at 30/06/2017: a semester round of invented values, marked as such, with scores and objectives
at risk, while the final round's numbers (98,65 % for the ente, as tests/consuntivi/test_selectors.py reads them
from the same workbook) do not move."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from consuntivi.models import RiskFlag, Round
from consuntivi.monitoring import monitoring_state
from plans.models import Plan

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_invented_semester_round_and_the_final_numbers_stay(db):
    call_command("seed_demo", stdout=StringIO())
    plan = Plan.objects.get(ente__code="MO", start_year=2017)
    semester = Round.objects.get(plan=plan, year=2017, final=False)
    assert "VALORI INVENTATI" in semester.label and semester.period_end == dt.date(2017, 6, 30)
    out = StringIO()
    call_command("score_plan", str(plan.pk), "--year", "2017", "--json", stdout=out)
    assert json.loads(out.getvalue())["score"] == 98.65
    out = StringIO()
    call_command("score_plan", str(plan.pk), "--year", "2017", "--al", "30/06/2017", "--json", stdout=out)
    mid_year = json.loads(out.getvalue())
    assert mid_year["al"] == "2017-06-30" and mid_year["round"]["id"] == semester.pk
    assert mid_year["score"] is not None and mid_year["score"] != 98.65
    state = monitoring_state(plan=plan, year=2017, at=dt.date(2017, 6, 30))
    assert state.objectives and state.without_value
    flag = RiskFlag.objects.get(round=semester)
    assert flag.reason.startswith("Esempio inventato per la demo")
    assert any(item.flag == flag for o in state.objectives for item in o.indicators)
