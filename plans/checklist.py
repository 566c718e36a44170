"""The checklist read before a plan is adopted and before a round opens (issue 15, item 4): one selector.

What blocks and what only warns, decided as a planning office would (spec/domain.md §3-4, scoring.md §2-3):

Blocking (adoption is refused while one is open):
- **An unreadable target** (a cell the parser now refuses, e.g. `>= 3x0` saved before the strict reading): the
  act would adopt a number nobody wrote, and the year would be scored against it.
- **An operational objective without a unit**, neither its own nor an ancestor's (scoring.md §2: an objective
  with no unit of its own belongs to its nearest ancestor's unit, for scores and for data entry). Nobody could
  enter its consuntivi, no unit's score would count it, and D.Lgs. 150/2009 assigns every objective to a
  structure: the act cannot leave it unassigned.
- **An indicator without a target for the first year of the plan** (the year it is adopted for): each Relazione
  reports on the first year of the plan adopted that January (domain.md §3), so that indicator could never be
  scored. An explicit placeholder (`---`, `N/D`) is a decision, not a gap: it does not count as missing.

Warnings (the planner confirms having read them; the plan can still be adopted):
- **Sibling weights that do not add up to 100** (within the scoring core's WEIGHT_SUM_TOLERANCE, so that
  33,34 + 33,33 + 33,33 passes; all blank or all zero means equal shares and is not listed): the scoring
  normalises them and says so (scoring.md §2), and a weight may be left out on purpose (MO OS 802 is 80 %).
- **A strategic indicator (area, obiettivo strategico, programma) without a target for a later plan year**:
  later years are forecasts, replaced by the next rolling plan, and can be set by revision. Indicators of
  operational objectives and actions are not listed for later years: those objectives are one-year objectives
  (domain.md §1; RF gives them the first year's target only).

Before a round opens the same list is read with `for_round`: an unreadable target of the round's year and an
operational objective without a unit block the round (nobody could enter or score those values); a missing target
only warns, for every year (targets of the year can still be set while the year is in monitoraggio,
plans/lifecycle.FROZEN, and the other indicators must not wait for it).

Three queries for any number of plans, whatever their size (objectives, indicators, current targets), plain
values, no model instances; the targets stored as TEXT or with a qualifier, the only ones the strict reading may
now refuse, are read again by the parser (pure Python, about 30 µs each).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from indicators.models import Indicator, Target, TargetKind
from indicators.notation import parse_target
from indicators.scoring import WEIGHT_SUM_TOLERANCE
from perfplan.formats import number_it
from plans.models import Level, Objective, Plan

HUNDRED = Decimal(100)
ONE_YEAR_LEVELS = {Level.OPERATIONAL, Level.ACTION}  # one-year objectives: a target for the first year only

# Item kinds, in the order the page lists them.
UNREADABLE = "unreadable_target"
NO_UNIT = "no_unit"
MISSING_TARGET = "missing_target"
WEIGHTS = "weights"


@dataclass(frozen=True)
class ChecklistItem:
    """One open point, linked to the page where it is fixed: an objective's or an indicator's edit page, or the
    weights page of the siblings."""

    kind: str
    blocking: bool
    message: str  # Italian, complete: «F1 - Pubblicazioni: target 2018 «>= 3x0» non leggibile (…)»
    objective_id: int | None = None  # the objective to edit, or the parent of the siblings (None: the areas)
    indicator_id: int | None = None  # the indicator to edit
    weights_of: str = ""  # "obiettivi" | "indicatori" for a weight item
    year: int | None = None  # the target's year, for a target item


@dataclass
class Checklist:
    plan: Plan
    for_round: bool = False  # read before a round opens (missing targets only warn)
    items: list[ChecklistItem] = field(default_factory=list)

    def blocking_for(self, year: int) -> list[ChecklistItem]:
        """The blocking items that stop a round of `year`: the objectives without a unit, that year's targets."""
        return [item for item in self.blocking if item.year is None or item.year == year]

    @property
    def blocking(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.blocking]

    @property
    def warnings(self) -> list[ChecklistItem]:
        return [item for item in self.items if not item.blocking]

    @property
    def ok(self) -> bool:
        return not self.items


def _label(code: str, name: str) -> str:
    return f"{code} - {name}" if code else name


def _weight_total(weights: list[Decimal | None]) -> Decimal | None:
    """The sum of the given weights when it is not 100 (None when fine, or all blank or zero: equal shares)."""
    given = [w for w in weights if w is not None]
    total = sum(given, Decimal(0))
    if not given or total == 0 or abs(total - HUNDRED) <= WEIGHT_SUM_TOLERANCE:
        return None
    return total


