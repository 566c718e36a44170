"""score_plan: the JSON contract of DESIGN.md and the aligned text tree."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import workbook_bytes

pytestmark = pytest.mark.django_db


def score(*args) -> str:
    out = StringIO()
    call_command("score_plan", *args, stdout=out)
    return out.getvalue()


def test_the_json_has_the_scored_tree_with_indicators(small_plan):
    document = json.loads(score(str(small_plan.pk), "--year", "2017", "--json"))
    assert (document["plan"], document["year"]) == (small_plan.pk, 2017)
    os_101 = document["nodes"][0]["children"][0]
    assert os_101["code"] == "101"
    f1, paid = os_101["indicators"][:2]
    # F1: 382 against ">= 350" → met → 100
    assert (f1["target"], f1["value"], f1["score"], f1["status"]) == (">= 350", 382.0, 100.0, "ok")
    # Tempo medio di pagamento: 2900 / 100 = 29 days (unit gg: plain ratio) against "<= 25" → 25 / 29 = 86,206… → 86,21
    assert (paid["value"], paid["score"]) == (29.0, 86.21)
    # OS 101 from its two indicators, 50/50: (100 + 86,21) / 2 = 93,105 → 93,11; area and ente follow (one child each)
    assert os_101["score"] == 93.11 and document["score"] == 93.11


def test_a_missing_consuntivo_has_status_missing_and_a_null_score(small_plan):
    document = json.loads(score(str(small_plan.pk), "--year", "2017", "--json"))
    oo = document["nodes"][0]["children"][0]["children"][0]
    deadline = oo["indicators"][0]
    assert (deadline["status"], deadline["score"], deadline["value"]) == ("missing", None, None)
    assert oo["score"] is None  # nothing measured is N/D, never 0


def test_the_text_form_aligns_the_scores(small_plan):
    lines = score(str(small_plan.pk), "--year", "2017").splitlines()
    assert lines[1].startswith("Ente") and lines[1].endswith("93,11 %")
    assert any(line.strip().startswith("101 Informazione economica") and line.endswith("93,11 %") for line in lines)
    assert len({len(line) for line in lines[1:3]}) == 1


def test_a_year_outside_the_plan_is_refused(small_plan):
    with pytest.raises(CommandError, match="non rientra nel piano"):
        score(str(small_plan.pk), "--year", "2030")


def test_the_command_works_on_a_plan_imported_twice(db):
    from workbook.plan_import import plan_import

    plan_id = plan_import(source=workbook_bytes()).plan_id
    plan_import(source=workbook_bytes())
    assert json.loads(score(str(plan_id), "--year", "2017", "--json"))["score"] == 93.11
