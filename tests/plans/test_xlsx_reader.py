"""perfplan.xlsx_reader: the same values as openpyxl's read-only reader (data_only), percent cells as Italian text."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from perfplan.xlsx_reader import XlsxError, XlsxReader, from_excel, is_percent_format, percent_text
from workbook.reader import WorkbookRejected, open_workbook, read_plan_workbook

# openpyxl, the reference, warns about the minimal styles of the workbooks written by hand.
pytestmark = pytest.mark.filterwarnings("ignore:Workbook contains no default style:UserWarning")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def _trim(values) -> tuple:
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def openpyxl_rows(data: bytes, sheet: str) -> list[tuple[int, tuple]]:
    """The reference: openpyxl read-only, data_only, percent cells converted by the same rule; empty rows (which
    openpyxl fills in up to the sheet's dimension) and trailing empty cells left out."""
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        result = []
        for number, row in enumerate(wb[sheet].iter_rows(), start=1):
            values = []
            for cell in row:
                value = cell.value
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and is_percent_format(getattr(cell, "number_format", None))
                ):
                    value = percent_text(value)
                values.append(value)
            if _trim(values):
                result.append((number, _trim(values)))
        return result
    finally:
        wb.close()


def reader_rows(data: bytes, sheet: str) -> list[tuple[int, tuple]]:
    with XlsxReader(io.BytesIO(data)) as book:
        return [(number, _trim(values)) for number, values in book.rows(sheet) if _trim(values)]


def assert_same_as_openpyxl(data: bytes) -> None:
    reference = load_workbook(io.BytesIO(data), read_only=True)
    names = reference.sheetnames
    reference.close()
    with XlsxReader(io.BytesIO(data)) as book:
        assert book.sheetnames == names
    for name in names:
        assert reader_rows(data, name) == openpyxl_rows(data, name), name