def plan_checklists(*, plans: list[Plan], for_round: bool = False) -> dict[int, Checklist]:
    """Plan id → its checklist: the adoption list, or with `for_round` the list read before a round opens (see
    the module docstring)."""
    lists = {plan.pk: Checklist(plan=plan, for_round=for_round) for plan in plans}
    if not lists:
        return {}
    objectives = Objective.objects.filter(plan__in=lists).order_by("position", "id")
    rows = list(objectives.values_list("pk", "plan_id", "parent_id", "level", "code", "title", "weight", "org_unit_id"))
    plan_of = {row[0]: row[1] for row in rows}
    children: dict[int | None, list[tuple]] = defaultdict(list)
    for row in rows:
        children[row[2]].append(row)
    level_of = {row[0]: row[3] for row in rows}
    code_of = {row[0]: row[4] for row in rows}

    items: dict[int, dict[str, list[ChecklistItem]]] = {pk: defaultdict(list) for pk in lists}

    # Units, inherited from the nearest ancestor (depth first from the roots, a parent before its children).
    unit_of: dict[int, int | None] = {}
    stack = list(children.get(None, []))
    while stack:
        row = stack.pop()
        pk, plan_id, parent_id, level, code, title, _, unit = row
        unit_of[pk] = unit if unit is not None else unit_of.get(parent_id)
        if level == Level.OPERATIONAL and unit_of[pk] is None:
            items[plan_id][NO_UNIT].append(
                ChecklistItem(
                    NO_UNIT,
                    True,
                    f"Obiettivo operativo {_label(code, title)}: nessuna unità organizzativa (né propria né di un "
                    "obiettivo superiore): nessuno potrebbe inserirne i consuntivi.",
                    objective_id=pk,
                )
            )
        stack.extend(children.get(pk, []))

    # Objective weights, sibling by sibling.
    for parent_id, siblings in children.items():
        total = _weight_total([row[6] for row in siblings])
        if total is not None:
            plan_id = siblings[0][1]
            where = f"dell'obiettivo {code_of[parent_id]}" if parent_id is not None else "del piano"
            items[plan_id][WEIGHTS].append(
                ChecklistItem(
                    WEIGHTS,
                    False,
                    f"I pesi degli obiettivi figli {where} sommano a {number_it(total)} invece di 100: "
                    "il punteggio li normalizza.",
                    objective_id=parent_id,
                    weights_of="obiettivi",
                )
            )

    # A target the parser now refuses was saved, before the strict reading, as TEXT or as a number with a
    # "qualifier" (`>= 3x0` → 3 + "x0", `1,2,3` → TEXT): only those are read again, the rest are known good.
    targets_of: dict[int, dict[int, str | None]] = defaultdict(dict)
    targets = Target.objects.filter(indicator__objective__plan__in=lists, is_current=True).order_by()
    for indicator_id, year, raw, kind, qualifier in targets.values_list(
        "indicator_id", "year", "raw", "kind", "qualifier"
    ):
        targets_of[indicator_id][year] = raw if kind == TargetKind.TEXT or qualifier else None

    weights_of: dict[int, list[Decimal | None]] = defaultdict(list)
    indicators = Indicator.objects.filter(objective__plan__in=lists).order_by("objective__position", "position", "id")
    for pk, objective_id, plan_id, code, name, weight in indicators.values_list(
        "pk", "objective_id", "objective__plan_id", "code", "name", "weight"
    ):
        checklist = lists[plan_id]
        label = _label(code, name)
        weights_of[objective_id].append(weight)
        has = targets_of.get(pk, {})
        for year in checklist.plan.years:
            if year not in has:
                first = year == checklist.plan.start_year
                if not first and level_of.get(objective_id) in ONE_YEAR_LEVELS:
                    continue
                blocking = first and not for_round
                items[plan_id][MISSING_TARGET].append(
                    ChecklistItem(
                        MISSING_TARGET,
                        blocking,
                        f"Indicatore {label} (obiettivo {code_of.get(objective_id, '')}): nessun target per il {year}.",
                        objective_id=objective_id,
                        indicator_id=pk,
                        year=year,
                    )
                )
                continue
            raw = has[year]
            errors = [w.message for w in parse_target(raw, year=year)[1] if w.is_error] if raw is not None else []
            if errors:
                items[plan_id][UNREADABLE].append(
                    ChecklistItem(
                        UNREADABLE,
                        True,
                        f"Indicatore {label}: target {year} «{raw}» non leggibile. {errors[0]}",
                        objective_id=objective_id,
                        indicator_id=pk,
                        year=year,
                    )
                )
    for objective_id, weights in weights_of.items():
        total = _weight_total(weights)
        if total is not None:
            plan_id = plan_of[objective_id]
            items[plan_id][WEIGHTS].append(
                ChecklistItem(
                    WEIGHTS,
                    False,
                    f"I pesi degli indicatori dell'obiettivo {code_of[objective_id]} sommano a {number_it(total)} "
                    "invece di 100: il punteggio li normalizza.",
                    objective_id=objective_id,
                    weights_of="indicatori",
                )
            )

    order = (UNREADABLE, NO_UNIT, MISSING_TARGET, WEIGHTS)
    for plan_id, checklist in lists.items():
        found = items[plan_id]
        checklist.items = [item for kind in order for item in found[kind]]
        checklist.items.sort(key=lambda item: not item.blocking)  # stable: blocking first, each kind in order
    return lists


def plan_checklist(*, plan: Plan, for_round: bool = False) -> Checklist:
    """The checklist of one plan (three queries)."""
    return plan_checklists(plans=[plan], for_round=for_round)[plan.pk]
