"""Reads for the plan page: the tree with targets of every year, the scores of one year, filters, history.

Constant number of queries whatever the plan size: the tree loader (6), the scoring loader (6), the plan years
and the latest revisions. A large plan (more than PLAN_PAGE_LAZY_NODES nodes) opens on its areas and their first
level (`lazy`): a node's deeper rows come from `node_children` when it is expanded; «tutte le aree» comes in pages of
PLAN_PAGE_ROWS rows, so no response grows with the plan. Every number comes from `consuntivi.scores.plan_score`;
this module only picks and formats what the templates print.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, OuterRef

from consuntivi.models import Measurement, Round
from consuntivi.scores import PlanScoring, plan_score
from consuntivi.year_over_year import PastResult, previous_results
from indicators.models import Indicator, Target
from indicators.notation import format_target
from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    HUNDRED,
    MISSING,
    NO_TARGET,
    NOT_COMPUTABLE,
    OVERRIDDEN,
    WEIGHT_SUM_TOLERANCE,
    IndicatorScore,
    NodeScore,
    count_by_band,
)
from perfplan.collector import gc_paused
from perfplan.formats import percent_it, value_it
from plans.models import LEVEL_ORDER, Level, Objective, OrgUnit, Plan, PlanRevision, PlanYear, YearState
from plans.selectors import PlanTree

# Traffic lights: symbol and word, never colour alone (WCAG 1.4.1).
BANDS = {
    BAND_ACHIEVED: ("✔", "raggiunto", "band-ok"),
    BAND_PARTIAL: ("◐", "parziale", "band-partial"),
    BAND_NOT_ACHIEVED: ("✖", "non raggiunto", "band-ko"),
    BAND_NONE: ("–", "N/D", "band-nd"),
}
STATUS_LABELS = {
    "ok": "",
    OVERRIDDEN: "raggiungimento manuale",
    MISSING: "consuntivo mancante",
    NOT_COMPUTABLE: "non calcolabile",
    NO_TARGET: "nessun target nell'anno",
}
COUNT_GROUPS = [
    ("Aree strategiche", (Level.AREA,)),
    ("Obiettivi strategici", (Level.STRATEGIC,)),
    ("Programmi", (Level.PROGRAM,)),
    ("Obiettivi operativi", (Level.OPERATIONAL,)),
    ("Azioni", (Level.ACTION,)),
]
REVISION_FIELD_LABELS = {
    "weight": "peso",
    "parent": "nodo padre",
    "baseline": "baseline",
    "aggiunto": "aggiunto",
    "eliminato": "eliminato",
    **{f.name: str(f.verbose_name) for f in Objective._meta.get_fields() if hasattr(f, "verbose_name")},
    **{f.name: str(f.verbose_name) for f in Indicator._meta.get_fields() if hasattr(f, "verbose_name")},
    **{f.name: str(f.verbose_name) for f in Plan._meta.get_fields() if hasattr(f, "verbose_name")},
    "org_unit_id": "unità",
    "parent_id": "nodo padre",
    "objective_id": "obiettivo",
}
SUBJECT_LABELS = {
    "objective": "Obiettivo",
    "indicator": "Indicatore",
    "target": "Target",
    "weight": "Peso",
    "unit": "Unità",
    "regole": "Regole di calcolo",
}


@dataclass
class Badge:
    symbol: str
    word: str
    css: str


def band_badge(band: str) -> Badge:
    return Badge(*BANDS.get(band, BANDS[BAND_NONE]))


@dataclass
class IndicatorRow:
    indicator: Indicator
    baseline: str
    targets: list[tuple[str, str]]  # (year, formatted target "≥ 350" or "") for every plan year
    score: IndicatorScore | None
    badge: Badge | None
    achievement: str  # "87,35 %" or "N/D"
    computed: str  # the rule's result beside a manual override
    status: str
    value: str
    previous: list[PastResult] = field(default_factory=list)  # the final results of the years before, newest first


@dataclass
class NodeRow:
    node: Objective
    depth: int
    has_children: bool
    context: bool  # shown only as the path to a matching node
    indicators: list[IndicatorRow]
    score: NodeScore | None
    badge: Badge | None
    score_text: str
    coverage: str  # "copertura 80 %" when part of the weight was not measured
    unit: OrgUnit | None
    children_sum: WeightSum | None = None  # the weights of the child nodes (None: no children)
    indicators_sum: WeightSum | None = None  # the weights of the node's indicators (None: no indicators)
    add_level: str = ""  # the kind of child the «+» adds (Area → OS → OO → Azione); "" for an action
    collapsed: bool = False  # its indicators and children are not in the page: expanding it fetches them
    controls: str = ""  # of a collapsed row: the ids of the rows its expand control shows ("nodo-7 ind-21")


@dataclass(frozen=True)
class WeightSum:
    """The sum of a group of siblings' weights, as shown beside the group: «Σ 100 %», or a warning."""

    total: Decimal
    text: str  # "Σ 100 %"
    ok: bool  # within 100 ± WEIGHT_SUM_TOLERANCE


