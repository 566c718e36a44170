"""Year over year (issue 16 item 5, issue 14 item 5): each indicator's final results of the years before the one shown.

The earlier years come from the same plan (a plan covers several years) and, for the years it has no final value
of, from the ente's earlier plans (a plan copied forward into the next cycle), where the indicator is recognised by,
in this order: the same catalogue code (DFP or the ente's catalogue), the same indicator code, or — for an uncoded
indicator — the same name under an objective with the same code (the workbook's own key of an uncoded indicator).
A key that names more than one indicator of an earlier plan is narrowed to the one under the same objective code;
still ambiguous, it matches nothing: a wrong comparison is worse than none.

A year's results come from the newest plan that has final values of that year (the one in force then).

Four queries whatever the plan size or the part of it asked for (the earlier plans; their candidate indicators,
skipped when there are none; the final values; their targets), five without a loaded tree. Only the targets become
model instances: the values of a 12,000-indicator plan are read and scored in about 0,9 s.
The achievement of each value comes from the scoring core (score_indicator) with the
rules of the plan the value belongs to, as plan_score computed it that year. Derived indicators (their value is the
score of their children, never typed) have no final value of their own and so show none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q

from consuntivi.models import Measurement
from consuntivi.scores import measurement_input
from indicators.models import Indicator, Target
from indicators.notation import unit_of, value_text
from indicators.scoring import NO_TARGET, IndicatorInput, ScoringRules, score_indicator
from perfplan.formats import percent_it
from plans.models import Plan
from plans.selectors import TREE_SKIPS_TARGET, PlanTree, loaded_rows

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


class _Indicator(NamedTuple):
    """What matching and scoring read of an indicator, of this plan or of an earlier one."""

    id: int
    plan_id: int
    code: str
    catalogue_code: str
    name: str
    objective_code: str
    polarity: str
    unit: str
    formula: str
    derived: bool
    weight: Decimal | None
    baseline: Decimal | None


INDICATOR_COLUMNS = (
    "pk",
    "objective__plan_id",
    "code",
    "catalogue_code",
    "name",
    "objective__code",
    "polarity",
    "unit",
    "formula",
    "derived",
    "weight",
    "baselines__value",  # one baseline per indicator at most (baseline_one_per_indicator)
)


class _Value(NamedTuple):
    """A final consuntivo, with the attributes consuntivi.scores.measurement_input reads."""

    indicator_id: int
    year: int
    plan_id: int
    raw: str
    value_number: Decimal | None
    value_date: object
    value_bool: bool | None
    value_level: str
    not_done: bool
    numerator: Decimal | None
    denominator: Decimal | None
    variables: dict
    manual_achievement: Decimal | None
    manual_reason: str


VALUE_COLUMNS = ("indicator_id", "year", "round__plan_id", *_Value._fields[3:])


class _Keys:
    """An earlier plan's indicators by each key they may be recognised by (dicts: no scan per indicator)."""

    def __init__(self) -> None:
        self.catalogue: dict[str, list[_Indicator]] = defaultdict(list)
        self.code: dict[str, list[_Indicator]] = defaultdict(list)
        self.name: dict[tuple[str, str], list[_Indicator]] = defaultdict(list)  # uncoded: (objective code, name)

    def add(self, ind: _Indicator) -> None:
        if ind.catalogue_code:
            self.catalogue[ind.catalogue_code].append(ind)
        if ind.code:
            self.code[ind.code].append(ind)
        else:
            self.name[(ind.objective_code, ind.name)].append(ind)

    def match(self, current: _Indicator) -> _Indicator | None:
        """The indicator that is `current` (see the module's docstring), or None."""
        if current.catalogue_code:
            found = _one(self.catalogue.get(current.catalogue_code, []), current.objective_code)
            if found is not None:
                return found
        if current.code:
            return _one(self.code.get(current.code, []), current.objective_code)
        return _one(self.name.get((current.objective_code, current.name), []), current.objective_code)


def _one(found: list[_Indicator], objective_code: str) -> _Indicator | None:
    if len(found) == 1:
        return found[0]
    same_objective = [c for c in found if c.objective_code == objective_code]
    return same_objective[0] if len(same_objective) == 1 else None


