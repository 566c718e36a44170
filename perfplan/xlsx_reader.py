"""A small streaming reader of .xlsx worksheets: cell values only, standard library only.

Plan workbooks are read many thousand rows at a time, and openpyxl's cell objects cost most of that time; this
reader parses each sheet with `xml.etree.ElementTree.iterparse`, clearing what it has read, and gives every row as
a tuple of plain values, as openpyxl's read-only mode with `data_only=True` gives them:

- text (shared strings, rich text runs joined, inline strings, formula text results) → str;
- numbers → int when written without a point or an exponent ("12"), else float;
- a number whose cell format is a date → datetime.datetime (datetime.time below 1, datetime.timedelta for elapsed
  time formats such as "[h]:mm"), in the workbook's 1900 or 1904 date system;
- a number whose format is a percentage ("0.00%") → Italian text, 0.3334 → "33,34 %" (`percent_text`);
- booleans → bool; error cells → their text ("#N/A"); formulas → their cached result; empty cells → None.

    with XlsxReader(path_or_binary_file) as book:
        for number, values in book.rows(book.sheetnames[0]):   # (1-based row number, values by column)
            ...

Anything the reader does not expect in the file raises `XlsxError`.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError, XMLPullParser, fromstring

from perfplan.formats import megabytes_it, number_it

__all__ = ["ReadLimits", "XlsxError", "XlsxLimitError", "XlsxReader", "percent_text"]

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE_OFFICE_DOCUMENT = DOC_REL_NS + "/officeDocument"
REL_TYPE_SHARED_STRINGS = DOC_REL_NS + "/sharedStrings"
REL_TYPE_STYLES = DOC_REL_NS + "/styles"
# Sheet parts whose cells sit in <sheetData> (macro and dialog sheets share the worksheet layout).
ROW_SHEET_TYPES = {DOC_REL_NS + "/worksheet", DOC_REL_NS + "/macrosheet", DOC_REL_NS + "/dialogsheet"}

_M = "{%s}" % MAIN_NS  # noqa: UP031 - a namespace prefix, not a message
WORKBOOK, WORKBOOK_PR, SHEETS, SHEET = _M + "workbook", _M + "workbookPr", _M + "sheets", _M + "sheet"
WORKSHEET_ROOTS = {_M + "worksheet", _M + "macrosheet", _M + "dialogsheet"}
SHEET_DATA, ROW, CELL, VALUE, INLINE = _M + "sheetData", _M + "row", _M + "c", _M + "v", _M + "is"
TEXT, RUN, SHARED_ITEM, SST = _M + "t", _M + "r", _M + "si", _M + "sst"
EXT_LIST = _M + "extLst"
REL_ID = "{%s}id" % DOC_REL_NS  # noqa: UP031
RELATIONSHIP = "{%s}Relationship" % PKG_REL_NS  # noqa: UP031

MAX_ROW, MAX_COLUMN = 1_048_576, 16_384  # Excel's sheet size
_READ_CHUNK = 4096  # small: fewer parsed-but-unread elements alive at once, so less work for the cyclic GC

# Built-in number formats (ECMA-376 §18.8.30), as openpyxl knows them; ids missing here are "General".
BUILTIN_FORMATS = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}

# Date detection follows openpyxl (styles/numbers.py), so dates are recognised exactly as before: look at the
# first section, ignore quoted text and bracketed codes other than elapsed [h] [m] [s], find a date letter.
_DATE_STRIP_RE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_LETTER_RE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_ELAPSED_RE = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE)
# A percent sign scales the number unless it is literal: quoted, escaped (\% _% *%) or inside [...].
_PERCENT_STRIP_RE = re.compile(r'"[^"]*"|\[[^\]]*\]|[\\_*].')
_ISO_RE = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION_RE = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")

EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 0 of the 1900 system, once the 1900-02-29 Excel invented is out
EPOCH_1904 = dt.datetime(1904, 1, 1)

# What a number cell becomes, by its style's number format.
_PLAIN, _PERCENT, _DATE, _ELAPSED = range(4)
# Failures of a damaged part, reported as XlsxError.
_DAMAGE = (ParseError, ValueError, KeyError, IndexError, OverflowError, zipfile.BadZipFile, zlib.error, EOFError)


class XlsxError(Exception):
    """The file is not an .xlsx this reader understands (damaged, unexpected content, unsupported variant)."""


class XlsxLimitError(XlsxError):
    """The file is readable but larger than the reader was allowed to read (ReadLimits)."""


@dataclass(frozen=True)
class ReadLimits:
    """What the reader may hold in memory, so that a hostile file is refused before it costs memory or time.

    None means no bound. The values come from perfplan/limits.py (import_limits); the reader stays Django-free.
    """

    uncompressed_bytes: int | None = None  # every zip entry together, from the zip directory
    compression_ratio: int | None = None  # one entry's uncompressed size over its compressed size...
    ratio_floor_bytes: int = 1_048_576  # ...for entries larger than this (a small entry cannot hurt)
    structure_bytes: int | None = None  # a part read whole (workbook, relationships, styles)
    element_bytes: int | None = None  # XML of one row (or one shared string) not yet released
    rows_per_sheet: int | None = None  # data rows, the header row excluded
    rows_total: int | None = None  # data rows of every sheet read, together (a sheet read twice counts once)
    cell_chars: int | None = None
    text_bytes: int | None = None  # memory of every text the reader keeps (shared strings, inline strings)


def _damage_text(exc: BaseException) -> str:
    """A reading failure in Italian: the parser's and zlib's own messages are English and say nothing useful."""
    if isinstance(exc, ParseError):
        line, column = getattr(exc, "position", (0, 0))
        return f"XML non valido (riga {line}, colonna {column} della parte)"
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return "archivio compresso danneggiato"
    if isinstance(exc, OverflowError):
        return "numero fuori dall'intervallo ammesso"
    return "valore non valido"


_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")  # entities are how «billion laughs» files multiply their text


def _forbidden_xml(chunk: bytes) -> bool:
    return any(word in chunk for word in _FORBIDDEN_XML)


class _Guarded:
    """A zip member read in chunks, refused at the first DTD declaration (the overlap catches one split in two)."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._tail = b""

    def read(self, size: int) -> bytes:
        chunk = self._source.read(size)
        if _forbidden_xml(self._tail + chunk):
            raise XlsxLimitError("dichiarazioni DTD (<!DOCTYPE>, <!ENTITY>) non ammesse in una cartella di lavoro")
        self._tail = chunk[-16:]
        return chunk