# The kind of child the row's «+» adds: the next level down the usual path (a programme is optional).
ADD_CHILD = {
    Level.AREA: Level.STRATEGIC,
    Level.STRATEGIC: Level.OPERATIONAL,
    Level.PROGRAM: Level.OPERATIONAL,
    Level.OPERATIONAL: Level.ACTION,
}


def weight_sum(weights: list[Decimal | None]) -> WeightSum | None:
    """The sum of a group's weights (None: nothing weighed). Plain Python: the page's tree is already loaded."""
    given = [w for w in weights if w is not None]
    if not given:  # no group, or no weight given (siblings then weigh the same): nothing to add up
        return None
    total = sum(given, Decimal(0))
    ok = abs(total - HUNDRED) <= WEIGHT_SUM_TOLERANCE
    digits = 0 if total == total.to_integral_value() else 2
    return WeightSum(total=total, text=f"Σ {percent_it(total, digits)}", ok=ok)


@dataclass
class PlanFilters:
    area: int | None = None
    unit: int | None = None
    level: str = ""
    q: str = ""
    node: int | None = None  # a node's page: its subtree, its ancestors as breadcrumbs

    @property
    def active(self) -> bool:
        return bool(self.area or self.unit or self.level or self.q or self.node)


@dataclass
class PlanPage:
    plan: Plan
    years: list[int]
    year: int | None
    year_states: list[tuple[int, str]]
    rows: list[NodeRow]
    filters: PlanFilters
    areas: list[Objective]
    units: list[OrgUnit]
    levels: list[tuple[str, str]]
    node_count: int
    indicator_count: int
    matched: int
    scoring: PlanScoring
    ente_badge: Badge | None
    ente_score: str
    ente_coverage: str
    counts: list[tuple[str, dict[str, int]]]
    measured_years: list[int]
    year_query: str = ""  # "?anno=2017" (and "&rilevazione=ID" mid-year), appended to the links of the page
    rounds: list[Round] = field(default_factory=list)  # the year's rounds, by the end of their period
    data_round: Round | None = None  # the round whose values are shown (None: the final state of the year)
    large: bool = False  # shown one area at a time unless "all areas" is chosen
    revisions: list[PlanRevisionLine] = field(default_factory=list)
    revision_total: int = 0
    path: list[Objective] = field(default_factory=list)  # ancestors of the node of a node page, root first
    node: NodeRow | None = None
    roots_sum: WeightSum | None = None  # the areas' weights
    lazy: bool = False  # a large plan's first view: the areas and their first level, deeper rows on demand
    all_areas: bool = False  # «tutte le aree» asked for explicitly (?area=-1)
    page_number: int = 1  # of a large plan's listing, in pages of PLAN_PAGE_ROWS rows
    page_count: int = 1


