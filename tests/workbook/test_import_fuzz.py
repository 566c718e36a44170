"""Fuzzing the import (issue 11): random workbooks through plan_import never raise and never write a part.

Sheets, headers, cell types, huge and odd strings, numbers at the limits of their columns, parent codes that make
cycles and deep chains: whatever hypothesis builds, plan_import answers with a report; when the report has errors
the database is exactly as before.
"""

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from consuntivi.models import Measurement, Round
from indicators.models import Baseline, Indicator, Target
from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision, PlanYear
from workbook.plan_import import plan_import
from workbook.reader import INDICATOR_COLUMNS, MEASUREMENT_COLUMNS, OBJECTIVE_COLUMNS, PLAN_LABELS, UNIT_COLUMNS

pytestmark = pytest.mark.django_db

MODELS = [Ente, OrgUnit, Plan, PlanYear, Objective, Indicator, Baseline, Target, Round, Measurement, PlanRevision]
CODES = ["1", "2", "1.1", "1.2", "1.1.1", "1.1.2", "X", ""]
# Numbers written into the XML as openpyxl cannot: a sentinel cell value is replaced by the text beside it.
RAW_NUMBERS = {7_770_001: "1E999", 7_770_002: "-1E999", 7_770_003: "1E+308", 7_770_004: "1E-400", 7_770_005: "NaN"}

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")),  # openpyxl refuses control characters
    max_size=40,
)
huge_texts = st.sampled_from(["x" * 301, "é" * 2_000, "😀" * 500, "y" * 32_767, " " * 50, "=SUM(A1)", "#N/A"])
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, 1, 99_999, 100_000, 99_999.99, 99_999.995, 10**18, 10**18 - 1, 2**31, -(2**31) - 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(list(RAW_NUMBERS)),
)
number_texts = st.sampled_from(
    ["1.000.000", "99.999,99", "1e999", "1e999999999", "1" * 40, "0," + "1" * 40, "-0", "33,34 %", "€ 10,00"]
)
targets = st.sampled_from(
    [">= 350", "<= 4", "SI", "NO", "entro 30/09/2017", "N/D", "---", ">= 1e32", ">= 1" + "0" * 32, "3140 3140 3140"]
)
years = st.sampled_from([2017, 2018, 2019, 1989, 2101, "2017", "duemila"])
cells = st.one_of(st.none(), texts, huge_texts, numbers, number_texts, targets, years, st.booleans())


def header(columns: list[str]):
    """Our columns, some dropped, shuffled, or with an unknown one."""
    return st.lists(st.sampled_from([*columns, "Target 2017", "Target 2018", "Colonna strana", ""]), max_size=16)


@st.composite
def tables(draw, columns: list[str], *, rows: int = 8):
    head = draw(st.one_of(st.just(columns), header(columns)))
    body = []
    for _ in range(draw(st.integers(0, rows))):
        row = []
        for title in head:
            if title in ("Codice", "Codice padre", "Codice obiettivo"):
                row.append(draw(st.one_of(st.sampled_from(CODES), cells)))
            elif title == "Tipo":
                row.append(draw(st.sampled_from(["Area strategica", "Obiettivo strategico", "Obiettivo operativo"])))
            else:
                row.append(draw(cells))
        body.append(row)
    return [head, *body]


@st.composite
def chains(draw):
    """A valid start, then operational objectives nested `depth` deep, or a loop of parents."""
    depth = draw(st.integers(1, 40))
    rows = [["Codice", "Tipo", "Codice padre", "Titolo"], ["1", "Area strategica", "", "A"]]
    rows.append(["2", "Obiettivo strategico", "1", "S"])
    for level in range(3, depth + 3):
        rows.append([str(level), "Obiettivo operativo", str(level - 1), f"L{level}"])
    if draw(st.booleans()):
        rows.append(["3", "Obiettivo operativo", str(depth + 2), "ciclo"])  # a duplicate that closes a loop
    return rows


@st.composite
def workbooks(draw):
    plan = [["Voce", "Valore"]]
    for label in PLAN_LABELS:
        value = {"Anno inizio": 2017, "Anno fine": 2019, "Codice ente": "FZ", "Titolo": "Piano fuzz"}.get(label, "x")
        plan.append([label, draw(st.one_of(st.just(value), cells))])
    content = {"Piano": plan}
    content["Obiettivi"] = draw(st.one_of(tables(OBJECTIVE_COLUMNS), chains()))
    content["Indicatori"] = draw(tables([*INDICATOR_COLUMNS, "Target 2017", "Target 2018", "Target 2019"]))
    if draw(st.booleans()):
        content["Consuntivi"] = draw(tables(MEASUREMENT_COLUMNS))
    if draw(st.booleans()):
        content["Unita organizzative"] = draw(tables(UNIT_COLUMNS))
    if draw(st.booleans()):
        content[draw(st.sampled_from(["obiettivi ", "OBIETTIVI", "Altro", "Piano (2)"]))] = draw(tables(["A"]))
    return content


def build(content: dict) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in content.items():
        if name in wb.sheetnames:
            continue
        sheet = wb.create_sheet(name[:31])
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    raw = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            for sentinel, text in RAW_NUMBERS.items():
                data = data.replace(f"<v>{sentinel}</v>".encode(), f"<v>{text}</v>".encode())
            dst.writestr(info, data)
    raw.seek(0)
    return raw


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=workbooks())
def test_a_random_workbook_is_imported_or_refused_as_a_whole(content):
    source = build(content)
    before = counts()
    report = plan_import(source=source)  # any exception fails the test
    if report.ok:
        assert Plan.objects.filter(pk=report.plan_id).exists()
    else:
        assert counts() == before, [str(e) for e in report.errors[:3]]
        assert all(str(e) for e in report.errors)
