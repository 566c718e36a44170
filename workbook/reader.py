"""The plan workbook (spec/workbook.md): its layout, and reading it into validated plain data.

Reading never writes: it returns a `PlanData` and every problem found with sheet, row and column, so the
service can refuse the whole file (validate all, then write all).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.db import models
from django.utils.translation import ngettext

from consuntivi.models import Measurement
from indicators.models import Baseline, Indicator, IndicatorUnit, Polarity, Target
from indicators.notation import Kind, ParsedTarget, Unit, parse_decimal, parse_target, parse_value
from perfplan.formats import date_it, megabytes_it, number_it
from perfplan.limits import field_problem, import_limits, tree_depth_problem
from perfplan.xlsx_reader import ReadLimits, XlsxError, XlsxLimitError, XlsxReader
from plans.models import (
    LEVEL_ORDER,
    Ente,
    Level,
    Objective,
    ObjectiveKind,
    OrgUnit,
    Plan,
    PlanKind,
    PublicValue,
    PublicValueDimension,
    PublicValueIndicator,
)
from plans.public_value import LINKABLE_LEVELS, ImpactIndicatorData, PublicValueData, impact_target_problem
from plans.values import parse_act  # the writer's own reading of the act: same parts, same columns

# ---------------------------------------------------------------------------------------------------------------
# Layout: one place that names sheets, columns and the words used in cells (reader, writer and template use it).

SHEET_PLAN = "Piano"
SHEET_OBJECTIVES = "Obiettivi"
SHEET_INDICATORS = "Indicatori"
SHEET_MEASUREMENTS = "Consuntivi"
SHEET_UNITS = "Unita organizzative"
SHEET_PUBLIC_VALUE = "ValorePubblico"

PLAN_LABELS = [
    "Ente",
    "Codice ente",
    "Titolo",
    "Anno inizio",
    "Anno fine",
    "Delibera",
    "Quota indicatori",
    "Documento",  # perfplan extension: `PIAO` or `Piano della performance` (the default)
]
OBJECTIVE_COLUMNS = [
    "Codice",
    "Tipo",
    "Codice padre",
    "Titolo",
    "Descrizione",
    "Peso",
    "Quota indicatori",
    "Prospettiva",
    "Missione",
    "Programma DM",
    "COFOG",
    "Unità organizzativa",
    "Responsabile",
    "Ottica di genere",
    "Natura",  # perfplan extension: Organizzativo / Individuale / Di ufficio (relazione.md §9 open point)
]
INDICATOR_COLUMNS = [
    "Codice obiettivo",
    "Codice indicatore",
    "Nome",
    "Descrizione",
    "Algoritmo",
    "Fonte",
    "Unità",
    "Polarità",
    "Peso",
    "Baseline anno",
    "Baseline",
    "Derivato",
]  # then one "Target YYYY" per plan year
MEASUREMENT_COLUMNS = [
    "Codice obiettivo",
    "Codice indicatore",
    "Nome",
    "Anno",
    "Valore",
    "Numeratore",
    "Denominatore",
    "Variabili",
    "Note",
    "Raggiungimento manuale",
    "Motivazione",
]
UNIT_COLUMNS = ["Codice", "Nome", "Codice padre", "Responsabile"]
# Sheet ValorePubblico (optional; PIAO section 2.1): one row per impact indicator of an impatto, the impatto's
# columns repeated (or left empty) on its further rows; an impatto without indicators is one row with the
# indicator's columns empty. Then one "Target YYYY" per plan year, as in Indicatori.
PUBLIC_VALUE_COLUMNS = [
    "Codice impatto",
    "Titolo",
    "Descrizione",
    "Dimensioni",  # words of DIMENSION_LABELS separated by «;»
    "Obiettivi collegati",  # codes of strategic objectives separated by «;»
    "Codice indicatore",
    "Indicatore",
    "Unità",
    "Fonte",
    "Baseline anno",
    "Baseline",
]

# The words of the Tipo, Unità, Polarità and Natura columns: the models' choices, one source for both.
LEVEL_LABELS = {Level(value): label for value, label in Level.choices}  # "Area strategica", …
UNIT_LABELS = {Unit(value): label for value, label in IndicatorUnit.choices}  # "N.", "%", "€", "gg", "data", "SI/NO"
POLARITY_LABELS = {polarity.value: polarity.word for polarity in Polarity}  # "crescente", "decrescente"
KIND_LABELS = {ObjectiveKind(value): label for value, label in ObjectiveKind.choices}  # "Organizzativo", …
DIMENSION_LABELS = {PublicValueDimension(value): label for value, label in PublicValueDimension.choices}
DOCUMENT_LABELS = {PlanKind.PIAO: "PIAO", PlanKind.PERFORMANCE: "Piano della performance"}


def normalise_label(text: Any) -> str:
    """Headers and sheet names match ignoring case, accents, surrounding spaces and a trailing '*'."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = " ".join(plain.replace("\u00a0", " ").split()).strip().rstrip("*").strip()
    return plain.lower()


_LEVEL_WORDS = {normalise_label(label): level for level, label in LEVEL_LABELS.items()}
_LEVEL_WORDS.update({"ambito strategico": Level.AREA, "area": Level.AREA, "azione": Level.ACTION})
_UNIT_WORDS = {normalise_label(label): unit for unit, label in UNIT_LABELS.items()}
_UNIT_WORDS.update(
    {"n": Unit.COUNT, "numero": Unit.COUNT, "euro": Unit.EURO, "giorni": Unit.DAYS, "si/no": Unit.BOOLEAN}
)
_POLARITY_WORDS = {label: polarity for polarity, label in POLARITY_LABELS.items()}
_KIND_WORDS = {normalise_label(label): kind for kind, label in KIND_LABELS.items()}
_KIND_WORDS.update({"ufficio": ObjectiveKind.OFFICE, "organizzativo": ObjectiveKind.ORGANIZATIONAL})
_DIMENSION_WORDS = {normalise_label(label): dim for dim, label in DIMENSION_LABELS.items()}
_DIMENSION_WORDS.update({"pari opportunita": PublicValueDimension.EQUAL_OPPORTUNITY})
_DOCUMENT_WORDS = {normalise_label(label): kind for kind, label in DOCUMENT_LABELS.items()}
_DOCUMENT_WORDS.update({normalise_label(label): kind for kind, label in PlanKind.choices})
_YES = {"si", "sì", "s", "x", "1", "true", "vero"}
_NO = {"no", "n", "0", "false", "falso"}


