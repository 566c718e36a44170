"""Target and value notation (spec/targets.md).

One parser serves the workbook importer, the web forms and the seed fixture builder. It never raises on
user text: what it cannot read becomes kind TEXT with a warning.

Pure Python on purpose (no Django): the seed builder and the tests run it without settings or a database.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from perfplan.formats import date_it, number_it, value_it


class Kind(StrEnum):
    NONE = "NONE"
    BOOL = "BOOL"
    DEADLINE = "DEADLINE"
    DELTA_PCT = "DELTA_PCT"
    MAINTAIN = "MAINTAIN"
    ORDINAL = "ORDINAL"
    NUMBER = "NUMBER"
    TEXT = "TEXT"


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    EURO = "euro"
    DAYS = "days"
    DATE = "date"
    BOOLEAN = "boolean"


ORDINAL_SCALE = ("insufficiente", "sufficiente", "discreto", "buono", "ottimo")


@dataclass(frozen=True)
class TargetWarning:
    code: str  # e.g. "W_TEXT"
    message: str  # Italian, shown to users

    @property
    def is_error(self) -> bool:
        """Codes starting with "E_" refuse the cell; warnings never block an import."""
        return self.code.startswith("E_")


@dataclass(frozen=True, slots=True)  # one per target cell: 300.000 in a large import
class ParsedTarget:
    kind: Kind
    raw: str
    comparator: str | None = None  # ">=", ">", "<=", "<", "=" or None
    value: Decimal | bool | str | None = None  # number, bool, ordinal level
    unit: Unit | None = None
    deadline: dt.date | None = None
    absolute: Decimal | None = None
    qualifier: str | None = None


@dataclass(frozen=True)
class ParsedValue:
    """A baseline or consuntivo cell."""

    kind: Kind  # NONE, BOOL, DEADLINE (a date), ORDINAL, NUMBER, TEXT
    raw: str
    value: Decimal | bool | str | dt.date | None = None
    unit: Unit | None = None
    warnings: list[TargetWarning] = field(default_factory=list)


# --- messages (targets.md §5) -------------------------------------------------------------------------------

MESSAGES = {
    "E_MULTI": 'La cella contiene più target ({n}): indicare un solo target per colonna "Target {year}".',
    "E_NUMBER": (
        '"{token}" non è un numero: lettere o separatori fuori posto tra le cifre; scrivere il numero in cifre, '
        'con la virgola per i decimali (es. ">= 350", "<= 7,5 %").'
    ),
    "W_TEXT": "Target testuale: il raggiungimento andrà indicato manualmente.",
    "W_QUAL_BASE": (
        'Il target si riferisce a una base esterna ("{qualifier}"): il consuntivo va espresso sulla stessa base.'
    ),
    "W_QUAL_FREQ": (
        'Target con frequenza ("{qualifier}"): riformulare su base annua o indicare il raggiungimento manualmente.'
    ),
    "W_DELTA_NO_BASE": "Variazione percentuale senza valore assoluto né baseline: target non calcolabile.",
    "W_DEADLINE_BEFORE_YEAR": "Scadenza anteriore all'anno del target.",
    "W_DATE_CMP": "Confronto non gestito per una data.",
    "W_TYPO": '"OON" letto come "ON".',
    "W_DECIMAL_POINT": "Numero con punto decimale: letto come decimale.",
    "W_UNIT": "Unità del target diversa da quella dell'indicatore.",
    "W_IMPLAUSIBLE": "Percentuale superiore a 1000: verificare.",
    "W_TARGET_IN_FORMULA": (
        "La cella target è vuota ma l'algoritmo contiene un target: riportarlo nella colonna Target."
    ),
}


def make_warning(code: str, **params: object) -> TargetWarning:
    """Build a warning with its Italian message; placeholders ({n}, {qualifier}, {year}) come from params."""
    if code == "E_MULTI":
        params.setdefault("year", "AAAA")
    return TargetWarning(code, MESSAGES[code].format(**params))


# --- normalisation (targets.md §3) --------------------------------------------------------------------------

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CMP_SPACE = re.compile(r"([<>]) +=")
_CHAR_MAP = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2212": "-",
        "\u2265": ">=",
        "\u2264": "<=",
        "\u2a7e": ">=",
        "\u2a7d": "<=",
    }
)


def normalise(text: str) -> str:
    """Apply targets.md §3 steps 3-5 (markup, characters, whitespace) to a copy of the cell text.

    Repeated until stable (double-escaped `&amp;gt;`, tags revealed by unescaping), so that normalising twice
    changes nothing: formatted targets must parse back to the same structure.
    """
    for _ in range(10):
        previous = text
        text = _TAG.sub(" ", text)
        text = text.replace("**", "")
        text = html.unescape(text)
        text = unicodedata.normalize("NFC", text)
        text = text.translate(_CHAR_MAP)
        text = _SPACES.sub(" ", text).strip()
        text = _CMP_SPACE.sub(r"\1=", text)
        if text == previous:
            break
    return text


# --- lexicon and grammar (targets.md §4) --------------------------------------------------------------------

_MONTHS = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)
_LETTER = r"[^\W\d_]"
_THOUSANDS = r"[0-9]{1,3}(?:\.[0-9]{3})+"
_AMOUNT = rf"(?:{_THOUSANDS}|[0-9]+)(?:,[0-9]+)?"
# D3 retry: a lone "." between digits read as a decimal point (thousands groups still win when they fit).
_AMOUNT_POINT = rf"(?:{_THOUSANDS}(?:,[0-9]+)?|[0-9]+\.[0-9]+|[0-9]+(?:,[0-9]+)?)"
_UNIT = rf"(?:%|N\.|€|gg(?!{_LETTER}))"
_DATE = (
    r"(?:(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})"
    rf"|(?P<dayn>[0-9]{{1,2}}) (?P<monthn>{'|'.join(_MONTHS)}) (?P<yearn>[0-9]{{4}}))"
)
_FLAGS = re.IGNORECASE

_NONE_RE = re.compile(r"(?:n/d|--+|//)", _FLAGS)
_BOOL_RE = re.compile(r"(?:(?P<word>sì|si|no)|(?P<onoff>oon|on|off)(?: ?\((?P<digit>[01])\))?)", _FLAGS)
_DEADLINE_RE = re.compile(rf"(?:(?P<cmp><=|<) ?)?(?:(?P<entro>entro) (?:il )?)?{_DATE}", _FLAGS)
_DATE_CMP_RE = re.compile(rf"(?:(?:>=|>|=) ?|almeno )(?:entro (?:il )?)?{_DATE}", _FLAGS)
_MAINTAIN_RE = re.compile(r"mantenimento", _FLAGS)
_ORDINAL_RE = re.compile(rf"(?P<level>{'|'.join(ORDINAL_SCALE)})", _FLAGS)
_DATE_RE = re.compile(_DATE, _FLAGS)


def _delta_re(amount: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<sign>[+-])(?P<amount>{amount}) ?%"
        rf"(?: ?\( ?(?P<euro>€ ?)?(?P<absolute>{amount})(?: ?(?P<unit>{_UNIT}))? ?\))?",
        _FLAGS,
    )


def _number_re(amount: str, qualifier: bool) -> re.Pattern[str]:
    """`number_t`; the unit is possessive (PEG): `0 N. 0` is never 0 with the qualifier "N. 0"."""
    tail = rf"(?: ?(?P<qualifier>(?:{_LETTER}|\().*))?" if qualifier else ""
    return re.compile(
        r"(?:(?P<cmp>>=|<=|>|<|=) ?|(?P<almeno>almeno) )?(?P<euro>€ ?)?(?P<sign>[+-])?"
        rf"(?P<amount>{amount})(?: ?(?P<unit>{_UNIT}))?+{tail}",
        _FLAGS | re.DOTALL,
    )


def _value_re(amount: str) -> re.Pattern[str]:
    return re.compile(rf"(?P<euro>€ ?)?(?P<sign>[+-])?(?P<amount>{amount})(?: ?(?P<unit>{_UNIT}))?", _FLAGS)


class _Grammar:
    """The compiled patterns for one reading of amounts (Italian, or the D3 decimal-point retry)."""

    def __init__(self, amount: str) -> None:
        self.delta = _delta_re(amount)
        self.number = _number_re(amount, qualifier=True)
        self.number_plain = _number_re(amount, qualifier=False)
        self.value = _value_re(amount)


_ITALIAN = _Grammar(_AMOUNT)
_POINT = _Grammar(_AMOUNT_POINT)
_HAS_POINT = re.compile(r"[0-9]\.[0-9]")

# How a value of each unit is written after its number, the one table (§5): `87,35 %`, `382 N.`, `1.250 €`, `30 gg`.
UNIT_SUFFIX = {Unit.PERCENT: "%", Unit.COUNT: "N.", Unit.EURO: "€", Unit.DAYS: "gg"}
_UNITS = {suffix.casefold(): unit for unit, suffix in UNIT_SUFFIX.items()}  # and read back, in any case
_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}

_QUAL_BASE = re.compile(r"^\(?\s*(?:(?:del|dello|della|dei|degli|delle)\b|dell')", _FLAGS)
_QUAL_FREQ = re.compile(
    r"\b(?:(?:al|a|per|ogni) (?:mese|giorno|settimana|bimestre|trimestre|semestre|anno)\b|all'anno\b"
    r"|(?:mensil|bimestral|trimestral|quadrimestral|semestral|settimanal|giornalier|quotidian)\w*"
    r"|annu[oaie]\b|annual[ei]\b)",
    _FLAGS,
)
# Strict reading of the number a cell starts with (after comparator, `almeno`, `€`, sign): its token, up to a
# space, `%`, `€` or `(`. `>= 3x0`, `>=35O`, `1,2,3`, `>= 1e32` are mistyped numbers, refused with E_NUMBER
# instead of being read as 3 + qualifier "x0", as TEXT, or as 1 + "e32".
_NUMBER_START = re.compile(
    r"(?:(?:>=|<=|>|<|=) ?|almeno )?(?:€ ?)?[+-]?(?P<token>(?P<digits>[0-9][0-9.,]*)(?P<rest>[^\s%€()]*))",
    _FLAGS,
)
_DOTTED_DATE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{2,4})?\.?")  # `30.06.2018`: a date, stays TEXT
_LETTERS_THEN_DIGIT = re.compile(rf"{_LETTER}+[^\s]*[0-9]")
_ORDINAL_TEXT = re.compile(rf" {_LETTER}")
_FORMULA_TARGET = re.compile(r"(?:>=|<=|>|<)\s*[+-]?[0-9]")


def _unit(text: str | None) -> Unit | None:
    return _UNITS.get(text.casefold()) if text else None


def _amount(text: str) -> Decimal:
    """Turn a matched amount into a Decimal: `.` groups thousands, `,` is the decimal mark (D3)."""
    if "," in text:
        return Decimal(text.replace(".", "").replace(",", "."))
    if re.fullmatch(_THOUSANDS, text):
        return Decimal(text.replace(".", ""))
    return Decimal(text)  # plain digits, or a decimal point in the D3 retry


def _date(match: re.Match[str]) -> dt.date | None:
    """The date matched by _DATE, or None when it does not exist (31/02)."""
    try:
        if match.group("day"):
            return dt.date(int(match.group("year")), int(match.group("month")), int(match.group("day")))
        month = _MONTHS.index(match.group("monthn").casefold()) + 1
        return dt.date(int(match.group("yearn")), month, int(match.group("dayn")))
    except ValueError:
        return None


def _clean_decimal(value: Decimal, shift: int = 0) -> Decimal:
    """Multiply by 10**shift and drop trailing zeros (0.3334 × 100 → 33.34, 50.0 → 50), exactly and without
    exponents: Decimal arithmetic would round to the context precision."""
    sign, digit_tuple, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return value
    digits = list(digit_tuple)
    exponent += shift
    if exponent > 0:
        digits += [0] * exponent
        exponent = 0
    while exponent < 0 and digits[-1] == 0 and (len(digits) > 1 or digits == [0]):
        digits.pop()
        exponent += 1
    return Decimal((sign, tuple(digits) or (0,), exponent))


# --- single items -------------------------------------------------------------------------------------------


def _item(
    text: str, raw: str, grammar: _Grammar, *, qualifier: bool
) -> tuple[ParsedTarget, list[TargetWarning]] | None:
    """Read one whole target (grammar `target` minus `text`), first alternative that consumes it all."""
    if _NONE_RE.fullmatch(text):
        return ParsedTarget(Kind.NONE, raw), []
    match = _BOOL_RE.fullmatch(text)
    if match:
        return _bool(match, raw)
    match = _DEADLINE_RE.fullmatch(text)
    if match:
        deadline = _date(match)
        if deadline is not None:
            comparator = "<" if match.group("cmp") == "<" else "<="
            return ParsedTarget(Kind.DEADLINE, raw, comparator, unit=Unit.DATE, deadline=deadline), []
    match = grammar.delta.fullmatch(text)
    if match:
        negative = match.group("sign") == "-"
        amount = _amount(match.group("amount"))
        absolute = _amount(match.group("absolute")) if match.group("absolute") else None
        unit = _unit(match.group("unit")) or (Unit.EURO if match.group("euro") else None)
        return ParsedTarget(
            Kind.DELTA_PCT,
            raw,
            "<=" if negative else ">=",
            amount.copy_negate() if negative else amount,
            unit=unit,
            absolute=absolute,
        ), []
    if _MAINTAIN_RE.fullmatch(text):
        return ParsedTarget(Kind.MAINTAIN, raw), []
    match = _ORDINAL_RE.fullmatch(text)
    if match and match.group("level").casefold() in ORDINAL_SCALE:
        return ParsedTarget(Kind.ORDINAL, raw, ">=", match.group("level").casefold()), []
    if _DATE_CMP_RE.fullmatch(text):
        return None  # D5: `>= 30 giugno 2018` is a date with an unsupported comparator, not 30 + "giugno 2018"
    match = (grammar.number if qualifier else grammar.number_plain).fullmatch(text)
    if match:
        return _number(match, raw)
    return None


def _bool(match: re.Match[str], raw: str) -> tuple[ParsedTarget, list[TargetWarning]] | None:
    """D6: SI/ON true, NO/OFF false; `ON (0)` and `OFF (1)` contradict themselves and are not read."""
    warnings: list[TargetWarning] = []
    word = match.group("word")
    if word:
        value = word.casefold() != "no"
    else:
        onoff = match.group("onoff").casefold()
        if onoff == "oon":
            warnings.append(make_warning("W_TYPO"))
        value = onoff != "off"
        digit = match.group("digit")
        if digit is not None and (digit == "1") != value:
            return None
    return ParsedTarget(Kind.BOOL, raw, "=", value, unit=Unit.BOOLEAN), warnings


def _number(match: re.Match[str], raw: str) -> tuple[ParsedTarget, list[TargetWarning]] | None:
    comparator = ">=" if match.group("almeno") else match.group("cmp")
    unit = _unit(match.group("unit")) or (Unit.EURO if match.group("euro") else None)
    if comparator is None and match.group("sign") and unit is Unit.PERCENT:
        return None  # D1: a signed percentage without comparator is a change, never a plain number
    value = _amount(match.group("amount"))
    if match.group("sign") == "-":
        value = value.copy_negate()
    qualifier = match.groupdict().get("qualifier")
    return ParsedTarget(Kind.NUMBER, raw, comparator, value, unit=unit, qualifier=qualifier), []


_MAX_ITEM_TOKENS = 8  # the longest item, `+1 % ( € 31.310 € )`, spans 7 tokens


def _row(text: str, grammar: _Grammar) -> list[tuple[ParsedTarget, list[TargetWarning]]] | None:
    """Split `row = item {sp item}`: at each space-separated position the first item alternative wins."""
    items: list[tuple[ParsedTarget, list[TargetWarning]]] = []
    tokens = text.split(" ")
    start = 0
    while start < len(tokens):
        # An item spans one or more tokens; take the longest span that reads as one item (greedy optional
        # parts of the grammar), so `46,11 €` and `Entro 30 giugno 2018` stay whole.
        for end in range(min(len(tokens), start + _MAX_ITEM_TOKENS), start, -1):
            piece = " ".join(tokens[start:end])
            found = _item(piece, piece, grammar, qualifier=False) if piece else None
            if found is not None:
                items.append(found)
                start = end
                break
        else:
            return None
    return items or None


# --- public API ---------------------------------------------------------------------------------------------

_UNSET: object = object()


def parse_target(
    cell: object,
    *,
    percent_format: bool = False,
    year: int | None = None,
    indicator_unit: Unit | None = None,
    baseline: object = _UNSET,
    algorithm: str | None = None,
) -> tuple[ParsedTarget, list[TargetWarning]]:
    """Parse one target cell (text or typed spreadsheet value) into a structured target and its warnings.

    `year` enables W_DEADLINE_BEFORE_YEAR (and names the column in E_MULTI), `indicator_unit` W_UNIT,
    `baseline` (a Decimal, a ParsedValue or None when known to be missing) W_DELTA_NO_BASE, `algorithm`
    (the Algoritmo text) W_TARGET_IN_FORMULA. Never raises.
    """
    try:
        parsed, warnings = _parse_target(cell, percent_format=percent_format, year=year)
        warnings = warnings + _context_warnings(parsed, year, indicator_unit, baseline, algorithm)
        return parsed, warnings
    except Exception:  # noqa: BLE001 - user text must never break an import
        return ParsedTarget(Kind.TEXT, _safe_str(cell)), [make_warning("W_TEXT")]


def _safe_str(cell: object) -> str:
    try:
        return "" if cell is None else str(cell)
    except Exception:  # noqa: BLE001
        return ""


def _typed_decimal(cell: int | float | Decimal, percent_format: bool) -> Decimal | None:
    """A typed spreadsheet number as Decimal (via its shortest repr, never binary float noise)."""
    if isinstance(cell, float):
        if not math.isfinite(cell):
            return None
        value = Decimal(repr(cell))
    else:
        value = Decimal(cell)
        if not value.is_finite():
            return None
    if percent_format:
        return _clean_decimal(value, 2)
    return _clean_decimal(value) if isinstance(cell, float) else value


def _parse_target(cell: object, *, percent_format: bool, year: int | None) -> tuple[ParsedTarget, list[TargetWarning]]:
    if cell is None:
        return ParsedTarget(Kind.NONE, ""), []
    # A typed cell keeps as `raw` the text a user reads in the sheet (Italian form), so an export writes back
    # text that parses to the same target (round trip).
    if isinstance(cell, bool):
        return ParsedTarget(Kind.BOOL, "SI" if cell else "NO", "=", cell, unit=Unit.BOOLEAN), []
    if isinstance(cell, dt.date):
        day = cell.date() if isinstance(cell, dt.datetime) else cell
        return ParsedTarget(Kind.DEADLINE, date_it(day), "<=", unit=Unit.DATE, deadline=day), []
    if isinstance(cell, int | float | Decimal):
        value = _typed_decimal(cell, percent_format)
        if value is None:
            return ParsedTarget(Kind.TEXT, str(cell)), [make_warning("W_TEXT")]
        unit = Unit.PERCENT if percent_format else None
        raw = format_number(value) + (" %" if percent_format else "")
        return ParsedTarget(Kind.NUMBER, raw, None, value, unit=unit), []
    if not isinstance(cell, str):
        return ParsedTarget(Kind.TEXT, _safe_str(cell)), [make_warning("W_TEXT")]
    return _parse_text(cell, year=year)


def _parse_text(raw: str, *, year: int | None = None) -> tuple[ParsedTarget, list[TargetWarning]]:
    """The text path of parse_target: §3 normalisation, §4 grammar, then row (E_MULTI) and text fallbacks."""
    text = normalise(raw)
    if text == "":
        return ParsedTarget(Kind.NONE, raw), []
    token = _mistyped_number(text)
    if token:
        return ParsedTarget(Kind.TEXT, raw), [make_warning("E_NUMBER", token=token)]
    passes = [(_ITALIAN, [])]
    if _HAS_POINT.search(text):
        passes.append((_POINT, [make_warning("W_DECIMAL_POINT")]))
    for grammar, extra in passes:
        found = _item(text, raw, grammar, qualifier=True)
        if found is None:
            row = _row(text, grammar)
        elif found[0].qualifier:
            # Is the "qualifier" really more targets (`0,00% N/D N/D >= 6 N.`, `>=5 buono`) or the rest of one
            # (`1giugno 2018`)? Decided on the formatted text, so that format → parse gives the same answer.
            row = _row(normalise(format_target(found[0])), _ITALIAN)
            if row is not None and len(row) == 1:
                parsed, warnings = row[0]
                return replace(parsed, raw=raw), extra + warnings
        else:
            row = None
        if row is not None and len(row) >= 2:
            # Several targets in one cell: refused, not kept as TEXT (§7).
            return ParsedTarget(Kind.TEXT, raw), [make_warning("E_MULTI", n=len(row), year=year or "AAAA")]
        if found is not None:
            parsed, warnings = found
            return parsed, extra + warnings + _qualifier_warnings(parsed.qualifier)
    if _DATE_CMP_RE.fullmatch(text):
        return ParsedTarget(Kind.TEXT, raw), [make_warning("W_DATE_CMP"), make_warning("W_TEXT")]
    return ParsedTarget(Kind.TEXT, raw), [make_warning("W_TEXT")]


def _mistyped_number(text: str) -> str | None:
    """The token of a cell that starts as a number but is not one (E_NUMBER), else None.

    Refused: letters followed by digits inside the number (`3x0`, `35O0`, `1e32`, `1E-5`), one letter glued
    to the digits (`35O`, `3o`, `350k`: an O or l typed for a zero or a one, or a stray key) unless it is an
    Italian ordinal opening a text (`2a edizione del corso`), separators that form no amount of D3
    (`1,2,3`, `1.2.3`, `1,2.3`). Not refused: a unit or a word after the number, glued or not (`4N.`, `12ore`,
    `>= 3 incontri`), dates (`30/09/2017`, `1 giugno 2018`, `30.06.2018`), the D3 decimal point (`3.5`).
    """
    match = _NUMBER_START.match(text)
    if match is None:
        return None
    digits, rest = match.group("digits"), match.group("rest")
    if _DOTTED_DATE.fullmatch(digits) and not rest:
        return None
    amount = digits[:-1] if digits[-1] in ".," else digits  # `>= 4.` ends a sentence
    if not re.fullmatch(_AMOUNT_POINT, amount):
        return match.group("token")
    if _LETTERS_THEN_DIGIT.match(rest):
        return match.group("token")
    if len(rest) == 1 and rest.isalpha():
        ordinal = match.start("token") == 0 and rest in "aoAO" and _ORDINAL_TEXT.match(text, match.end())
        if not ordinal:  # `2a edizione del corso`, `1o trimestre` are text with an ordinal, not a number
            return match.group("token")
    return None


def _qualifier_warnings(qualifier: str | None) -> list[TargetWarning]:
    """D8: a qualifier naming another base or a frequency needs review before scoring."""
    if not qualifier:
        return []
    warnings = []
    if _QUAL_BASE.search(qualifier):
        warnings.append(make_warning("W_QUAL_BASE", qualifier=qualifier))
    if _QUAL_FREQ.search(qualifier):
        warnings.append(make_warning("W_QUAL_FREQ", qualifier=qualifier))
    return warnings


def _context_warnings(
    parsed: ParsedTarget, year: int | None, indicator_unit: Unit | None, baseline: object, algorithm: str | None
) -> list[TargetWarning]:
    """Warnings that depend on what surrounds the cell (D2, D5, D11, row 50)."""
    warnings = []
    if parsed.kind is Kind.DEADLINE and year is not None and parsed.deadline and parsed.deadline.year < year:
        warnings.append(make_warning("W_DEADLINE_BEFORE_YEAR"))
    delta_without_absolute = parsed.kind is Kind.DELTA_PCT and parsed.absolute is None
    if delta_without_absolute and baseline is not _UNSET and not _has_number(baseline):
        warnings.append(make_warning("W_DELTA_NO_BASE"))
    if indicator_unit is not None and parsed.unit is not None and str(parsed.unit) != str(indicator_unit):
        warnings.append(make_warning("W_UNIT"))
    if parsed.unit is Unit.PERCENT and isinstance(parsed.value, Decimal) and abs(parsed.value) > 1000:
        warnings.append(make_warning("W_IMPLAUSIBLE"))
    if parsed.kind is Kind.NONE and algorithm and _FORMULA_TARGET.search(normalise(algorithm)):
        warnings.append(make_warning("W_TARGET_IN_FORMULA"))
    return warnings


def _has_number(baseline: object) -> bool:
    if isinstance(baseline, ParsedValue):
        return baseline.kind is Kind.NUMBER
    return isinstance(baseline, int | float | Decimal) and not isinstance(baseline, bool)


def parse_row(text: str, *, year: int | None = None) -> list[tuple[ParsedTarget, list[TargetWarning]]] | None:
    """Seed rows (§7): several items separated by spaces, each with its own warnings; None if not a row."""
    try:
        normalised = normalise(text)
        if not normalised:
            return None
        items = _row(normalised, _ITALIAN)
        if items is None:
            return None
        return [(parsed, warnings + _context_warnings(parsed, year, None, _UNSET, None)) for parsed, warnings in items]
    except Exception:  # noqa: BLE001
        return None


_LONE_UNIT = re.compile(r"\s*[€%]\s*")
_LONE_DIGIT = re.compile(r"\s*\([01]\)\s*")
_ONOFF = re.compile(r"\s*(?:oon|on|off)\s*", _FLAGS)


def join_seed_lines(lines: list[str]) -> list[tuple[int, str]]:
    """Seed text only (§3 step 7): drop blank lines, attach a lone `€`/`%` line to the number above it and a
    lone `(0)`/`(1)` line to the `OFF`/`ON` above it. Returns (1-based number of the first line, text)."""
    joined: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if joined:
            previous_number, previous = joined[-1]
            value = parse_value(previous)
            lone_unit = _LONE_UNIT.fullmatch(line) and value.kind is Kind.NUMBER and value.unit is None
            if lone_unit or (_LONE_DIGIT.fullmatch(line) and _ONOFF.fullmatch(previous)):
                joined[-1] = (previous_number, f"{previous.strip()} {line.strip()}")
                continue
        joined.append((number, line))
    return joined


def split_row(text: str) -> list[ParsedTarget] | None:
    """The `row` grammar of seed lines: `3140 3140 3140` → three targets; None when the text is not a row."""
    items = parse_row(text)
    return None if items is None else [parsed for parsed, _ in items]


def ordinal_rank(level: str) -> int:
    """Position on the scale insufficiente (0) … ottimo (4), case-insensitive (D12); ValueError if unknown."""
    key = level.strip().lower()
    if key not in ORDINAL_SCALE:
        raise ValueError(f"livello ordinale sconosciuto: {level!r}")
    return ORDINAL_SCALE.index(key)


# --- formatting (§5) ----------------------------------------------------------------------------------------


def format_number(value: Decimal) -> str:
    """A number as the plans write it (`1.250,5`, `0,50`): perfplan.formats.number_it, the value's decimals kept."""
    return number_it(value, as_written=True)