@dataclass
class PlanRevisionLine:
    revision: PlanRevision
    subject: str
    field: str


def _coverage_text(coverage: Decimal | None) -> str:
    if coverage is None or coverage >= HUNDRED:
        return ""
    return f"copertura {percent_it(coverage, 0 if coverage == coverage.to_integral_value() else 2)}"


def _indicator_row(
    ind: Indicator,
    targets: list[tuple[str, str]],
    tree: PlanTree,
    score: IndicatorScore | None,
    previous: list[PastResult] | None = None,
) -> IndicatorRow:
    baseline = tree.baseline_of.get(ind.pk)
    baseline_text = ""
    if baseline is not None:
        baseline_text = baseline.raw + (f" ({baseline.year})" if baseline.year else "")
    previous = previous or []
    if score is None:
        return IndicatorRow(ind, baseline_text, targets, None, None, "", "", "", "", previous)
    computed = ""
    if score.status == OVERRIDDEN and score.computed is not None:
        computed = percent_it(score.computed)
    elif score.status == OVERRIDDEN:
        computed = "N/D"
    return IndicatorRow(
        indicator=ind,
        baseline=baseline_text,
        targets=targets,
        score=score,
        badge=band_badge(score.band) if score.status != NO_TARGET else None,
        achievement=percent_it(score.achievement) if score.achievement is not None else "",
        computed=computed,
        status=STATUS_LABELS.get(score.status, score.status),
        value=value_it(score.value, 2),
        previous=previous,
    )


def _effective_units(tree: PlanTree) -> dict[int, int | None]:
    """A node without a unit belongs to its nearest ancestor's unit (scoring.md §2)."""
    effective: dict[int, int | None] = {}
    parent_of = {n.pk: n.parent_id for n in tree.objectives}
    for node in tree.objectives:  # depth-first: the parent is always done first
        effective[node.pk] = node.org_unit_id or (effective.get(parent_of[node.pk]) if parent_of[node.pk] else None)
    return effective


def _unit_and_below(units: list[OrgUnit], unit_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.pk)
    found, stack = set(), [unit_id]
    while stack:
        pk = stack.pop()
        found.add(pk)
        stack.extend(children.get(pk, []))
    return found


def _matching(tree: PlanTree, filters: PlanFilters) -> tuple[set[int], set[int]]:
    """Ids of the nodes that match every filter, and of their ancestors (shown as context)."""
    nodes = tree.objectives
    parent_of = {n.pk: n.parent_id for n in nodes}
    root_of: dict[int, int] = {}
    for node in nodes:
        root_of[node.pk] = root_of[node.parent_id] if node.parent_id else node.pk
    matched = {n.pk for n in nodes}
    if filters.node:
        below: set[int] = set()
        for node in nodes:  # depth-first: a parent is seen before its children
            if node.pk == filters.node or node.parent_id in below:
                below.add(node.pk)
        matched = below
    if filters.area:
        matched = {pk for pk in matched if root_of[pk] == filters.area}
    if filters.unit:
        wanted = _unit_and_below(tree.units, filters.unit)
        effective = _effective_units(tree)
        matched = {pk for pk in matched if effective.get(pk) in wanted}
    if filters.level:
        level_of = {n.pk: n.level for n in nodes}
        matched = {pk for pk in matched if level_of[pk] == filters.level}
    if filters.q:
        needle = filters.q.casefold()
        hits = set()
        for node in nodes:
            if node.pk not in matched:
                continue
            if needle in node.code.casefold() or needle in node.title.casefold():
                hits.add(node.pk)
                continue
            for ind in tree.indicators_of.get(node.pk, []):
                if needle in ind.name.casefold() or needle in ind.code.casefold():
                    hits.add(node.pk)
                    break
        matched = hits
    context = set()
    for pk in matched:
        parent = parent_of[pk]
        while parent is not None and parent not in context:
            context.add(parent)
            parent = parent_of[parent]
    return matched, context - matched


