"""The scoring core: achievement of indicators, nodes, the ente and org units (spec/scoring.md).

Pure functions on plain frozen dataclasses: no ORM, no Django. The loader turns the database into these inputs;
pages, JSON, Excel and PDF all print what comes out of here, so there is one number everywhere. Every result carries
Italian `steps` (inputs → rule → result) so that each score can explain itself. Decimal only, never float.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import NamedTuple

from indicators.formula import FormulaError, parse_formula, single_name
from indicators.notation import ORDINAL_SCALE, Kind, ParsedTarget, Unit, format_target
from perfplan.formats import date_it, number_it, percent_it

HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
NOT_MET_CEILING = Decimal("99.99")  # a target that is not met never shows 100 (scoring.md §1)
WEIGHT_SUM_TOLERANCE = Decimal("0.05")  # 33,34 + 33,33 + 33,33 is "100 %" (workbook.md)

# Fixed context so that a caller's decimal settings never change a score.
_CONTEXT = Context(prec=28)

HIGHER_BETTER = "higher_better"
LOWER_BETTER = "lower_better"

OK = "ok"
OVERRIDDEN = "overridden"
MISSING = "missing"
NOT_COMPUTABLE = "not_computable"
NO_TARGET = "no_target"

BAND_ACHIEVED = "raggiunto"
BAND_PARTIAL = "parziale"
BAND_NOT_ACHIEVED = "non_raggiunto"
BAND_NONE = "nd"

# Kinds of the scoring warnings (ScoreWarning.kind): reports pick the ones they show by kind, never by wording.
WARN_WEIGHT_BLANK = "weight_blank"  # a blank weight among weighted siblings: counts 0
WARN_WEIGHT_SUM = "weight_sum"  # the given weights do not add up to 100: normalised
WARN_DERIVED_LEAF = "derived_leaf"  # a derived indicator on a node without children


class ScoreWarning(str):
    """A scoring warning: its Italian message (it is the string itself, so pages, JSON and tests that print or
    compare messages are unchanged) and its `kind`, one of the WARN_* codes."""

    kind: str

    def __new__(cls, message: str, kind: str) -> ScoreWarning:
        warning = super().__new__(cls, message)
        warning.kind = kind
        return warning

    def __getnewargs__(self) -> tuple[str, str]:  # a pickled or copied warning keeps its kind
        return str(self), self.kind


# --- Inputs ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringRules:
    cap: bool = True
    min_threshold: Decimal | None = None  # achievement below it counts as 0
    missing: str = "exclude"  # "exclude" | "zero"
    default_indicator_share: Decimal | None = None  # percent 0-100; None = 100
    equality_tolerance: Decimal = Decimal(0)
    achieved_threshold: Decimal = Decimal(100)  # band "raggiunto"
    partial_threshold: Decimal = Decimal(50)  # band "parziale"


@dataclass(frozen=True)
class MeasurementInput:
    value_number: Decimal | None = None
    value_date: datetime.date | None = None
    value_bool: bool | None = None
    value_level: str = ""
    not_done: bool = False  # "NO" typed for a deadline target
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    variables: dict[str, Decimal] = field(default_factory=dict)
    manual_achievement: Decimal | None = None
    manual_reason: str = ""


@dataclass(frozen=True)
class IndicatorInput:
    id: int
    code: str
    name: str
    weight: Decimal | None
    polarity: str = "higher_better"  # or "lower_better"
    unit: Unit | None = None
    formula: str = ""
    derived: bool = False
    target: ParsedTarget | None = None  # the version in force on 31/12 of the year; None = no target row
    target_version: int | None = None
    baseline: Decimal | None = None
    measurement: MeasurementInput | None = None


@dataclass(frozen=True)
class NodeInput:
    id: int
    code: str
    level: str  # "area", "strategic", "program", "operational", "action"
    title: str
    weight: Decimal | None
    indicator_share: Decimal | None = None  # percent 0-100, overrides the plan default
    org_unit_id: int | None = None
    indicators: tuple[IndicatorInput, ...] = ()
    children: tuple[NodeInput, ...] = ()


@dataclass(frozen=True)
class UnitInput:
    id: int
    parent_id: int | None
    code: str
    name: str


# --- Results ---------------------------------------------------------------------------------------------------


class WeightUse(NamedTuple):
    """One item of a weighted mean: `weight` is its normalised percent among the items that take part that year
    (None when it takes no part: no target that year); `used` says whether it entered the mean."""

    kind: str  # "indicator" | "node"
    id: int
    weight: Decimal | None
    used: bool


@dataclass(frozen=True)
class IndicatorScore:
    id: int
    achievement: Decimal | None  # percent, 2 decimals, half up
    computed: Decimal | None  # the rule's result before a manual override
    status: str  # "ok" | "overridden" | "missing" | "not_computable" | "no_target"
    rule: str  # relazione.md §8 item 4: "≥", "≤*", "=", "SCAD", "SI/NO", "Δ%", "MANT", "GIUD", "DER", "MAN", "N/D"
    value: Decimal | datetime.date | bool | str | None  # the consuntivo used
    target_value: Decimal | None  # resolved numeric target (Δ% and mantenimento give an absolute value)
    capped: bool
    reason: str  # Italian, why there is no computed score (or a note on the override)
    band: str = BAND_NONE
    met: bool | None = None  # target met by the rule (None when no rule applied)
    source: _IndicatorSource | None = field(default=None, repr=False, compare=False)

    @property
    def steps(self) -> tuple[str, ...]:
        """The explanation, worked out again when asked for: a plan page scores 10,000 indicators and shows the
        steps of one, so scoring builds no text (same pure function, same inputs, same result)."""
        if self.source is None:
            return ()
        steps: list[str] = []
        with localcontext(_CONTEXT):
            _score_indicator(*self.source, steps)
        return tuple(steps)


@dataclass(frozen=True)
class NodeScore:
    id: int
    score: Decimal | None
    indicators_part: Decimal | None
    children_part: Decimal | None
    share: Decimal  # percent of the score that came from the indicators part
    coverage: Decimal | None  # percent of the weight that was measured; None when nothing takes part that year
    weights: tuple[WeightUse, ...]
    warnings: tuple[ScoreWarning, ...]
    code: str = ""
    level: str = ""
    band: str = BAND_NONE
    applicable: bool = True  # False when nothing under this node has a target that year
    has_manual: bool = False  # a manual achievement feeds this score
    source: _NodeSource | None = field(default=None, repr=False, compare=False)

    @property
    def steps(self) -> tuple[str, ...]:
        """The explanation, worked out again from the items the score was made of (see IndicatorScore.steps)."""
        if self.source is None:
            return ()
        steps: list[str] = []
        with localcontext(_CONTEXT):
            _explain_node(self.source, steps)
        return tuple(steps)


@dataclass(frozen=True)
class TreeScore:
    score: Decimal | None  # the ente: weighted mean of the roots (areas)
    nodes: dict[int, NodeScore]
    indicators: dict[int, IndicatorScore]
    coverage: Decimal | None
    weights: tuple[WeightUse, ...] = ()
    warnings: tuple[ScoreWarning, ...] = ()
    steps: tuple[str, ...] = ()
    band: str = BAND_NONE
    rules: ScoringRules = field(default_factory=ScoringRules)


@dataclass(frozen=True)
class UnitScore:
    id: int
    code: str
    name: str
    score: Decimal | None
    coverage: Decimal | None
    objectives: tuple[WeightUse, ...]  # objectives of the unit and of its sub-units
    own_objectives: tuple[int, ...]  # node ids assigned to this unit itself (directly or by inheritance)
    warnings: tuple[ScoreWarning, ...]
    steps: tuple[str, ...]
    band: str = BAND_NONE


# --- Small helpers ---------------------------------------------------------------------------------------------


def round2(value: Decimal) -> Decimal:
    """Half up to two decimals: every printed score can be recomputed by hand from the printed children (§4)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The steps of a large plan format about 100,000 numbers, most of them the same few thousand weights and scores.