def with_unit(text: str, unit: Unit | None) -> str:
    """A number with its unit's suffix (UNIT_SUFFIX): `87,35` → `87,35 %`; no unit, or no text, adds none."""
    suffix = UNIT_SUFFIX.get(unit) if unit else None
    return f"{text} {suffix}" if suffix and text else text


def unit_of(unit: str) -> Unit | None:
    """An indicator's or a target's stored unit as a Unit (None when blank or unknown)."""
    try:
        return Unit(unit) if unit else None
    except ValueError:
        return None


def number_text(value: Decimal, unit: Unit | None) -> str:
    """One format per unit: percentages always with two decimals (`100,00`, `94,23`), other amounts whole when they
    are whole (`389.727`), else with two decimals (`1,15`), rounded half up."""
    if unit == Unit.PERCENT or value != value.to_integral_value():
        return number_it(value, 2)
    return number_it(value, 0)


def value_text(value: object, unit: Unit | None) -> str:
    """A consuntivo as the reader expects it: `382 N.`, `87,35 %`, `30/09/2017`, `SI`; `N/D` when there is none.
    The Relazione, the plan page and the previous years' results all print values this way."""
    if isinstance(value, Decimal):
        return with_unit(number_text(value, unit), unit)
    return value_it(value, empty="N/D")  # SI/NO, a date, a level