def percent_text(value: int | float) -> str:
    """A number shown as a percentage, as Italian text: 0.3334 → "33,34 %" (spec/workbook.md)."""
    percent = (Decimal(repr(value)) * 100).normalize()
    return f"{percent:f}".replace(".", ",") + " %"


def is_date_format(code: str | None) -> bool:
    if code is None:
        return False
    section = _DATE_STRIP_RE.sub("", code.split(";")[0])
    return _DATE_LETTER_RE.search(section) is not None


def is_elapsed_format(code: str | None) -> bool:
    return code is not None and _ELAPSED_RE.search(code.split(";")[0]) is not None


def is_percent_format(code: str | None) -> bool:
    return code is not None and "%" in _PERCENT_STRIP_RE.sub("", code)


def from_excel(serial: int | float, *, date1904: bool = False, elapsed: bool = False) -> Any:
    """An Excel serial date as Python: datetime, time (serials in [0, 1)) or timedelta (elapsed formats).

    As openpyxl's from_excel: times rounded to the millisecond; in the 1900 system serials below 60 are shifted by
    a day, because Excel counts a 29 February 1900 that never was.
    """
    if elapsed:
        span = dt.timedelta(days=serial)
        if span.microseconds:
            span = dt.timedelta(seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3))
        return span
    day, fraction = divmod(serial, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= serial < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if date1904:
        return EPOCH_1904 + dt.timedelta(days=day) + diff
    if 0 < serial < 60:
        day += 1
    return EPOCH_1900 + dt.timedelta(days=day) + diff


def from_iso(text: str) -> Any:
    """A `t="d"` cell (ISO 8601 date, time, datetime or PT..H..M..S duration), as openpyxl's from_ISO8601."""
    match = _ISO_RE.match(text)
    if match and any(match.groups()):
        parts = match.groupdict()
        number = {k: int(parts[k] or 0) for k in ("year", "month", "day", "hour", "minute", "second")}
        micro = int(float(parts["microsecond"]) * 1_000_000) if parts["microsecond"] else 0
        if not parts["date"]:
            return dt.time(number["hour"], number["minute"], number["second"], micro)
        if not parts["time"]:
            return dt.date(number["year"], number["month"], number["day"])
        return dt.datetime(**number, microsecond=micro)
    match = _ISO_DURATION_RE.match(text)
    if match and any(match.groups()):
        return dt.timedelta(
            **{k: float(v) for k, v in match.groupdict().items() if k in ("hours", "minutes", "seconds") and v}
        )
    raise ValueError(f"data non valida: {text!r}")


def _rich_text(element: Element) -> str:
    """The text of a string item (<si> or <is>): its <t>, then the <t> of each rich text run (<r>); phonetic
    runs (<rPh>) are not part of the value."""
    if len(element) == 1 and element[0].tag == TEXT:  # the common case: one plain <t>
        return element[0].text or ""
    parts = []
    plain = element.find(TEXT)
    if plain is not None and plain.text:
        parts.append(plain.text)
    for run in element.iterfind(RUN):
        text = run.find(TEXT)
        if text is not None and text.text:
            parts.append(text.text)
    return "".join(parts)


def _column_index(letters: str) -> int:
    """1-based column number of "A", "B", ... "XFD"."""
    index = 0
    for ch in letters:
        if not "A" <= ch <= "Z":
            raise ValueError
        index = index * 26 + ord(ch) - 64
    if not 1 <= index <= MAX_COLUMN:
        raise ValueError
    return index


class XlsxReader:
    """An .xlsx opened for reading its sheets' values, one row at a time. Close it (or use `with`)."""

    def __init__(self, source: str | os.PathLike[str] | IO[bytes], *, limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self._text_bytes = 0  # memory of the texts kept so far, against limits.text_bytes
        self._data_rows: dict[str, int] = {}  # data rows met in each sheet so far...
        self._data_rows_total = 0  # ...and in all of them, against limits.rows_total
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise XlsxError(f"non è un archivio zip leggibile ({_damage_text(exc)})") from exc
        try:
            self._parts = {name.lower(): name for name in self._zip.namelist()}
            self._column_of: dict[str, int] = {}  # "AB" → 28, filled as columns are met
            self._check_directory()
            self._load()
        except XlsxError:
            self.close()
            raise
        except _DAMAGE as exc:
            self.close()
            raise XlsxError(f"struttura della cartella di lavoro non valida ({_damage_text(exc)})") from exc

    # -- public ---------------------------------------------------------------------------------------------------
    @property
    def sheetnames(self) -> list[str]:
        """Sheet names in workbook order (hidden sheets included)."""
        return list(self._sheets)

    def rows(self, sheet_name: str, max_col: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for each row written in the sheet, in order; rows not in the file are skipped.

        values[i] is the cell of column i + 1 (None where no cell is written); the tuple ends at the last cell
        written in that row, or has exactly max_col values when max_col is given (cells after it are not read).
        """
        if sheet_name not in self._sheets:
            raise KeyError(f"Il foglio «{sheet_name}» non esiste.")
        rel_type, part = self._sheets[sheet_name]
        if rel_type not in ROW_SHEET_TYPES:
            raise XlsxError(f"il foglio «{sheet_name}» non contiene celle (è di tipo {rel_type.rsplit('/', 1)[-1]})")
        if max_col is not None and max_col < 1:
            raise ValueError("max_col must be at least 1")
        return self._rows(sheet_name, self._part(part), max_col)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- bounds ---------------------------------------------------------------------------------------------------
    def _check_directory(self) -> None:
        """Sizes from the zip directory, before any part is parsed: a «zip bomb» is refused without inflating it.

        zipfile never inflates an entry past the size its directory declares (the CRC check fails first), so the
        declared sizes bound what reading can cost.
        """
        limits = self.limits
        total = 0
        for info in self._zip.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (
                limits.compression_ratio is not None
                and info.file_size > limits.ratio_floor_bytes
                and ratio > limits.compression_ratio
            ):
                raise XlsxLimitError(
                    f"{self._part_label(info.filename)} è compressa {number_it(int(ratio))} volte "
                    f"({megabytes_it(info.compress_size)} → {megabytes_it(info.file_size)}): "
                    f"il limite è {number_it(limits.compression_ratio)} volte"
                )
        if limits.uncompressed_bytes is not None and total > limits.uncompressed_bytes:
            raise XlsxLimitError(
                f"una volta decompresso il file occuperebbe {megabytes_it(total)}: "
                f"il limite è {megabytes_it(limits.uncompressed_bytes)}"
            )

    def _part_label(self, member: str) -> str:
        """«foglio «Indicatori»» for a worksheet part when the workbook says so, else the part's name."""
        try:
            self._load_sheets()  # workbook and relationships: small parts, each read through _read_whole
        except (XlsxError, *_DAMAGE):
            return f"la parte «{member}»"
        for name, (_kind, part) in self._sheets.items():
            if part.lower() == member.lower():
                return f"la parte del foglio «{name}»"
        return f"la parte «{member}»"

    def _read_whole(self, member: str) -> bytes:
        """A part read at once (workbook, relationships, styles): small in any real file, so bounded."""
        info = self._zip.getinfo(member)
        limit = self.limits.structure_bytes
        if limit is not None and info.file_size > limit:
            raise XlsxLimitError(
                f"la parte «{member}» occupa {megabytes_it(info.file_size)}: il limite è {megabytes_it(limit)}"
            )
        data = self._zip.read(member)
        if _forbidden_xml(data):
            raise XlsxLimitError("dichiarazioni DTD (<!DOCTYPE>, <!ENTITY>) non ammesse in una cartella di lavoro")
        return data

    def _keep_text(self, text: str) -> None:
        limit = self.limits.text_bytes
        if limit is not None:
            self._text_bytes += sys.getsizeof(text)
            if self._text_bytes > limit:
                raise XlsxLimitError(f"il file contiene più di {megabytes_it(limit)} di testo: è il limite")

    def _too_long(self, text: str) -> XlsxLimitError:
        return XlsxLimitError(
            f"il testo ha {number_it(len(text))} caratteri: al massimo {number_it(self.limits.cell_chars)} per cella"
        )

    # -- package --------------------------------------------------------------------------------------------------
    def _part(self, name: str) -> str:
        """The archive member of a part name (part names are case-insensitive)."""
        member = self._parts.get(name.lower())
        if member is None:
            raise XlsxError(f"manca la parte «{name}» dell'archivio")
        return member

    def _relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) of the relationships of `part`; targets resolved against the part's folder."""
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if rels.lower() not in self._parts:
            return []
        root = fromstring(self._read_whole(self._part(rels)))
        result = []
        for rel in root.iter(RELATIONSHIP):
            rel_id, rel_type, target = rel.get("Id"), rel.get("Type"), rel.get("Target")
            if not rel_id or not rel_type or target is None:
                raise XlsxError(f"relazione incompleta in «{rels}»")
            if rel.get("TargetMode") == "External":
                result.append((rel_id, rel_type, ""))
                continue
            target = unquote(target.split("#", 1)[0])
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            result.append((rel_id, rel_type, posixpath.normpath(path).lstrip("/")))
        return result

    def _load(self) -> None:
        rels = self._load_sheets()

        def related(kind: str, fallback: str) -> str | None:
            target = next((t for _, k, t in rels if k == kind and t), fallback)
            return target if target.lower() in self._parts else None

        strings = related(REL_TYPE_SHARED_STRINGS, "xl/sharedStrings.xml")
        self._shared: list[str] = self._read_shared_strings(self._part(strings)) if strings else []
        styles = related(REL_TYPE_STYLES, "xl/styles.xml")
        self._style_kinds = self._read_styles(self._part(styles)) if styles else {"0": _PLAIN}

    def _load_sheets(self) -> list[tuple[str, str, str]]:
        """The workbook part: date system and sheets; returns its relationships."""
        workbook_part = next(
            (target for _, kind, target in self._relationships("") if kind == REL_TYPE_OFFICE_DOCUMENT and target),
            "xl/workbook.xml",
        )
        root = fromstring(self._read_whole(self._part(workbook_part)))
        if root.tag != WORKBOOK:
            if root.tag.startswith("{%s}" % STRICT_MAIN_NS):  # noqa: UP031
                raise XlsxError("formato «Strict Open XML» non supportato: salvare come cartella di lavoro Excel")
            raise XlsxError(f"parte «{workbook_part}» inattesa: {root.tag}")
        properties = root.find(WORKBOOK_PR)
        flag = (properties.get("date1904") if properties is not None else None) or "false"
        if flag.lower() not in ("1", "true", "0", "false"):
            raise XlsxError(f"valore date1904 non valido: {flag!r}")
        self.date1904 = flag.lower() in ("1", "true")

        rels = self._relationships(workbook_part)
        by_id = {rel_id: (kind, target) for rel_id, kind, target in rels}
        self._sheets: dict[str, tuple[str, str]] = {}
        sheets = root.find(SHEETS)
        for sheet in sheets.iter(SHEET) if sheets is not None else ():
            name, rel_id = sheet.get("name"), sheet.get(REL_ID)
            if not name or rel_id not in by_id:
                raise XlsxError(f"foglio senza nome o senza parte collegata: {name!r}")
            self._sheets.setdefault(name, by_id[rel_id])
        return rels

    def _read_shared_strings(self, member: str) -> list[str]:
        strings: list[str] = []
        limit = self.limits.element_bytes
        fed = released = 0  # bytes given to the parser; bytes up to the end of the last item read
        with self._zip.open(member) as raw:
            src = _Guarded(raw)
            parser = XMLPullParser(events=("start", "end"))
            table = None
            while chunk := src.read(_READ_CHUNK):
                fed += len(chunk)
                parser.feed(chunk)
                for event, element in parser.read_events():
                    if table is None:
                        if element.tag != SST:
                            raise XlsxError(f"parte «{member}» inattesa: {element.tag}")
                        table = element
                    elif event == "end" and element.tag == SHARED_ITEM:
                        # openpyxl drops "x005F_" (the escape of a literal "_x...._" sequence): same text as before.
                        text = _rich_text(element).replace("x005F_", "")
                        self._keep_text(text)
                        strings.append(text)
                        table.clear()
                        released = fed
                if limit is not None and fed - released > limit:
                    raise XlsxLimitError(
                        f"il testo condiviso n. {number_it(len(strings) + 1)} supera {megabytes_it(limit)} di XML: "
                        "è il limite per un testo"
                    )
            parser.close()
            if table is None:
                raise XlsxError(f"parte «{member}» inattesa: vuota")
        return strings

    def _read_styles(self, member: str) -> dict[str, int]:
        """How a number cell reads, by its style index (the `s` attribute as written): date, percent or plain."""
        root = fromstring(self._read_whole(member))
        custom = {}
        for fmt in root.iterfind(f"{_M}numFmts/{_M}numFmt"):
            custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
        kinds = {"0": _PLAIN}
        for index, xf in enumerate(root.iterfind(f"{_M}cellXfs/{_M}xf")):
            fmt_id = int(xf.get("numFmtId") or 0)
            code = custom[fmt_id] if fmt_id in custom else BUILTIN_FORMATS.get(fmt_id)
            if is_date_format(code):
                kind = _ELAPSED if is_elapsed_format(code) else _DATE
            elif is_percent_format(code or "General"):
                kind = _PERCENT
            else:
                kind = _PLAIN
            kinds[str(index)] = kind
        return kinds

    # -- sheets ---------------------------------------------------------------------------------------------------
    def _rows(self, sheet_name: str, member: str, max_col: int | None) -> Iterator[tuple[int, tuple[Any, ...]]]:
        # Only "start" events, half as many as start + end: a <row> is complete once the next one starts (or the
        # part ends); it is then read and removed from <sheetData>, so memory stays flat on large sheets.
        number = 0  # the last row number read
        limits = self.limits
        element_bytes, max_rows = limits.element_bytes, limits.rows_per_sheet
        filled = 0  # rows with a value, the header included
        fed = released = 0  # bytes given to the parser; bytes before the row being read (earlier ones are freed)
        self._row_number = 0
        try:
            with self._zip.open(member) as raw:
                src = _Guarded(raw)
                parser = XMLPullParser(events=("start",))
                root = sheet_data = pending = None
                more = True
                while more:
                    chunk = src.read(_READ_CHUNK)
                    if chunk:
                        fed += len(chunk)
                        parser.feed(chunk)
                    else:
                        parser.close()
                        more = False
                    if element_bytes is not None and fed - released > element_bytes + _READ_CHUNK:
                        raise XlsxLimitError(
                            f"la riga dopo la {number} occupa più di {megabytes_it(element_bytes)} di XML: "
                            "è il limite per una riga"
                        )
                    for _event, element in parser.read_events():
                        if element.tag != ROW:
                            if sheet_data is None:
                                if root is None:
                                    root = element
                                    if root.tag not in WORKSHEET_ROOTS:
                                        raise XlsxError(f"parte inattesa: {root.tag}")
                                elif element.tag == SHEET_DATA:
                                    sheet_data = element
                            continue
                        if sheet_data is None:
                            raise XlsxError("riga fuori da <sheetData>")
                        if pending is not None:
                            number, values = self._take(sheet_data, pending, number, max_col)
                            if values.count(None) != len(values):
                                filled += 1
                                if max_rows is not None and filled > max_rows + 1:
                                    raise self._too_many_rows()
                                self._count_rows(sheet_name, filled - 1)
                            yield number, values
                        pending = element
                        released = fed - _READ_CHUNK  # the row started within the last chunk
                if pending is not None:
                    number, values = self._take(sheet_data, pending, number, max_col)
                    if values.count(None) != len(values):
                        if max_rows is not None and filled + 1 > max_rows + 1:
                            raise self._too_many_rows()
                        self._count_rows(sheet_name, filled)
                    yield number, values
                if root is None:
                    raise XlsxError("parte vuota")
        except XlsxError as exc:
            where = f"riga {self._row_number}" if self._row_number else "inizio"
            raise type(exc)(f"foglio «{sheet_name}», {where}: {exc}") from exc
        except _DAMAGE as exc:
            where = f"riga {self._row_number}" if self._row_number else "inizio"
            raise XlsxError(f"foglio «{sheet_name}», {where}: {_damage_text(exc)}") from exc

    def _too_many_rows(self) -> XlsxLimitError:
        limit = number_it(self.limits.rows_per_sheet)
        return XlsxLimitError(f"più di {limit} righe di dati: il limite è {limit} righe per foglio")

    def _count_rows(self, sheet_name: str, data_rows: int) -> None:
        """`data_rows` rows of `sheet_name` read so far (the header excluded), against the total of the workbook:
        a sheet read again (its header first, then its rows) is not counted twice."""
        limit = self.limits.rows_total
        counted = self._data_rows.get(sheet_name, 0)
        if limit is None or data_rows <= counted:
            return
        self._data_rows[sheet_name] = data_rows
        self._data_rows_total += data_rows - counted
        if self._data_rows_total > limit:
            total = number_it(limit)
            raise XlsxLimitError(
                f"la cartella di lavoro ha più di {total} righe di dati in totale: il limite è {total} righe "
                "per tutti i fogli insieme"
            )

    def _take(self, sheet_data: Element, row: Element, previous: int, max_col: int | None) -> tuple[int, tuple]:
        """Read a complete <row> (the first child of <sheetData>) and remove it: (its number, its values)."""
        written = row.get("r")
        if written is None:
            number = previous + 1
            written = str(number)
        else:
            number = int(written)
            if number <= previous:
                raise XlsxError(f"riga {number} dopo la riga {previous}: righe non in ordine")
        if number > MAX_ROW:
            raise XlsxError(f"riga {number} oltre il limite di Excel")
        self._row_number = number  # the row errors are about, from here on
        values = self._row_values(row, number, written, max_col)
        if sheet_data[0] is not row:
            raise XlsxError(f"elemento inatteso in <sheetData>: {sheet_data[0].tag}")
        del sheet_data[0]
        return number, values

    def _row_values(self, row: Element, number: int, row_text: str, max_col: int | None) -> tuple[Any, ...]:
        """The values of a <row>, placed by column; raises XlsxError naming the cell."""
        shared, style_kinds, column_of = self._shared, self._style_kinds, self._column_of
        cell_tag, value_tag, inline_tag, text_tag = CELL, VALUE, INLINE, TEXT  # locals: this loop runs per cell
        cell_chars = self.limits.cell_chars
        values: list[Any] = []
        column = 0
        ref = None
        try:
            for cell in row:
                if cell.tag != cell_tag:
                    if cell.tag == EXT_LIST:
                        continue
                    raise XlsxError(f"elemento inatteso {cell.tag}")
                ref = cell.get("r")
                if ref is None:
                    column += 1
                else:
                    letters = ref.rstrip("0123456789")
                    index = column_of.get(letters)
                    if index is None:
                        index = column_of[letters] = _column_index(letters)
                    if ref[len(letters) :] != row_text and int(ref[len(letters) :]) != number:
                        raise XlsxError("la cella non appartiene alla riga")
                    if index <= column:
                        raise XlsxError("cella ripetuta o fuori ordine")
                    column = index
                if max_col is not None and column > max_col:
                    break
                kind = cell.get("t")
                if kind == "inlineStr":
                    inline = cell.find(inline_tag)
                    if inline is None:
                        value = None
                    elif len(inline) == 1 and inline[0].tag == text_tag:  # plain text, no runs
                        value = inline[0].text or ""
                    else:
                        value = _rich_text(inline)
                    if value is not None:
                        self._keep_text(value)
                else:
                    value = cell.findtext(value_tag) or None
                    if value is None:
                        pass
                    elif kind is None or kind == "n":
                        value = float(value) if "." in value or "E" in value or "e" in value else int(value)
                        style = cell.get("s")
                        if style is not None and style != "0":
                            value = self._formatted(value, style_kinds.get(style, style))
                    elif kind == "s":
                        position = int(value)
                        if position < 0:
                            raise IndexError(position)
                        value = shared[position]
                    elif kind == "b":
                        value = bool(int(value))
                    elif kind == "d":
                        value = from_iso(value)
                    elif kind == "str" or kind == "e":  # formula text, error: as written
                        self._keep_text(value)
                    else:
                        raise XlsxError(f"tipo di cella sconosciuto {kind!r}")
                if cell_chars is not None and value.__class__ is str and len(value) > cell_chars:
                    raise self._too_long(value)
                if column > len(values) + 1:
                    values.extend([None] * (column - 1 - len(values)))
                values.append(value)
        except XlsxError as exc:
            raise type(exc)(f"cella {ref or f'n. {column}'}: {exc}") from exc
        except _DAMAGE as exc:
            raise XlsxError(f"cella {ref or f'n. {column}'}: {_damage_text(exc)}") from exc
        if max_col is not None and len(values) < max_col:
            values.extend([None] * (max_col - len(values)))
        return tuple(values)

    def _formatted(self, value: int | float, kind: int | str) -> Any:
        """A number cell with a style: a date, a percentage or the number itself."""
        if isinstance(kind, str):  # a style index written unusually ("01"), or one that does not exist
            found = self._style_kinds.get(str(int(kind)))
            if found is None:
                raise XlsxError(f"stile {kind} inesistente")
            kind = found
        if kind == _PLAIN:
            return value
        if kind == _PERCENT:
            return percent_text(value)
        try:
            return from_excel(value, date1904=self.date1904, elapsed=kind == _ELAPSED)
        except (OverflowError, ValueError):
            return "#VALUE!"  # a date out of range, as openpyxl reads it