# The text of a Decimal depends only on its numeric value (equal values normalise and round alike), so it is memoised;
# `typed` keeps int and Decimal keys apart. Only used here, where the decimal context is the fixed _CONTEXT.
_TEXT_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_TEXT_CACHE_SIZE, typed=True)
def format_number(value: Decimal, places: int | None = None) -> str:
    """perfplan.formats.number_it, memoised (see above)."""
    return number_it(value, places)


@lru_cache(maxsize=_TEXT_CACHE_SIZE, typed=True)
def _num(value: Decimal) -> str:
    """A value for the steps: Italian format, at most four decimals (values are kept unrounded elsewhere)."""
    try:
        shown = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits for the context: show it whole
        return format_number(value)
    return format_number(value) if shown == value else format_number(shown.normalize()) + "…"


# A plan repeats the same few Algoritmi on thousands of indicators; a parsed formula is immutable.
_parse_formula = lru_cache(maxsize=4096)(parse_formula)


_pct = lru_cache(maxsize=_TEXT_CACHE_SIZE, typed=True)(percent_it)  # `87,35 %` or `N/D`, memoised as above
_SYMBOLS = {">=": "≥", "<=": "≤"}
_RULE_OF_COMPARATOR = {">=": "≥", "<=": "≤", ">": "≥", "<": "≤"}  # relazione.md §8: ≥ also for >, ≤ also for <


def _symbol(comparator: str) -> str:
    return _SYMBOLS.get(comparator, comparator)


def band(score: Decimal | None, rules: ScoringRules) -> str:
    """Traffic-light band of a score with the plan's thresholds (relazione.md §8 item 2)."""
    if score is None:
        return BAND_NONE
    if score >= rules.achieved_threshold:
        return BAND_ACHIEVED
    if score >= rules.partial_threshold:
        return BAND_PARTIAL
    return BAND_NOT_ACHIEVED


def _check_rules(rules: ScoringRules) -> None:
    if rules.missing not in ("exclude", "zero"):
        raise ValueError(f"ScoringRules.missing must be 'exclude' or 'zero', not {rules.missing!r}")


def _polarity_comparator(polarity: str) -> str:
    return "<=" if polarity == LOWER_BETTER else ">="


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return None


# --- One indicator ---------------------------------------------------------------------------------------------