def _current_indicators(plan: Plan, tree: PlanTree | None) -> list[_Indicator]:
    if tree is None:
        return [
            _Indicator(*row) for row in Indicator.objects.filter(objective__plan=plan).values_list(*INDICATOR_COLUMNS)
        ]
    codes = {node.pk: node.code for node in tree.objectives}
    baselines = tree.baseline_of
    return [
        _Indicator(
            ind.pk,
            plan.pk,
            ind.code,
            ind.catalogue_code,
            ind.name,
            codes.get(ind.objective_id, ""),
            ind.polarity,
            ind.unit,
            ind.formula,
            ind.derived,
            ind.weight,
            baselines[ind.pk].value if ind.pk in baselines else None,
        )
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


def previous_results(
    *, plan: Plan, year: int, tree: PlanTree | None = None, indicator_ids: Collection[int] | None = None
) -> dict[int, list[PastResult]]:
    """Indicator id (of `plan`) → its final results of the YEARS_BACK years before `year`, newest first; indicators
    without any are left out. `tree`: the plan's loaded tree, when the caller has it (saves a query);
    `indicator_ids`: only these indicators are scored (a page that shows part of a large plan)."""
    first = year - YEARS_BACK
    current = _current_indicators(plan, tree)
    if indicator_ids is not None:
        wanted = set(indicator_ids)
        current = [ind for ind in current if ind.id in wanted]
    plans = {plan.pk: plan}
    # The ente's plans begun before this one that reach the first year compared (a few: one per cycle).
    earlier_plans = Plan.objects.filter(ente_id=plan.ente_id, start_year__lt=plan.start_year, end_year__gte=first)
    plans.update((p.pk, p) for p in earlier_plans)
    keys_of: dict[int, _Keys] = defaultdict(_Keys)
    if len(plans) > 1:
        earlier_ids = sorted(pk for pk in plans if pk != plan.pk)
        earlier_indicators = Indicator.objects.filter(_recognisable(plan), objective__plan_id__in=earlier_ids)
        for row in earlier_indicators.order_by().values_list(*INDICATOR_COLUMNS):
            candidate = _Indicator(*row)
            keys_of[candidate.plan_id].add(candidate)
    # The plans compared, newest first: the plan itself, then the earlier ones by their first year.
    earlier = sorted(keys_of, key=lambda pk: (plans[pk].start_year, pk), reverse=True)

    of_plans = Q(round__plan=plan)
    target_plans = Q(indicator__objective__plan=plan)
    if earlier:
        of_plans |= Q(round__plan_id__in=earlier) & _recognisable(plan, "indicator__")
        target_plans |= Q(indicator__objective__plan_id__in=earlier) & _recognisable(plan, "indicator__")
    values = Measurement.objects.filter(of_plans, round__final=True, year__gte=first, year__lt=year).order_by()
    value_of = {(v.indicator_id, v.year): v for v in map(_Value._make, values.values_list(*VALUE_COLUMNS))}
    targets = Target.objects.filter(target_plans, is_current=True, year__gte=first, year__lt=year).order_by()
    target_of: dict[tuple[int, int], Target] = {
        (t.indicator_id, t.year): t for t in loaded_rows(targets, skip=TREE_SKIPS_TARGET)
    }
    rules = {pk: p.scoring_rules() for pk, p in plans.items()}

    # A year's results come from the newest plan that measured it (the one in force that year): a value that plan
    # lacks is not looked for in an older plan, where the same code may name another indicator.
    measured: dict[int, set[int]] = defaultdict(set)
    for value in value_of.values():
        measured[value.plan_id].add(value.year)
    results: dict[int, list[PastResult]] = {}
    for ind in current:
        sources = [ind]
        sources.extend(found for pk in earlier if (found := keys_of[pk].match(ind)) is not None)
        past = []
        for past_year in range(year - 1, first - 1, -1):
            source = next((s for s in sources if past_year in measured[s.plan_id]), None)
            value = value_of.get((source.id, past_year)) if source is not None else None
            if value is None:
                continue
            result = _past_result(
                source,
                value,
                target_of.get((source.id, past_year)),
                rules[source.plan_id],
                "" if source.plan_id == plan.pk else plans[source.plan_id].title,
            )
            if result is not None:
                past.append(result)
        if past:
            results[ind.id] = past
    return results


def _past_result(
    ind: _Indicator, value: _Value, target: Target | None, rules: ScoringRules, plan_title: str
) -> PastResult | None:
    """One final value scored as plan_score scored it that year; None when the year has no value at all."""
    score = score_indicator(
        IndicatorInput(
            id=ind.id,
            code=ind.code,
            name=ind.name,
            weight=ind.weight,
            polarity=ind.polarity,
            unit=unit_of(ind.unit),
            formula=ind.formula,
            derived=ind.derived,
            target=target.parsed() if target is not None else None,
            target_version=target.version if target is not None else None,
            baseline=ind.baseline,
            measurement=measurement_input(value),
        ),
        rules,
    )
    shown = score.value
    if shown is None or shown == "":
        if not value.raw:
            return None
        shown = value.raw
    unit = unit_of(ind.unit) or (unit_of(target.unit) if target is not None else None)
    scored = score.status != NO_TARGET and score.achievement is not None
    return PastResult(
        year=value.year,
        value=shown,
        value_text=value_text(shown, unit),
        achievement=score.achievement if scored else None,
        achievement_text=percent_it(score.achievement) if scored else "",
        plan_title=plan_title,
    )