# The text columns of each row, checked against the database column they go to (perfplan/limits.py).
OBJECTIVE_TEXT_FIELDS = [
    ("Codice", "code"),
    ("Titolo", "title"),
    ("Descrizione", "description"),
    ("Prospettiva", "perspective"),
    ("Missione", "mission"),
    ("Programma DM", "budget_program"),
    ("COFOG", "cofog"),
    ("Responsabile", "owner"),
]
INDICATOR_TEXT_FIELDS = [
    ("Codice indicatore", "code"),
    ("Nome", "name"),
    ("Descrizione", "description"),
    ("Algoritmo", "formula"),
    ("Fonte", "source"),
]

# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Issue:
    sheet: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = [f"foglio «{self.sheet}»"]
        if self.row is not None:
            where.append(f"riga {self.row}")
        if self.column:
            where.append(f"colonna «{self.column}»")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class WorkbookRejected(Exception):
    """The file cannot be read as a plan workbook at all (not xlsx, encrypted, too large)."""


@dataclass(slots=True)  # 100.000 rows: a __dict__ each would double the memory
class UnitRow:
    row: int
    code: str
    name: str
    parent_code: str
    head: str


@dataclass(slots=True)
class ObjectiveRow:
    row: int
    code: str
    level: str
    parent_code: str
    title: str
    description: str = ""
    weight: Decimal | None = None
    indicator_share: Decimal | None = None
    perspective: str = ""
    mission: str = ""
    budget_program: str = ""
    cofog: str = ""
    unit_code: str = ""
    owner: str = ""
    gender_relevant: bool = False
    kind: str = ObjectiveKind.ORGANIZATIONAL
    depth: int = 0
    position: int = 0


@dataclass(slots=True)
class TargetCell:
    year: int
    parsed: ParsedTarget
    warnings: tuple[str, ...]  # a tuple: the empty one is shared, not a list per cell (300.000 in a large import)


@dataclass(slots=True)
class IndicatorRow:
    row: int
    objective_code: str
    code: str
    name: str
    description: str = ""
    formula: str = ""
    source: str = ""
    unit: str = ""
    polarity: str = "higher_better"
    weight: Decimal | None = None
    baseline_year: int | None = None
    baseline_raw: str = ""
    baseline_value: Decimal | None = None
    derived: bool = False
    targets: dict[int, TargetCell] = field(default_factory=dict)
    position: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return indicator_key(self.objective_code, self.code, self.name)


@dataclass(slots=True)
class MeasurementRow:
    row: int
    indicator_key: tuple[str, str]
    year: int
    raw: str = ""
    value_number: Decimal | None = None
    value_date: dt.date | None = None
    value_bool: bool | None = None
    value_level: str = ""
    not_done: bool = False
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    variables: dict[str, str] = field(default_factory=dict)
    note: str = ""
    manual_achievement: Decimal | None = None
    manual_reason: str = ""


@dataclass
class PlanData:
    ente_name: str = ""
    ente_code: str = ""
    title: str = ""
    start_year: int = 0
    end_year: int = 0
    act_text: str = ""
    default_indicator_share: Decimal | None = None
    units: list[UnitRow] = field(default_factory=list)
    objectives: list[ObjectiveRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    measurements: list[MeasurementRow] = field(default_factory=list)
    has_measurement_sheet: bool = False
    kind: str | None = None  # None: no «Documento» row, a new plan is a Piano della performance, an old one keeps its
    public_values: list[PublicValueData] | None = None  # None: no ValorePubblico sheet, the plan's stay as they are
    public_value_rows: dict[str, int] = field(default_factory=dict)  # impatto code → its first row, for errors

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1)) if self.start_year and self.end_year else []


@dataclass
class ReadResult:
    data: PlanData
    errors: list[Issue]
    warnings: list[Issue]
    errors_omitted: int = 0  # found beyond the IMPORT_MAX_ERRORS_LISTED listed ones
    warnings_omitted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def indicator_key(objective_code: str, code: str, name: str) -> tuple[str, str]:
    """The workbook key of an indicator row: (objective, code), or (objective, name) when uncoded."""
    return (objective_code, f"#{code}" if code else f"={name}")


# ---------------------------------------------------------------------------------------------------------------
# Opening the file

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and legacy .xls both use it


def rejected(exc: XlsxError) -> WorkbookRejected:
    """The Italian refusal of a file the reader stopped: a bound it exceeds, or damage."""
    if isinstance(exc, XlsxLimitError):
        return WorkbookRejected(f"Il file supera i limiti delle importazioni: {exc}.")
    return WorkbookRejected(f"Il file .xlsx non è leggibile: {exc}")


def open_workbook(source: str | Path | IO[bytes], *, max_bytes: int | None = None) -> XlsxReader:
    """Open an xlsx for streaming, refusing what is not one with a clear Italian message. Close it after use.

    The bounds of perfplan/limits.py apply from here on: size, zip directory (before any XML is parsed), then
    rows, cells and text while the sheets are read.
    """
    limits = import_limits()
    if max_bytes is None:
        max_bytes = limits.upload_bytes
    path: Path | None = None
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise WorkbookRejected(f"Il file «{path}» non esiste.")
        size = path.stat().st_size
        handle: IO[bytes] = path.open("rb")
    else:
        handle = source
        handle.seek(0, 2)
        size = handle.tell()
    try:
        handle.seek(0)
        if size > max_bytes:
            raise WorkbookRejected(
                f"Il file è troppo grande ({megabytes_it(size)}): il limite è {megabytes_it(max_bytes)}."
            )
        head = handle.read(8)
        handle.seek(0)
        if head == OLE_SIGNATURE:
            raise WorkbookRejected(
                "Il file è protetto da password o è nel vecchio formato .xls: salvarlo come .xlsx senza password."
            )
        if not zipfile.is_zipfile(handle):
            raise WorkbookRejected("Il file non è una cartella di lavoro Excel (.xlsx).")
        handle.seek(0)
    finally:
        if path is not None:
            handle.close()  # the reader opens the path itself, and closes it with the workbook
    read_limits = ReadLimits(
        uncompressed_bytes=limits.uncompressed_bytes,
        compression_ratio=limits.compression_ratio,
        ratio_floor_bytes=limits.ratio_floor_bytes,
        structure_bytes=limits.structure_bytes,
        element_bytes=limits.element_bytes,
        rows_per_sheet=limits.rows_per_sheet,
        rows_total=limits.rows_total,
        cell_chars=limits.cell_chars,
        text_bytes=limits.text_bytes,
    )
    try:
        return XlsxReader(path if path is not None else handle, limits=read_limits)
    except XlsxError as exc:
        raise rejected(exc) from exc
    except Exception as exc:  # anything a damaged archive may still raise
        raise WorkbookRejected("Il file .xlsx non è leggibile: archivio danneggiato.") from exc


# ---------------------------------------------------------------------------------------------------------------
# Cell helpers


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):  # a datetime too: the day alone
        return date_it(value)
    return str(value).strip()