def saved(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_xlsx(
    sheets: dict[str, str],
    *,
    shared_strings: list[str] | None = None,
    styles: str | None = None,
    workbook_pr: str = "",
    absolute_targets: bool = False,
    dimension: str = "",
) -> bytes:
    """An .xlsx written by hand: `sheets` maps a name to the inside of <sheetData>; shared strings are the inside of
    each <si>; styles the inside of <styleSheet>."""
    content_types = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
    ]
    rels, entries, files = [], [], {}
    for number, (name, rows) in enumerate(sheets.items(), start=1):
        part = f"worksheets/sheet{number}.xml"
        files[f"xl/{part}"] = f'<worksheet xmlns="{MAIN}">{dimension}<sheetData>{rows}</sheetData></worksheet>'
        content_types.append(
            f'<Override PartName="/xl/{part}" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        target = f"/xl/{part}" if absolute_targets else part
        rels.append(f'<Relationship Id="rId{number}" Type="{DOC_REL}/worksheet" Target="{target}"/>')
        entries.append(f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>')
    if shared_strings is not None:
        items = "".join(f"<si>{item}</si>" for item in shared_strings)
        files["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}" count="{len(shared_strings)}">{items}</sst>'
        content_types.append(
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        rels.append(f'<Relationship Id="rIdS" Type="{DOC_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    if styles is not None:
        files["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
        content_types.append(
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        )
        rels.append(f'<Relationship Id="rIdT" Type="{DOC_REL}/styles" Target="styles.xml"/>')
    files["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + "".join(content_types)
        + "</Types>"
    )
    files["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{DOC_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    files["xl/workbook.xml"] = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_REL}">{workbook_pr}<sheets>{"".join(entries)}</sheets></workbook>'
    )
    files["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# Styles: 0 General, 1 "0.00%", 2 builtin date (14), 3 custom date, 4 custom datetime, 5 "[h]:mm", 6 time,
# 7 a literal percent sign in quotes, 8 an escaped one.
STYLES = (
    '<numFmts count="5"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/><numFmt numFmtId="166" formatCode="[h]:mm"/>'
    '<numFmt numFmtId="167" formatCode="0.00&quot; %&quot;"/><numFmt numFmtId="168" formatCode="0.0\\%"/></numFmts>'
    '<cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="10"/><xf numFmtId="14"/><xf numFmtId="164"/>'
    '<xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="21"/><xf numFmtId="167"/><xf numFmtId="168"/></cellXfs>'
)


# ---------------------------------------------------------------------------------------------------------------
# Workbooks written by openpyxl


def _fill(append) -> None:
    rows = [
        ["Testo", "Intero", "Decimale", "Percentuale", "Data", "Data e ora", "Booleano", "Vuota", "Dopo"],
        ["uno", 12, 1.5, 0.3334, dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 12, 30), True, None, "fine"],
        ["  con spazi  ", -3, 1e-7, 1, dt.date(1900, 1, 1), dt.datetime(1999, 12, 31, 23, 59, 59), False, None, 0],
        [None, None, None, None, None, None, None, None, None],  # a row of nothing
        ["àèìòù €", 10**15, 2.0, 0.5, None, None, None, None, "x"],
    ]
    for row in rows:
        append(row)


def _formats(cells) -> None:
    for cell in cells:
        if cell.column == 4 and isinstance(cell.value, int | float):
            cell.number_format = "0.00%"


def test_a_normal_workbook_reads_as_openpyxl_reads_it():
    wb = Workbook()
    ws = wb.active
    ws.title = "Dati"
    _fill(ws.append)
    _formats(c for row in ws.iter_rows() for c in row)
    ws["B12"] = "sparsa"  # rows 6-11 missing, then a row with a single cell
    ws["F12"] = 7
    ws["AB20"] = "lontana"  # a far column
    ws["A21"] = CellRichText(["testo ", TextBlock(InlineFont(b=True), "grassetto"), " fine"])
    ws["C22"] = "=1+1"  # a formula without a cached value: None, as with data_only=True
    other = wb.create_sheet("Secondo foglio")
    other["A1"] = "solo"
    data = saved(wb)
    assert_same_as_openpyxl(data)
    rows = dict(reader_rows(data, "Dati"))
    assert rows[2] == (
        "uno",
        12,
        1.5,
        "33,34 %",
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 3, 1, 12, 30),
        True,
        None,
        "fine",
    )
    assert rows[3][:4] == ("  con spazi  ", -3, 1e-07, "100 %")
    assert rows[3][4] == dt.datetime(1900, 1, 1)
    assert rows[12] == (None, "sparsa", None, None, None, 7)
    assert rows[20] == (None,) * 27 + ("lontana",)
    assert rows[21] == ("testo grassetto fine",)
    assert 4 not in rows and 22 not in rows  # nothing written / the formula has no cached value


def test_a_write_only_workbook_reads_as_openpyxl_reads_it():
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Scritto")

    def append(values):
        cells = []
        for index, value in enumerate(values, start=1):
            cell = WriteOnlyCell(ws, value=value)
            if index == 4 and isinstance(value, int | float):
                cell.number_format = "0.00%"
            cells.append(cell)
        ws.append(cells)

    _fill(append)
    append(["ricco", CellRichText([TextBlock(InlineFont(i=True), "cor"), "sivo"])])
    data = saved(wb)
    assert_same_as_openpyxl(data)
    rows = dict(reader_rows(data, "Scritto"))
    assert rows[2][3] == "33,34 %"
    assert 4 not in rows  # the row of nothing
    assert rows[6] == ("ricco", "corsivo")


def test_the_project_fixtures_read_as_openpyxl_reads_them():
    for path in sorted(FIXTURES.glob("*.xlsx")):
        assert_same_as_openpyxl(path.read_bytes())


# ---------------------------------------------------------------------------------------------------------------
# Workbooks written by hand: what openpyxl never writes


def test_shared_strings_rich_text_and_cached_formula_results():
    shared = [
        "<t>semplice</t>",
        '<r><t xml:space="preserve">ricco </t></r><r><rPr><b/></rPr><t>testo</t></r>',
        '<t xml:space="preserve">  spazi  </t>',
        "<t>kanji</t><rPh sb='0' eb='1'><t>fonetica</t></rPh>",  # phonetic runs are not part of the value
        "<t/>",
    ]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
        '<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>'
        '<row r="2"><c r="A2" t="str"><f>CONCAT("a";"b")</f><v>ab</v></c><c r="B2"><f>1+1</f><v>2</v></c>'
        '<c r="C2" t="e"><f>NA()</f><v>#N/A</v></c><c r="D2" t="b"><f>TRUE()</f><v>1</v></c>'
        '<c r="E2" s="1"><f>A9/4</f><v>0.25</v></c><c r="F2" t="inlineStr"><is><t>in linea</t></is></c></row>'
        '<row r="3"><c r="A3"><v>12</v></c><c r="B3"><v>12.0</v></c><c r="C3"><v>1.5E3</v></c><c r="D3"><v></v></c>'
        '<c r="E3" t="b"><v>0</v></c></row>'
    )
    data = build_xlsx({"Foglio": rows}, shared_strings=shared, styles=STYLES)
    assert_same_as_openpyxl(data)
    assert reader_rows(data, "Foglio") == [
        (1, ("semplice", "ricco testo", "  spazi  ", "kanji", "")),
        (2, ("ab", 2, "#N/A", True, "25 %", "in linea")),
        (3, (12, 12.0, 1500.0, None, False)),
    ]


def test_rows_and_cells_without_references_are_counted_in_order():
    rows = (
        "<row><c><v>1</v></c><c><v>2</v></c></row>"  # row 1: A, B
        '<row r="4"><c r="B4"><v>3</v></c><c><v>4</v></c></row>'  # C4 follows B4
        "<row><c r='A5'><v>5</v></c></row>"  # row 5 follows row 4
    )
    data = build_xlsx({"S": rows})
    assert_same_as_openpyxl(data)
    assert reader_rows(data, "S") == [(1, (1, 2)), (4, (None, 3, 4)), (5, (5,))]


@pytest.mark.filterwarnings("ignore:Cell A8 is marked as a date:UserWarning")
def test_dates_in_the_1900_system_including_excels_29_february_1900():
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" s="{style}"><v>{serial}</v></c></row>'
        for n, (style, serial) in enumerate(
            [(2, 1), (2, 59), (2, 61), (3, 45352), (4, 45352.5208333333), (5, 1.5), (6, 0.75), (3, 2958466)],
            start=1,
        )
    )
    data = build_xlsx({"Date": cells}, styles=STYLES)
    assert_same_as_openpyxl(data)
    values = [values[0] for _, values in reader_rows(data, "Date")]
    assert values == [
        dt.datetime(1900, 1, 1),
        dt.datetime(1900, 2, 28),
        dt.datetime(1900, 3, 1),
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 3, 1, 12, 30),
        dt.timedelta(days=1, hours=12),  # an elapsed-time format
        dt.time(18, 0),  # a time of day
        "#VALUE!",  # past 9999-12-31, as openpyxl reads it
    ]


def test_dates_in_the_1904_system():
    data = build_xlsx(
        {"Date": '<row r="1"><c r="A1" s="3"><v>0</v></c><c r="B1" s="3"><v>43890</v></c></row>'},
        styles=STYLES,
        workbook_pr='<workbookPr date1904="1"/>',
    )
    assert_same_as_openpyxl(data)
    assert reader_rows(data, "Date") == [(1, (dt.time(0, 0), dt.datetime(2024, 3, 1)))]
    assert from_excel(1, date1904=True) == dt.datetime(1904, 1, 2)


def test_only_a_percent_sign_that_is_not_literal_makes_a_percentage():
    data = build_xlsx(
        {
            "P": '<row r="1"><c r="A1" s="1"><v>0.3334</v></c><c r="B1" s="7"><v>33.34</v></c>'
            '<c r="C1" s="8"><v>12.5</v></c><c r="D1" s="1"><v>-1</v></c></row>'
        },
        styles=STYLES,
    )
    assert reader_rows(data, "P") == [(1, ("33,34 %", 33.34, 12.5, "-100 %"))]
    assert is_percent_format("0%") and is_percent_format("#,##0.00 %;[Red]-0.00%")
    assert not is_percent_format('0.00" %"') and not is_percent_format("0\\%") and not is_percent_format("[$%-410]0")
    assert percent_text(0.3334) == "33,34 %" and percent_text(1) == "100 %" and percent_text(0.005) == "0,5 %"


def test_sheet_order_names_and_absolute_targets():
    data = build_xlsx(
        {"Zeta": '<row r="1"><c r="A1"><v>1</v></c></row>', "Alfa & Beta": '<row r="2"><c r="B2"><v>2</v></c></row>'},
        absolute_targets=True,
    )
    assert_same_as_openpyxl(data)
    with XlsxReader(io.BytesIO(data)) as book:
        assert book.sheetnames == ["Zeta", "Alfa & Beta"]
        assert list(book.rows("Alfa & Beta")) == [(2, (None, 2))]


def test_a_wrong_dimension_does_not_cut_the_sheet():
    """openpyxl's read-only mode trusts <dimension> and reads nothing past it; the cells are what counts."""
    data = build_xlsx(
        {"S": '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c></row>'},
        dimension='<dimension ref="A1"/>',
    )
    assert openpyxl_rows(data, "S") == [(1, (1,))]
    assert reader_rows(data, "S") == [(1, (1, 2)), (2, (3,))]


def test_max_col_pads_and_cuts_every_row():
    data = build_xlsx(
        {
            "S": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>3</v></c></row>'
            '<row r="3"/>'
        }
    )
    with XlsxReader(io.BytesIO(data)) as book:
        assert list(book.rows("S", max_col=2)) == [(1, (1, None)), (2, (1, None)), (3, (None, None))]
        assert list(book.rows("S")) == [(1, (1,)), (2, (1, None, 3)), (3, ())]


def test_the_reader_opens_a_path_and_closes(tmp_path):
    path = tmp_path / "libro.xlsx"
    path.write_bytes(build_xlsx({"S": '<row r="1"><c r="A1" t="inlineStr"><is><t>ok</t></is></c></row>'}))
    book = XlsxReader(path)
    assert list(book.rows("S")) == [(1, ("ok",))]
    book.close()


def test_memory_stays_flat_on_a_large_sheet():
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>riga numero {n}</t></is></c><c r="B{n}"><v>{n}.5</v></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>{"x" * 40}</t></is></c></row>'
        for n in range(1, 40_001)
    )
    data = build_xlsx({"Grande": rows})
    del rows
    with XlsxReader(io.BytesIO(data)) as book:
        tracemalloc.start()
        try:
            count = sum(1 for _ in book.rows("Grande"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert count == 40_000
    assert peak < 3 * 1_048_576  # every row kept, even cleared, would take tens of MB


# ---------------------------------------------------------------------------------------------------------------
# What the reader refuses


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ('<row r="1"><c r="A1" t="zz"><v>1</v></c></row>', "tipo di cella sconosciuto"),
        ('<row r="1"><c r="A1"><v>abc</v></c></row>', "cella A1"),
        ('<row r="1"><c r="A1" t="s"><v>3</v></c></row>', "cella A1"),  # no such shared string
        ('<row r="1"><c r="A1" s="9"><v>3</v></c></row>', "stile 9"),
        ('<row r="2"><c r="A1"><v>1</v></c></row>', "non appartiene alla riga"),
        ('<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>', "fuori ordine"),
        ('<row r="3"/><row r="2"/>', "righe non in ordine"),
        ('<row r="1"><c r="a1"><v>1</v></c></row>', "cella a1"),
        ('<row r="1"><c r="A1"><v>1</v></c>', "XML non valido"),  # damaged XML
    ],
)
def test_unexpected_content_raises_a_clear_error(rows, message):
    data = build_xlsx({"S": rows}, styles=STYLES)
    with XlsxReader(io.BytesIO(data)) as book, pytest.raises(XlsxError, match=message) as caught:
        list(book.rows("S"))
    assert "foglio «S»" in str(caught.value)


def test_a_damaged_package_raises_a_clear_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<non-un-workbook/>")
    with pytest.raises(XlsxError, match="inattesa"):
        XlsxReader(io.BytesIO(buffer.getvalue()))
    with pytest.raises(XlsxError, match="zip"):
        XlsxReader(io.BytesIO(b"not a zip at all"))
    missing = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(build_xlsx({"S": ""}))) as src, zipfile.ZipFile(missing, "w") as dst:
        for name in src.namelist():
            if name != "xl/worksheets/sheet1.xml":
                dst.writestr(name, src.read(name))
    with XlsxReader(io.BytesIO(missing.getvalue())) as book:
        assert book.sheetnames == ["S"]
        with pytest.raises(XlsxError, match="manca la parte"):
            book.rows("S")


def test_the_plan_reader_refuses_a_damaged_sheet_with_the_italian_message():
    good = open_workbook(io.BytesIO(build_xlsx({"Piano": ""})), max_bytes=10_000_000)
    assert good.sheetnames == ["Piano"]
    good.close()
    with pytest.raises(WorkbookRejected, match="non è leggibile"):
        open_workbook(io.BytesIO(b"PK\x05\x06" + b"\0" * 18), max_bytes=10_000_000)
    damaged = build_xlsx({"Piano": '<row r="1"><c r="A1" t="inlineStr"><is><t>Ente</t></is></c></row><row'})
    with pytest.raises(WorkbookRejected, match="Il file .xlsx non è leggibile: foglio «Piano»"):
        read_plan_workbook(io.BytesIO(damaged), max_bytes=10_000_000)