ALL_AREAS = -1  # ?area=-1: every area, in pages on a large plan
LAZY_OPEN_DEPTH = 1  # a large plan's first view: the areas (depth 0) open, the nodes of this depth closed


class _TargetRow(NamedTuple):
    """The columns of a Target that `Target.parsed` reads: the other years' targets are only shown, and a plain row
    costs a fraction of a model instance (about 20,000 of them on a 10,000-indicator plan)."""

    indicator_id: int
    year: int
    kind: str
    raw: str
    comparator: str
    number: Decimal | None
    flag: bool | None
    level: str
    unit: str
    deadline: dt.date | None
    absolute: Decimal | None
    qualifier: str

    parsed = Target.parsed  # the model's own method: it reads only the attributes above


ID_LIST_LIMIT = 1000  # nodes named in one query at most (SQLite and PostgreSQL take far more: this keeps queries short)


def _targets_text(
    plan: Plan, tree: PlanTree, years: list[int], year: int | None, matched: set[int]
) -> dict[int, list[tuple[str, str]]]:
    """Indicator id → (year, target as shown) for every plan year, for the indicators of the matched nodes.

    The scored year's targets come with the tree; the other years' are one query, of the matched nodes only when
    they are a part of the plan (the default view of a large plan shows one area): a fifth of the rows to read.
    With no match the query still runs, unfiltered (an empty id list would skip it: the count must not change).
    """
    # order_by(): rows go into dicts, and Target's Meta ordering sorts through plan and ente.
    other_years = Target.objects.filter(indicator__objective__plan=plan, is_current=True).exclude(year=year).order_by()
    if 0 < len(matched) < len(tree.objectives) and len(matched) <= ID_LIST_LIMIT:
        other_years = other_years.filter(indicator__objective_id__in=sorted(matched))
    targets_of: dict[int, dict[int, Target | _TargetRow]] = {}
    for row in other_years.values_list(*_TargetRow._fields):
        target = _TargetRow._make(row)
        targets_of.setdefault(target.indicator_id, {})[target.year] = target
    texts: dict[int, list[tuple[str, str]]] = {}
    scored = tree.targets_of
    for node_id in matched:
        for ind in tree.indicators_of.get(node_id, ()):
            by_year = targets_of.get(ind.pk, {})
            if year in scored.get(ind.pk, {}):
                by_year[year] = scored[ind.pk][year]
            texts[ind.pk] = [(str(y), format_target(by_year[y].parsed()) if y in by_year else "") for y in years]
    return texts


def plan_page(
    *,
    plan: Plan,
    year: int | None = None,
    filters: PlanFilters | None = None,
    round_id: int | None = None,
    page_number: int | None = None,
) -> PlanPage:
    """Everything the plan page prints, for one scored year (None: the default year), at the end of the year or
    (`round_id`, «Situazione al») as it stood at the end of one of its rounds' period.

    `page_number`: the plan page itself (not the print view or a node's page), which on a large plan shows the areas
    and their first level when no filter is set (`lazy`), else one page of PLAN_PAGE_ROWS rows of what matches.

    Queries: the plan's rounds with whether they hold values (1: the measured years and the «Situazione al»
    choices), plan_score (6: its tree is the page's tree), targets of the other years (1), the previous years' results
    of the indicators shown (at most 4, consuntivi.year_over_year), plan years (1), latest revisions (1).
    """
    with gc_paused():
        return _plan_page(plan=plan, year=year, filters=filters, round_id=round_id, page_number=page_number)


class _YearChoice(NamedTuple):
    year: int | None
    rounds: list[Round]  # the year's rounds, by the end of their period
    data_round: Round | None
    measured: list[int]  # the years with consuntivi in their final round

    @property
    def query(self) -> str:
        """ "?anno=2017" (and "&rilevazione=ID" mid-year), appended to the links of the page."""
        if not self.year:
            return ""
        return f"?anno={self.year}" + (f"&rilevazione={self.data_round.pk}" if self.data_round else "")


