"""Year over year (issue 16 item 5, issue 14 item 5): each indicator's final results of the years before the one shown.

The earlier years come from the same plan (a plan covers several years) and, for the years it has no final value
of, from the ente's earlier plans (a plan copied forward into the next cycle), where the indicator is recognised by,
in this order: the same catalogue code (DFP or the ente's catalogue), the same indicator code, or — for an uncoded
indicator — the same name under an objective with the same code (the workbook's own key of an uncoded indicator).
A key that names more than one indicator of an earlier plan is narrowed to the one under the same objective code;
still ambiguous, it matches nothing: a wrong comparison is worse than none.

A year's results come from the newest plan that has final values of that year (the one in force then).

Three queries whatever the plan size (the earlier plans' candidate indicators, the final values, their targets),
four without a loaded tree; the achievement of each value comes from the scoring core (score_indicator) with the
rules of the plan the value belongs to, as plan_score computed it that year. Derived indicators (their value is the
score of their children, never typed) have no final value of their own and so show none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import OuterRef, Q, Subquery

from consuntivi.models import Measurement
from consuntivi.scores import measurement_input
from indicators.models import Baseline, Indicator, Target
from indicators.notation import Unit, unit_of, value_text
from indicators.scoring import NO_TARGET, IndicatorInput, score_indicator
from perfplan.formats import percent_it
from plans.models import Plan
from plans.selectors import PlanTree

YEARS_BACK = 3  # the years before the one shown that are compared: N-1, N-2, N-3


@dataclass(frozen=True)
class PastResult:
    """The final result of one earlier year, formatted once for every page and document."""

    year: int
    value: object  # as the scoring used it: Decimal, date, bool, level, or the typed text
    value_text: str  # `350 N.`, `94,23 %`, `30/09/2016`, `SI`
    achievement: Decimal | None  # percent, as plan_score gave it that year; None when not scored
    achievement_text: str  # `100,00 %`, or "" when not scored
    plan_title: str = ""  # the earlier plan it comes from; "" for the same plan

    @property
    def text(self) -> str:
        """`2016: 350 N. (100,00 %)`."""
        scored = f" ({self.achievement_text})" if self.achievement_text else ""
        return f"{self.year}: {self.value_text}{scored}"


def results_line(results: Iterable[PastResult]) -> str:
    """The compact line the pages and documents print: `2016: 350 N. (100,00 %) · 2015: 320 N. (91,43 %)`."""
    return " · ".join(result.text for result in results)


class _Current(NamedTuple):
    id: int
    code: str
    catalogue_code: str
    name: str
    objective_code: str


class _Candidate(NamedTuple):
    id: int
    plan_id: int
    code: str
    catalogue_code: str
    name: str
    objective_code: str


def _current_indicators(plan: Plan, tree: PlanTree | None) -> list[_Current]:
    if tree is None:
        rows = Indicator.objects.filter(objective__plan=plan).values_list(
            "pk", "code", "catalogue_code", "name", "objective__code"
        )
        return [_Current(*row) for row in rows]
    codes = {node.pk: node.code for node in tree.objectives}
    return [
        _Current(ind.pk, ind.code, ind.catalogue_code, ind.name, codes.get(ind.objective_id, ""))
        for inds in tree.indicators_of.values()
        for ind in inds
    ]


def _recognisable(plan: Plan, prefix: str = "") -> Q:
    """Indicators (`prefix`: the path from the queried model to Indicator) that may be the same indicator as one of
    `plan`'s: a subquery on the plan's own codes and names, no list of ids (a large plan has thousands)."""
    own = Indicator.objects.filter(objective__plan=plan)
    return (
        Q(**{f"{prefix}catalogue_code__in": own.exclude(catalogue_code="").values("catalogue_code")})
        | Q(**{f"{prefix}code__in": own.exclude(code="").values("code")})
        | Q(**{f"{prefix}code": "", f"{prefix}name__in": own.filter(code="").values("name")})
    )


def _one(found: list[_Candidate], objective_code: str) -> _Candidate | None:
    if len(found) == 1:
        return found[0]
    same_objective = [c for c in found if c.objective_code == objective_code]
    return same_objective[0] if len(same_objective) == 1 else None


def _match(current: _Current, candidates: list[_Candidate]) -> _Candidate | None:
    """The earlier plan's indicator that is `current` (see the module's docstring), or None."""
    if current.catalogue_code:
        found = _one([c for c in candidates if c.catalogue_code == current.catalogue_code], current.objective_code)
        if found is not None:
            return found
    if current.code:
        return _one([c for c in candidates if c.code == current.code], current.objective_code)
    return _one(
        [c for c in candidates if not c.code and c.name == current.name and c.objective_code == current.objective_code],
        current.objective_code,
    )


def _earlier_plans(plan: Plan, first: int, path: str) -> Q:
    """The ente's plans begun before `plan` that reach `first` (`path`: from the queried model to Plan)."""
    return Q(
        **{f"{path}ente_id": plan.ente_id, f"{path}start_year__lt": plan.start_year, f"{path}end_year__gte": first}
    )


