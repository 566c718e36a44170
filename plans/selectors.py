"""Reads on plans: the whole tree in a constant number of queries, assembled in memory."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from indicators.models import Baseline, Indicator, Measurement, Target
from perfplan.roles import Role, has_role, user_ente
from plans.models import Ente, Objective, OrgUnit, Plan


@dataclass
class PlanTree:
    plan: Plan
    objectives: list[Objective]  # depth-first, siblings by position
    depth: dict[int, int]
    children_of: dict[int | None, list[Objective]]
    indicators_of: dict[int, list[Indicator]] = field(default_factory=dict)
    targets_of: dict[int, dict[int, Target]] = field(default_factory=dict)  # indicator → year → current target
    baseline_of: dict[int, Baseline] = field(default_factory=dict)
    measurements_of: dict[int, list[Measurement]] = field(default_factory=dict)  # final-round consuntivi
    units: list[OrgUnit] = field(default_factory=list)

    @property
    def roots(self) -> list[Objective]:
        return self.children_of.get(None, [])


def plan_tree_rows(*, plan: Plan, year: int | None = None) -> PlanTree:
    """Load nodes, indicators, targets, baselines, final consuntivi and units: six queries whatever the size."""
    nodes = list(Objective.objects.filter(plan=plan).select_related("org_unit").order_by("position", "id"))
    children_of: dict[int | None, list[Objective]] = defaultdict(list)
    for node in nodes:
        children_of[node.parent_id].append(node)
    ordered: list[Objective] = []
    depth: dict[int, int] = {}
    stack = [(n, 0) for n in reversed(children_of.get(None, []))]
    while stack:
        node, level = stack.pop()
        ordered.append(node)
        depth[node.pk] = level
        stack.extend((child, level + 1) for child in reversed(children_of.get(node.pk, [])))

    indicators_of: dict[int, list[Indicator]] = defaultdict(list)
    for ind in Indicator.objects.filter(objective__plan=plan).order_by("position", "id"):
        indicators_of[ind.objective_id].append(ind)
    targets_of: dict[int, dict[int, Target]] = defaultdict(dict)
    targets = Target.objects.filter(indicator__objective__plan=plan, is_current=True)
    if year is not None:
        targets = targets.filter(year=year)
    for target in targets:
        targets_of[target.indicator_id][target.year] = target
    baseline_of = {b.indicator_id: b for b in Baseline.objects.filter(indicator__objective__plan=plan)}
    measurements_of: dict[int, list[Measurement]] = defaultdict(list)
    measurements = Measurement.objects.filter(round__plan=plan, round__final=True).order_by("year")
    if year is not None:
        measurements = measurements.filter(year=year)
    for m in measurements:
        measurements_of[m.indicator_id].append(m)
    units = list(OrgUnit.objects.filter(ente_id=plan.ente_id).select_related("parent").order_by("code"))
    return PlanTree(
        plan=plan,
        objectives=ordered,
        depth=depth,
        children_of=dict(children_of),
        indicators_of=dict(indicators_of),
        targets_of=dict(targets_of),
        baseline_of=baseline_of,
        measurements_of=dict(measurements_of),
        units=units,
    )


def plans_visible_to(*, user) -> QuerySet[Plan]:
    """Plans of the user's ente; admins without an ente see every ente's plans."""
    ente: Ente | None = user_ente(user)
    qs = Plan.objects.select_related("ente").annotate(objective_count=Count("objectives", distinct=True))
    if ente is not None:
        return qs.filter(ente=ente)
    if has_role(user, Role.ADMIN):
        return qs
    return qs.none()


def plan_for_user(*, user, plan_id: int) -> Plan:
    """The one access helper for a plan: 404 when it does not exist or is outside the user's ente."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(plans_visible_to(user=user), pk=plan_id)


@dataclass
class IndicatorLine:
    indicator: Indicator
    baseline: Baseline | None
    targets: list[str]  # one per plan year, as the forms show them ("≥ 350"), "" when none


@dataclass
class NodeLine:
    node: Objective
    depth: int
    indicators: list[IndicatorLine]


def plan_page_lines(*, tree: PlanTree) -> list[NodeLine]:
    """The tree as lines for the plan page, targets formatted for reading."""
    from indicators.notation import format_target

    years = tree.plan.years
    lines = []
    for node in tree.objectives:
        indicator_lines = []
        for ind in tree.indicators_of.get(node.pk, []):
            targets = tree.targets_of.get(ind.pk, {})
            shown = []
            for y in years:
                target = targets.get(y)
                shown.append(format_target(target.parsed()) if target is not None else "")
            indicator_lines.append(IndicatorLine(ind, tree.baseline_of.get(ind.pk), shown))
        lines.append(NodeLine(node, tree.depth[node.pk], indicator_lines))
    return lines