def _year_choice(plan: Plan, year: int | None, round_id: int | None) -> _YearChoice:
    """The scored year (the asked one, else the first measured, else the first) and its round (one query)."""
    years = plan.years
    with_values = Measurement.objects.filter(round=OuterRef("pk"), year=OuterRef("year"))
    all_rounds = list(Round.objects.filter(plan=plan).annotate(has_values=Exists(with_values)))
    measured = sorted({r.year for r in all_rounds if r.final and r.has_values})
    if year not in years:
        year = next((y for y in measured if y in years), years[0] if years else None)
    rounds = sorted((r for r in all_rounds if r.year == year), key=lambda r: (r.period_end, r.final, r.pk))
    data_round = next((r for r in rounds if r.pk == round_id and not r.final), None)
    return _YearChoice(year, rounds, data_round, measured)


def _previous(plan: Plan, tree: PlanTree, year: int | None, node_ids) -> dict[int, list]:
    """The earlier years' results of the shown nodes' indicators (consuntivi.year_over_year; at most 4 queries)."""
    if year is None:
        return {}
    shown = [ind.pk for node_id in node_ids for ind in tree.indicators_of.get(node_id, ())]
    return previous_results(plan=plan, year=year, tree=tree, indicator_ids=shown)


def _node_row(
    node: Objective,
    scoring: PlanScoring,
    targets_text: dict[int, list[tuple[str, str]]],
    no_targets: list[tuple[str, str]],
    unit_of: dict[int, OrgUnit],
    previous: dict[int, list],
    *,
    context: bool = False,
    collapsed: bool = False,
) -> NodeRow:
    """One node's row with its indicators' rows (none for a context row, or a collapsed one: fetched on demand)."""
    tree = scoring.tree
    children = tree.children_of.get(node.pk, ())
    node_indicators = tree.indicators_of.get(node.pk, ())
    node_score = scoring.node(node.pk)
    applicable = node_score is not None and node_score.applicable
    shown = not context and not collapsed
    controls = ""
    if collapsed:
        controls = " ".join([*(f"nodo-{c.pk}" for c in children), *(f"ind-{i.pk}" for i in node_indicators)])
    return NodeRow(
        node=node,
        depth=tree.depth[node.pk],
        has_children=bool(children) or bool(node_indicators),
        context=context,
        indicators=[
            _indicator_row(
                ind, targets_text.get(ind.pk, no_targets), tree, scoring.indicator(ind.pk), previous.get(ind.pk)
            )
            for ind in node_indicators
        ]
        if shown
        else [],
        score=node_score,
        badge=band_badge(node_score.band) if applicable else None,
        score_text=percent_it(node_score.score) if applicable and node_score.score is not None else "",
        coverage=_coverage_text(node_score.coverage) if applicable else "",
        unit=unit_of.get(node.org_unit_id) if node.org_unit_id else None,
        children_sum=weight_sum([c.weight for c in children]),
        indicators_sum=weight_sum([i.weight for i in node_indicators]) if not context else None,
        add_level=ADD_CHILD.get(node.level, ""),
        collapsed=collapsed,
        controls=controls,
    )


def _ancestors(parent_of: dict[int, int | None], ids: set[int]) -> set[int]:
    found: set[int] = set()
    for pk in ids:
        parent = parent_of[pk]
        while parent is not None and parent not in found:
            found.add(parent)
            parent = parent_of[parent]
    return found


def _page_of(tree: PlanTree, matched: set[int], number: int) -> tuple[set[int], int, int]:
    """The matched nodes of page `number` (from 1): consecutive in tree order, a node with its indicators, at most
    PLAN_PAGE_ROWS rows a page (at least one node); with the page's number (clamped) and the count of pages."""
    budget = settings.PLAN_PAGE_ROWS
    pages: list[list[int]] = [[]]
    rows = 0
    indicators_of = tree.indicators_of
    for node in tree.objectives:
        if node.pk not in matched:
            continue
        cost = 1 + len(indicators_of.get(node.pk, ()))
        if pages[-1] and rows + cost > budget:
            pages.append([])
            rows = 0
        pages[-1].append(node.pk)
        rows += cost
    number = min(max(number, 1), len(pages))
    return set(pages[number - 1]), number, len(pages)