def format_target(parsed: ParsedTarget) -> str:
    """Write a target back as the forms show it; parsing the result gives the same structure (§5)."""
    kind = parsed.kind
    if kind is Kind.NONE:
        return ""
    if kind is Kind.TEXT:
        return parsed.raw
    if kind is Kind.BOOL:
        return "SI" if parsed.value else "NO"
    if kind is Kind.MAINTAIN:
        return "mantenimento"
    if kind is Kind.ORDINAL:
        return str(parsed.value).lower()
    if kind is Kind.DEADLINE and parsed.deadline is not None:
        date_text = date_it(parsed.deadline)
        return f"< {date_text}" if parsed.comparator == "<" else f"entro il {date_text}"
    if kind is Kind.DELTA_PCT and isinstance(parsed.value, Decimal):
        sign = "-" if parsed.comparator == "<=" or parsed.value < 0 else "+"
        text = f"{sign}{format_number(parsed.value.copy_abs())}%"
        if parsed.absolute is not None:
            text += f" ({with_unit(format_number(parsed.absolute), parsed.unit)})"
        return text
    if kind is Kind.NUMBER and isinstance(parsed.value, Decimal):
        text = with_unit(format_number(parsed.value), parsed.unit)
        if parsed.comparator:
            text = f"{_SYMBOLS[parsed.comparator]} {text}"
        if parsed.qualifier:
            text = f"{text} {parsed.qualifier}"
        return text
    return parsed.raw


