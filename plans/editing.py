"""Writes of the planning office's web forms: plans, nodes, indicators, targets, weights, rules.

Every service runs in one transaction and checks, in this order: the user's role (Pianificazione or
Amministratore) and ente, the year locks (a validated year is frozen; a closed year takes no target changes),
the data; after adoption every change needs a reason and is recorded as a PlanRevision (domain.md §4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import ngettext

from indicators.catalogue import catalogue_for_user
from indicators.models import Baseline, CatalogueIndicator, Indicator, Target
from indicators.notation import Kind, Unit, format_target, parse_target, parse_value
from perfplan.audit import audited, delete_with_history, record_bulk
from perfplan.formats import date_it
from perfplan.limits import field_problem, problem_message, require_fit, tree_depth_problem
from perfplan.permissions import Action, can, require
from perfplan.roles import user_ente
from plans.checklist import plan_checklist
from plans.lifecycle import Write, require_open
from plans.models import (
    LEVEL_ORDER,
    Ente,
    Level,
    Objective,
    OrgUnit,
    Plan,
    PlanState,
    PlanYear,
    PublicValue,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
)
from plans.revisions import RevisionLog
from plans.values import TARGET_FIELDS, target_fields, two_places

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

OBJECTIVE_EDIT_FIELDS = (
    "code",
    "level",
    "kind",
    "title",
    "description",
    "weight",
    "indicator_share",
    "perspective",
    "mission",
    "budget_program",
    "cofog",
    "process_code",
    "org_unit",
    "owner",
    "gender_relevant",
)
INDICATOR_EDIT_FIELDS = (
    "code",
    "benchmark_code",
    "catalogue_code",
    "name",
    "description",
    "formula",
    "source",
    "unit",
    "polarity",
    "weight",
    "derived",
)
RULE_FIELDS = (
    "cap",
    "min_threshold",
    "missing_policy",
    "default_indicator_share",
    "equality_tolerance",
    "achieved_threshold",
    "partial_threshold",
)


# --- checks ----------------------------------------------------------------------------------------------------


def _check_editor(*, user, plan: Plan | None = None, ente: Ente | None = None) -> None:
    """Only who may edit plans (PLAN_EDIT) writes them, and only those of their own ente."""
    require(user, Action.PLAN_EDIT)
    own = user_ente(user)
    target = plan.ente_id if plan is not None else (ente.pk if ente is not None else None)
    if own is None and not can(user, Action.ADMIN_SITE):
        raise PermissionDenied("Il tuo utente non è associato a nessun ente.")
    if own is not None and target is not None and own.pk != target:
        raise PermissionDenied("Puoi modificare solo i piani del tuo ente.")


def _check_structure_open(plan: Plan) -> None:
    """The tree and the weights feed every year's score: once a year is validated they are frozen."""
    require_open(plan=plan, action=Write.STRUCTURE)


def _check_target_year_open(plan: Plan, year: int) -> None:
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    require_open(plan=plan, action=Write.TARGET, year=year)


def _needs_reason(plan: Plan, reason: str) -> str:
    reason = (reason or "").strip()
    if plan.state == PlanState.ADOPTED and not reason:
        raise ValidationError(
            {"reason": "Il piano è adottato: indicare la motivazione della modifica (sarà registrata come revisione)."}
        )
    return reason


def require_plan_editable(*, user, plan: Plan) -> None:
    """The checks of a write to a plan's content outside this module (plans.public_value): the user's role and
    ente, and the structure lock of a validated year."""
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)


def revision_reason(*, plan: Plan, reason: str) -> str:
    """The reason of a change, required once the plan is adopted (then the change is a revision)."""
    return _needs_reason(plan, reason)


# --- revisions -------------------------------------------------------------------------------------------------