def _plan_page(
    *,
    plan: Plan,
    year: int | None,
    filters: PlanFilters | None,
    round_id: int | None = None,
    page_number: int | None = None,
) -> PlanPage:
    filters = filters or PlanFilters()
    years = plan.years
    choice = _year_choice(plan, year, round_id)
    year, rounds, data_round = choice.year, choice.rounds, choice.data_round
    scoring = plan_score(plan=plan, year=year, data_round=data_round)
    tree = scoring.tree
    states = {
        py.year: py.get_state_display()
        for py in PlanYear.objects.filter(plan=plan).order_by("year").only("year", "state")
    }
    year_states = [(y, states.get(y, YearState.PLANNED.label)) for y in years]
    large = len(tree.objectives) > settings.PLAN_PAGE_LAZY_NODES
    all_areas = filters.area == ALL_AREAS
    if all_areas:
        filters.area = None
    lazy = page_number is not None and large and not all_areas and not filters.active
    if page_number is None and large and not all_areas and not filters.active and tree.roots:
        filters.area = tree.roots[0].pk  # the print view of a large plan: one area at a time, as before
    matched, context = _matching(tree, filters) if filters.active else ({n.pk for n in tree.objectives}, set())
    matched_count = len(matched)
    collapsed: set[int] = set()
    page_count = 1
    if lazy:  # the areas, open, and their first level, closed
        matched = {pk for pk, depth in tree.depth.items() if depth <= LAZY_OPEN_DEPTH}
        collapsed = {pk for pk in matched if tree.depth[pk] == LAZY_OPEN_DEPTH}
    elif page_number is not None and large:
        matched, page_number, page_count = _page_of(tree, matched, page_number)
        context = _ancestors({n.pk: n.parent_id for n in tree.objectives}, matched) - matched
    shown = matched - collapsed
    targets_text = _targets_text(plan, tree, years, year, shown)
    previous = _previous(plan, tree, year, shown)
    no_targets = [(str(y), "") for y in years]
    unit_of = {u.pk: u for u in tree.units}
    rows = [
        _node_row(
            node,
            scoring,
            targets_text,
            no_targets,
            unit_of,
            previous,
            context=node.pk in context,
            collapsed=node.pk in collapsed,
        )
        for node in tree.objectives
        if node.pk in matched or node.pk in context
    ]
    present = {n.level for n in tree.objectives}
    counts = []
    if scoring is not None:
        for label, levels in COUNT_GROUPS:
            if any(lvl in present for lvl in levels):
                counts.append((label, count_by_band(scoring.result, levels)))
        counts.append(("Indicatori", count_by_band(scoring.result, "indicator")))
    revisions = list(PlanRevision.objects.filter(plan=plan).select_related("user").order_by("-created_at", "-id")[:50])
    result = scoring.result
    path, node_row = [], None
    if filters.node:
        node_row = next((r for r in rows if r.node.pk == filters.node), None)
        path = [r.node for r in rows if r.context]
    return PlanPage(
        path=path,
        node=node_row,
        plan=plan,
        years=years,
        year=year,
        year_states=year_states,
        rows=rows,
        filters=filters,
        areas=list(tree.roots),
        units=tree.units,
        levels=[(lvl.value, lvl.label) for lvl in LEVEL_ORDER if lvl in present],
        node_count=len(tree.objectives),
        indicator_count=sum(len(v) for v in tree.indicators_of.values()),
        matched=matched_count,
        scoring=scoring,
        large=large,
        lazy=lazy,
        all_areas=all_areas,
        page_number=page_number or 1,
        page_count=page_count,
        year_query=choice.query,
        rounds=rounds,
        data_round=data_round,
        ente_badge=band_badge(result.band) if result is not None else None,
        ente_score=percent_it(result.score) if result is not None else "",
        ente_coverage=_coverage_text(result.coverage) if result is not None else "",
        counts=counts,
        measured_years=choice.measured,
        revisions=[revision_line(r) for r in revisions],
        revision_total=len(revisions),
        roots_sum=weight_sum([r.weight for r in tree.roots]),
    )


