"""Reads for scoring: the whole plan of a year in a constant number of queries, then the pure core."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.conf import settings

from consuntivi.data_version import plan_token
from consuntivi.models import Measurement, Round
from consuntivi.trees import plan_tree_with_values
from indicators.models import Indicator
from indicators.notation import Unit
from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    IndicatorInput,
    MeasurementInput,
    NodeInput,
    TreeScore,
    UnitInput,
    UnitScore,
    count_by_band,
    score_tree,
    score_units,
)
from perfplan.collector import gc_paused
from perfplan.formats import date_it
from plans.models import Plan
from plans.selectors import PlanTree


@dataclass
class PlanScoring:
    """A scored plan year: the loaded tree (ORM rows, for display) and the pure results, keyed by id."""

    plan: Plan
    year: int
    tree: PlanTree
    roots: tuple[NodeInput, ...]
    result: TreeScore
    units: dict[int, UnitScore]
    round: Round | None = None  # the round scored when not the final one (mid-year monitoring)

    def node(self, objective_id: int):
        return self.result.nodes.get(objective_id)

    def indicator(self, indicator_id: int):
        return self.result.indicators.get(indicator_id)


def measurement_input(m: Measurement | None) -> MeasurementInput | None:
    if m is None:
        return None
    variables = {}
    for name, value in (m.variables or {}).items():
        try:
            variables[name] = Decimal(str(value))
        except InvalidOperation:
            continue
    return MeasurementInput(
        value_number=m.value_number,
        value_date=m.value_date,
        value_bool=m.value_bool,
        value_level=m.value_level,
        not_done=m.not_done,
        numerator=m.numerator,
        denominator=m.denominator,
        variables=variables,
        manual_achievement=m.manual_achievement,
        manual_reason=m.manual_reason,
    )


_UNITS = {unit.value: unit for unit in Unit}


def indicator_input(ind: Indicator, tree: PlanTree, year: int, measurement: Measurement | None) -> IndicatorInput:
    target = tree.targets_of.get(ind.id, {}).get(year)
    baseline = tree.baseline_of.get(ind.id)
    return IndicatorInput(
        id=ind.id,
        code=ind.code,
        name=ind.name,
        weight=ind.weight,
        polarity=ind.polarity,
        unit=(_UNITS.get(ind.unit) or Unit(ind.unit)) if ind.unit else None,
        formula=ind.formula,
        derived=ind.derived,
        target=target.parsed() if target is not None else None,
        target_version=target.version if target is not None else None,
        baseline=baseline.value if baseline is not None else None,
        measurement=measurement_input(measurement),
    )


def build_inputs(tree: PlanTree, year: int) -> tuple[NodeInput, ...]:
    """Plain inputs for the pure core, built bottom-up from the rows already in memory."""
    measurement_of = {
        ind_id: next((m for m in ms if m.year == year), None) for ind_id, ms in tree.measurements_of.items()
    }
    built: dict[int, NodeInput] = {}
    for node in reversed(tree.objectives):  # children come after their parent in depth-first order
        built[node.id] = NodeInput(
            id=node.id,
            code=node.code,
            level=node.level,
            title=node.title,
            weight=node.weight,
            indicator_share=node.indicator_share,
            org_unit_id=node.org_unit_id,
            indicators=tuple(
                indicator_input(ind, tree, year, measurement_of.get(ind.id))
                for ind in tree.indicators_of.get(node.id, ())
            ),
            children=tuple(built[child.id] for child in tree.children_of.get(node.id, ())),
        )
    return tuple(built[root.pk] for root in tree.roots)


def plan_score(*, plan: Plan, year: int, data_round: Round | None = None) -> PlanScoring:
    """Score a plan year: one query for the plan's data token; unless this process keeps the year scored under that
    token (_Kept), six more to load it whatever its size, then pure functions.

    `data_round`: score the values of that round (the year as it stood at its date) instead of the final round's;
    the targets are the year's all the same, so a mid-year score says how far the year's target is already met.
    """
    if data_round is not None and data_round.final:
        data_round = None  # the final round is the default: the same queries, the same numbers
    token = plan_token(plan.pk)  # read before the rows: a write in between only makes the kept score a newer one
    rules = plan.scoring_rules()
    # The caller's plan object is read too (its rules, its ente's units) and may be older than the token: in the key.
    key = (plan.pk, year, data_round.pk if data_round is not None else None, token, plan.ente_id, rules)
    kept = _kept.get(key) if token is not None else None
    if kept is not None:
        return _for_caller(kept, plan, data_round)
    with gc_paused():
        tree = plan_tree_with_values(plan=plan, year=year, data_round=data_round)
        roots = build_inputs(tree, year)
        result = score_tree(roots, rules)
        units = score_units(result, roots, [UnitInput(u.pk, u.parent_id, u.code, u.name) for u in tree.units])
    scoring = PlanScoring(plan=plan, year=year, tree=tree, roots=roots, result=result, units=units, round=data_round)
    if token is not None:
        _kept.put(key, scoring)
        return _for_caller(scoring, plan, data_round)
    return scoring


class _Kept:
    """The last PLAN_SCORES_KEPT scored plan years of this process, by plan, year, round and data token.

    Shared between requests and threads: what is kept is read, never changed, by its callers (each gets its own
    PlanScoring and PlanTree, so perfplan.collector.release and the caller's plan touch only theirs)."""

    def __init__(self) -> None:
        self._scorings: OrderedDict[tuple, PlanScoring] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> PlanScoring | None:
        with self._lock:
            scoring = self._scorings.get(key)
            if scoring is not None:
                self._scorings.move_to_end(key)
            return scoring

    def put(self, key: tuple, scoring: PlanScoring) -> None:
        size = settings.PLAN_SCORES_KEPT
        with self._lock:
            for old in [k for k in self._scorings if k[:3] == key[:3]]:  # the same plan year under an older token
                del self._scorings[old]
            if size:
                self._scorings[key] = scoring
            while len(self._scorings) > size:
                self._scorings.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._scorings.clear()


_kept = _Kept()


def _for_caller(kept: PlanScoring, plan: Plan, data_round: Round | None) -> PlanScoring:
    """A kept scoring as this caller's: its own plan and round objects on a shallow copy of the scoring and tree."""
    tree = copy.copy(kept.tree)
    tree.plan = plan
    return replace(kept, plan=plan, tree=tree, round=data_round)


# --- The year as it stood at a date: which round speaks for it ---------------------------------------------------


def year_rounds(*, plan: Plan, year: int) -> list[Round]:
    """The rounds of a plan year in the order of their period's end (the «Situazione al» choices): one query."""
    rounds = Round.objects.filter(plan=plan, year=year)
    return sorted(rounds, key=lambda r: (r.period_end, r.final, r.pk))


def round_at(*, plan: Plan, year: int, at: dt.date) -> Round | None:
    """The round that speaks for the year at `at`: the latest whose period ends on or before that date (the final
    round wins a tie); None when no round's period has ended yet (one query)."""
    ended = [r for r in year_rounds(plan=plan, year=year) if r.period_end <= at]
    return ended[-1] if ended else None


def no_round_at_message(*, year: int, at: dt.date) -> str:
    """Why there is no state to show at `at` (commands and pages say it the same way)."""
    return (
        f"Nessuna rilevazione del {year} ha un periodo concluso entro il {date_it(at)}: non c'è una situazione da "
        "mostrare a quella data."
    )


def round_of_year(*, plan: Plan, year: int, round_id: int | None) -> Round | None:
    """A round of this plan year by id (the pages' «Situazione al» choice); None for the final state (one query)."""
    if round_id is None:
        return None
    return Round.objects.filter(plan=plan, year=year, pk=round_id).first()


@dataclass
class UnitLine:
    unit_id: int
    code: str
    name: str
    head: str
    depth: int
    score: UnitScore
    objectives: list[tuple[object, object, Decimal | None]]  # (Objective, NodeScore, normalised weight)


def unit_score_lines(*, scoring: PlanScoring) -> list[UnitLine]:
    """Units in tree order with their score and the objectives that make it (no extra queries)."""
    tree = scoring.tree
    objectives = {o.pk: o for o in tree.objectives}
    children: dict[int | None, list] = {}
    for unit in tree.units:
        children.setdefault(unit.parent_id, []).append(unit)
    lines: list[UnitLine] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        score = scoring.units[unit.pk]
        own = set(score.own_objectives)
        listed = [
            (objectives[w.id], scoring.result.nodes[w.id], w.weight)
            for w in score.objectives
            if w.id in own and w.id in objectives
        ]
        lines.append(UnitLine(unit.pk, unit.code, unit.name, unit.head, depth, score, listed))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.pk, [])))
    return lines


