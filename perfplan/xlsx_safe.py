"""Every workbook perfplan writes is made here, so that no export can carry a formula.

openpyxl stores a str starting with "=" as a formula, and Excel or LibreOffice re-read a text cell starting with
"=", "+", "-", "@", a tab or a carriage return as a formula as soon as somebody edits it (OWASP, "CSV
injection"). Instead of prepending an apostrophe, which would change the text and break a re-import of our own
export (targets such as "= 100 %"), every str is written as a string cell and, when it starts like a formula,
with the quotePrefix style: the spreadsheet shows and keeps the user's text exactly, and never evaluates it.
Numbers, dates and booleans stay typed cells.

Writers build their workbook with `new_workbook()`, add rows with `append_row()` and get the file from
`workbook_bytes()`, which checks every cell once more before saving (a normal workbook; a write-only one is
checked row by row in `append_row()`). `tests/test_xlsx_safe.py` fails if a module saves a workbook otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

# OWASP's list (=, +, -, @, tab, carriage return), the line feed, and their full-width forms, which some
# spreadsheets fold into the ASCII ones.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FIXED_TIME = dt.datetime(2000, 1, 1)  # same bytes for the same data: no "created/modified now" in the file


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_LEADS)


def neutralise(cell: Cell) -> Cell:
    """Make a str cell a plain string cell (never "f"), quote-prefixed when it starts like a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True
    return cell


def new_workbook(*, write_only: bool = False) -> Workbook:
    """An empty workbook (no default sheet) with fixed document properties."""
    wb = Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    wb.properties.creator = "perfplan"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def append_row(ws: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row, every str as text (a write-only sheet cannot be checked again once the row is written).

    The cells are made and checked before they are appended: reading the row back (`ws[ws.max_row]`) scans every
    cell of the sheet for its size, which made a 10.000-indicator export quadratic (111 s instead of 4)."""
    # row and column are placeholders (append sets them), needed for openpyxl's own error message
    ws.append([neutralise(v if isinstance(v, Cell) else Cell(ws, row=1, column=1, value=v)) for v in values])


def text_cell(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A cell of a write-only sheet, to style before `append_row` (a header)."""
    return neutralise(WriteOnlyCell(ws, value=value))


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved file; every cell of a normal workbook is checked again first, so no writer can forget."""
    if not wb.write_only:
        for ws in wb.worksheets:
            for cell in ws._cells.values():
                neutralise(cell)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
