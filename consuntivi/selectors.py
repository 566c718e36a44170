"""Reads for consuntivi (issue 5): rounds, «I miei indicatori», the review of a round — constant query counts.

A round's page loads the plan tree once (plans.selectors.plan_tree_rows: nodes, indicators, the year's targets,
baselines) plus this round's consuntivi, last year's final values and the evidence, then assembles everything in
memory; a row is scored when a page shows it (EntryRow.score). One row's own requests
(its save, its live preview) read that row alone (entry_row), whatever the size of the plan. Achievements come
from the scoring core (indicators.scoring.score_indicator) on the same plain inputs plan_score uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from django.db import connection
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import ngettext

from consuntivi.models import Evidence, Measurement, MeasurementChange, MeasurementStatus, Round
from consuntivi.scores import indicator_input
from indicators.formula import FormulaError, parse_formula
from indicators.models import Baseline, Indicator, IndicatorUnit, Target
from indicators.notation import Kind, format_target
from indicators.scoring import IndicatorScore, ScoringRules, score_indicator
from perfplan.limits import max_tree_depth
from perfplan.permissions import Action, can
from plans.lifecycle import Write, write_refusal
from plans.models import Objective, OrgUnit, Plan, PlanYear, YearState
from plans.selectors import TREE_SKIPS_TARGET, PlanTree, loaded_rows, plan_outline, plan_tree_rows, plans_visible_to


class UnitStatus:
    """A unit's status in a round follows from its consuntivi (domain.md §4)."""

    NOT_STARTED = "non_iniziato"
    DRAFT = "bozza"
    SUBMITTED = "inviato"
    ACCEPTED = "verificato"
    RETURNED = "da_rivedere"

    LABELS = {
        NOT_STARTED: "Non iniziato",
        DRAFT: "In compilazione",
        SUBMITTED: "Inviato",
        ACCEPTED: "Verificato",
        RETURNED: "Restituito",
    }


# --- Access -------------------------------------------------------------------------------------------------


def rounds_visible_to(*, user) -> QuerySet[Round]:
    return Round.objects.filter(plan__in=plans_visible_to(user=user)).select_related("plan", "plan__ente")


def round_for_user(*, user, round_id: int) -> Round:
    """The one access helper for a round: 404 when it does not exist or belongs to another ente."""
    return get_object_or_404(rounds_visible_to(user=user), pk=round_id)


def round_year_state(*, data_round: Round) -> str:
    state = (
        PlanYear.objects.filter(plan_id=data_round.plan_id, year=data_round.year)
        .order_by()  # one row: PlanYear's ordering would join the plan and the ente
        .values_list("state", flat=True)
        .first()
    )
    return state or YearState.PLANNED


def units_led_by(*, user, units: list[OrgUnit]) -> set[int]:
    """The units a Responsabile leads and all their sub-units (ids), among the ente's `units`."""
    led = set(user.led_units.order_by().values_list("pk", flat=True))
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit.pk)
    known = {unit.pk for unit in units}
    result: set[int] = set()
    stack = [u for u in led if u in known]
    while stack:
        current = stack.pop()
        if current in result:
            continue
        result.add(current)
        stack.extend(children.get(current, []))
    return result


def effective_units(tree: PlanTree) -> dict[int, int | None]:
    """Objective id → its unit: its own, else its nearest ancestor's (scoring.md §2)."""
    result: dict[int, int | None] = {}
    for node in tree.objectives:  # depth-first: a parent comes before its children
        inherited = result.get(node.parent_id) if node.parent_id is not None else None
        result[node.pk] = node.org_unit_id if node.org_unit_id is not None else inherited
    return result


# --- Rows ---------------------------------------------------------------------------------------------------