# --- values: baselines and consuntivi (§8) ------------------------------------------------------------------


def parse_value(cell: object, *, percent_format: bool = False) -> ParsedValue:
    """Parse a baseline or consuntivo: `value = none | bool | date | ordinal | [sign] amount [unit]`.

    Plain `1`/`0` are numbers (the scorer reads them as done/not done for BOOL targets); anything else is
    TEXT. Never raises.
    """
    try:
        return _parse_value(cell, percent_format)
    except Exception:  # noqa: BLE001 - user text must never break an import
        return ParsedValue(Kind.TEXT, _safe_str(cell))


def _parse_value(cell: object, percent_format: bool) -> ParsedValue:
    if cell is None:
        return ParsedValue(Kind.NONE, "")
    if isinstance(cell, bool):
        return ParsedValue(Kind.BOOL, str(cell), cell, Unit.BOOLEAN)
    if isinstance(cell, dt.date):
        day = cell.date() if isinstance(cell, dt.datetime) else cell
        return ParsedValue(Kind.DEADLINE, day.isoformat(), day, Unit.DATE)
    if isinstance(cell, int | float | Decimal):
        number = _typed_decimal(cell, percent_format)
        if number is None:
            return ParsedValue(Kind.TEXT, str(cell))
        unit = Unit.PERCENT if percent_format else None
        return ParsedValue(Kind.NUMBER, str(cell), number, unit, _implausible(number, unit))
    if not isinstance(cell, str):
        return ParsedValue(Kind.TEXT, _safe_str(cell))
    raw = cell
    text = normalise(raw)
    if text == "" or _NONE_RE.fullmatch(text):
        return ParsedValue(Kind.NONE, raw)
    match = _BOOL_RE.fullmatch(text)
    if match:
        found = _bool(match, raw)
        if found is not None:
            return ParsedValue(Kind.BOOL, raw, found[0].value, Unit.BOOLEAN, found[1])
    match = _DATE_RE.fullmatch(text)
    if match:
        day = _date(match)
        if day is not None:
            return ParsedValue(Kind.DEADLINE, raw, day, Unit.DATE)
    match = _ORDINAL_RE.fullmatch(text)
    if match and match.group("level").casefold() in ORDINAL_SCALE:
        return ParsedValue(Kind.ORDINAL, raw, match.group("level").casefold())
    passes = [(_ITALIAN, [])]
    if _HAS_POINT.search(text):
        passes.append((_POINT, [make_warning("W_DECIMAL_POINT")]))
    for grammar, extra in passes:
        match = grammar.value.fullmatch(text)
        if match:
            number = _amount(match.group("amount"))
            if match.group("sign") == "-":
                number = number.copy_negate()
            unit = _unit(match.group("unit")) or (Unit.EURO if match.group("euro") else None)
            return ParsedValue(Kind.NUMBER, raw, number, unit, extra + _implausible(number, unit))
    return ParsedValue(Kind.TEXT, raw)


def _implausible(number: Decimal, unit: Unit | None) -> list[TargetWarning]:
    return [make_warning("W_IMPLAUSIBLE")] if unit is Unit.PERCENT and abs(number) > 1000 else []


def parse_decimal(text: object) -> Decimal | None:
    """An Italian number with optional unit (`1.250,50`, `33,34 %`, `€ 10,00`), e.g. a weight; else None."""
    parsed = parse_value(text)
    return parsed.value if parsed.kind is Kind.NUMBER and isinstance(parsed.value, Decimal) else None


__all__ = [
    "MESSAGES",
    "ORDINAL_SCALE",
    "Kind",
    "ParsedTarget",
    "ParsedValue",
    "UNIT_SUFFIX",
    "TargetWarning",
    "Unit",
    "format_number",
    "format_target",
    "join_seed_lines",
    "make_warning",
    "normalise",
    "number_text",
    "ordinal_rank",
    "parse_decimal",
    "parse_row",
    "parse_target",
    "parse_value",
    "split_row",
    "unit_of",
    "value_text",
    "with_unit",
]
