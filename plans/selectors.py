"""Reads on plans: the whole tree in a constant number of queries, assembled in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    IntegerField,
    JSONField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE, MULTI
from django.shortcuts import get_object_or_404

from indicators.models import Baseline, Indicator, Target
from perfplan.internals import private_apis
from perfplan.limits import max_tree_depth, tree_depth_problem
from perfplan.permissions import Action, can
from perfplan.roles import Role, user_ente
from plans.models import Ente, Objective, OrgUnit, Plan, PublicValue, PublicValueIndicator, RiskMeasureLink


@dataclass
class PlanTree:
    plan: Plan
    objectives: list[Objective]  # depth-first, siblings by position
    depth: dict[int, int]
    children_of: dict[int | None, list[Objective]]
    indicators_of: dict[int, list[Indicator]] = field(default_factory=dict)
    targets_of: dict[int, dict[int, Target]] = field(default_factory=dict)  # indicator → year → current target
    baseline_of: dict[int, Baseline] = field(default_factory=dict)
    # indicator → its final-round consuntivi (consuntivi.Measurement), filled by consuntivi.trees
    measurements_of: dict[int, list] = field(default_factory=dict)
    units: list[OrgUnit] = field(default_factory=list)

    @property
    def roots(self) -> list[Objective]:
        return self.children_of.get(None, [])


class PlanTooDeep(Exception):  # noqa: N818 - reads as the condition, like Http404
    """A stored tree deeper than PLAN_MAX_TREE_DEPTH, which no form, service or import lets in any more but an older
    database may hold: the scoring core, the pages, the PDF and the exports walk the tree recursively, so every
    reader refuses it here, once, with the nodes to move or delete (perfplan.middleware shows them), not a crash."""

    def __init__(self, *, plan: Plan, depth: int, tops: list[Objective]) -> None:
        self.plan, self.depth, self.tops = plan, depth, tops
        super().__init__(
            f"Il piano «{plan.title}» ha un albero di {depth} livelli: {tree_depth_problem(depth)}. "
            "Spostare più in alto o eliminare gli obiettivi oltre il limite."
        )


M = TypeVar("M", bound=Model)


EMPTY_JSON = frozenset(("[]", "{}"))
# Fields whose converted values are immutable, so one value may serve every row that has the same raw value.
IMMUTABLE_RESULTS = (DecimalField, DateTimeField, DateField, BooleanField, IntegerField, CharField, TextField)


def _converted_rows(queryset: QuerySet) -> Iterator[list]:
    """The rows of a values_list query, as Django converts them, with each column's conversion done once per
    distinct value: a large plan repeats the same few hundred weights, targets and dates over 40,000 rows, and
    on SQLite every Decimal and date is built from the raw value by Python code. Results are shared between rows
    only when immutable (JSON values are converted every time)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    results = compiler.execute_sql(MULTI, chunk_size=GET_ITERATOR_CHUNK_SIZE)
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    connection = compiler.connection
    plans = []
    for position, (functions, expression) in compiler.get_converters(fields).items():
        field = expression.output_field
        json = type(field) is JSONField and field.decoder is None
        memo: dict | None = {} if isinstance(field, IMMUTABLE_RESULTS) else None
        plans.append((position, functions, expression, memo, json))
    for chunk in results:
        for raw in chunk:
            row = list(raw)
            for position, functions, expression, memo, json in plans:
                value = row[position]
                if json and type(value) is str and value in EMPTY_JSON:  # most rows: a new empty container
                    row[position] = [] if value == "[]" else {}
                    continue
                if memo is not None:
                    try:
                        row[position] = memo[value]
                        continue
                    except KeyError:
                        pass
                    except TypeError:  # an unhashable raw value (a dict from the driver)
                        memo = None
                converted = value
                for function in functions:
                    converted = function(converted, expression, connection)
                row[position] = converted
                if memo is not None:
                    memo[value] = converted
            yield row


def loaded_rows(queryset: QuerySet[M], *, skip: Collection[str] = ()) -> list[M]:
    """The model instances of a query, as iterating it gives them, at about a third of the cost.

    A large plan loads some 40,000 rows; most of the time went into Model.__init__ (a setattr per field, the init
    signals) and the database converters rather than the query. Here each instance gets its fields (every concrete
    field but `skip`, converted as above) and its state in one go. Skipped fields are deferred, as with
    QuerySet.defer(): reading one loads it with a query, so only skip what the tree's readers never look at.
    Models with init signal receivers go the usual way, and so does everything with PERFPLAN_PRIVATE_APIS off
    (the compiler is Django's internal: perfplan.internals).
    """
    model = queryset.model
    if not private_apis() or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return list(queryset.defer(*skip))
    attnames = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
    db = queryset.db
    new = model.__new__
    instances = []
    for row in _converted_rows(queryset.values_list(*attnames)):
        state = ModelState()
        state.adding = False
        state.db = db
        instance = new(model)
        values = dict(zip(attnames, row, strict=True))
        values["_state"] = state
        instance.__dict__ = values
        instances.append(instance)
    return instances


# Columns the tree's readers (scoring, the plan page, the Relazione, the export) never read: the audit columns.
TREE_SKIPS_TARGET = ("changed_at", "reason")