@dataclass
class EntryRow:
    """One indicator to measure in a round, with everything the entry and review screens show."""

    indicator: Indicator
    objective: Objective
    unit_id: int
    year: int
    target: Target
    baseline: Baseline | None
    previous: Measurement | None  # last year's final consuntivo
    measurement: Measurement | None
    variables: tuple[str, ...]  # the Algoritmo's named variables, when it has some
    ratio: bool = False  # measured as Numeratore / Denominatore (see formula_is_ratio)
    evidence: list[Evidence] = field(default_factory=list)
    scored: IndicatorScore | None = None  # the score when known (a save computed it), else `score` computes it
    tree: PlanTree | None = field(default=None, repr=False)  # holds the row's target and baseline, for `score`
    rules: ScoringRules | None = field(default=None, repr=False)

    @cached_property
    def score(self) -> IndicatorScore:
        """Scored when first read: a page shows 50 rows of a unit's thousands, and only those need it."""
        if self.scored is not None:
            return self.scored
        return score_indicator(indicator_input(self.indicator, self.tree, self.year, self.measurement), self.rules)

    @property
    def target_text(self) -> str:
        """The target as people read it: `≥ 350`, `entro il 30/09/2017`."""
        return format_target(self.target.parsed())

    @property
    def baseline_text(self) -> str:
        if self.baseline is None:
            return ""
        return self.baseline.raw + (f" ({self.baseline.year})" if self.baseline.year else "")

    @property
    def status(self) -> str:
        return self.measurement.status if self.measurement is not None else "mancante"

    @property
    def status_label(self) -> str:
        return self.measurement.get_status_display() if self.measurement is not None else "Mancante"

    @property
    def version(self) -> int:
        return self.measurement.version if self.measurement is not None else 0

    @property
    def input_kind(self) -> str:
        """Which control the value needs: date (deadline), bool (SI/NO), level (giudizio) or number."""
        if self.target.kind == Kind.DEADLINE or self.indicator.unit == "date":
            return "date"
        if self.target.kind == Kind.BOOL or self.indicator.unit == "boolean":
            return "bool"
        if self.target.kind == Kind.ORDINAL:
            return "level"
        return "number"

    @property
    def computed(self) -> bool:
        """The stored value comes from the measures or the Algoritmo's variables, not typed."""
        m = self.measurement
        return m is not None and m.value_number is None and (m.numerator is not None or bool(m.variables))

    @property
    def note_required(self) -> bool:
        return self.score.met is False


@dataclass
class UnitBlock:
    unit: OrgUnit
    rows: list[EntryRow]  # every row of the unit; of a page read (mine_page), those shown and those sent back
    status: str = UnitStatus.NOT_STARTED
    counts: dict[str, int] = field(default_factory=dict)
    total: int = -1  # rows of the unit: len(rows) unless given

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.rows)

    @property
    def status_label(self) -> str:
        return UnitStatus.LABELS[self.status]

    @property
    def groups(self) -> list[tuple[Objective, list[EntryRow]]]:
        """Rows grouped by objective, in plan order."""
        grouped: dict[int, tuple[Objective, list[EntryRow]]] = {}
        for row in self.rows:
            grouped.setdefault(row.objective.pk, (row.objective, []))[1].append(row)
        return list(grouped.values())

    @property
    def returned_rows(self) -> list[EntryRow]:
        return [row for row in self.rows if row.status == MeasurementStatus.RETURNED]

    @property
    def done(self) -> int:
        return self.counts.get(MeasurementStatus.SUBMITTED, 0) + self.counts.get(MeasurementStatus.ACCEPTED, 0)


def unit_status(rows: list[EntryRow]) -> str:
    return status_of_values([row.status for row in rows])


def status_of_values(statuses: list[str]) -> str:
    """A unit's status from the statuses of its values ("mancante" for none)."""
    if any(s == MeasurementStatus.RETURNED for s in statuses):
        return UnitStatus.RETURNED
    if statuses and all(s == MeasurementStatus.ACCEPTED for s in statuses):
        return UnitStatus.ACCEPTED
    if statuses and all(s in (MeasurementStatus.SUBMITTED, MeasurementStatus.ACCEPTED) for s in statuses):
        return UnitStatus.SUBMITTED
    if all(s == "mancante" for s in statuses):
        return UnitStatus.NOT_STARTED
    return UnitStatus.DRAFT


@lru_cache(maxsize=4096)
def _formula_shape(formula: str) -> tuple[tuple[str, ...], bool] | None:
    """(named variables, has a division) of an Algoritmo that parses, else None. Cached: a round's rows repeat a
    few formulas thousands of times (the 10.000-indicator plan: 6.120 rows, 0,28 s of parsing for one page)."""
    try:
        parsed = parse_formula(formula) if formula else None
    except FormulaError:
        return None
    return (parsed.variables, parsed.has_division) if parsed is not None else None


def formula_variables(formula: str) -> tuple[str, ...]:
    """Named variables of an Algoritmo that is a real formula (`Liq_Imm / PassCorr`); () for prose or none."""
    shape = _formula_shape(formula)
    return shape[0] if shape is not None else ()


def entry_row_saved(*, data_round: Round, row: EntryRow, score: IndicatorScore | None, uploaded: bool) -> EntryRow:
    """A row after its own save: its consuntivo read again (one query; its attachments too when some were
    `uploaded`) and the score of the saved values (the service scored them before writing)."""
    measurement = (
        Measurement.objects.select_related("updated_by").filter(round=data_round, indicator=row.indicator).first()
    )
    evidence = row.evidence
    if uploaded and measurement is not None:
        evidence = list(Evidence.objects.filter(measurement=measurement).order_by("uploaded_at", "id"))
    return replace(row, measurement=measurement, scored=score or row.score, evidence=evidence)