def _apply(obj, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if isinstance(new, str):
            new = new.strip()
        if old != new:
            changes.append((name, old, new))
            setattr(obj, name, new)
    return changes


def indicator_label(indicator: Indicator) -> str:
    """The subject of an indicator's revision, as the importer writes it: "101 / F1"."""
    return f"{indicator.objective.code} / {indicator.code or indicator.name}"


# --- plans -----------------------------------------------------------------------------------------------------


def _check_years(start_year: int, end_year: int) -> None:
    if not 1990 <= start_year <= 2100 or not 1990 <= end_year <= 2100:
        raise ValidationError({"start_year": "Gli anni devono essere compresi tra 1990 e 2100."})
    if end_year < start_year:
        raise ValidationError({"end_year": "L'anno di fine è precedente all'anno di inizio."})
    if end_year - start_year > 9:
        raise ValidationError({"end_year": "Un piano copre al massimo 10 anni."})


@audited
@transaction.atomic
def plan_create(*, ente: Ente, title: str, start_year: int, end_year: int, user) -> Plan:
    """A new, empty plan in bozza, with its years in programmazione."""
    _check_editor(user=user, ente=ente)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Indicare il titolo del piano."})
    _check_years(start_year, end_year)
    if Plan.objects.filter(ente=ente, title=title).exists():
        raise ValidationError({"title": f"L'ente ha già un piano intitolato «{title}»."})
    plan = Plan(ente=ente, title=title, start_year=start_year, end_year=end_year)
    require_fit(plan)
    plan.save()
    record_bulk(
        PlanYear, PlanYear.objects.bulk_create([PlanYear(plan=plan, year=y) for y in plan.years]), history_type="+"
    )
    return plan


@audited
@transaction.atomic
def plan_adopt(*, plan: Plan, organ: str, number: str, date: dt.date, user, warnings_read: bool = False) -> Plan:
    """Record the adopting act (organ, number, date): from now on every change is a revision.

    Refused while the checklist (plans/checklist.py) has a blocking item, each listed; its warnings must have
    been read (`warnings_read`, the box the adopt page asks to tick when there are any)."""
    _check_editor(user=user, plan=plan)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.state == PlanState.ADOPTED:
        raise ValidationError("Il piano è già adottato.")
    checklist = plan_checklist(plan=plan)
    if checklist.blocking:
        count = len(checklist.blocking)
        raise ValidationError(
            [
                ngettext(
                    "Il piano non può essere adottato: %(n)d punto bloccante della lista di controllo è ancora aperto.",
                    "Il piano non può essere adottato: %(n)d punti bloccanti della lista di controllo sono ancora "
                    "aperti.",
                    count,
                )
                % {"n": count},
                *(item.message for item in checklist.blocking),
            ]
        )
    errors = {}
    if not (organ or "").strip():
        errors["organ"] = "Indicare l'organo che adotta il piano (es. Giunta camerale)."
    if not (number or "").strip():
        errors["number"] = "Indicare il numero dell'atto."
    if date is None:
        errors["date"] = "Indicare la data dell'atto."
    if checklist.warnings and not warnings_read:
        count = len(checklist.warnings)
        errors["warnings_read"] = ngettext(
            "Confermare di aver letto l'avviso della lista di controllo prima di adottare il piano.",
            "Confermare di aver letto i %(n)d avvisi della lista di controllo prima di adottare il piano.",
            count,
        ) % {"n": count}
    if errors:
        raise ValidationError(errors)
    plan.state = PlanState.ADOPTED
    plan.act_organ, plan.act_number, plan.act_date = organ.strip(), number.strip(), date
    plan.act_text = f"{plan.act_organ} n. {plan.act_number} del {date_it(date)}"
    require_fit(plan)
    plan.save(update_fields=["state", "act_organ", "act_number", "act_date", "act_text", "updated_at"])
    return plan


@audited
@transaction.atomic
def plan_rules_update(*, plan: Plan, user, reason: str = "", **values: Any) -> Plan:
    """Change the scoring settings (the ente's SMVP); after adoption each change is a revision."""
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Campi sconosciuti: {sorted(unknown)}")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _check_fit(Plan, values)
    achieved = values.get("achieved_threshold", plan.achieved_threshold)
    partial = values.get("partial_threshold", plan.partial_threshold)
    if achieved is None or partial is None:
        raise ValidationError("Le soglie «raggiunto» e «parziale» sono obbligatorie.")
    if partial > achieved:
        raise ValidationError({"partial_threshold": "La soglia «parziale» non può superare la soglia «raggiunto»."})
    share = values.get("default_indicator_share")
    if share is not None and not 0 <= share <= 100:
        raise ValidationError({"default_indicator_share": "La quota indicatori deve essere tra 0 e 100."})
    if values.get("equality_tolerance") is not None and values["equality_tolerance"] < 0:
        raise ValidationError({"equality_tolerance": "La tolleranza non può essere negativa."})
    if values.get("equality_tolerance") is None and "equality_tolerance" in values:
        values["equality_tolerance"] = Decimal(0)
    changes = _apply(plan, values)
    if changes:
        reason = _needs_reason(plan, reason)
    revisions = RevisionLog(plan, user, reason)
    for name, old, new in changes:
        revisions.add("regole", plan.title[:200], name, old, new)
    if changes:
        require_fit(plan)
        plan.save()
        revisions.save()
    return plan


def _next_cycle_title(plan: Plan) -> str:
    old, new = f"{plan.start_year}-{plan.end_year}", f"{plan.start_year + 1}-{plan.end_year + 1}"
    if old in plan.title:
        return plan.title.replace(old, new)
    return re.sub(r"\s*\(\d{4}-\d{4}\)$", "", plan.title) + f" ({new})"


@audited
@transaction.atomic
def plan_copy_to_next_cycle(*, plan: Plan, user) -> Plan:
    """The next rolling plan (years +1) in bozza: same tree, units, weights, indicators and baselines, same document
    kind and Valore pubblico.

    A target of year Y in the new plan is the current target of year Y in this one; the new last year is empty.
    Consuntivi, revisions and acts are not copied: the new plan has not been adopted yet.
    """
    _check_editor(user=user, plan=plan)
    title = _next_cycle_title(plan)
    if Plan.objects.filter(ente_id=plan.ente_id, title=title).exists():
        raise ValidationError(f"L'ente ha già un piano intitolato «{title}».")
    new = Plan(
        ente_id=plan.ente_id,
        title=title,
        start_year=plan.start_year + 1,
        end_year=plan.end_year + 1,
        **{name: getattr(plan, name) for name in RULE_FIELDS},
    )
    require_fit(new)
    new.save()
    record_bulk(
        PlanYear, PlanYear.objects.bulk_create([PlanYear(plan=new, year=y) for y in new.years]), history_type="+"
    )
    nodes = list(Objective.objects.filter(plan=plan).order_by("position", "id"))
    by_parent: dict[int | None, list[Objective]] = defaultdict(list)
    for node in nodes:
        by_parent[node.parent_id].append(node)
    copied: dict[int, Objective] = {}
    level_parents: list[int | None] = [None]
    while level_parents:  # one bulk insert per depth, parents first
        batch = []
        for parent_id in level_parents:
            for node in by_parent.get(parent_id, []):
                clone = Objective(
                    plan=new,
                    parent=copied[parent_id] if parent_id is not None else None,
                    **{f: getattr(node, f) for f in OBJECTIVE_EDIT_FIELDS if f != "org_unit"},
                    org_unit_id=node.org_unit_id,
                    position=node.position,
                )
                batch.append((node.pk, clone))
        record_bulk(
            Objective, Objective.objects.bulk_create([clone for _, clone in batch], batch_size=500), history_type="+"
        )
        copied.update(batch)
        level_parents = [old_pk for old_pk, _ in batch]
    indicators = list(Indicator.objects.filter(objective__plan=plan).order_by("position", "id"))
    clones = [
        Indicator(
            objective=copied[ind.objective_id],
            position=ind.position,
            **{f: getattr(ind, f) for f in INDICATOR_EDIT_FIELDS},
        )
        for ind in indicators
    ]
    record_bulk(Indicator, Indicator.objects.bulk_create(clones, batch_size=500), history_type="+")
    indicator_map = {old.pk: clone for old, clone in zip(indicators, clones, strict=True)}
    baselines = Baseline.objects.bulk_create(
        [
            Baseline(indicator=indicator_map[b.indicator_id], year=b.year, value=b.value, raw=b.raw)
            for b in Baseline.objects.filter(indicator__objective__plan=plan)
        ],
        batch_size=500,
    )
    record_bulk(Baseline, baselines, history_type="+")
    new_years = set(new.years)
    targets = Target.objects.filter(indicator__objective__plan=plan, is_current=True, year__in=new_years)
    copies = Target.objects.bulk_create(
        [
            Target(
                indicator=indicator_map[t.indicator_id],
                year=t.year,
                **{name: getattr(t, name) for name in TARGET_FIELDS},
            )
            for t in targets
        ],
        batch_size=1000,
    )
    record_bulk(Target, copies, history_type="+")
    _copy_public_values(plan, new, copied)
    return new


def _copy_public_values(plan: Plan, new: Plan, copied: dict[int, Objective]) -> None:
    """The PIAO's section 2.1 and 2.3 go with the tree: impatti with their links, indicators, baselines and the
    targets of the years both plans cover, and the references to the 2.3 measures (few rows: no bulk needed)."""
    kind = Plan.objects.values_list("kind", flat=True).get(pk=plan.pk)  # the stored one, not a stale copy's
    if new.kind != kind:
        new.kind = kind
        new.save(update_fields=["kind"])
    for item in PublicValue.objects.filter(plan=plan).prefetch_related("objectives", "indicators__targets"):
        clone = PublicValue.objects.create(
            plan=new,
            code=item.code,
            title=item.title,
            description=item.description,
            dimensions=item.dimensions,
            position=item.position,
        )
        clone.objectives.set([copied[o.pk] for o in item.objectives.all() if o.pk in copied])
        for ind in item.indicators.all():
            ind_clone = PublicValueIndicator.objects.create(
                public_value=clone,
                **{f: getattr(ind, f) for f in ("code", "name", "unit", "source", "baseline_year", "baseline")},
                position=ind.position,
            )
            PublicValueTarget.objects.bulk_create(
                PublicValueTarget(indicator=ind_clone, year=t.year, raw=t.raw)
                for t in ind.targets.all()
                if t.year in new.years
            )
    RiskMeasureLink.objects.bulk_create(
        RiskMeasureLink(plan=new, code=m.code, title=m.title, link=m.link, position=m.position)
        for m in RiskMeasureLink.objects.filter(plan=plan)
    )


# --- objectives ------------------------------------------------------------------------------------------------


def allowed_child_levels(parent_level: str | None) -> list[str]:
    """Levels a node may have under a parent of this level: areas are roots; lower levels go down the tree,
    and an operational objective may nest under another one (2.3.1.2 under 2.3.1)."""
    if parent_level is None:
        return [Level.AREA]
    index = LEVEL_ORDER.index(parent_level)
    allowed = [lvl for lvl in LEVEL_ORDER[index + 1 :]]
    if parent_level == Level.OPERATIONAL:
        allowed.insert(0, Level.OPERATIONAL)
    return allowed


def _check_level(level: str, parent: Objective | None) -> None:
    if level not in allowed_child_levels(parent.level if parent else None):
        if parent is None:
            raise ValidationError({"level": "Al primo livello del piano vanno le aree strategiche."})
        raise ValidationError(
            {"level": f"Sotto un «{Level(parent.level).label}» non può stare un «{Level(level).label}»."}
        )


def _check_code(plan: Plan, code: str, exclude_pk: int | None = None) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": "Indicare il codice dell'obiettivo."})
    clash = Objective.objects.filter(plan=plan, code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": f"Il codice «{code}» è già usato da un altro obiettivo del piano."})
    return code


def _check_fit(model: type, values: dict[str, Any]) -> None:
    """Every value the form passed must fit its column, before any arithmetic (1e999 breaks the rounding)."""
    errors = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # not a column of the model
            continue
        if field.is_relation:
            continue
        reason = field_problem(model, name, value)
        if reason:
            errors[name] = problem_message(str(field.verbose_name), reason)
    if errors:
        raise ValidationError(errors)


def _check_weight(values: dict[str, Any], name: str = "weight") -> None:
    weight = values.get(name)
    if weight is not None and weight < 0:
        raise ValidationError({name: "Il peso non può essere negativo."})
    share = values.get("indicator_share")
    if share is not None and not 0 <= share <= 100:
        raise ValidationError({"indicator_share": "La quota indicatori deve essere tra 0 e 100."})


def _check_depth(parent: Objective | None, *, height: int = 1, moving_id: int | None = None) -> None:
    """A node (or a moved subtree `height` levels tall) under `parent` must stay within PLAN_MAX_TREE_DEPTH: the
    pages, the PDF and the exports walk the tree recursively. One query: the plan's (id, parent) pairs."""
    if parent is None:
        depth = height
    else:
        parents = dict(Objective.objects.filter(plan_id=parent.plan_id).values_list("pk", "parent_id"))
        depth, node_id, seen = height, parent.pk, set()
        while node_id is not None and node_id not in seen and node_id != moving_id:
            seen.add(node_id)
            depth += 1
            node_id = parents.get(node_id)
    problem = tree_depth_problem(depth)
    if problem:
        raise ValidationError({"parent": problem[0].upper() + problem[1:] + "."})


def _subtree_height(plan: Plan, root_id: int) -> int:
    """Levels of the subtree under `root_id`, itself included (iterative: a stored tree may be very deep)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Objective.objects.filter(plan=plan).values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    height, level = 0, [root_id]
    while level:
        height += 1
        level = [child for pk in level for child in children.get(pk, [])]
    return height


def _check_unit(plan: Plan, unit: OrgUnit | None) -> None:
    if unit is not None and unit.ente_id != plan.ente_id:
        raise ValidationError({"org_unit": "L'unità organizzativa non appartiene all'ente del piano."})


@audited
@transaction.atomic
def objective_create(
    *, plan: Plan, parent: Objective | None, user, reason: str = "", position: int | None = None, **values: Any
) -> Objective:
    """Add a node under `parent` (an area when None), last among its siblings unless `position` is given."""
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    plan = Plan.objects.get(pk=plan.pk)  # the state decides about revisions: never trust a stale copy
    reason = _needs_reason(plan, reason)
    if parent is not None and parent.plan_id != plan.pk:
        raise ValidationError("Il nodo padre non appartiene a questo piano.")
    values = {k: v for k, v in values.items() if k in OBJECTIVE_EDIT_FIELDS}
    values["code"] = _check_code(plan, values.get("code", ""))
    if not (values.get("title") or "").strip():
        raise ValidationError({"title": "Indicare il titolo dell'obiettivo."})
    _check_level(values.get("level", ""), parent)
    _check_depth(parent)
    _check_fit(Objective, values)
    _check_weight(values)
    _check_unit(plan, values.get("org_unit"))
    for name in ("weight", "indicator_share"):
        if name in values:
            values[name] = two_places(values[name])
    siblings = list(Objective.objects.filter(plan=plan, parent=parent).order_by("position", "id"))
    objective = Objective(
        plan=plan, parent=parent, **{k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    )
    index = len(siblings) if position is None else max(0, min(position, len(siblings)))
    objective.position = 0
    require_fit(objective)
    objective.save()
    siblings.insert(index, objective)
    _renumber(siblings)
    revisions = RevisionLog(plan, user, reason)
    revisions.add("objective", objective.code, "aggiunto", None, objective.title)
    revisions.save()
    return objective


def _renumber(siblings: list[Objective]) -> None:
    changed = []
    for index, node in enumerate(siblings):
        if node.position != index:
            node.position = index
            changed.append(node)
    if changed:
        Objective.objects.bulk_update(changed, ["position"])
        record_bulk(Objective, changed, history_type="~")


@audited
@transaction.atomic
def objective_update(*, objective: Objective, user, reason: str = "", **values: Any) -> Objective:
    """Change a node's fields; after adoption every changed field is a revision ("weight" for the weight)."""
    plan = objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    values = {k: v for k, v in values.items() if k in OBJECTIVE_EDIT_FIELDS}
    if "code" in values:
        values["code"] = _check_code(plan, values["code"], exclude_pk=objective.pk)
    if "title" in values and not (values["title"] or "").strip():
        raise ValidationError({"title": "Indicare il titolo dell'obiettivo."})
    if "level" in values:
        _check_level(values["level"], objective.parent)
        child_levels = set(objective.children.values_list("level", flat=True))
        bad = [lvl for lvl in child_levels if lvl not in allowed_child_levels(values["level"])]
        if bad:
            raise ValidationError({"level": "Il nuovo tipo non è compatibile con i nodi figli di questo obiettivo."})
    _check_fit(Objective, values)
    _check_weight(values)
    _check_unit(plan, values.get("org_unit"))
    for name in ("weight", "indicator_share"):
        if name in values:
            values[name] = two_places(values[name])
    old_code = objective.code
    changes = _apply(objective, values)
    if changes:
        reason = _needs_reason(plan, reason)
        require_fit(objective)
        objective.save()
        revisions = RevisionLog(plan, user, reason)
        for name, old, new in changes:
            revisions.add("weight" if name == "weight" else "objective", old_code, name, old, new)
        revisions.save()
    return objective


def _descendant_ids(plan: Plan, root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Objective.objects.filter(plan=plan).values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found, stack = set(), [root_id]
    while stack:
        pk = stack.pop()
        found.add(pk)
        stack.extend(children.get(pk, []))
    return found


@audited
@transaction.atomic
def objective_move(
    *, objective: Objective, parent: Objective | None, position: int, user, reason: str = ""
) -> Objective:
    """Put a node under another parent and/or at another place among its siblings (0 = first)."""
    plan = objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    old_parent = objective.parent
    if parent is not None:
        if parent.plan_id != plan.pk:
            raise ValidationError({"parent": "Il nodo padre non appartiene a questo piano."})
        if parent.pk in _descendant_ids(plan, objective.pk):
            raise ValidationError({"parent": "Un obiettivo non può stare sotto se stesso o sotto un suo discendente."})
    parent_changed = (parent.pk if parent else None) != objective.parent_id
    reason = _needs_reason(plan, reason) if parent_changed else (reason or "").strip()
    if parent_changed:
        _check_level(objective.level, parent)
        _check_depth(parent, height=_subtree_height(plan, objective.pk), moving_id=objective.pk)
    if parent_changed and old_parent is not None:
        old_siblings = list(
            Objective.objects.filter(plan=plan, parent=old_parent).exclude(pk=objective.pk).order_by("position", "id")
        )
        _renumber(old_siblings)
    elif parent_changed:
        _renumber(
            list(Objective.objects.filter(plan=plan, parent=None).exclude(pk=objective.pk).order_by("position", "id"))
        )
    siblings = list(
        Objective.objects.filter(plan=plan, parent=parent).exclude(pk=objective.pk).order_by("position", "id")
    )
    index = max(0, min(position, len(siblings)))
    objective.parent = parent
    siblings.insert(index, objective)
    objective.save(update_fields=["parent"])
    objective.position = -1  # force the write below
    _renumber(siblings)
    if parent_changed:
        revisions = RevisionLog(plan, user, reason)
        revisions.add("objective", objective.code, "parent", old_parent, parent)
        revisions.save()
    return objective


@dataclass(frozen=True)
class DeleteImpact:
    """What goes with a node or an indicator when it is deleted, for the confirmation page."""

    objectives: int  # descendants, the node itself excluded
    indicators: int
    targets: int
    measurements: int

    @property
    def is_empty(self) -> bool:
        return not (self.objectives or self.indicators or self.targets or self.measurements)


def objective_delete_impact(*, objective: Objective) -> DeleteImpact:
    ids = _descendant_ids(objective.plan, objective.pk)
    return DeleteImpact(
        objectives=len(ids) - 1,
        indicators=Indicator.objects.filter(objective_id__in=ids).count(),
        targets=Target.objects.filter(indicator__objective_id__in=ids, is_current=True).exclude(kind=Kind.NONE).count(),
        measurements=Indicator.objects.filter(objective_id__in=ids).aggregate(n=Count("measurements"))["n"],
    )


@audited
@transaction.atomic
def objective_delete(*, objective: Objective, user, reason: str = "") -> DeleteImpact:
    """Delete a node with its subtree, indicators, targets and consuntivi (the page confirms it first)."""
    plan = objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    reason = _needs_reason(plan, reason)
    impact = objective_delete_impact(objective=objective)
    revisions = RevisionLog(plan, user, reason)
    what = objective.title
    if not impact.is_empty:
        what += (
            " (con "
            + ngettext("%(n)d obiettivo discendente", "%(n)d obiettivi discendenti", impact.objectives)
            % {"n": impact.objectives}
            + ", "
            + ngettext("%(n)d indicatore", "%(n)d indicatori", impact.indicators) % {"n": impact.indicators}
            + ", "
            + ngettext("%(n)d consuntivo", "%(n)d consuntivi", impact.measurements) % {"n": impact.measurements}
            + ")"
        )
    revisions.add("objective", objective.code, "eliminato", what, None)
    parent = objective.parent
    delete_with_history(objective)  # the subtree, its indicators and targets: one history insert per model
    _renumber(list(Objective.objects.filter(plan=plan, parent=parent).order_by("position", "id")))
    revisions.save()
    return impact


# --- weights ---------------------------------------------------------------------------------------------------


def equal_shares(count: int) -> list[Decimal]:
    """100 split in `count` shares of two decimals that sum to exactly 100 (33,34 + 33,33 + 33,33)."""
    if count <= 0:
        return []
    base = (HUNDRED / count).quantize(CENT, rounding=ROUND_HALF_UP)
    shares = [base] * count
    shares[0] += HUNDRED - base * count
    return shares


@audited
@transaction.atomic
def weights_set(
    *, plan: Plan, items: list[Objective] | list[Indicator], weights: list[Decimal | None], user, reason: str = ""
) -> int:
    """Save the weights of one group of siblings (nodes or indicators) at once; returns how many changed."""
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    plan = Plan.objects.get(pk=plan.pk)  # the state decides about revisions: never trust a stale copy
    if len(items) != len(weights):
        raise ValueError("items and weights differ in length")
    revisions = RevisionLog(plan, user, reason)
    changed = []
    for item, weight in zip(items, weights, strict=True):
        if weight is not None and weight < 0:
            raise ValidationError("Il peso non può essere negativo.")
        too_large = field_problem(type(item), "weight", weight)
        if too_large:
            raise ValidationError({f"w_{item.pk}": problem_message("peso", too_large)})
        weight = two_places(weight)
        if item.weight != weight:
            code = item.code if isinstance(item, Objective) else indicator_label(item)
            revisions.add("weight", code, "weight", item.weight, weight)
            item.weight = weight
            changed.append(item)
    if changed:
        revisions.reason = _needs_reason(plan, reason)
        type(changed[0]).objects.bulk_update(changed, ["weight"])
        record_bulk(type(changed[0]), changed, history_type="~")
        revisions.save()
    return len(changed)


# --- indicators and targets ------------------------------------------------------------------------------------


def _indicator_values(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in values.items() if k in INDICATOR_EDIT_FIELDS}
    if "name" in values and not (values["name"] or "").strip():
        raise ValidationError({"name": "Indicare il nome dell'indicatore."})
    _check_fit(Indicator, values)
    _check_weight(values)
    if "weight" in values:
        values["weight"] = two_places(values["weight"])
    return values


def _check_indicator_key(objective: Objective, code: str, name: str, exclude_pk: int | None = None) -> None:
    clash = Indicator.objects.filter(objective=objective)
    clash = clash.filter(code=code) if code else clash.filter(code="", name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        if code:
            raise ValidationError({"code": f"L'obiettivo ha già un indicatore con codice «{code}»."})
        raise ValidationError({"name": "L'obiettivo ha già un indicatore senza codice con questo nome."})


def _baseline_set(indicator: Indicator, year: int | None, raw: str, revisions: RevisionLog) -> None:
    raw = (raw or "").strip()
    current = Baseline.objects.filter(indicator=indicator).first()
    if not raw and year is None:
        if current is not None:
            revisions.add("indicator", indicator_label(indicator), "baseline", current.raw, None)
            current.delete()
        return
    parsed = parse_value(raw)
    value = parsed.value if parsed.kind == Kind.NUMBER else None
    if parsed.kind == Kind.BOOL:
        value = Decimal(1) if parsed.value else Decimal(0)
    if current is None:
        baseline = Baseline(indicator=indicator, year=year, raw=raw, value=value)
        require_fit(baseline, prefix="baseline_")
        baseline.save()
        revisions.add("indicator", indicator_label(indicator), "baseline", None, raw)
    elif current.raw != raw or current.year != year:
        revisions.add("indicator", indicator_label(indicator), "baseline", current.raw, raw)
        current.raw, current.year, current.value = raw, year, value
        require_fit(current, prefix="baseline_")
        current.save()


@audited
@transaction.atomic
def indicator_create(
    *,
    objective: Objective,
    user,
    reason: str = "",
    targets: dict[int, str] | None = None,
    baseline_year: int | None = None,
    baseline_raw: str = "",
    **values: Any,
) -> Indicator:
    """Add an indicator to a node, last among its indicators, with its baseline and a target per year."""
    plan = objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    reason = _needs_reason(plan, reason)
    values = _indicator_values(values)
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    _check_indicator_key(objective, values.get("code", ""), values.get("name", ""))
    last = Indicator.objects.filter(objective=objective).aggregate(m=Max("position"))["m"]
    indicator = Indicator(objective=objective, position=(last or 0) + 1, **values)
    require_fit(indicator)
    indicator.save()
    revisions = RevisionLog(plan, user, reason)
    revisions.add("indicator", indicator_label(indicator), "aggiunto", None, indicator.name)
    _baseline_set(indicator, baseline_year, baseline_raw, revisions)
    revisions.save()
    for year, raw in (targets or {}).items():
        target_set(indicator=indicator, year=year, raw=raw, reason=reason, user=user)
    return indicator


@audited
@transaction.atomic
def indicator_insert_from_catalogue(
    *, objective: Objective, entry: CatalogueIndicator, user, reason: str = ""
) -> Indicator:
    """Add a catalogue indicator to a node in one step: its code (kept as `catalogue_code` too, so the indicator is
    recognisable across plans, years and enti), name, description, formula with its variables, unit, polarity and
    source. The same rules as a typed indicator (indicator_create): editable plan, structure not frozen, reason
    after adoption, one code per node. Targets and baseline are then set on the indicator's page."""
    if not catalogue_for_user(user=user).filter(pk=entry.pk).exists():
        raise PermissionDenied("Indicatore del catalogo non disponibile per il tuo ente.")
    if entry.ente_id is not None and entry.ente_id != objective.plan.ente_id:
        raise PermissionDenied("L'indicatore del catalogo è di un altro ente.")
    return indicator_create(
        objective=objective,
        user=user,
        reason=reason,
        code=entry.code,
        catalogue_code=entry.code,
        name=entry.name,
        description=entry.description,
        formula=entry.formula,
        unit=entry.unit,
        polarity=entry.polarity,
        source=entry.source,
    )


@audited
@transaction.atomic
def indicator_update(
    *,
    indicator: Indicator,
    user,
    reason: str = "",
    targets: dict[int, str] | None = None,
    baseline_year: int | None = None,
    baseline_raw: str | None = None,
    **values: Any,
) -> Indicator:
    """Change an indicator (and, optionally, its baseline and targets) in one transaction."""
    plan = indicator.objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    values = _indicator_values(values)
    code = values.get("code", indicator.code).strip()
    name = values.get("name", indicator.name).strip()
    _check_indicator_key(indicator.objective, code, name, exclude_pk=indicator.pk)
    label = indicator_label(indicator)
    changes = _apply(indicator, values)
    revisions = RevisionLog(plan, user, reason)
    if changes:
        require_fit(indicator)
        indicator.save()
        for field_name, old, new in changes:
            revisions.add("weight" if field_name == "weight" else "indicator", label, field_name, old, new)
    if baseline_raw is not None:
        _baseline_set(indicator, baseline_year, baseline_raw, revisions)
    if revisions.rows:
        revisions.reason = _needs_reason(plan, reason)
    revisions.save()
    for year, raw in (targets or {}).items():
        target_set(indicator=indicator, year=year, raw=raw, reason=reason, user=user)
    return indicator


@audited
@transaction.atomic
def indicator_delete(*, indicator: Indicator, user, reason: str = "") -> DeleteImpact:
    """Delete an indicator with its targets (every version) and consuntivi."""
    plan = indicator.objective.plan
    _check_editor(user=user, plan=plan)
    _check_structure_open(plan)
    reason = _needs_reason(plan, reason)
    impact = indicator_delete_impact(indicator=indicator)
    revisions = RevisionLog(plan, user, reason)
    revisions.add("indicator", indicator_label(indicator), "eliminato", indicator.name, None)
    indicator.measurements.all().delete()  # its consuntivi (consuntivi.Measurement) go with it
    delete_with_history(indicator)
    revisions.save()
    return impact


def indicator_delete_impact(*, indicator: Indicator) -> DeleteImpact:
    return DeleteImpact(
        objectives=0,
        indicators=1,
        targets=indicator.targets.filter(is_current=True).exclude(kind=Kind.NONE).count(),
        measurements=indicator.measurements.count(),
    )


@dataclass(frozen=True)
class TargetCheck:
    """A target text as the forms read it: the formatted target, warnings, and a blocking error if any."""

    raw: str
    shown: str
    kind: str
    warnings: tuple[str, ...]
    error: str = ""


def target_check(*, raw: str, year: int | None = None, unit: str = "") -> TargetCheck:
    """Parse a target as typed in a form (the live preview and the save use the same reading)."""
    raw = (raw or "").strip()
    parsed, warnings = parse_target(raw, year=year, indicator_unit=Unit(unit) if unit else None)
    errors = [w.message.replace("AAAA", str(year or "AAAA")) for w in warnings if w.is_error]
    errors += [problem_message(f"target ({label})", reason) for label, reason in _target_problems(parsed)]
    notes = tuple(w.message for w in warnings if not w.is_error)
    return TargetCheck(
        raw=raw,
        shown=format_target(parsed),
        kind=parsed.kind.value,
        warnings=notes,
        error=errors[0] if errors else "",
    )


def _target_problems(parsed) -> list[tuple[str, str]]:
    """(column label, reason) of a parsed target the Target row could not hold (a 40-digit or 1e32 value)."""
    problems = []
    for name, value in target_fields(parsed, []).items():
        reason = field_problem(Target, name, value)
        if reason:
            problems.append((str(Target._meta.get_field(name).verbose_name), reason))
    return problems


@audited
@transaction.atomic
def target_set(*, indicator: Indicator, year: int, raw: str, reason: str = "", user) -> Target | None:
    """Set the target of one year from its text (targets.md).

    In bozza the target is rewritten in place; after adoption a new version is added, the old one is kept with
    is_current=False (scoring.md §6) and a PlanRevision records old → new. An empty text removes the target.
    """
    plan = indicator.objective.plan
    _check_editor(user=user, plan=plan)
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    check = target_check(raw=raw, year=year, unit=indicator.unit)
    if check.error:
        raise ValidationError({"raw": check.error})
    current = Target.objects.select_for_update().filter(indicator=indicator, year=year, is_current=True).first()
    old_raw = current.raw if current is not None else ""
    if old_raw == check.raw:
        return current
    _check_target_year_open(plan, year)
    reason = _needs_reason(plan, reason)
    unit = Unit(indicator.unit) if indicator.unit else None
    parsed, warnings = parse_target(check.raw, year=year, indicator_unit=unit)
    adopted = plan.state == PlanState.ADOPTED
    fields = target_fields(parsed, [w.message for w in warnings])
    if not adopted:
        if not check.raw:
            if current is not None:
                current.delete()
            return None
        if current is None:
            return Target.objects.create(indicator=indicator, year=year, **fields)
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        return current
    if not check.raw and current is None:
        return None
    last_version = Target.objects.filter(indicator=indicator, year=year).aggregate(m=Max("version"))["m"] or 0
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    if not check.raw:
        fields.update(raw="", kind=Kind.NONE.value)
    target = Target.objects.create(indicator=indicator, year=year, version=last_version + 1, reason=reason, **fields)
    revisions = RevisionLog(plan, user, reason)
    revisions.add("target", indicator_label(indicator), f"target {year}", old_raw, check.raw)
    revisions.save()
    return target