def previous_results(*, plan: Plan, year: int, tree: PlanTree | None = None) -> dict[int, list[PastResult]]:
    """Indicator id (of `plan`) → its final results of the YEARS_BACK years before `year`, newest first; indicators
    without any are left out. `tree`: the plan's loaded tree, when the caller has it (saves a query)."""
    first = year - YEARS_BACK
    current = _current_indicators(plan, tree)
    if not current:
        return {}
    candidates_of: dict[int, list[_Candidate]] = defaultdict(list)
    start_of: dict[int, int] = {}
    candidates = Indicator.objects.filter(_earlier_plans(plan, first, "objective__plan__") & _recognisable(plan))
    for *row, start_year in candidates.order_by().values_list(
        "pk", "objective__plan_id", "code", "catalogue_code", "name", "objective__code", "objective__plan__start_year"
    ):
        candidate = _Candidate(*row)
        candidates_of[candidate.plan_id].append(candidate)
        start_of[candidate.plan_id] = start_year
    # The plans compared, newest first: the plan itself, then the earlier ones by their first year.
    earlier = sorted(candidates_of, key=lambda pk: (start_of[pk], pk), reverse=True)

    of_plans = Q(round__plan=plan)
    target_plans = Q(indicator__objective__plan=plan)
    if earlier:
        of_plans |= _earlier_plans(plan, first, "round__plan__") & _recognisable(plan, "indicator__")
        target_plans |= _earlier_plans(plan, first, "indicator__objective__plan__") & _recognisable(plan, "indicator__")
    measurements = (
        Measurement.objects.filter(of_plans, round__final=True, year__gte=first, year__lt=year)
        .select_related("indicator", "round__plan")
        .annotate(baseline_value=Subquery(Baseline.objects.filter(indicator=OuterRef("indicator")).values("value")[:1]))
        .order_by()
    )
    value_of: dict[tuple[int, int], Measurement] = {(m.indicator_id, m.year): m for m in measurements}
    if not value_of:
        return {}
    targets = Target.objects.filter(target_plans, is_current=True, year__gte=first, year__lt=year).order_by()
    target_of: dict[tuple[int, int], Target] = {(t.indicator_id, t.year): t for t in targets}

    # A year's results come from the newest plan that measured it (the one in force that year): a value that plan
    # lacks is not looked for in an older plan, where the same code may name another indicator.
    measured: dict[int, set[int]] = defaultdict(set)
    for m in value_of.values():
        measured[m.round.plan_id].add(m.year)
    results: dict[int, list[PastResult]] = {}
    for ind in current:
        sources = [(plan.pk, ind.id)]
        sources.extend((pk, found.id) for pk in earlier if (found := _match(ind, candidates_of[pk])) is not None)
        past = []
        for past_year in range(year - 1, first - 1, -1):
            source = next(((pk, source_id) for pk, source_id in sources if past_year in measured[pk]), None)
            measurement = value_of.get((source[1], past_year)) if source is not None else None
            if measurement is None:
                continue
            result = _past_result(measurement, target_of.get((source[1], past_year)), same_plan=source[0] == plan.pk)
            if result is not None:
                past.append(result)
        if past:
            results[ind.id] = past
    return results


def _past_result(measurement: Measurement, target: Target | None, *, same_plan: bool) -> PastResult | None:
    """One final value scored as plan_score scored it that year; None when the year has no value at all."""
    ind = measurement.indicator
    unit: Unit | None = unit_of(ind.unit) or (unit_of(target.unit) if target is not None else None)
    score = score_indicator(
        IndicatorInput(
            id=ind.pk,
            code=ind.code,
            name=ind.name,
            weight=ind.weight,
            polarity=ind.polarity,
            unit=unit_of(ind.unit),
            formula=ind.formula,
            derived=ind.derived,
            target=target.parsed() if target is not None else None,
            target_version=target.version if target is not None else None,
            baseline=measurement.baseline_value,
            measurement=measurement_input(measurement),
        ),
        measurement.round.plan.scoring_rules(),
    )
    value = score.value
    if value is None or value == "":
        if not measurement.raw:
            return None
        value = measurement.raw
    scored = score.status != NO_TARGET and score.achievement is not None
    return PastResult(
        year=measurement.year,
        value=value,
        value_text=value_text(value, unit),
        achievement=score.achievement if scored else None,
        achievement_text=percent_it(score.achievement) if scored else "",
        plan_title="" if same_plan else measurement.round.plan.title,
    )