# --- The home page's charts: achievement by area and indicators by traffic light ---------------------------------

BAND_ORDER = (BAND_ACHIEVED, BAND_PARTIAL, BAND_NOT_ACHIEVED, BAND_NONE)
BAND_LABELS = {BAND_ACHIEVED: "Raggiunto", BAND_PARTIAL: "Parziale", BAND_NOT_ACHIEVED: "Non raggiunto"}
BAND_LABELS[BAND_NONE] = "Non misurato"


@dataclass
class AreaScore:
    objective: object  # the area (plans.Objective)
    score: Decimal | None
    band: str


@dataclass
class YearOverview:
    """A plan year at a glance: the score of each area and how many indicators fall in each band."""

    plan: Plan
    year: int
    areas: list[AreaScore]
    bands: list[tuple[str, str, int]]  # (band, label, indicators)
    score: Decimal | None

    @property
    def indicator_count(self) -> int:
        return sum(count for _, _, count in self.bands)

    @property
    def measured(self) -> bool:
        return any(count for band, _, count in self.bands if band != BAND_NONE)


def overview_year(*, plan: Plan, today) -> int:
    """The year a plan is looked at now: the latest year up to today's with a final round, else today's year when
    the plan covers it, else its first year (one query)."""
    years = plan.years
    finals = Round.objects.filter(plan=plan, final=True, year__lte=today.year, year__gte=plan.start_year)
    latest = finals.order_by("-year").values_list("year", flat=True).first()
    if latest is not None:
        return latest
    return today.year if today.year in years else years[0]


def year_overview(*, plan: Plan, today) -> YearOverview:
    """Achievement by area and indicators by band for the plan's current year: seven queries whatever its size."""
    year = overview_year(plan=plan, today=today)
    scoring = plan_score(plan=plan, year=year)
    areas = []
    for root in scoring.tree.roots:
        node = scoring.node(root.pk)
        areas.append(AreaScore(root, node.score if node else None, node.band if node else BAND_NONE))
    counts = count_by_band(scoring.result, "indicator")
    bands = [(band, BAND_LABELS[band], counts[band]) for band in BAND_ORDER]
    return YearOverview(plan=plan, year=year, areas=areas, bands=bands, score=scoring.result.score)