class _NoScore(Exception):
    """The rule cannot produce a score: carries the status ("missing" / "not_computable") and the Italian reason."""

    def __init__(self, status: str, reason: str, value: object = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.value = value


class _Failure(NamedTuple):
    status: str
    reason: str


@dataclass
class _Outcome:
    achievement: Decimal
    met: bool
    capped: bool = False
    value: Decimal | datetime.date | bool | str | None = None
    target_value: Decimal | None = None
    rule: str = ""


def _unit_of(ind: IndicatorInput) -> Unit | None:
    """The indicator's unit; when it has none, its target's decides (scoring.md §5, targets.md D11)."""
    if ind.unit is not None:
        return ind.unit
    return ind.target.unit if ind.target is not None else None


def _measured_number(ind: IndicatorInput, steps: list[str] | None) -> Decimal:
    """The numeric consuntivo: typed, else Numeratore / Denominatore, else the Algoritmo on the variables (§5)."""
    measurement = ind.measurement
    if measurement is None:
        raise _NoScore(MISSING, "Consuntivo non inserito.")
    if measurement.value_number is not None:
        if steps is not None:
            steps.append(f"Consuntivo: {_num(measurement.value_number)}")
        return measurement.value_number
    percent = _unit_of(ind) == Unit.PERCENT
    numerator, denominator = measurement.numerator, measurement.denominator
    if numerator is not None and denominator is not None:
        if denominator == 0:
            raise _NoScore(NOT_COMPUTABLE, "Denominatore uguale a zero: non calcolabile.")
        ratio = numerator / denominator
        value = ratio * HUNDRED if percent else ratio
        if steps is not None:
            text = f"Consuntivo dalle misure: {_num(numerator)} / {_num(denominator)} = {_num(ratio)}"
            steps.append(text + f" × 100 = {_num(value)} (unità %)" if percent else text)
        return value
    if numerator is not None or denominator is not None:
        lacking = "il denominatore" if denominator is None else "il numeratore"
        raise _NoScore(MISSING, f"Misure incomplete: manca {lacking}.")
    if measurement.variables:
        return _formula_value(ind, measurement.variables, percent, steps)
    raise _NoScore(MISSING, "Consuntivo non inserito.")


def _formula_value(
    ind: IndicatorInput, variables: dict[str, Decimal], percent: bool, steps: list[str] | None
) -> Decimal:
    try:
        formula = _parse_formula(ind.formula)
    except FormulaError as error:
        raise _NoScore(NOT_COMPUTABLE, f"Algoritmo non valido: {error}") from error
    if formula is None:
        name = single_name(ind.formula)
        if name is None:
            raise _NoScore(
                NOT_COMPUTABLE, "Variabili indicate ma l'algoritmo non è una formula con variabili: inserire il valore."
            )
        matches = [value for key, value in variables.items() if " ".join(key.split()).casefold() == name.casefold()]
        if not matches:
            raise _NoScore(MISSING, f"Variabile mancante: {name}")
        if steps is not None:
            steps.append(f"Consuntivo: {name} = {_num(matches[0])} (valore inserito direttamente)")
        return matches[0]
    try:
        value = formula.evaluate(variables)
    except FormulaError as error:
        if error.code == "missing_variable":
            raise _NoScore(MISSING, str(error)) from error
        if error.code == "division_by_zero":
            raise _NoScore(NOT_COMPUTABLE, "Divisione per zero nell'algoritmo: non calcolabile.") from error
        raise _NoScore(NOT_COMPUTABLE, str(error)) from error
    scale = percent and formula.has_division and not formula.multiplies_by_100
    result = value * HUNDRED if scale else value
    if steps is not None:
        text = f"Consuntivo dall'algoritmo {formula.text}: {formula.render(variables)} = {_num(value)}"
        if scale:
            text += f" × 100 = {_num(result)} (unità %)"
        elif percent and formula.multiplies_by_100:
            text += " (l'algoritmo moltiplica già per 100)"
        steps.append(text)
    return result


def _compare_number(
    value: Decimal, comparator: str, target: Decimal, polarity: str, rules: ScoringRules, steps: list[str] | None
) -> tuple[Decimal, bool, bool]:
    """NUMBER rules of scoring.md §1: (raw achievement, met, capped), before rounding and threshold."""
    if comparator == "=":
        difference = abs(value - target)
        if difference <= rules.equality_tolerance:
            if steps is not None:
                tolerance = f" (tolleranza {_num(rules.equality_tolerance)})" if rules.equality_tolerance else ""
                steps.append(f"{_num(value)} = {_num(target)}{tolerance}: target raggiunto")
            return HUNDRED, True, False
        comparator = _polarity_comparator(polarity)
        if steps is not None:
            steps.append(
                f"{_num(value)} diverso da {_num(target)} oltre la tolleranza: valutato come {_symbol(comparator)} "
                "secondo la polarità"
            )
    upward = comparator in (">=", ">")
    if upward:
        met = value >= target if comparator == ">=" else value > target
    else:
        met = value <= target if comparator == "<=" else value < target
    both_positive = value > 0 and target > 0
    ratio = (value / target if upward else target / value) * HUNDRED if both_positive else None
    relation = ratio_text = ""
    if steps is not None:
        relation = f"{_num(value)} {_symbol(comparator)} {_num(target)}"
        ratio_text = f"{_num(value)} / {_num(target)}" if upward else f"{_num(target)} / {_num(value)}"
    if met:
        if ratio is None:
            if steps is not None:
                steps.append(f"{relation}: target raggiunto → 100")
            return HUNDRED, True, False
        if rules.cap:
            capped = ratio > HUNDRED
            if steps is not None:
                note = f" (rapporto {ratio_text} × 100 = {_num(ratio)}, limitato a 100)" if capped else ""
                steps.append(f"{relation}: target raggiunto → 100{note}")
            return HUNDRED, True, capped
        if steps is not None:
            steps.append(f"{relation}: target raggiunto; senza tetto: {ratio_text} × 100 = {_num(ratio)}")
        return ratio, True, False
    if ratio is None:
        if steps is not None:
            why = "target ≤ 0" if upward and target <= 0 else "valore e target non entrambi positivi"
            steps.append(f"{relation} non vero: target non raggiunto; {why} → 0")
        return ZERO, False, False
    achievement = max(ZERO, ratio)
    if steps is not None:
        steps.append(f"{relation} non vero: target non raggiunto; {ratio_text} × 100 = {_num(achievement)}")
    return achievement, False, False


def _number_outcome(
    ind: IndicatorInput, target_value: Decimal, comparator: str, rules: ScoringRules, steps: list[str] | None, rule: str
) -> _Outcome:
    value = _measured_number(ind, steps)
    achievement, met, capped = _compare_number(value, comparator, target_value, ind.polarity, rules, steps)
    return _Outcome(achievement, met, capped, value=value, target_value=target_value, rule=rule)


def _target_number(target: ParsedTarget) -> Decimal:
    value = _as_decimal(target.value)
    if value is None:
        raise _NoScore(NOT_COMPUTABLE, "Target senza valore numerico: non calcolabile.")
    return value


def _outcome(
    ind: IndicatorInput, target: ParsedTarget, rules: ScoringRules, derived_value: Decimal | None, steps: list[str]
) -> _Outcome:
    """Apply the rule of the target's kind; raises _NoScore when there is nothing to compute."""
    if ind.derived:
        if steps is not None:
            steps.append("Indicatore derivato: il valore è il punteggio degli obiettivi figli del nodo")
        if derived_value is None:
            raise _NoScore(MISSING, "Nessun obiettivo figlio misurato: il valore derivato non è disponibile.")
        if steps is not None:
            steps.append(f"Valore derivato: {_num(derived_value)}")
        target_value = _target_number(target)
        comparator = target.comparator or _polarity_comparator(ind.polarity)
        achievement, met, capped = _compare_number(derived_value, comparator, target_value, ind.polarity, rules, steps)
        return _Outcome(achievement, met, capped, value=derived_value, target_value=target_value, rule="DER")

    if target.kind == Kind.NUMBER:
        target_value = _target_number(target)
        if target.comparator:
            comparator, rule = target.comparator, _RULE_OF_COMPARATOR.get(target.comparator, target.comparator)
        else:
            comparator = _polarity_comparator(ind.polarity)
            rule = _symbol(comparator) + "*"
            if steps is not None:
                steps.append(f"Target senza confronto: {_symbol(comparator)} dalla polarità ({ind.polarity})")
        return _number_outcome(ind, target_value, comparator, rules, steps, rule)

    if target.kind == Kind.DELTA_PCT:
        delta = _as_decimal(target.value)
        if target.absolute is not None:
            target_value = target.absolute
            if steps is not None:
                steps.append(f"Variazione {target.raw}: vale il valore assoluto indicato, {_num(target_value)}")
        elif ind.baseline is not None and delta is not None:
            target_value = ind.baseline * (1 + delta / HUNDRED)
            if steps is not None:
                steps.append(
                    f"Variazione {format_number(delta)} % sulla baseline {_num(ind.baseline)}: "
                    f"{_num(ind.baseline)} × (1 + {format_number(delta)} / 100) = {_num(target_value)}"
                )
        else:
            raise _NoScore(
                NOT_COMPUTABLE, "Variazione percentuale senza valore assoluto né baseline: target non calcolabile."
            )
        comparator = target.comparator or ("<=" if delta is not None and delta < 0 else ">=")
        return _number_outcome(ind, target_value, comparator, rules, steps, "Δ%")

    if target.kind == Kind.MAINTAIN:
        if ind.baseline is None:
            raise _NoScore(NOT_COMPUTABLE, "Mantenimento senza baseline: target non calcolabile.")
        comparator = target.comparator or _polarity_comparator(ind.polarity)
        if steps is not None:
            steps.append(f"Mantenimento: target = baseline {_num(ind.baseline)}, {_symbol(comparator)} dalla polarità")
        return _number_outcome(ind, ind.baseline, comparator, rules, steps, "MANT")

    if target.kind == Kind.DEADLINE:
        return _deadline_outcome(ind, target, steps)
    if target.kind == Kind.BOOL:
        return _bool_outcome(ind, target, steps)
    if target.kind == Kind.ORDINAL:
        return _ordinal_outcome(ind, target, steps)
    if target.kind == Kind.TEXT:
        raise _NoScore(NOT_COMPUTABLE, "Target testuale: serve il raggiungimento manuale.")
    raise _NoScore(NOT_COMPUTABLE, f"Tipo di target non gestito: {target.kind}.")


def _deadline_outcome(ind: IndicatorInput, target: ParsedTarget, steps: list[str] | None) -> _Outcome:
    if target.deadline is None:
        raise _NoScore(NOT_COMPUTABLE, "Scadenza senza data: non calcolabile.")
    measurement = ind.measurement
    if measurement is not None and (measurement.not_done or measurement.value_bool is False):
        if steps is not None:
            steps.append(f"Non svolto (NO) con scadenza {date_it(target.deadline)} → 0")
        return _Outcome(ZERO, False, value=False, rule="SCAD")
    if measurement is None or measurement.value_date is None:
        raise _NoScore(MISSING, "Consuntivo non inserito: indicare la data di completamento, o NO se non svolto.")
    done = measurement.value_date
    strict = target.comparator == "<"
    met = done < target.deadline if strict else done <= target.deadline
    if steps is not None:
        relation = "prima del" if strict else "entro il"
        verdict = "target raggiunto → 100" if met else "target non raggiunto → 0"
        steps.append(f"Svolto il {date_it(done)}, scadenza {relation} {date_it(target.deadline)}: {verdict}")
    return _Outcome(HUNDRED if met else ZERO, met, value=done, rule="SCAD")


def _bool_outcome(ind: IndicatorInput, target: ParsedTarget, steps: list[str] | None) -> _Outcome:
    expected = target.value if isinstance(target.value, bool) else True
    measurement = ind.measurement
    actual: bool | None = None
    if measurement is not None:
        if measurement.value_bool is not None:
            actual = measurement.value_bool
        elif measurement.not_done:
            actual = False
        elif measurement.value_number in (ZERO, Decimal(1)):
            actual = measurement.value_number == 1
    if actual is None:
        raise _NoScore(MISSING, "Consuntivo non inserito: indicare SI o NO.")
    met = actual == expected
    verdict = "target raggiunto → 100" if met else "target non raggiunto → 0"
    if steps is not None:
        steps.append(f"Consuntivo {'SI' if actual else 'NO'}, target {'SI' if expected else 'NO'}: {verdict}")
    return _Outcome(HUNDRED if met else ZERO, met, value=actual, rule="SI/NO")


def _ordinal_outcome(ind: IndicatorInput, target: ParsedTarget, steps: list[str] | None) -> _Outcome:
    wanted = str(target.value or "").strip().casefold()
    if wanted not in ORDINAL_SCALE:
        raise _NoScore(NOT_COMPUTABLE, f"Livello del target non riconosciuto: «{target.value}».")
    level = (ind.measurement.value_level if ind.measurement is not None else "").strip().casefold()
    if not level:
        raise _NoScore(MISSING, "Consuntivo non inserito: indicare il giudizio (" + ", ".join(ORDINAL_SCALE) + ").")
    if level not in ORDINAL_SCALE:
        raise _NoScore(NOT_COMPUTABLE, f"Giudizio non riconosciuto: «{level}» (ammessi: {', '.join(ORDINAL_SCALE)}).")
    met = ORDINAL_SCALE.index(level) >= ORDINAL_SCALE.index(wanted)
    verdict = "target raggiunto → 100" if met else "target non raggiunto → 0"
    if steps is not None:
        steps.append(f"Giudizio «{level}» rispetto a «{wanted}» ({' < '.join(ORDINAL_SCALE)}): {verdict}")
    return _Outcome(HUNDRED if met else ZERO, met, value=level, rule="GIUD")


def _finish(outcome: _Outcome, rules: ScoringRules, steps: list[str] | None) -> Decimal:
    """Round, apply the 99,99 rule and the minimum threshold (scoring.md §1, §4)."""
    achievement = round2(outcome.achievement)
    if rules.cap and achievement > HUNDRED:
        achievement = HUNDRED
    if not outcome.met and achievement >= HUNDRED:
        if steps is not None:
            steps.append(f"Target non raggiunto: {format_number(achievement, 2)} è mostrato come 99,99")
        achievement = NOT_MET_CEILING
    if rules.min_threshold is not None and achievement < rules.min_threshold:
        if steps is not None:
            threshold = format_number(rules.min_threshold)
            steps.append(f"{format_number(achievement, 2)} è sotto la soglia minima {threshold}: conta 0")
        achievement = round2(ZERO)
    return achievement


def score_indicator(
    ind: IndicatorInput, rules: ScoringRules, *, derived_value: Decimal | None = None
) -> IndicatorScore:
    """Achievement of one indicator in one year (scoring.md §1, §3, §5); `derived_value` feeds a derived one."""
    _check_rules(rules)
    with localcontext(_CONTEXT):
        return _score_indicator(ind, rules, derived_value)


class _IndicatorSource(NamedTuple):
    """What an indicator's score was computed from: enough to compute it again with its steps."""

    ind: IndicatorInput
    rules: ScoringRules
    derived_value: Decimal | None


def _score_indicator(
    ind: IndicatorInput, rules: ScoringRules, derived_value: Decimal | None, steps: list[str] | None = None
) -> IndicatorScore:
    """Score one indicator; with a `steps` list, also write its explanation there (IndicatorScore.steps)."""
    source = _IndicatorSource(ind, rules, derived_value)
    target = ind.target
    measurement = ind.measurement
    manual = measurement.manual_achievement if measurement is not None else None

    if target is None or target.kind == Kind.NONE:
        reason = "Nessun target per l'anno: l'indicatore non concorre."
        if manual is not None:
            reason += " Il raggiungimento manuale è ignorato."
        if steps is not None:
            steps.append(reason)
        return IndicatorScore(ind.id, None, None, NO_TARGET, "N/D", None, None, False, reason, source=source)

    if steps is not None:
        version = f" (versione {ind.target_version})" if ind.target_version is not None else ""
        steps.append(f"Target: {format_target(target) or target.raw or target.kind}{version}")

    outcome: _Outcome | None = None
    failure: _Failure | None = None
    try:
        outcome = _outcome(ind, target, rules, derived_value, steps)
    except _NoScore as error:
        # Only its text: a kept exception carries its traceback and frames (a cycle through this frame).
        failure = _Failure(error.status, error.reason)
    computed = _finish(outcome, rules, steps) if outcome is not None else None

    value = outcome.value if outcome is not None else None
    target_value = outcome.target_value if outcome is not None else None
    if manual is not None:
        assert measurement is not None
        if failure is not None and steps is not None:
            steps.append(f"Calcolo automatico non possibile: {failure.reason}")
        achievement = round2(manual)
        if achievement < 0:
            achievement = round2(ZERO)
        if rules.cap and achievement > HUNDRED:
            achievement = HUNDRED
        reason = measurement.manual_reason.strip()
        if steps is not None:
            computed_text = _pct(computed) if computed is not None else "non calcolabile"
            steps.append(
                f"Raggiungimento manuale {_pct(achievement)} (calcolato: {computed_text}); motivazione: "
                + (reason or "non indicata")
            )
        return IndicatorScore(
            ind.id,
            achievement,
            computed,
            OVERRIDDEN,
            "MAN",
            value,
            target_value,
            outcome.capped if outcome is not None else False,
            reason if reason else "Raggiungimento manuale senza motivazione.",
            band(achievement, rules),
            outcome.met if outcome is not None else None,
            source,
        )
    if outcome is None:
        assert failure is not None
        if steps is not None:
            steps.append(f"Non misurato: {failure.reason}")
        return IndicatorScore(
            ind.id, None, None, failure.status, "N/D", None, None, False, failure.reason, source=source
        )
    assert computed is not None
    if steps is not None:
        steps.append(f"Raggiungimento ({outcome.rule}): {_pct(computed)}")
    return IndicatorScore(
        ind.id,
        computed,
        computed,
        OK,
        outcome.rule,
        value,
        target_value,
        outcome.capped,
        "",
        band(computed, rules),
        outcome.met,
        source,
    )


# --- Weighted means --------------------------------------------------------------------------------------------


class _Item(NamedTuple):
    kind: str  # "indicator" | "node"
    id: int
    label: str
    weight: Decimal | None
    score: Decimal | None
    takes_part: bool  # False: no target that year anywhere below, so no weight, no coverage, never 0
    coverage: Decimal | None  # 100 for a scored indicator, 0 for a missing one, the coverage of a node
    manual: bool = False


class _Mean(NamedTuple):
    value: Decimal | None
    coverage: Decimal | None
    takes_part: bool
    weights: tuple[WeightUse, ...]
    warnings: tuple[ScoreWarning, ...]
    manual: bool


def _weighted_mean(
    items: Sequence[_Item], rules: ScoringRules, what: str, steps: list[str] | None = None, *, check_sum: bool = True
) -> _Mean:
    """Weighted mean with the weight rules of §2 and the missing-data rules of §3, rounded half up (§4); with a
    `steps` list, its explanation is written there."""
    participants = [item for item in items if item.takes_part]
    if not participants:
        weights = tuple(WeightUse(item.kind, item.id, None, False) for item in items)
        return _Mean(None, None, False, weights, (), False)

    warnings: list[ScoreWarning] = []
    weighted = any(item.weight is not None and item.weight > 0 for item in participants)
    if weighted:
        for item in participants:
            if item.weight is None:
                warnings.append(
                    ScoreWarning(
                        f"{item.label}: peso non indicato mentre gli altri {what} hanno un peso: conta 0",
                        WARN_WEIGHT_BLANK,
                    )
                )
        given = [item.weight for item in items if item.weight is not None]
        total = sum(given, ZERO)
        if check_sum and abs(total - HUNDRED) > WEIGHT_SUM_TOLERANCE:
            warnings.append(
                ScoreWarning(
                    f"I pesi degli {what} sommano a {format_number(total)} invece di 100: sono normalizzati",
                    WARN_WEIGHT_SUM,
                )
            )
        effective = [item.weight if item.weight is not None and item.weight > 0 else ZERO for item in items]
    else:
        effective = [ONE] * len(items)
        if len(participants) > 1 and steps is not None:
            steps.append(f"Pesi degli {what} non indicati (o tutti 0): quote uguali")

    total_weight = sum((weight for item, weight in zip(items, effective, strict=True) if item.takes_part), ZERO)
    zero_mode = rules.missing == "zero"
    weights: list[WeightUse] = []
    terms: list[tuple[_Item, Decimal, Decimal]] = []  # item, effective weight, score (0 for a missing one)
    coverage_sum = ZERO
    for item, weight in zip(items, effective, strict=True):
        if not item.takes_part:
            weights.append(WeightUse(item.kind, item.id, None, False))
            continue
        used = weight > 0 and (item.score is not None or zero_mode)
        weights.append(WeightUse(item.kind, item.id, round2(weight / total_weight * HUNDRED), used))
        coverage_sum += weight * (item.coverage or ZERO)
        if steps is not None:
            if weight == 0:
                steps.append(f"{item.label}: peso 0, monitorato e non conteggiato")
            elif item.score is None:
                steps.append(
                    f"{item.label}: non misurato, " + ("conta 0" if zero_mode else "escluso (pesi rinormalizzati)")
                )
        if used:
            terms.append((item, weight, item.score if item.score is not None else ZERO))

    coverage = round2(coverage_sum / total_weight)
    manual = any(item.manual for item, _, _ in terms)
    if not any(item.score is not None for item, _, _ in terms):
        if steps is not None:
            steps.append(f"Nessuno degli {what} è misurato: punteggio N/D")
        return _Mean(None, coverage, True, tuple(weights), tuple(warnings), manual)
    denominator = sum((weight for _, weight, _ in terms), ZERO)
    value = round2(sum((weight * score for _, weight, score in terms), ZERO) / denominator)
    if steps is not None:
        formula = " + ".join(
            f"{format_number(score, 2)} × {_num(weight / denominator * HUNDRED)} %" for _, weight, score in terms
        )
        steps.append(f"Media ponderata degli {what}: {formula} = {format_number(value, 2)}")
    return _Mean(value, coverage, True, tuple(weights), tuple(warnings), manual)


# --- The tree --------------------------------------------------------------------------------------------------


def _node_share(node: NodeInput, rules: ScoringRules) -> Decimal:
    if node.indicator_share is not None:
        return node.indicator_share
    if rules.default_indicator_share is not None:
        return rules.default_indicator_share
    return HUNDRED


class _NodeSource(NamedTuple):
    """What a node's score was made of (its indicators' and children's scores as items): enough to explain it."""

    indicator_items: tuple[_Item, ...]
    child_items: tuple[_Item, ...]
    share: Decimal
    rules: ScoringRules


class _Combined(NamedTuple):
    score: Decimal | None
    coverage: Decimal | None
    share: Decimal  # the share actually used
    manual: bool


def _combine(own: _Mean, children: _Mean, share: Decimal, steps: list[str] | None) -> _Combined:
    """The node's score from its indicators part and its children part, by the quota indicatori (§2)."""
    score: Decimal | None
    coverage: Decimal | None
    manual = False
    if not own.takes_part and not children.takes_part:
        score, coverage, used_share = None, None, share
        if steps is not None:
            steps.append("Nessun target nell'anno per questo nodo: non concorre")
    elif not children.takes_part or (own.takes_part and share >= HUNDRED):
        score, coverage, used_share, manual = own.value, own.coverage, HUNDRED, own.manual
        if children.takes_part and steps is not None:
            steps.append("Quota indicatori 100 %: il punteggio viene dagli indicatori, gli obiettivi figli non contano")
    elif not own.takes_part or share <= 0:
        score, coverage, used_share, manual = children.value, children.coverage, ZERO, children.manual
        if own.takes_part and steps is not None:
            steps.append("Quota indicatori 0 %: il punteggio viene dagli obiettivi figli")
    else:
        assert own.coverage is not None and children.coverage is not None
        fraction = share / HUNDRED
        coverage = round2(fraction * own.coverage + (1 - fraction) * children.coverage)
        if own.value is None and children.value is None:
            score, used_share = None, share
        elif own.value is None:
            score, used_share, manual = children.value, ZERO, children.manual
            if steps is not None:
                steps.append("Nessun indicatore misurato: la parte obiettivi figli prende tutto il peso")
        elif children.value is None:
            score, used_share, manual = own.value, HUNDRED, own.manual
            if steps is not None:
                steps.append("Nessun obiettivo figlio misurato: la parte indicatori prende tutto il peso")
        else:
            score, used_share = round2(fraction * own.value + (1 - fraction) * children.value), share
            manual = own.manual or children.manual
            if steps is not None:
                own_text, children_text = format_number(own.value, 2), format_number(children.value, 2)
                steps.append(
                    f"Quota indicatori {format_number(share)} %: {format_number(share)} % × {own_text} + "
                    f"{format_number(HUNDRED - share)} % × {children_text} = {format_number(score, 2)}"
                )
    if steps is not None:
        steps.append(
            f"Punteggio del nodo: {_pct(score)}" + (f" (copertura {_pct(coverage)})" if coverage is not None else "")
        )
    return _Combined(score, coverage, used_share, manual)


def _explain_node(source: _NodeSource, steps: list[str]) -> None:
    """NodeScore.steps: the two means and their combination again, this time with their text."""
    own = _weighted_mean(source.indicator_items, source.rules, "indicatori", steps)
    children = _weighted_mean(source.child_items, source.rules, "obiettivi figli", steps)
    _combine(own, children, source.share, steps)


def _score_node(
    node: NodeInput, rules: ScoringRules, nodes: dict[int, NodeScore], indicators: dict[int, IndicatorScore]
) -> NodeScore:
    child_items = tuple(
        _Item("node", c.id, c.code or str(c.id), c.weight, s.score, s.applicable, s.coverage, s.has_manual)
        for c, s in ((child, _score_node(child, rules, nodes, indicators)) for child in node.children)
    )
    children = _weighted_mean(child_items, rules, "obiettivi figli")
    indicator_items = []
    for ind in node.indicators:
        # Already inside score_tree's fixed context with checked rules: no per-indicator context switch.
        result = _score_indicator(ind, rules, children.value if ind.derived else None)
        indicators[ind.id] = result
        status = result.status
        indicator_items.append(
            _Item(
                "indicator",
                ind.id,
                ind.code or ind.name,
                ind.weight,
                result.achievement,
                status != NO_TARGET,
                ZERO if result.achievement is None else HUNDRED,
                status == OVERRIDDEN,
            )
        )
    own = _weighted_mean(indicator_items, rules, "indicatori")

    warnings = [*own.warnings, *children.warnings]
    if not node.children and any(ind.derived for ind in node.indicators):
        warnings.append(ScoreWarning("Indicatore derivato su un nodo senza obiettivi figli", WARN_DERIVED_LEAF))
    share = _node_share(node, rules)
    combined = _combine(own, children, share, None)
    result = NodeScore(
        id=node.id,
        score=combined.score,
        indicators_part=own.value,
        children_part=children.value,
        share=combined.share,
        coverage=combined.coverage,
        weights=own.weights + children.weights,
        warnings=tuple(warnings),
        code=node.code,
        level=node.level,
        band=band(combined.score, rules),
        applicable=own.takes_part or children.takes_part,
        has_manual=combined.manual,
        source=_NodeSource(tuple(indicator_items), child_items, share, rules),
    )
    nodes[node.id] = result
    return result


def score_tree(roots: Sequence[NodeInput], rules: ScoringRules) -> TreeScore:
    """Score every indicator and node, bottom up, and the ente as the weighted mean of the roots (areas)."""
    _check_rules(rules)
    nodes: dict[int, NodeScore] = {}
    indicators: dict[int, IndicatorScore] = {}
    steps: list[str] = []
    with localcontext(_CONTEXT):
        root_scores = [_score_node(root, rules, nodes, indicators) for root in roots]
        mean = _weighted_mean(
            [
                _Item("node", r.id, r.code or str(r.id), r.weight, s.score, s.applicable, s.coverage, s.has_manual)
                for r, s in zip(roots, root_scores, strict=True)
            ],
            rules,
            "ambiti",
            steps,
        )
    steps.append(f"Punteggio dell'ente: {_pct(mean.value)}")
    return TreeScore(
        score=mean.value,
        nodes=nodes,
        indicators=indicators,
        coverage=mean.coverage,
        weights=mean.weights,
        warnings=mean.warnings,
        steps=tuple(steps),
        band=band(mean.value, rules),
        rules=rules,
    )


# --- Org units -------------------------------------------------------------------------------------------------


def _walk(roots: Iterable[NodeInput], inherited: int | None = None) -> Iterable[tuple[NodeInput, int | None]]:
    """Every node with its effective unit: its own, else its nearest ancestor's (scoring.md §2)."""
    for node in roots:
        unit = node.org_unit_id if node.org_unit_id is not None else inherited
        yield node, unit
        yield from _walk(node.children, unit)


def score_units(tree_score: TreeScore, roots: Sequence[NodeInput], units: Sequence[UnitInput]) -> dict[int, UnitScore]:
    """Score of each org unit: weighted mean of the objectives assigned to it and to its sub-units (§2).

    Objectives are all nodes but areas. Each brings its own weight (the Peso among its siblings); the weights are
    normalised over the unit's objectives with the same rules as a node's (all blank → equal shares).
    Each branch counts once: when an objective and one of its descendants both belong to the unit (directly, by
    inheritance or through a sub-unit), the ancestor stands for the branch, because its score already follows
    the plan's rules for its children (otherwise an OO and its unit-less actions would be counted twice).
    """
    rules = tree_score.rules
    by_id = {unit.id: unit for unit in units}

    def ancestors(unit_id: int) -> list[int]:
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current in by_id and current not in chain:
            chain.append(current)
            current = by_id[current].parent_id
        return chain

    parent_of: dict[int, int | None] = {}
    for root in roots:
        stack: list[tuple[NodeInput, int | None]] = [(root, None)]
        while stack:
            node, parent = stack.pop()
            parent_of[node.id] = parent
            stack.extend((child, node.id) for child in node.children)

    own: dict[int, list[NodeInput]] = {unit.id: [] for unit in units}
    counted: dict[int, list[NodeInput]] = {unit.id: [] for unit in units}
    for node, unit_id in _walk(roots):
        if unit_id is None or unit_id not in by_id or node.level == "area":
            continue
        own[unit_id].append(node)
        for holder in ancestors(unit_id):
            counted[holder].append(node)

    def topmost(nodes: list[NodeInput]) -> list[NodeInput]:
        ids = {node.id for node in nodes}
        kept = []
        for node in nodes:
            parent = parent_of.get(node.id)
            while parent is not None and parent not in ids:
                parent = parent_of.get(parent)
            if parent is None:
                kept.append(node)
        return kept

    counted = {unit_id: topmost(nodes) for unit_id, nodes in counted.items()}

    results: dict[int, UnitScore] = {}
    with localcontext(_CONTEXT):
        for unit in units:
            items = []
            for node in counted[unit.id]:
                result = tree_score.nodes.get(node.id)
                score = result.score if result is not None else None
                coverage = result.coverage if result is not None else None
                applicable = result.applicable if result is not None else False
                manual = result.has_manual if result is not None else False
                items.append(
                    _Item("node", node.id, node.code or str(node.id), node.weight, score, applicable, coverage, manual)
                )
            steps: list[str] = []
            mean = _weighted_mean(items, rules, "obiettivi dell'unità", steps, check_sum=False)
            steps.append(f"Punteggio dell'unità {unit.code}: {_pct(mean.value)}")
            results[unit.id] = UnitScore(
                id=unit.id,
                code=unit.code,
                name=unit.name,
                score=mean.value,
                coverage=mean.coverage,
                objectives=mean.weights,
                own_objectives=tuple(node.id for node in own[unit.id]),
                warnings=mean.warnings,
                steps=tuple(steps),
                band=band(mean.value, rules),
            )
    return results


def objectives_mean(tree_score: TreeScore, objectives: Sequence[tuple[int, Decimal | None]]) -> Decimal | None:
    """Weighted mean of some scored objectives, each given as (node id, its weight), e.g. one person's individual
    objectives in the Relazione: the rules of a unit's score (§2, §3), so a blank weight counts 0 when another
    objective has one, all blank (or all 0) are equal shares, an unmeasured one is left out or counts 0 as the
    plan says, and one with no target that year takes no part. None when nothing is measured."""
    items = []
    for node_id, weight in objectives:
        result = tree_score.nodes.get(node_id)
        score = result.score if result is not None else None
        applicable = result.applicable if result is not None else False
        coverage = result.coverage if result is not None else None
        items.append(_Item("node", node_id, str(node_id), weight, score, applicable, coverage))
    with localcontext(_CONTEXT):
        return _weighted_mean(items, tree_score.rules, "obiettivi", check_sum=False).value


# --- Counts ----------------------------------------------------------------------------------------------------


def count_by_band(tree_score: TreeScore, level: str | Collection[str]) -> dict[str, int]:
    """Counts for the Quadro di sintesi (relazione.md §8 item 1) of a node level (or several, e.g. operational
    and action), or of the indicators with level "indicator" (those with no target that year are not counted).

    Keys: "totale", "raggiunto", "parziale", "non_raggiunto", "nd", "manuale" (of which scored by hand).
    """
    levels = {level} if isinstance(level, str) else set(level)
    counts = dict.fromkeys(("totale", BAND_ACHIEVED, BAND_PARTIAL, BAND_NOT_ACHIEVED, BAND_NONE, "manuale"), 0)
    rows: list[tuple[str, bool]] = []
    if "indicator" in levels:
        rows += [(s.band, s.status == OVERRIDDEN) for s in tree_score.indicators.values() if s.status != NO_TARGET]
    rows += [(s.band, s.has_manual) for s in tree_score.nodes.values() if s.level in levels]
    for row_band, manual in rows:
        counts["totale"] += 1
        counts[row_band] += 1
        counts["manuale"] += int(manual)
    return counts
