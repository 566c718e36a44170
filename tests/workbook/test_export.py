"""export_plan → import_plan into an empty database gives the same plan, field by field."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from consuntivi.models import Measurement
from indicators.models import Baseline, Indicator, Target
from plans.models import Ente, Objective, OrgUnit, Plan
from tests.factories import FIXTURES, workbook_bytes
from workbook.plan_import import plan_import
from workbook.writer import plan_export, plan_template

pytestmark = pytest.mark.django_db

OBJECTIVE_FIELDS = [
    "level", "kind", "title", "description", "weight", "indicator_share", "perspective", "mission",
    "budget_program", "cofog", "owner", "gender_relevant", "position",
]  # fmt: skip
INDICATOR_FIELDS = ["code", "name", "description", "formula", "source", "unit", "polarity", "weight", "derived"]
TARGET_FIELDS = ["raw", "kind", "comparator", "number", "flag", "level", "unit", "deadline", "absolute", "qualifier"]
MEASUREMENT_FIELDS = [
    "raw", "value_number", "value_date", "value_bool", "value_level", "not_done", "numerator", "denominator",
    "variables", "note", "manual_achievement", "manual_reason",
]  # fmt: skip


def snapshot(plan: Plan) -> dict:
    """Everything a plan holds, keyed by the workbook keys, never by database ids."""
    objectives = {
        o.code: {**{f: getattr(o, f) for f in OBJECTIVE_FIELDS}, "parent": o.parent.code if o.parent else None,
                 "unit": o.org_unit.code if o.org_unit else None}
        for o in Objective.objects.filter(plan=plan).select_related("parent", "org_unit")
    }  # fmt: skip
    indicators = {}
    for ind in Indicator.objects.filter(objective__plan=plan).select_related("objective"):
        key = (ind.objective.code, ind.code or ind.name)
        baseline = Baseline.objects.filter(indicator=ind).values("year", "value", "raw").first()
        targets = {
            t.year: {f: getattr(t, f) for f in TARGET_FIELDS}
            for t in Target.objects.filter(indicator=ind, is_current=True)
        }
        measurements = {
            m.year: {f: getattr(m, f) for f in MEASUREMENT_FIELDS} for m in Measurement.objects.filter(indicator=ind)
        }
        indicators[key] = {
            **{f: getattr(ind, f) for f in INDICATOR_FIELDS},
            "baseline": baseline,
            "targets": targets,
            "measurements": measurements,
        }
    units = {
        u.code: (u.name, u.head, u.parent.code if u.parent else None)
        for u in OrgUnit.objects.filter(ente=plan.ente).select_related("parent")
    }
    header = {f: getattr(plan, f) for f in ("title", "start_year", "end_year", "act_text", "state", "act_number",
                                             "act_date", "default_indicator_share")}  # fmt: skip
    return {"plan": header, "ente": (plan.ente.code, plan.ente.name), "objectives": objectives,
            "indicators": indicators, "units": units}  # fmt: skip


def round_trip(source) -> tuple[dict, dict]:
    report = plan_import(source=source)
    assert report.ok, report.errors
    plan = Plan.objects.get(pk=report.plan_id)
    before = snapshot(plan)
    exported = plan_export(plan=plan)
    Plan.objects.all().delete()
    Ente.objects.all().delete()
    again = plan_import(source=BytesIO(exported))
    assert again.ok, again.errors
    return before, snapshot(Plan.objects.get(pk=again.plan_id))


def test_the_small_plan_with_its_consuntivi_survives_a_round_trip():
    before, after = round_trip(workbook_bytes())
    assert before["indicators"][("101", "F1")]["measurements"][2017]["raw"] == "382"
    assert after == before


def test_the_ravenna_ferrara_plan_survives_a_round_trip():
    before, after = round_trip(FIXTURES / "ravenna_ferrara_2021_2023.xlsx")
    assert len(before["indicators"]) == 125  # RF: 23 OS + 102 OO indicators
    assert after == before


def test_the_modena_demo_plan_survives_a_round_trip():
    before, after = round_trip(FIXTURES / "modena_2017_2019.xlsx")
    assert len(before["objectives"]) > 300
    assert after == before


def test_the_export_has_the_import_layout_with_one_target_column_per_year(rf_plan):
    wb = load_workbook(BytesIO(plan_export(plan=rf_plan)), read_only=True)
    assert wb.sheetnames == ["Piano", "Obiettivi", "Indicatori", "Consuntivi", "Unita organizzative", "ValorePubblico"]
    header = next(wb["Indicatori"].iter_rows(values_only=True))
    assert header[-3:] == ("Target 2021", "Target 2022", "Target 2023")


def test_the_blank_template_imports_as_a_valid_plan_with_two_rows_per_sheet():
    wb = load_workbook(BytesIO(plan_template()), read_only=True)
    for name in ("Obiettivi", "Indicatori", "Consuntivi", "Unita organizzative"):
        assert wb[name].max_row == 3  # header + two examples
    report = plan_import(source=BytesIO(plan_template()))
    assert report.ok, report.errors
    # The example's consuntivo 1850 / 370 with unit gg is a plain ratio (scoring.md §5): 5 days.
    m = Measurement.objects.get(indicator__name="Tempo medio di evasione delle pratiche")
    assert (m.numerator, m.denominator) == (1850, 370)


def test_typed_spreadsheet_cells_survive_a_round_trip():
    import datetime as dt

    rows = __import__("tests.factories", fromlist=["sheets"]).sheets()
    rows["Indicatori"][3][9] = dt.datetime(2017, 9, 30)  # a real date cell as Target 2017
    rows["Indicatori"][1][10] = 360  # a real number cell as Target 2018
    before, after = round_trip(workbook_bytes(rows))
    deadline = before["indicators"][("1011.01", "Report pubblicati entro la scadenza")]["targets"][2017]
    assert (deadline["kind"], deadline["raw"]) == ("DEADLINE", "30/09/2017")
    assert before["indicators"][("101", "F1")]["targets"][2018]["raw"] == "360"
    assert after == before