def to_decimal(value: Any) -> Decimal | None:
    """A spreadsheet number or Italian text; raises ValueError on anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    parsed = parse_decimal(str(value))
    if parsed is None:
        raise ValueError
    return parsed


@dataclass
class SheetRows:
    """Rows of one sheet as dicts keyed by our column names, with the row number."""

    name: str
    columns: dict[str, int]  # our column name → index
    extra_headers: list[str]
    header_names: dict[int, str]  # index → header as written
    rows: list[tuple[int, tuple[Any, ...]]]

    def get(self, values: tuple[Any, ...], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index >= len(values):
            return None
        return values[index]


def _sheet_rows(wb: XlsxReader, name: str, max_col: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of the rows written in a sheet, values as XlsxReader gives them (a number formatted as
    percent is Italian text, "33,34 %", as workbook.md says). A damaged sheet refuses the whole file."""
    try:
        yield from wb.rows(name, max_col)
    except XlsxError as exc:
        raise rejected(exc) from exc


def read_sheet(wb: XlsxReader, name: str, expected: Iterable[str]) -> SheetRows:
    """The rows of a table sheet; only the columns up to the last one we read are kept (a row may have 16.384)."""
    expected_by_norm = {normalise_label(c): c for c in expected}
    first_pass = _sheet_rows(wb, name)
    first = next(first_pass, None)
    first_pass.close()
    header: tuple[Any, ...] = ()
    if first is not None and first[0] == 1:
        header = first[1]
    used = [
        index + 1
        for index, title in enumerate(header)
        if normalise_label(title) in expected_by_norm or normalise_label(title).startswith("target ")
    ]
    rows_iter = _sheet_rows(wb, name, max_col=max(used, default=len(expected_by_norm)) or 1)
    if header:
        next(rows_iter, None)  # the header row, read above
    columns: dict[str, int] = {}
    extra: list[str] = []
    names: dict[int, str] = {}
    for index, title in enumerate(header):
        norm = normalise_label(title)
        if not norm:
            continue
        names[index] = cell_text(title)
        if norm in expected_by_norm:
            columns.setdefault(expected_by_norm[norm], index)
        else:
            extra.append(cell_text(title))
    rows = []
    for number, values in rows_iter:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append((number, values))
    return SheetRows(name, columns, extra, names, rows)


# ---------------------------------------------------------------------------------------------------------------
# The reader