def formula_is_ratio(formula: str, unit: str) -> bool:
    """Whether a value is typed as Numeratore / Denominatore: an Algoritmo that is a quotient with no named
    variables (those get their own fields), or, without an Algoritmo, a percentage (a share of two counts).
    A plain count, an amount, days, a date or SI/NO have no measures."""
    shape = _formula_shape(formula)
    if shape is not None:
        return shape[1] and not shape[0]
    if formula.strip():
        return "/" in formula  # prose such as «pratiche evase / pratiche ricevute»
    return unit == IndicatorUnit.PERCENT


def values_refusal(*, data_round: Round, year_state: str) -> str | None:
    """Why the round's year takes no values now (the lifecycle guard's words), or None."""
    return write_refusal(action=Write.MEASUREMENT, year=data_round.year, states={data_round.year: year_state})


def accepts_values(*, data_round: Round, year_state: str) -> bool:
    """Whether the units may write in the round: the round is open and its year's state allows it."""
    return data_round.state == "open" and values_refusal(data_round=data_round, year_state=year_state) is None


@dataclass
class RoundData:
    round: Round
    plan: Plan
    year_state: str
    tree: PlanTree
    blocks: list[UnitBlock]  # units in code order, only those with indicators to measure
    measurements: dict[int, Measurement]  # indicator id → consuntivo of this round

    @property
    def year_state_label(self) -> str:
        return YearState(self.year_state).label

    @property
    def locked(self) -> bool:
        return self.year_state == YearState.VALIDATED

    @property
    def refusal(self) -> str | None:
        """Why the year takes no values now (the lifecycle guard's words), or None."""
        return values_refusal(data_round=self.round, year_state=self.year_state)

    @property
    def accepts_values(self) -> bool:
        return accepts_values(data_round=self.round, year_state=self.year_state)

    def block(self, unit_id: int) -> UnitBlock | None:
        return next((b for b in self.blocks if b.unit.pk == unit_id), None)

    def row(self, indicator_id: int) -> EntryRow | None:
        return next((r for b in self.blocks for r in b.rows if r.indicator.pk == indicator_id), None)


def is_measured(ind: Indicator, target: Target | None) -> bool:
    """Whether an indicator is a row of its year's rounds: a target that year (not N/D), and not derived (a derived
    value is the score of its children, never typed)."""
    return measured(target.kind if target is not None else None, derived=ind.derived)


def measured(target_kind: str | None, *, derived: bool) -> bool:
    """is_measured on the two columns it reads (the outline of a page reads only those)."""
    return target_kind is not None and target_kind != Kind.NONE and not derived


def _entry_row(
    ind: Indicator,
    node: Objective,
    unit_id: int,
    tree: PlanTree,
    year: int,
    rules,
    *,
    measurement: Measurement | None,
    previous: Measurement | None,
    evidence: list[Evidence],
) -> EntryRow:
    """One row, from the indicator's rows already read (`tree` holds at least its target and baseline)."""
    return EntryRow(
        indicator=ind,
        objective=node,
        unit_id=unit_id,
        year=year,
        target=tree.targets_of[ind.pk][year],
        baseline=tree.baseline_of.get(ind.pk),
        previous=previous,
        measurement=measurement,
        variables=formula_variables(ind.formula),
        ratio=formula_is_ratio(ind.formula, ind.unit)
        or (measurement is not None and measurement.numerator is not None),
        evidence=evidence,
        tree=tree,
        rules=rules,
    )


def _only(queryset: QuerySet):
    """The one row of a unique lookup, or None: get() drops the model's ordering, which first() keeps (Target's
    and Indicator's sort through the plan and the ente: joins that cost more than the lookup itself)."""
    try:
        return queryset.get()
    except queryset.model.DoesNotExist:
        return None


