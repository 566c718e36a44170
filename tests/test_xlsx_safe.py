"""Every workbook perfplan writes holds user text as text: no cell is a formula, the text is unchanged, and the plan
export still imports back to the same plan."""

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from consuntivi.models import Round
from consuntivi.selectors import round_data
from perfplan.roles import Role
from perfplan.xlsx_reader import XlsxReader
from perfplan.xlsx_safe import append_row, new_workbook, workbook_bytes
from plans.models import Plan
from reports.export import relazione_xlsx
from reports.selectors import relazione_build
from tests.factories import PASSWORD, make_user, sheets
from tests.workbook.test_export import round_trip
from workbook.plan_import import plan_import
from workbook.round_sheet import unit_sheet
from workbook.writer import plan_export, plan_template

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x","y")'
HOSTILE = [LINK, "+1+1", "-2+3", "@SUM(A1)", "= 100 %", "=1+1"]
ROOT = Path(__file__).resolve().parent.parent


def hostile_sheets() -> dict:
    """The small plan with hostile titles, names, notes and targets, each where the import takes free text."""
    content = sheets()
    content["Obiettivi"][2][3] = LINK  # OS 101
    content["Obiettivi"][3][3] = "+1+1"  # OO 1011.01
    content["Unita organizzative"][2][3] = "@SUM(A1)"  # head of U1
    content["Unita organizzative"][1][1] = "-2+3"  # name of A1
    content["Indicatori"].append(
        ["1011.01", "PCT", "=1+1", "", "%", "crescente", None, None, "", "= 100 %", "= 100 %", "= 100 %"]
    )
    content["Consuntivi"][1][7] = LINK  # the note of F1's consuntivo
    content["Consuntivi"][2][7] = "@SUM(A1)"
    return content


def as_text_workbook(content: dict) -> BytesIO:
    """The input written as a user would type it (text cells), through the same safe writer."""
    wb = new_workbook()
    for name, rows in content.items():
        ws = wb.create_sheet(name)
        for row in rows:
            append_row(ws, row)
    return BytesIO(workbook_bytes(wb))


@pytest.fixture
def hostile_plan() -> Plan:
    report = plan_import(source=as_text_workbook(hostile_sheets()))
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def check_no_formula(content: bytes) -> list:
    """Every cell of every sheet, read three ways: the XML holds no <f>, openpyxl sees no "f", our reader the text."""
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), name
    wb = load_workbook(BytesIO(content))
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                values.append(cell.value)
    with XlsxReader(BytesIO(content)) as reader:
        ours = [v for name in reader.sheetnames for _, row in reader.rows(name) for v in row if v is not None]
    assert ours == [v for v in values if v is not None]
    return values


def test_the_plan_export_keeps_hostile_text_as_text_and_imports_back_the_same(hostile_plan):
    values = check_no_formula(plan_export(plan=hostile_plan))
    assert set(HOSTILE) <= set(values)
    before, after = round_trip(as_text_workbook(hostile_sheets()))
    assert after == before
    targets = before["indicators"][("1011.01", "PCT")]["targets"]
    assert [t["raw"] for t in targets.values()] == ["= 100 %"] * 3


def test_a_cell_starting_like_a_formula_is_quoted_and_numbers_stay_numbers():
    wb = new_workbook()
    texts = ["\tTab", "\nLF", "\uff1dSUM(1)", "-", "=", "testo", ""]
    ws = wb.create_sheet("Foglio")
    append_row(ws, [*texts, -5, 1.5, None])
    append_row(ws, ["\rCR"])  # XML reads a CR back as LF: checked as written
    assert ws["A2"].quotePrefix and ws["A2"].data_type == "s"
    back = load_workbook(BytesIO(workbook_bytes(wb)))["Foglio"]
    cells = next(back.iter_rows())
    assert [c.value for c in cells] == [*texts[:-1], None, -5, 1.5]  # an empty text is no cell at all
    assert [c.quotePrefix for c in cells[:6]] == [True, True, True, True, True, False]
    assert [c.data_type for c in cells[7:9]] == ["n", "n"]


def test_the_blank_template_has_no_formula():
    check_no_formula(plan_template())


def test_the_relazione_tables_keep_hostile_titles_as_text(hostile_plan):
    values = check_no_formula(relazione_xlsx(data=relazione_build(plan=hostile_plan, year=2017)))
    assert LINK in values and "+1+1" in values and any(isinstance(v, float) for v in values)  # numbers stay numbers


def test_the_consuntivi_sheet_of_a_unit_keeps_hostile_text_as_text(hostile_plan):
    rnd = Round.objects.get(plan=hostile_plan, year=2017)
    unit = hostile_plan.ente.org_units.get(code="A1")
    values = check_no_formula(unit_sheet(data=round_data(data_round=rnd, unit_ids={unit.pk}), unit_id=unit.pk))
    assert LINK in values and "@SUM(A1)" in values and LINK in values


def test_the_audit_export_keeps_hostile_text_as_text(client, hostile_plan):
    planner = make_user("pianificatore", Role.PLANNER, hostile_plan.ente)
    client.login(username=planner.username, password=PASSWORD)
    response = client.get(reverse("audit:export"))
    assert response.status_code == 200
    values = check_no_formula(response.content)
    assert any(LINK in str(v) for v in values)


def test_every_workbook_is_saved_through_the_safe_writer():
    """Writers build and save workbooks only with perfplan.xlsx_safe, so none can forget to neutralise a cell."""
    offenders = []
    for app in ("perfplan", "plans", "indicators", "reports"):
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "xlsx_safe.py" or "migrations" in path.parts:
                continue
            text = path.read_text()
            if re.search(r"\bWorkbook\(|WriteOnlyCell|\.save\(buffer\)|wb\.save\(", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