@dataclass
class NodeChildren:
    """The rows a collapsed node's expand control fetches: its indicators, then its child nodes, collapsed in turn."""

    plan: Plan
    years: list[int]
    year_query: str
    node: NodeRow  # the node itself, with its indicators' rows
    rows: list[NodeRow]  # its children, collapsed


def node_children(*, plan: Plan, objective_id: int, year: int | None = None, round_id: int | None = None):
    """A node's indicators and children as the plan page shows them (same scores: the same `plan_score`), or None
    when the plan has no such node. Queries: rounds (1), plan_score (6), targets of the other years (1)."""
    with gc_paused():
        choice = _year_choice(plan, year, round_id)
        scoring = plan_score(plan=plan, year=choice.year, data_round=choice.data_round)
        tree = scoring.tree
        node = next((n for n in tree.objectives if n.pk == objective_id), None)
        if node is None:
            return None
        children = tree.children_of.get(node.pk, [])
        years = plan.years
        targets_text = _targets_text(plan, tree, years, choice.year, {node.pk})
        previous = _previous(plan, tree, choice.year, {node.pk})
        no_targets = [(str(y), "") for y in years]
        unit_of = {u.pk: u for u in tree.units}
        return NodeChildren(
            plan=plan,
            years=years,
            year_query=choice.query,
            node=_node_row(node, scoring, targets_text, no_targets, unit_of, previous),
            rows=[_node_row(c, scoring, targets_text, no_targets, unit_of, previous, collapsed=True) for c in children],
        )


def revision_line(revision: PlanRevision) -> PlanRevisionLine:
    return PlanRevisionLine(
        revision=revision,
        subject=SUBJECT_LABELS.get(revision.subject_type, revision.subject_type),
        field=REVISION_FIELD_LABELS.get(revision.field, revision.field),
    )


def plan_revisions(*, plan: Plan) -> list[PlanRevisionLine]:
    """The whole revision history of a plan, newest first (one query)."""
    rows = PlanRevision.objects.filter(plan=plan).select_related("user").order_by("-created_at", "-id")
    return [revision_line(r) for r in rows]


@dataclass
class Explanation:
    title: str
    score: str
    badge: Badge | None
    steps: tuple[str, ...]
    warnings: tuple[str, ...]
    reason: str = ""


def score_explanation(*, plan: Plan, year: int, kind: str, pk: int, round_id: int | None = None) -> Explanation | None:
    """The "perché?" of one node or indicator: the steps of the pure core, as they are (at a round's date when
    `round_id` names a round of the year)."""
    data_round = Round.objects.filter(plan=plan, year=year, pk=round_id).first() if round_id else None
    scoring = plan_score(plan=plan, year=year, data_round=data_round)
    if kind == "obiettivo":
        node = next((n for n in scoring.tree.objectives if n.pk == pk), None)
        score = scoring.node(pk)
        if node is None or score is None:
            return None
        return Explanation(
            title=f"{node.code} – {node.title}",
            score=percent_it(score.score),
            badge=band_badge(score.band),
            steps=score.steps,
            warnings=score.warnings,
        )
    score = scoring.indicator(pk)
    indicator = next((i for ins in scoring.tree.indicators_of.values() for i in ins if i.pk == pk), None)
    if indicator is None or score is None:
        return None
    return Explanation(
        title=indicator.label,
        score=percent_it(score.achievement),
        badge=band_badge(score.band),
        steps=score.steps,
        warnings=(),
        reason=score.reason,
    )