def effective_unit_of(objective: Objective) -> int | None:
    """The unit of one objective as effective_units gives it (its own, else its nearest ancestor's), without reading
    the tree: one recursive query up its ancestors, which stops at the first unit (at most PLAN_MAX_TREE_DEPTH)."""
    if objective.org_unit_id is not None or objective.parent_id is None:
        return objective.org_unit_id
    table = Objective._meta.db_table
    sql = (
        f"WITH RECURSIVE chain(id, parent_id, org_unit_id, depth) AS ("  # noqa: S608 - table name from the model
        f" SELECT id, parent_id, org_unit_id, 1 FROM {table} WHERE id = %s"
        f" UNION ALL SELECT o.id, o.parent_id, o.org_unit_id, c.depth + 1 FROM {table} o"
        f" JOIN chain c ON o.id = c.parent_id WHERE c.org_unit_id IS NULL AND c.depth < %s)"
        " SELECT org_unit_id FROM chain WHERE org_unit_id IS NOT NULL ORDER BY depth LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [objective.parent_id, max_tree_depth()])
        found = cursor.fetchone()
    return found[0] if found else None


def one_indicator_tree(plan: Plan, indicator: Indicator, target: Target | None, baseline: Baseline | None) -> PlanTree:
    """A PlanTree holding one indicator's target and baseline: what scoring that indicator reads."""
    return PlanTree(
        plan=plan,
        objectives=[],
        depth={},
        children_of={},
        targets_of={indicator.pk: {target.year: target}} if target is not None else {},
        baseline_of={indicator.pk: baseline} if baseline is not None else {},
    )


def entry_row(*, data_round: Round, indicator_id: int, unit_ids: set[int]) -> EntryRow | None:
    """The row of one indicator when round_data(unit_ids=…) would list it, else None; read alone, without the rest of
    the plan: at most seven small queries whatever the size of the plan, for the requests of a single row (its save,
    its preview)."""
    plan = data_round.plan
    ind = _only(Indicator.objects.filter(pk=indicator_id, objective__plan_id=plan.pk).select_related("objective"))
    if ind is None:
        return None
    unit_id = effective_unit_of(ind.objective)
    if unit_id is None or unit_id not in unit_ids:
        return None
    year = data_round.year
    target = _only(Target.objects.filter(indicator=ind, year=year, is_current=True))
    if not is_measured(ind, target):
        return None
    baseline = _only(Baseline.objects.filter(indicator=ind))
    measurement = _only(Measurement.objects.select_related("updated_by").filter(round=data_round, indicator=ind))
    previous = None
    if year - 1 in plan.years:
        previous = _only(Measurement.objects.filter(round__plan=plan, round__final=True, year=year - 1, indicator=ind))
    evidence = (
        list(Evidence.objects.filter(measurement=measurement).order_by("uploaded_at", "id"))
        if measurement is not None
        else []
    )
    return _entry_row(
        ind,
        ind.objective,
        unit_id,
        one_indicator_tree(plan, ind, target, baseline),
        year,
        plan.scoring_rules(),
        measurement=measurement,
        previous=previous,
        evidence=evidence,
    )


UPDATED_BY_UNSHOWN = ("updated_by__password", "updated_by__last_login", "updated_by__date_joined")
PREVIOUS_SHOWN = ("indicator_id", "raw", "value_number")  # «Anno precedente» of a row (consuntivi/_entry_row.html)


def _round_values(
    data_round: Round, ids: list[int] | None
) -> tuple[dict[int, Measurement], dict[int, Measurement], dict[int, list[Evidence]]]:
    """This round's consuntivi, last year's final values and the evidence, of the indicators `ids` (None: all), by
    indicator (evidence by consuntivo): three queries. Of the user who saved a value only the name is shown: their
    dates and password hash are not read (three datetime columns parsed per row were 0,18 s of a 6.120-row unit)."""
    plan, year = data_round.plan, data_round.year
    mine = {} if ids is None else {"indicator_id__in": ids}
    rows = Measurement.objects.filter(round=data_round, **mine).select_related("updated_by").defer(*UPDATED_BY_UNSHOWN)
    measurements = {m.indicator_id: m for m in rows}
    previous: dict[int, Measurement] = {}
    if year - 1 in plan.years:
        last_year = Measurement.objects.filter(round__plan=plan, round__final=True, year=year - 1, **mine)
        previous = {m.indicator_id: m for m in last_year.only(*PREVIOUS_SHOWN)}
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    attached = {} if ids is None else {"measurement__indicator_id__in": ids}
    for item in Evidence.objects.filter(measurement__round=data_round, **attached).order_by("uploaded_at", "id"):
        evidence[item.measurement_id].append(item)
    return measurements, previous, evidence


def round_data(*, data_round: Round, unit_ids: set[int] | None = None) -> RoundData:
    """Everything about a round, limited to `unit_ids` when given: 10 queries whatever the plan size.

    The rows are the indicators with a target in the round's year (not N/D) and not derived (a derived value is
    the score of the children, never typed), each under its effective unit.
    """
    plan = data_round.plan
    tree = plan_tree_rows(plan=plan, year=data_round.year)  # the rows' targets and baselines: no values of the tree
    unit_of = effective_units(tree)
    measurements, previous, evidence = _round_values(data_round, None)
    rules = plan.scoring_rules()
    units = {u.pk: u for u in tree.units}
    rows_of: dict[int, list[EntryRow]] = defaultdict(list)
    for node in tree.objectives:
        unit_id = unit_of.get(node.pk)
        if unit_id is None or (unit_ids is not None and unit_id not in unit_ids):
            continue
        for ind in tree.indicators_of.get(node.pk, []):
            if not is_measured(ind, tree.targets_of.get(ind.pk, {}).get(data_round.year)):
                continue
            measurement = measurements.get(ind.pk)
            rows_of[unit_id].append(
                _entry_row(
                    ind,
                    node,
                    unit_id,
                    tree,
                    data_round.year,
                    rules,
                    measurement=measurement,
                    previous=previous.get(ind.pk),
                    evidence=evidence.get(measurement.pk, []) if measurement is not None else [],
                )
            )
    blocks = []
    for unit_id, rows in sorted(rows_of.items(), key=lambda item: units[item[0]].code):
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            counts[row.status] += 1
        blocks.append(UnitBlock(units[unit_id], rows, unit_status(rows), dict(counts)))
    return RoundData(
        round=data_round,
        plan=plan,
        year_state=round_year_state(data_round=data_round),
        tree=tree,
        blocks=blocks,
        measurements=measurements,
    )


@dataclass
class PageBlock:
    """A unit on a page of «I miei indicatori»: the unit (its counts are the whole unit's) and its rows on the page."""

    block: UnitBlock
    groups: list[tuple[Objective, list[EntryRow]]]


@dataclass
class EntryPage:
    """One page of a Responsabile's rows: `first`–`last` (from 1) of `total`, page `number` of `pages`."""

    blocks: list[PageBlock]
    number: int
    pages: int
    first: int
    last: int
    total: int

    @property
    def rows(self) -> list[EntryRow]:
        return [row for item in self.blocks for _, rows in item.groups for row in rows]

    @property
    def numbers(self) -> range:
        return range(1, self.pages + 1)


def _page_of(
    shown: list[tuple[UnitBlock, Objective, EntryRow]], *, number: int, pages: int, size: int, total: int
) -> EntryPage:
    blocks: list[PageBlock] = []
    for block, objective, row in shown:
        if not blocks or blocks[-1].block is not block:
            blocks.append(PageBlock(block, []))
        groups = blocks[-1].groups
        if not groups or groups[-1][0].pk != objective.pk:
            groups.append((objective, []))
        groups[-1][1].append(row)
    first = (number - 1) * size + 1 if shown else 0
    return EntryPage(blocks, number, pages, first, first + len(shown) - 1 if shown else 0, total)


def mine_page(
    *, data_round: Round, unit_ids: set[int] | None, size: int, number: int = 1, indicator_id: int | None = None
) -> tuple[RoundData, EntryPage]:
    """Page `number` of the rows of `unit_ids` (None: every unit), `size` at a time (units by code, then objectives
    in plan order, as round_data lists them), or the page holding `indicator_id`'s row; a number out of range gives
    the nearest page. The units' counts and states are whole-unit ones, but only the rows the page shows (and those
    sent back, which a unit's heading lists) are read and built. The outline (the nodes in tree order, two columns
    of each indicator, of its target and of its consuntivo) decides which rows those are: a unit of 6.120 rows took
    1,2 s to open, most of it reading rows the page does not show. 14 queries whatever the size."""
    plan, year = data_round.plan, data_round.year
    tree = plan_outline(plan=plan)
    unit_of = effective_units(tree)
    units = {u.pk: u for u in tree.units}
    kinds = dict(
        Target.objects.filter(indicator__objective__plan=plan, is_current=True, year=year)
        .order_by()
        .values_list("indicator_id", "kind")
    )
    indicators_of: dict[int, list[int]] = defaultdict(list)
    for pk, objective_id, derived in (
        Indicator.objects.filter(objective__plan=plan)
        .order_by("position", "id")
        .values_list("pk", "objective_id", "derived")
    ):
        if measured(kinds.get(pk), derived=derived):
            indicators_of[objective_id].append(pk)
    statuses = dict(Measurement.objects.filter(round=data_round).values_list("indicator_id", "status"))
    keys_of: dict[int, list[tuple[Objective, int]]] = defaultdict(list)
    for node in tree.objectives:
        unit_id = unit_of.get(node.pk)
        if unit_id is not None and (unit_ids is None or unit_id in unit_ids) and node.pk in indicators_of:
            keys_of[unit_id].extend((node, pk) for pk in indicators_of[node.pk])
    order = sorted(keys_of, key=lambda unit_id: units[unit_id].code)
    ordered = [(unit_id, node, pk) for unit_id in order for node, pk in keys_of[unit_id]]
    pages = max(1, -(-len(ordered) // size))
    at = next((i for i, (_, _, pk) in enumerate(ordered) if pk == indicator_id), None)
    number = min(max(number if at is None else at // size + 1, 1), pages)  # out of range: the nearest page
    shown = ordered[(number - 1) * size : number * size]
    returned = {pk for pk, status in statuses.items() if status == MeasurementStatus.RETURNED}
    wanted = {pk for _, _, pk in shown} | returned  # a page's rows, and those the units' headings list
    rows = _rows_of(data_round, tree, [key for key in ordered if key[2] in wanted])

    blocks: dict[int, UnitBlock] = {}
    for unit_id in order:
        unit_statuses = [statuses.get(pk, "mancante") for _, pk in keys_of[unit_id]]
        counts: dict[str, int] = defaultdict(int)
        for status in unit_statuses:
            counts[status] += 1
        unit_rows = [rows[pk] for _, pk in keys_of[unit_id] if pk in rows]
        blocks[unit_id] = UnitBlock(
            units[unit_id], unit_rows, status_of_values(unit_statuses), dict(counts), len(unit_statuses)
        )
    page = _page_of(
        [(blocks[unit_id], node, rows[pk]) for unit_id, node, pk in shown],
        number=number,
        pages=pages,
        size=size,
        total=len(ordered),
    )
    data = RoundData(
        round=data_round,
        plan=plan,
        year_state=round_year_state(data_round=data_round),
        tree=tree,
        blocks=list(blocks.values()),
        measurements={pk: row.measurement for pk, row in rows.items() if row.measurement is not None},
    )
    return data, page


def _rows_of(data_round: Round, tree: PlanTree, keys: list[tuple[int, Objective, int]]) -> dict[int, EntryRow]:
    """The rows of these (unit, node, indicator) keys, read for them alone: six queries. Their targets and baselines
    go into `tree` (an outline), which the rows' scores read."""
    plan, year = data_round.plan, data_round.year
    ids = [pk for _, _, pk in keys]
    indicators = {ind.pk: ind for ind in loaded_rows(Indicator.objects.filter(pk__in=ids))}
    targets = Target.objects.filter(indicator_id__in=ids, year=year, is_current=True).order_by()
    tree.targets_of = {t.indicator_id: {year: t} for t in loaded_rows(targets, skip=TREE_SKIPS_TARGET)}
    tree.baseline_of = {b.indicator_id: b for b in loaded_rows(Baseline.objects.filter(indicator_id__in=ids))}
    measurements, previous, evidence = _round_values(data_round, ids)
    rules = plan.scoring_rules()
    rows = {}
    for unit_id, node, pk in keys:
        measurement = measurements.get(pk)
        rows[pk] = _entry_row(
            indicators[pk],
            node,
            unit_id,
            tree,
            year,
            rules,
            measurement=measurement,
            previous=previous.get(pk),
            evidence=evidence.get(measurement.pk, []) if measurement is not None else [],
        )
    return rows


def visible_unit_ids(*, data_round: Round, user) -> set[int] | None:
    """The units of a round a user may see: a Responsabile's own (and sub-units); None for every unit."""
    if can(user, Action.MEASUREMENT_READ):
        return None
    units = list(OrgUnit.objects.filter(ente_id=data_round.plan.ente_id).only("pk", "parent_id"))
    return units_led_by(user=user, units=units)


def user_unit_ids(*, user, data_round: Round) -> set[int]:
    """Units whose consuntivi the user may write in this round's ente (a Responsabile's own and sub-units)."""
    if not can(user, Action.MEASUREMENT_ENTER):
        return set()
    units = list(OrgUnit.objects.filter(ente_id=data_round.plan.ente_id).order_by().only("pk", "parent_id"))
    return units_led_by(user=user, units=units)


def measurement_history(*, data_round: Round, indicator_id: int) -> list[MeasurementChange]:
    return list(
        MeasurementChange.objects.filter(measurement__round=data_round, measurement__indicator_id=indicator_id)
        .select_related("user")
        .order_by("-at", "-id")
    )


def late_blocks(*, data: RoundData, today) -> list[UnitBlock]:
    """Units that have not submitted everything when the round's deadline has passed."""
    if data.round.deadline is None or today <= data.round.deadline:
        return []
    return [b for b in data.blocks if b.status in (UnitStatus.NOT_STARTED, UnitStatus.DRAFT, UnitStatus.RETURNED)]


@dataclass
class YearPending:
    """What is still open when the planning office closes a year's consuntivi, for the confirmation page."""

    year: int
    open_rounds: list[Round]
    units: list[UnitBlock]  # units not yet submitted or accepted, or with returned values
    returned: int  # values sent back to their unit and not corrected
    submitted: int  # values submitted and not yet accepted
    missing: int  # indicators with no value

    @property
    def is_empty(self) -> bool:
        return not (self.units or self.returned or self.submitted or self.missing)

    @property
    def summary(self) -> str:
        """One Italian sentence of what is pending, for refusals and messages."""
        counts = [
            (ngettext("%(n)d unità non ha inviato", "%(n)d unità non hanno inviato", len(self.units)), len(self.units)),
            (ngettext("%(n)d valore mancante", "%(n)d valori mancanti", self.missing), self.missing),
            (ngettext("%(n)d valore restituito", "%(n)d valori restituiti", self.returned), self.returned),
            (ngettext("%(n)d valore da verificare", "%(n)d valori da verificare", self.submitted), self.submitted),
        ]
        return ", ".join(text % {"n": n} for text, n in counts if n) or "nulla in sospeso"


def year_close_pending(*, plan: Plan, year: int) -> YearPending:
    """The open rounds of the year and, from the final round, the units and values still pending."""
    rounds = list(Round.objects.filter(plan=plan, year=year).order_by("-final", "period"))
    final = next((r for r in rounds if r.final), None)
    units: list[UnitBlock] = []
    counts: dict[str, int] = defaultdict(int)
    if final is not None:
        for block in round_data(data_round=final).blocks:
            for row in block.rows:
                counts[row.status] += 1
            if block.status not in (UnitStatus.SUBMITTED, UnitStatus.ACCEPTED):
                units.append(block)
    return YearPending(
        year=year,
        open_rounds=[r for r in rounds if r.state == "open"],
        units=units,
        returned=counts[MeasurementStatus.RETURNED],
        submitted=counts[MeasurementStatus.SUBMITTED],
        missing=counts["mancante"],
    )


# --- The home page: open rounds, their units' progress, a Responsabile's work -------------------------------------


@dataclass
class UnitProgress:
    """One unit in an open round: how many of its indicators are submitted (or accepted), returned, missing."""

    unit: OrgUnit
    total: int = 0
    done: int = 0  # submitted or accepted
    returned: int = 0
    missing: int = 0  # no value at all
    status: str = UnitStatus.NOT_STARTED
    late: bool = False  # the deadline has passed and the unit has not submitted everything

    @property
    def status_label(self) -> str:
        return UnitStatus.LABELS[self.status]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class RoundProgress:
    round: Round
    units: list[UnitProgress]

    @property
    def total(self) -> int:
        return sum(u.total for u in self.units)

    @property
    def done(self) -> int:
        return sum(u.done for u in self.units)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def late_units(self) -> list[UnitProgress]:
        return [u for u in self.units if u.late]


@dataclass
class Activity:
    """An indicator a Responsabile still has to fill (no value, a draft, or returned with the reviewer's comment)."""

    round: Round
    unit: OrgUnit
    indicator_id: int
    label: str
    objective_code: str
    status: str  # "mancante" | bozza | da_rivedere
    comment: str = ""

    @property
    def status_label(self) -> str:
        return "Mancante" if self.status == "mancante" else MeasurementStatus(self.status).label


@dataclass
class RoundWork:
    """A Responsabile's open round: what is left to fill, what came back, and the units' progress."""

    round: Round
    units: list[UnitProgress]
    to_fill: list[Activity]
    returned: list[Activity]

    @property
    def late(self) -> bool:
        return any(u.late for u in self.units)


def _round_rows(rounds: list[Round], unit_ids: set[int] | None):
    """(round, unit id, indicator id, label, objective code) of every indicator to measure in each round, as
    round_data lists them (a target that year, not N/D, not derived; under the objective's effective unit):
    three queries for all the rounds together, plain values."""
    plan_ids = {r.plan_id for r in rounds}
    years = {r.year for r in rounds}
    objectives = Objective.objects.filter(plan__in=plan_ids).order_by()
    nodes = {
        pk: (parent, unit, code)
        for pk, parent, unit, code in objectives.values_list("pk", "parent_id", "org_unit_id", "code")
    }
    unit_of: dict[int, int | None] = {}

    def effective(pk: int) -> int | None:
        chain = []
        while pk is not None and pk not in unit_of:
            parent, unit, _ = nodes[pk]
            if unit is not None:
                unit_of[pk] = unit
                break
            chain.append(pk)
            pk = parent
        found = unit_of.get(pk) if pk is not None else None
        for item in chain:
            unit_of[item] = found
        return found

    targets: dict[tuple[int, int], bool] = {}
    current = Target.objects.filter(indicator__objective__plan__in=plan_ids, is_current=True, year__in=years)
    for indicator_id, year in current.exclude(kind=Kind.NONE).order_by().values_list("indicator_id", "year"):
        targets[(indicator_id, year)] = True
    indicators = Indicator.objects.filter(objective__plan__in=plan_ids, derived=False)
    rows_of_plan: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
    ordered = indicators.order_by("objective__position", "objective_id", "position", "id")
    for pk, objective_id, plan_id, code, name in ordered.values_list(
        "pk", "objective_id", "objective__plan_id", "code", "name"
    ):
        unit_id = effective(objective_id)
        if unit_id is None or (unit_ids is not None and unit_id not in unit_ids):
            continue
        label = f"{code} - {name}" if code else name
        rows_of_plan[plan_id].append((pk, unit_id, label, nodes[objective_id][2]))
    for rnd in rounds:
        for pk, unit_id, label, objective_code in rows_of_plan.get(rnd.plan_id, []):
            if (pk, rnd.year) in targets:
                yield rnd, unit_id, pk, label, objective_code


def _open_rounds(plans) -> list[Round]:
    return list(
        Round.objects.filter(plan__in=plans, state="open").select_related("plan").order_by("deadline", "plan", "year")
    )


def _progress(rnd: Round, rows: list[tuple[int, str]], units: dict[int, OrgUnit], today) -> list[UnitProgress]:
    """rows: (unit id, status) of the round's indicators."""
    by_unit: dict[int, list[str]] = defaultdict(list)
    for unit_id, status in rows:
        by_unit[unit_id].append(status)
    late_date = rnd.deadline is not None and today > rnd.deadline
    result = []
    for unit_id, statuses in sorted(by_unit.items(), key=lambda item: units[item[0]].code):
        progress = UnitProgress(unit=units[unit_id], total=len(statuses))
        progress.done = sum(1 for s in statuses if s in (MeasurementStatus.SUBMITTED, MeasurementStatus.ACCEPTED))
        progress.returned = statuses.count(MeasurementStatus.RETURNED)
        progress.missing = statuses.count("mancante")
        progress.status = status_of_values(statuses)
        progress.late = late_date and progress.status in (UnitStatus.NOT_STARTED, UnitStatus.DRAFT, UnitStatus.RETURNED)
        result.append(progress)
    return result


def open_rounds_progress(*, plans, today) -> list[RoundProgress]:
    """Every open round of `plans` with each unit's progress and whether it is late: six queries whatever the number
    of rounds and the size of the plans."""
    rounds = _open_rounds(plans)
    if not rounds:
        return []
    units = {u.pk: u for u in OrgUnit.objects.filter(ente__plans__in={r.plan_id for r in rounds}).distinct()}
    status_of = {
        (round_id, indicator_id): status
        for round_id, indicator_id, status in Measurement.objects.filter(round__in=rounds)
        .order_by()
        .values_list("round_id", "indicator_id", "status")
    }
    rows: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for rnd, unit_id, indicator_id, _label, _code in _round_rows(rounds, None):
        rows[rnd.pk].append((unit_id, status_of.get((rnd.pk, indicator_id), "mancante")))
    return [RoundProgress(rnd, _progress(rnd, rows.get(rnd.pk, []), units, today)) for rnd in rounds]


def open_rounds_work(*, user, plans, today) -> list[RoundWork]:
    """A Responsabile's open rounds: only the units they lead (and their sub-units), each indicator left to fill
    with the round's deadline and each returned value with the comment: seven queries whatever the size."""
    rounds = _open_rounds(plans)
    if not rounds:
        return []
    units = {u.pk: u for u in OrgUnit.objects.filter(ente__plans__in={r.plan_id for r in rounds}).distinct()}
    led = units_led_by(user=user, units=list(units.values()))
    if not led:
        return []
    measured = {
        (round_id, indicator_id): (status, comment)
        for round_id, indicator_id, status, comment in Measurement.objects.filter(round__in=rounds)
        .order_by()
        .values_list("round_id", "indicator_id", "status", "review_comment")
    }
    work = {rnd.pk: RoundWork(rnd, [], [], []) for rnd in rounds}
    rows: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for rnd, unit_id, indicator_id, label, code in _round_rows(rounds, led):
        status, comment = measured.get((rnd.pk, indicator_id), ("mancante", ""))
        rows[rnd.pk].append((unit_id, status))
        activity = Activity(rnd, units[unit_id], indicator_id, label, code, status, comment)
        if status == MeasurementStatus.RETURNED:
            work[rnd.pk].returned.append(activity)
        elif status in ("mancante", MeasurementStatus.DRAFT):
            work[rnd.pk].to_fill.append(activity)
    for rnd in rounds:
        work[rnd.pk].units = _progress(rnd, rows.get(rnd.pk, []), units, today)
    return [item for item in work.values() if item.units]