class PlanReader:
    def __init__(self, workbook: XlsxReader) -> None:
        self.wb = workbook
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.listed = import_limits().errors_listed  # more are counted, not kept: the page and memory stay small
        self.errors_omitted = self.warnings_omitted = 0
        self.data = PlanData()
        self.sheets = {normalise_label(name): name for name in workbook.sheetnames}

    def error(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < self.listed:
            self.errors.append(Issue(sheet, row, column, message))
        else:
            self.errors_omitted += 1

    def warn(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        if len(self.warnings) < self.listed:
            self.warnings.append(Issue(sheet, row, column, message, "warning"))
        else:
            self.warnings_omitted += 1

    def fits(self, sheet: str, row: int | None, column: str, model: type[models.Model], name: str, value: Any) -> bool:
        """Whether the database column can hold the value (perfplan/limits.py); else an error where it is."""
        reason = field_problem(model, name, value)
        if reason:
            self.error(sheet, row, column, f"Il valore {reason}.")
        return reason is None

    def number(self, sheet: str, row: int | None, column: str, model, name: str, value: Decimal | None):
        """The number when its column can hold it, else None (and an error): no arithmetic on 1e999999999."""
        return value if value is None or self.fits(sheet, row, column, model, name, value) else None

    def sheet(self, name: str, *, required: bool) -> str | None:
        """The workbook's name of one of our sheets (matched as normalise_label says), or None."""
        real = self.sheets.get(normalise_label(name))
        if real is None and required:
            self.error(name, None, None, f"Manca il foglio «{name}».")
        return real

    # -- Piano ------------------------------------------------------------------------------------------------
    def read_plan(self) -> None:
        sheet = self.sheet(SHEET_PLAN, required=True)
        if sheet is None:
            return
        wanted = {normalise_label(label): label for label in PLAN_LABELS}
        found: dict[str, tuple[int, Any]] = {}
        for number, values in _sheet_rows(self.wb, sheet, max_col=2):
            label = normalise_label(values[0])
            if not label or (number == 1 and label == "voce"):
                continue
            if label in wanted:
                found[wanted[label]] = (number, values[1])
            else:
                self.warn(SHEET_PLAN, number, "A", f"Voce «{cell_text(values[0])}» non riconosciuta: ignorata.")
        d = self.data
        for label, attr, model, name in (
            ("Ente", "ente_name", Ente, "name"),
            ("Codice ente", "ente_code", Ente, "code"),
            ("Titolo", "title", Plan, "title"),
        ):
            row, value = found.get(label, (None, None))
            text = cell_text(value)
            if not text:
                self.error(SHEET_PLAN, row, "B" if row else label, f"Manca il valore obbligatorio «{label}».")
            self.fits(SHEET_PLAN, row, "B", model, name, text)
            setattr(d, attr, text)
        for label, attr in (("Anno inizio", "start_year"), ("Anno fine", "end_year")):
            row, value = found.get(label, (None, None))
            year = self._year(value)
            if year is None:
                self.error(
                    SHEET_PLAN,
                    row,
                    "B" if row else label,
                    f"«{label}» deve essere un anno (es. 2017), non «{cell_text(value)}».",
                )
            else:
                setattr(d, attr, year)
        if d.start_year and d.end_year and d.end_year < d.start_year:
            self.error(SHEET_PLAN, found["Anno fine"][0], "B", "«Anno fine» è precedente ad «Anno inizio».")
            d.end_year = 0
        if d.start_year and d.end_year and d.end_year - d.start_year > 9:
            self.error(SHEET_PLAN, found["Anno fine"][0], "B", "Un piano copre al massimo 10 anni.")
            d.end_year = 0
        row, value = found.get("Delibera", (None, None))
        d.act_text = cell_text(value)
        if d.act_text and self.fits(SHEET_PLAN, row, "B", Plan, "act_text", d.act_text):
            organ, number, _date = parse_act(d.act_text)
            self.fits(SHEET_PLAN, row, "B", Plan, "act_organ", organ)
            self.fits(SHEET_PLAN, row, "B", Plan, "act_number", number)
        row, value = found.get("Quota indicatori", (None, None))
        d.default_indicator_share = self._share(SHEET_PLAN, row, "B", value)
        row, value = found.get("Documento", (None, None))
        if cell_text(value):
            kind = _DOCUMENT_WORDS.get(normalise_label(value))
            if kind is None:
                self.error(
                    SHEET_PLAN,
                    row,
                    "B",
                    f"Documento «{cell_text(value)}» sconosciuto: usare PIAO o Piano della performance.",
                )
            else:
                d.kind = kind

    @staticmethod
    def _year(value: Any) -> int | None:
        try:
            number = Decimal(cell_text(value))
        except (InvalidOperation, ValueError):
            return None
        if not number.is_finite() or not 1990 <= number < 2101:  # before int(): 1e999999999 has a billion digits
            return None
        return int(number)

    def _weight(self, sheet: str, row: int, column: str, value: Any) -> Decimal | None:
        try:
            weight = to_decimal(value)
        except ValueError:
            self.error(sheet, row, column, f"Il peso deve essere un numero (es. 33,34), non «{cell_text(value)}».")
            return None
        if weight is None or not self.fits(sheet, row, column, Objective, "weight", weight):
            return None
        if weight < 0:
            self.error(sheet, row, column, "Il peso non può essere negativo.")
            return None
        return weight

    def _share(self, sheet: str, row: int | None, column: str, value: Any) -> Decimal | None:
        try:
            share = to_decimal(value)
        except ValueError:
            self.error(
                sheet, row, column, f"La quota indicatori deve essere una percentuale, non «{cell_text(value)}»."
            )
            return None
        if share is None or not self.fits(sheet, row, column, Objective, "indicator_share", share):
            return None
        if not 0 <= share <= 100:
            self.error(sheet, row, column, "La quota indicatori deve essere tra 0 e 100.")
            return None
        return share

    def _yes_no(self, sheet: str, row: int, column: str, value: Any) -> bool:
        text = normalise_label(cell_text(value))
        if not text or text in _NO:
            return False
        if text in _YES:
            return True
        self.error(sheet, row, column, f"Indicare SI o NO, non «{cell_text(value)}».")
        return False

    def _header_check(self, rows: SheetRows, required: list[str]) -> bool:
        ok = True
        for column in required:
            if column not in rows.columns:
                self.error(rows.name, 1, column, f"Manca la colonna obbligatoria «{column}».")
                ok = False
        for title in rows.extra_headers:
            if not normalise_label(title).startswith("target "):
                self.warn(rows.name, 1, title, f"Colonna «{title}» non riconosciuta: ignorata.")
        return ok

    # -- Unità organizzative ----------------------------------------------------------------------------------
    def read_units(self) -> None:
        sheet = self.sheet(SHEET_UNITS, required=False)
        if sheet is None:
            return
        rows = read_sheet(self.wb, sheet, UNIT_COLUMNS)
        if not self._header_check(rows, ["Codice", "Nome"]):
            return
        seen: dict[str, int] = {}
        for number, values in rows.rows:
            code = cell_text(rows.get(values, "Codice"))
            name = cell_text(rows.get(values, "Nome"))
            if not code:
                self.error(rows.name, number, "Codice", "Codice mancante.")
                continue
            if not name:
                self.error(rows.name, number, "Nome", "Nome mancante.")
            if code in seen:
                self.error(rows.name, number, "Codice", f"Codice «{code}» duplicato (già alla riga {seen[code]}).")
                continue
            seen[code] = number
            head = cell_text(rows.get(values, "Responsabile"))
            for column, field_name, value in (
                ("Codice", "code", code),
                ("Nome", "name", name),
                ("Responsabile", "head", head),
            ):  # noqa: E501
                self.fits(rows.name, number, column, OrgUnit, field_name, value)
            self.data.units.append(UnitRow(number, code, name, cell_text(rows.get(values, "Codice padre")), head))
        by_code = {u.code: u for u in self.data.units}
        for unit in self.data.units:
            if unit.parent_code and unit.parent_code not in by_code:
                self.error(rows.name, unit.row, "Codice padre", f"L'unità padre «{unit.parent_code}» non esiste.")
        looping = self._looping({u.code: u.parent_code for u in self.data.units})
        cyclic = False
        for unit in self.data.units:
            if unit.code in looping:
                cyclic = True
                self.error(
                    rows.name,
                    unit.row,
                    "Codice padre",
                    f"Ciclo nei padri: l'unità «{unit.code}» discende da sé stessa.",
                )
        if not cyclic:
            self._check_depth(rows.name, [(u.code, u.parent_code, u.row) for u in self.data.units])

    @staticmethod
    def _looping(parent_of: dict[str, str]) -> set[str]:
        """Codes whose chain of parents never reaches a root (it loops), in one pass: a chain of 100.000 nodes
        costs 100.000 steps, not their square."""
        looping: dict[str, bool] = {}
        for code in parent_of:
            path: list[str] = []
            on_path: set[str] = set()
            current = code
            while current and current not in looping and current not in on_path:
                path.append(current)
                on_path.add(current)
                current = parent_of.get(current, "")
            result = looping.get(current, False) if current not in on_path else True
            for node in path:
                looping[node] = result
        return {code for code, loops in looping.items() if loops}

    # -- Obiettivi --------------------------------------------------------------------------------------------
    def read_objectives(self) -> None:
        sheet = self.sheet(SHEET_OBJECTIVES, required=True)
        if sheet is None:
            return
        rows = read_sheet(self.wb, sheet, OBJECTIVE_COLUMNS)
        if not self._header_check(rows, ["Codice", "Tipo", "Titolo", "Codice padre"]):
            return
        seen: dict[str, int] = {}
        unit_codes = {u.code for u in self.data.units}
        for number, values in rows.rows:
            get = partial(rows.get, values)
            code = cell_text(get("Codice"))
            if not code:
                self.error(rows.name, number, "Codice", "Codice mancante.")
                continue
            if code in seen:
                self.error(rows.name, number, "Codice", f"Codice «{code}» duplicato (già alla riga {seen[code]}).")
                continue
            seen[code] = number
            level = _LEVEL_WORDS.get(normalise_label(get("Tipo")))
            if level is None:
                self.error(
                    rows.name,
                    number,
                    "Tipo",
                    f"Tipo «{cell_text(get('Tipo'))}» sconosciuto: usare uno tra {', '.join(LEVEL_LABELS.values())}.",
                )
                continue
            title = cell_text(get("Titolo"))
            if not title:
                self.error(rows.name, number, "Titolo", "Titolo mancante.")
            parent_code = cell_text(get("Codice padre"))
            if level != Level.AREA and not parent_code:
                self.error(
                    rows.name, number, "Codice padre", "Codice padre mancante: è obbligatorio tranne che per le aree."
                )
            if level == Level.AREA and parent_code:
                self.error(rows.name, number, "Codice padre", "Un'area strategica non ha un padre.")
            unit_code = cell_text(get("Unità organizzativa"))
            if unit_code and unit_code not in unit_codes:
                self.warn(
                    rows.name,
                    number,
                    "Unità organizzativa",
                    f"Unità «{unit_code}» non presente nel foglio «{SHEET_UNITS}»: verrà cercata tra quelle dell'ente.",
                )
            kind_text = normalise_label(get("Natura"))
            kind = (
                _KIND_WORDS.get(kind_text, ObjectiveKind.ORGANIZATIONAL) if kind_text else ObjectiveKind.ORGANIZATIONAL
            )
            if kind_text and kind_text not in _KIND_WORDS:
                self.error(
                    rows.name, number, "Natura", "Natura sconosciuta: usare Organizzativo, Individuale o Di ufficio."
                )
            objective = ObjectiveRow(
                row=number,
                code=code,
                level=level,
                parent_code=parent_code,
                title=title,
                description=cell_text(get("Descrizione")),
                weight=self._weight(rows.name, number, "Peso", get("Peso")),
                indicator_share=self._share(rows.name, number, "Quota indicatori", get("Quota indicatori")),
                perspective=cell_text(get("Prospettiva")),
                mission=cell_text(get("Missione")),
                budget_program=cell_text(get("Programma DM")),
                cofog=cell_text(get("COFOG")),
                unit_code=unit_code,
                owner=cell_text(get("Responsabile")),
                gender_relevant=self._yes_no(rows.name, number, "Ottica di genere", get("Ottica di genere")),
                kind=kind,
            )
            for column, field_name in OBJECTIVE_TEXT_FIELDS:
                self.fits(rows.name, number, column, Objective, field_name, getattr(objective, field_name))
            self.data.objectives.append(objective)
        self._check_tree(rows.name)

    def _check_depth(self, sheet: str, nodes: list[tuple[str, str, int]]) -> dict[str, int]:
        """Each node's depth (0 for a root), computed without recursion; a node one level deeper than
        PLAN_MAX_TREE_DEPTH is an error (its descendants follow from it). Call on a tree without cycles."""
        parent_of = {code: parent for code, parent, _row in nodes}
        depth: dict[str, int] = {}
        for code, _parent, _row in nodes:
            chain_up = []
            current = code
            while current and current not in depth and current in parent_of:
                chain_up.append(current)
                current = parent_of[current]
            base = depth.get(current, -1) if current else -1
            for node in reversed(chain_up):
                base += 1
                depth[node] = base
        for code, _parent, row in nodes:
            problem = tree_depth_problem(depth[code] + 1)
            if problem and tree_depth_problem(depth[code]) is None:
                self.error(sheet, row, "Codice padre", problem[0].upper() + problem[1:] + ".")
        return depth

    def _check_tree(self, sheet: str) -> None:
        by_code = {o.code: o for o in self.data.objectives}
        parent_of = {o.code: o.parent_code for o in self.data.objectives}
        broken: set[str] = set()
        looping = self._looping(parent_of)
        for node in self.data.objectives:
            if node.parent_code and node.parent_code not in by_code:
                self.error(sheet, node.row, "Codice padre", f"Il padre «{node.parent_code}» non esiste nel foglio.")
                broken.add(node.code)
            elif node.parent_code == node.code:
                self.error(sheet, node.row, "Codice padre", "Un obiettivo non può essere padre di sé stesso.")
                broken.add(node.code)
            elif node.code in looping:
                self.error(sheet, node.row, "Codice padre", f"Ciclo nei padri: «{node.code}» discende da sé stesso.")
                broken.add(node.code)
        for node in self.data.objectives:
            parent = by_code.get(node.parent_code)
            if parent is None or node.code in broken:
                continue
            child_rank, parent_rank = LEVEL_ORDER.index(node.level), LEVEL_ORDER.index(parent.level)
            nests = node.level == parent.level == Level.OPERATIONAL
            if child_rank <= parent_rank and not nests:
                self.error(
                    sheet,
                    node.row,
                    "Tipo",
                    f"Un «{LEVEL_LABELS[node.level]}» non può stare sotto "
                    f"un «{LEVEL_LABELS[parent.level]}» ({parent.code}).",
                )
        if self.errors:
            return
        # depth and sibling position, in sheet order
        depth = self._check_depth(sheet, [(o.code, o.parent_code, o.row) for o in self.data.objectives])
        if self.errors:
            return
        counters: dict[str, int] = {}
        for node in self.data.objectives:
            node.depth = depth[node.code]
            counters[node.parent_code] = counters.get(node.parent_code, 0) + 1
            node.position = counters[node.parent_code]
        self._check_weights(
            sheet,
            [(o.parent_code, o.row, o.weight) for o in self.data.objectives],
            "degli obiettivi figli di «{}»",
        )

    def _check_weights(self, sheet: str, items: list[tuple[str, int, Decimal | None]], label: str) -> None:
        groups: dict[str, list[tuple[int, Decimal | None]]] = {}
        for parent, row, weight in items:
            groups.setdefault(parent, []).append((row, weight))
        for parent, members in groups.items():
            weights = [w for _, w in members if w is not None]
            if not weights or sum(weights) == 0:
                continue
            total = sum(weights)
            if abs(total - 100) > Decimal("0.05"):
                self.warn(
                    sheet,
                    members[0][0],
                    "Peso",
                    f"I pesi {label.format(parent or 'piano')} sommano a {number_it(total, 2)} % invece di 100 %:"
                    " verranno normalizzati.",
                )
            for row, weight in members:
                if weight is None:
                    self.warn(sheet, row, "Peso", "Peso vuoto accanto a pesi valorizzati: conta come 0.")

    # -- Indicatori -------------------------------------------------------------------------------------------
    def read_indicators(self) -> None:
        sheet = self.sheet(SHEET_INDICATORS, required=True)
        if sheet is None:
            return
        rows = read_sheet(self.wb, sheet, INDICATOR_COLUMNS)
        if not self._header_check(rows, ["Codice obiettivo", "Nome"]):
            return
        target_columns: dict[int, int] = {}
        for index, header in rows.header_names.items():
            norm = normalise_label(header)
            if norm.startswith("target "):
                year = self._year(norm.removeprefix("target ").strip())
                if year is None:
                    self.warn(rows.name, 1, header, f"Colonna «{header}» non riconosciuta: ignorata.")
                elif year not in self.data.years:
                    self.warn(rows.name, 1, header, f"L'anno {year} è fuori dal periodo del piano: colonna ignorata.")
                else:
                    target_columns[year] = index
        for year in self.data.years:
            if year not in target_columns:
                self.error(rows.name, 1, f"Target {year}", f"Manca la colonna «Target {year}».")
        objective_codes = {o.code for o in self.data.objectives}
        seen: dict[tuple[str, str], int] = {}
        positions: dict[str, int] = {}
        for number, values in rows.rows:
            get = partial(rows.get, values)
            objective_code = cell_text(get("Codice obiettivo"))
            name = cell_text(get("Nome"))
            code = cell_text(get("Codice indicatore"))
            if not objective_code:
                self.error(rows.name, number, "Codice obiettivo", "Codice obiettivo mancante.")
                continue
            if objective_code not in objective_codes:
                self.error(
                    rows.name,
                    number,
                    "Codice obiettivo",
                    f"L'obiettivo «{objective_code}» non esiste nel foglio Obiettivi.",
                )
            if not name:
                self.error(rows.name, number, "Nome", "Nome dell'indicatore mancante.")
                continue
            key = indicator_key(objective_code, code, name)
            if key in seen:
                self.error(
                    rows.name,
                    number,
                    "Codice indicatore" if code else "Nome",
                    f"Indicatore ripetuto per l'obiettivo «{objective_code}» (già alla riga {seen[key]}).",
                )
                continue
            seen[key] = number
            unit_text = cell_text(get("Unità"))
            unit = ""
            if unit_text:
                found_unit = _UNIT_WORDS.get(normalise_label(unit_text))
                if found_unit is None:
                    self.error(
                        rows.name,
                        number,
                        "Unità",
                        f"Unità «{unit_text}» sconosciuta: usare N., %, €, gg, data o SI/NO.",
                    )
                else:
                    unit = found_unit.value
            polarity_text = normalise_label(get("Polarità"))
            polarity = _POLARITY_WORDS.get(polarity_text, "higher_better") if polarity_text else "higher_better"
            if polarity_text and polarity_text not in _POLARITY_WORDS:
                self.error(rows.name, number, "Polarità", "Polarità sconosciuta: usare «crescente» o «decrescente».")
            baseline_year = None
            if cell_text(get("Baseline anno")):
                baseline_year = self._year(get("Baseline anno"))
                if baseline_year is None:
                    self.error(
                        rows.name, number, "Baseline anno", f"Anno non valido: «{cell_text(get('Baseline anno'))}»."
                    )
            baseline_cell = get("Baseline")
            baseline = parse_value(baseline_cell)
            baseline_value = baseline.value if baseline.kind == Kind.NUMBER else None
            if baseline.kind == Kind.BOOL:
                baseline_value = Decimal(1) if baseline.value else Decimal(0)
            self.fits(rows.name, number, "Baseline", Baseline, "raw", cell_text(baseline_cell))
            baseline_value = self.number(rows.name, number, "Baseline", Baseline, "value", baseline_value)
            for w in baseline.warnings:
                self.warn(rows.name, number, "Baseline", w.message)
            positions[objective_code] = positions.get(objective_code, 0) + 1
            indicator = IndicatorRow(
                row=number,
                objective_code=objective_code,
                code=code,
                name=name,
                description=cell_text(get("Descrizione")),
                formula=cell_text(get("Algoritmo")),
                source=cell_text(get("Fonte")),
                unit=unit,
                polarity=polarity,
                weight=self._weight(rows.name, number, "Peso", get("Peso")),
                baseline_year=baseline_year,
                baseline_raw=cell_text(baseline_cell),
                baseline_value=baseline_value,
                derived=self._yes_no(rows.name, number, "Derivato", get("Derivato")),
                position=positions[objective_code],
            )
            for column, field_name in INDICATOR_TEXT_FIELDS:
                self.fits(rows.name, number, column, Indicator, field_name, getattr(indicator, field_name))
            indicator_unit = Unit(unit) if unit else None
            for year, index in target_columns.items():
                cell = values[index] if index < len(values) else None
                if cell is None or (isinstance(cell, str) and not cell.strip()):
                    continue
                parsed, warnings = parse_target(
                    cell,
                    year=year,
                    indicator_unit=indicator_unit,
                    baseline=baseline_value,
                    algorithm=indicator.formula or None,
                )
                column = f"Target {year}"
                for w in warnings:
                    if w.code.startswith("E_"):
                        self.error(rows.name, number, column, w.message)
                    else:
                        self.warn(rows.name, number, column, w.message)
                self._check_target(rows.name, number, column, parsed)
                indicator.targets[year] = TargetCell(year, parsed, tuple(w.code for w in warnings))
            if not indicator.unit:
                indicator.unit = infer_unit(indicator.targets.values())
            if (
                not indicator.targets  # every target cell empty (a placeholder cell is checked by the parser)
                and indicator.formula
                and any(op in indicator.formula for op in (">=", "<=", "≥", "≤"))
            ):
                self.warn(
                    rows.name,
                    number,
                    "Algoritmo",
                    "La cella target è vuota ma l'algoritmo contiene un target: riportarlo nella colonna Target.",
                )
            self.data.indicators.append(indicator)
        self._check_weights(
            rows.name, [(i.objective_code, i.row, i.weight) for i in self.data.indicators], "degli indicatori di «{}»"
        )

    def _check_target(self, sheet: str, row: int, column: str, parsed: ParsedTarget) -> None:
        """Every part of a read target against its column of Target (the writer stores them as they are)."""
        values = [("raw", parsed.raw), ("absolute", parsed.absolute), ("qualifier", parsed.qualifier)]
        if isinstance(parsed.value, Decimal):
            values.append(("number", parsed.value))
        elif isinstance(parsed.value, str):
            values.append(("level", parsed.value))
        for name, value in values:
            if not self.fits(sheet, row, column, Target, name, value):
                return

    # -- Consuntivi -------------------------------------------------------------------------------------------
    def read_measurements(self) -> None:
        sheet = self.sheet(SHEET_MEASUREMENTS, required=False)
        if sheet is None:
            return
        self.data.has_measurement_sheet = True
        rows = read_sheet(self.wb, sheet, MEASUREMENT_COLUMNS)
        if not self._header_check(rows, ["Codice obiettivo", "Anno"]):
            return
        if "Codice indicatore" not in rows.columns and "Nome" not in rows.columns:
            self.error(rows.name, 1, "Codice indicatore", "Serve la colonna «Codice indicatore» o «Nome».")
            return
        indicators = {i.key: i for i in self.data.indicators}
        seen: dict[tuple[tuple[str, str], int], int] = {}
        for number, values in rows.rows:
            get = partial(rows.get, values)
            objective_code = cell_text(get("Codice obiettivo"))
            key = indicator_key(objective_code, cell_text(get("Codice indicatore")), cell_text(get("Nome")))
            indicator = indicators.get(key)
            if indicator is None:
                label = cell_text(get("Codice indicatore")) or cell_text(get("Nome"))
                self.error(
                    rows.name,
                    number,
                    "Codice indicatore" if cell_text(get("Codice indicatore")) else "Nome",
                    f"Indicatore «{label}» dell'obiettivo «{objective_code}» non presente nel foglio Indicatori.",
                )
                continue
            year = self._year(get("Anno"))
            if year is None:
                self.error(rows.name, number, "Anno", f"Anno non valido: «{cell_text(get('Anno'))}».")
                continue
            if year not in self.data.years:
                self.error(
                    rows.name,
                    number,
                    "Anno",
                    f"L'anno {year} è fuori dal periodo del piano ({self.data.start_year}-{self.data.end_year}).",
                )
                continue
            if (key, year) in seen:
                self.error(
                    rows.name, number, "Anno", f"Consuntivo {year} ripetuto (già alla riga {seen[(key, year)]})."
                )
                continue
            seen[(key, year)] = number
            m = MeasurementRow(row=number, indicator_key=key, year=year)
            m.note = cell_text(get("Note"))
            m.manual_reason = cell_text(get("Motivazione"))
            for column, attr in (("Numeratore", "numerator"), ("Denominatore", "denominator")):
                try:
                    setattr(m, attr, self.number(rows.name, number, column, Measurement, attr, to_decimal(get(column))))
                except ValueError:
                    self.error(rows.name, number, column, f"Non è un numero: «{cell_text(get(column))}».")
            if (m.numerator is None) != (m.denominator is None):
                self.error(rows.name, number, "Denominatore", "Indicare sia il numeratore sia il denominatore.")
            try:
                m.manual_achievement = self.number(
                    rows.name,
                    number,
                    "Raggiungimento manuale",
                    Measurement,
                    "manual_achievement",
                    to_decimal(get("Raggiungimento manuale")),
                )
            except ValueError:
                self.error(
                    rows.name,
                    number,
                    "Raggiungimento manuale",
                    f"Deve essere una percentuale, non «{cell_text(get('Raggiungimento manuale'))}».",
                )
            if m.manual_achievement is not None:
                if m.manual_achievement < 0:
                    self.error(
                        rows.name, number, "Raggiungimento manuale", "Il raggiungimento non può essere negativo."
                    )
                if not m.manual_reason:
                    self.error(rows.name, number, "Motivazione", "Il raggiungimento manuale richiede la motivazione.")
            m.variables = self._variables(rows.name, number, get("Variabili"))
            self._value(rows.name, number, get("Valore"), m, indicator)
            self.fits(rows.name, number, "Valore", Measurement, "raw", m.raw)
            m.value_number = self.number(rows.name, number, "Valore", Measurement, "value_number", m.value_number)
            self.fits(rows.name, number, "Valore", Measurement, "value_level", m.value_level)
            has_measures = m.numerator is not None or m.variables
            if not m.raw and not has_measures and m.manual_achievement is None:
                self.error(
                    rows.name,
                    number,
                    "Valore",
                    "Valore mancante: indicare il valore, oppure numeratore e denominatore, le variabili "
                    "o il raggiungimento manuale.",
                )
            self.data.measurements.append(m)

    def _variables(self, sheet: str, row: int, cell: Any) -> dict[str, str]:
        text = cell_text(cell)
        result: dict[str, str] = {}
        if not text:
            return result
        for part in text.split(";"):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            number = parse_decimal(value) if sep else None
            if not sep or not name.strip() or number is None:
                self.error(
                    sheet,
                    row,
                    "Variabili",
                    f"Scrivere le variabili come «Nome=valore; Nome=valore», non «{part.strip()}».",
                )
                continue
            if self.fits(sheet, row, "Variabili", Measurement, "value_number", number):
                result[name.strip()] = str(number)
        return result

    def _value(self, sheet: str, row: int, cell: Any, m: MeasurementRow, indicator: IndicatorRow) -> None:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return
        m.raw = cell_text(cell)
        target = indicator.targets.get(m.year)
        kind = target.parsed.kind if target else None
        parsed = parse_value(cell)
        if kind == Kind.DEADLINE or indicator.unit == Unit.DATE:
            if parsed.kind == Kind.DEADLINE:
                m.value_date = parsed.value
            elif parsed.kind == Kind.BOOL and parsed.value is False:
                m.not_done = True
            else:
                self.error(
                    sheet, row, "Valore", f"Per una scadenza indicare la data di realizzazione o NO, non «{m.raw}»."
                )
            return
        if kind == Kind.BOOL or indicator.unit == Unit.BOOLEAN:
            if parsed.kind == Kind.BOOL:
                m.value_bool = parsed.value
            elif parsed.kind == Kind.NUMBER and parsed.value in (0, 1):
                m.value_bool = parsed.value == 1
            else:
                self.error(sheet, row, "Valore", f"Indicare SI o NO, non «{m.raw}».")
            return
        if kind == Kind.ORDINAL:
            if parsed.kind == Kind.ORDINAL:
                m.value_level = str(parsed.value)
            else:
                self.error(sheet, row, "Valore", f"Indicare un giudizio (es. buono, ottimo), non «{m.raw}».")
            return
        if parsed.kind == Kind.NUMBER:
            m.value_number = parsed.value
        elif parsed.kind == Kind.BOOL:
            m.value_bool = parsed.value
        elif parsed.kind == Kind.DEADLINE:
            m.value_date = parsed.value
        elif parsed.kind == Kind.ORDINAL:
            m.value_level = str(parsed.value)
        elif parsed.kind == Kind.NONE:
            m.raw = ""
        else:
            self.error(
                sheet, row, "Valore", f"Valore non leggibile: «{m.raw}» (atteso un numero, es. 1.250 o 33,34 %)."
            )

    # -- ValorePubblico ---------------------------------------------------------------------------------------
    def read_public_values(self) -> None:
        """The impatti of PIAO section 2.1 (optional sheet): checked here, written by plans.public_value."""
        sheet = self.sheet(SHEET_PUBLIC_VALUE, required=False)
        if sheet is None:
            return
        rows = read_sheet(self.wb, sheet, PUBLIC_VALUE_COLUMNS)
        self.data.public_values = []
        if not self._header_check(rows, ["Codice impatto", "Titolo"]):
            return
        target_columns: dict[int, int] = {}
        for index, header in rows.header_names.items():
            norm = normalise_label(header)
            if norm.startswith("target "):
                year = self._year(norm.removeprefix("target ").strip())
                if year is None or year not in self.data.years:
                    self.warn(rows.name, 1, header, f"Colonna «{header}» fuori dagli anni del piano: ignorata.")
                else:
                    target_columns[year] = index
        objectives = {o.code: o.level for o in self.data.objectives}
        plan_years = Plan(start_year=self.data.start_year, end_year=self.data.end_year)
        by_code: dict[str, PublicValueData] = {}
        names: dict[tuple[str, str], int] = {}
        for number, values in rows.rows:
            get = partial(rows.get, values)
            code = cell_text(get("Codice impatto"))
            if not code:
                self.error(rows.name, number, "Codice impatto", "Codice impatto mancante.")
                continue
            item = by_code.get(code)
            title, description = cell_text(get("Titolo")), cell_text(get("Descrizione"))
            dimensions = self._dimensions(rows.name, number, get("Dimensioni"))
            links = self._links(rows.name, number, get("Obiettivi collegati"), objectives)
            if item is None:
                if not title:
                    self.error(rows.name, number, "Titolo", "Titolo mancante.")
                for column, name, value in (("Codice impatto", "code", code), ("Titolo", "title", title)):
                    self.fits(rows.name, number, column, PublicValue, name, value)
                self.fits(rows.name, number, "Descrizione", PublicValue, "description", description)
                item = PublicValueData(code, title, description, dimensions, links)
                by_code[code] = item
                self.data.public_value_rows[code] = number
                self.data.public_values.append(item)
            else:
                first = self.data.public_value_rows[code]
                for column, given, known in (
                    ("Titolo", title, item.title),
                    ("Descrizione", description, item.description),
                    ("Dimensioni", dimensions, item.dimensions),
                    ("Obiettivi collegati", links, item.objective_codes),
                ):
                    if given and given != known:
                        self.error(
                            rows.name,
                            number,
                            column,
                            f"L'impatto «{code}» ha già un valore diverso alla riga {first}: lasciare la cella vuota "
                            "o ripetere lo stesso valore.",
                        )
            indicator = self._impact_indicator(rows, number, values, target_columns, plan_years)
            if indicator is None:
                continue
            key = (code, indicator.name)
            if key in names:
                self.error(
                    rows.name, number, "Indicatore", f"Indicatore duplicato nell'impatto (già alla riga {names[key]})."
                )
                continue
            names[key] = number
            item.indicators.append(indicator)

    def _dimensions(self, sheet: str, row: int, value: Any) -> list[str]:
        found = []
        for word in cell_text(value).replace(",", ";").split(";"):
            if not word.strip():
                continue
            dimension = _DIMENSION_WORDS.get(normalise_label(word))
            if dimension is None:
                self.error(
                    sheet,
                    row,
                    "Dimensioni",
                    f"Dimensione «{word.strip()}» sconosciuta: usare {', '.join(DIMENSION_LABELS.values())}, "
                    "separate da «;».",
                )
            elif dimension not in found:
                found.append(dimension)
        return [d.value for d in PublicValueDimension if d in found]

    def _links(self, sheet: str, row: int, value: Any, objectives: dict[str, str]) -> list[str]:
        codes = []
        for code in cell_text(value).split(";"):
            code = code.strip()
            if not code:
                continue
            if code not in objectives:
                self.error(sheet, row, "Obiettivi collegati", f"L'obiettivo «{code}» non è nel foglio «Obiettivi».")
            elif objectives[code] not in LINKABLE_LEVELS:
                self.error(
                    sheet,
                    row,
                    "Obiettivi collegati",
                    f"«{code}» non è un obiettivo strategico: collegare obiettivi strategici.",
                )
            elif code not in codes:
                codes.append(code)
        return sorted(codes)

    def _impact_indicator(
        self, rows: SheetRows, number: int, values: tuple[Any, ...], target_columns: dict[int, int], plan: Plan
    ) -> ImpactIndicatorData | None:
        get = partial(rows.get, values)
        name = cell_text(get("Indicatore"))
        others = [c for c in ("Codice indicatore", "Unità", "Fonte", "Baseline anno", "Baseline") if cell_text(get(c))]
        targets = {
            year: cell_text(values[index]) if index < len(values) else "" for year, index in target_columns.items()
        }
        if not name:
            if others or any(targets.values()):
                self.error(rows.name, number, "Indicatore", "Nome dell'indicatore mancante.")
            return None
        unit_text = cell_text(get("Unità"))
        unit = _UNIT_WORDS.get(normalise_label(unit_text)) if unit_text else None
        if unit_text and unit is None:
            self.error(
                rows.name, number, "Unità", f"Unità «{unit_text}» sconosciuta: usare {', '.join(UNIT_LABELS.values())}."
            )
        baseline_year = None
        if cell_text(get("Baseline anno")):
            baseline_year = self._year(get("Baseline anno"))
            if baseline_year is None:
                self.error(rows.name, number, "Baseline anno", f"Anno non valido: «{cell_text(get('Baseline anno'))}».")
        indicator = ImpactIndicatorData(
            name=name,
            code=cell_text(get("Codice indicatore")),
            unit=unit.value if unit else "",
            source=cell_text(get("Fonte")),
            baseline_year=baseline_year,
            baseline=cell_text(get("Baseline")),
        )
        for column, field_name in (
            ("Indicatore", "name"),
            ("Codice indicatore", "code"),
            ("Fonte", "source"),
            ("Baseline", "baseline"),
        ):
            self.fits(rows.name, number, column, PublicValueIndicator, field_name, getattr(indicator, field_name))
        for year, raw in sorted(targets.items()):
            if not raw:
                continue
            problem = impact_target_problem(raw=raw, year=year, unit=indicator.unit, plan=plan)
            if problem:
                self.error(rows.name, number, f"Target {year}", problem)
            else:
                indicator.targets[year] = raw
        return indicator


def infer_unit(targets: Iterable[TargetCell]) -> str:
    for cell in targets:
        if cell.parsed.kind == Kind.DEADLINE:
            return Unit.DATE.value
        if cell.parsed.kind == Kind.BOOL:
            return Unit.BOOLEAN.value
        if cell.parsed.unit and cell.parsed.kind in (Kind.NUMBER,):
            return cell.parsed.unit.value
    return ""


def more_errors(count: int) -> str:
    """«… e altri N errori.» after the listed ones (IMPORT_MAX_ERRORS_LISTED), in words that agree with N."""
    return ngettext("… e un altro errore.", "… e altri %(n)s errori.", count) % {"n": number_it(count)}


def read_plan_workbook(source: str | Path | IO[bytes], *, max_bytes: int) -> ReadResult:
    """Read and validate a whole plan workbook; raises WorkbookRejected for files that are not one."""
    wb = open_workbook(source, max_bytes=max_bytes)
    try:
        reader = PlanReader(wb)
        reader.read_plan()
        reader.read_units()
        has_tree = reader.sheet(SHEET_OBJECTIVES, required=False) is not None
        reader.read_objectives()
        if not has_tree:
            reader.sheet(SHEET_INDICATORS, required=True)  # report it too, without errors that follow from the first
        elif reader.data.years:
            reader.read_indicators()
            reader.read_measurements()
            reader.read_public_values()
        return ReadResult(reader.data, reader.errors, reader.warnings, reader.errors_omitted, reader.warnings_omitted)
    finally:
        wb.close()