def plan_outline(*, plan: Plan) -> PlanTree:
    """The plan's units and nodes in tree order (depth-first, siblings by position), without their indicators: two
    queries. Refuses a tree deeper than PLAN_MAX_TREE_DEPTH (PlanTooDeep)."""
    units = list(OrgUnit.objects.filter(ente_id=plan.ente_id).select_related("parent").order_by("code"))
    unit_of = {u.pk: u for u in units}
    nodes = loaded_rows(Objective.objects.filter(plan=plan).order_by("position", "id"))
    if any(n.org_unit_id is not None and n.org_unit_id not in unit_of for n in nodes):  # a unit of another ente
        nodes = list(Objective.objects.filter(plan=plan).select_related("org_unit").order_by("position", "id"))
    else:
        for node in nodes:  # as select_related("org_unit") would: node.org_unit costs no query
            node._state.fields_cache["org_unit"] = unit_of.get(node.org_unit_id)
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
    deepest = max(depth.values(), default=-1) + 1  # levels, an area being 1
    if deepest > max_tree_depth():
        tops = [node for node in ordered if depth[node.pk] == max_tree_depth()]
        raise PlanTooDeep(plan=plan, depth=deepest, tops=tops)
    return PlanTree(plan=plan, objectives=ordered, depth=depth, children_of=dict(children_of), units=units)


def plan_tree_rows(*, plan: Plan, year: int | None = None) -> PlanTree:
    """Load nodes, indicators, targets, baselines and units: five queries whatever the size (the final consuntivi are
    added by consuntivi.trees.plan_tree_with_values, one more)."""
    tree = plan_outline(plan=plan)
    indicators_of: dict[int, list[Indicator]] = defaultdict(list)
    for ind in loaded_rows(Indicator.objects.filter(objective__plan=plan).order_by("position", "id")):
        indicators_of[ind.objective_id].append(ind)
    targets_of: dict[int, dict[int, Target]] = defaultdict(dict)
    # No ORDER BY: rows go into dicts. Target's Meta ordering would sort by indicator → objective → plan → ente
    # name, joining two more tables (two thirds of this query's time on PostgreSQL).
    targets = Target.objects.filter(indicator__objective__plan=plan, is_current=True).order_by()
    if year is not None:
        targets = targets.filter(year=year)
    for target in loaded_rows(targets, skip=TREE_SKIPS_TARGET):
        targets_of[target.indicator_id][target.year] = target
    baselines = loaded_rows(Baseline.objects.filter(indicator__objective__plan=plan))
    tree.indicators_of, tree.targets_of = dict(indicators_of), dict(targets_of)
    tree.baseline_of = {b.indicator_id: b for b in baselines}
    return tree


def plans_visible_to(*, user) -> QuerySet[Plan]:
    """Plans of the user's ente; admins without an ente see every ente's plans."""
    ente: Ente | None = user_ente(user)
    qs = Plan.objects.select_related("ente").annotate(objective_count=Count("objectives", distinct=True))
    if ente is not None:
        return qs.filter(ente=ente)
    if can(user, Action.ADMIN_SITE):
        return qs
    return qs.none()


def plan_for_user(*, user, plan_id: int) -> Plan:
    """The one access helper for a plan: 404 when it does not exist or is outside the user's ente."""
    return get_object_or_404(plans_visible_to(user=user), pk=plan_id)


# --- The home page: what the administrator has to set up (the plans' health is plans/checklist.py) ----------------


def users_to_set_up(*, user) -> list:
    """Active users of the administrator's ente without a role, and (for an administrator without an ente, or a
    superuser) users without a role or without an ente (administrators excepted): one query."""
    users = User.objects.filter(is_active=True).select_related("profile__ente").order_by("username")
    ente = user_ente(user)
    no_role = Q(is_superuser=False) & ~Q(groups__name__in=Role.ALL)
    if ente is not None and not user.is_superuser:
        wanted = users.filter(no_role, profile__ente=ente)
    else:
        # Without an ente a user sees nothing, except an administrator (every ente, by design).
        no_ente = Q(profile__isnull=True, is_superuser=False) & ~Q(groups__name=Role.ADMIN)
        wanted = users.filter(no_role | no_ente)
    return list(wanted.annotate(role_count=Count("groups", filter=Q(groups__name__in=Role.ALL))))


def units_without_head(*, user) -> list[OrgUnit]:
    """Units of the administrator's ente (every ente for one without an ente) that no user leads: one query."""
    ente = user_ente(user)
    units = OrgUnit.objects.select_related("ente").annotate(leader_count=Count("leaders")).filter(leader_count=0)
    if ente is not None and not user.is_superuser:
        units = units.filter(ente=ente)
    return list(units.order_by("ente__code", "code"))


def public_values_of(*, plan: Plan) -> list[PublicValue]:
    """The plan's impatti (Valore pubblico) with their linked objectives, indicators and targets: four queries."""
    return list(
        PublicValue.objects.filter(plan=plan)
        .prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("code")),
            Prefetch("indicators", queryset=PublicValueIndicator.objects.prefetch_related("targets")),
        )
        .order_by("position", "id")
    )


def risk_measures_of(*, plan: Plan) -> list[RiskMeasureLink]:
    """The references to section 2.3's measures the plan lists."""
    return list(RiskMeasureLink.objects.filter(plan=plan).order_by("position", "id"))
