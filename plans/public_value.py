"""Writes of the PIAO's section 2 beside the performance tree: the plan's kind, the impatti of Valore pubblico
(2.1) with their impact indicators and targets, and the references to the measures of section 2.3.

The web forms call the services (role, ente, lifecycle and reason checked here, like plans.editing); the workbook
import calls `public_values_sync` after checking the same rules for the whole file. After adoption every change is
a PlanRevision (subject «valore pubblico» or «misura 2.3»).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from perfplan.audit import audited
from perfplan.limits import field_problem, problem_message
from plans.editing import require_plan_editable, revision_reason, target_check
from plans.lifecycle import Write, require_open
from plans.models import (
    Level,
    Objective,
    Plan,
    PlanKind,
    PublicValue,
    PublicValueDimension,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
)
from plans.revisions import RevisionLog

SUBJECT = "valore pubblico"
SUBJECT_MEASURE = "misura 2.3"
LINKABLE_LEVELS = (Level.STRATEGIC,)  # «gli obiettivi strategici che li perseguono» (brief, DM 132/2022 art. 3)


@dataclass
class ImpactIndicatorData:
    """An impact indicator as a form or a workbook row gives it (targets: year → text as written)."""

    name: str
    code: str = ""
    unit: str = ""
    source: str = ""
    baseline_year: int | None = None
    baseline: str = ""
    targets: dict[int, str] = field(default_factory=dict)


@dataclass
class PublicValueData:
    """An impatto with everything hanging on it, for `public_values_sync`."""

    code: str
    title: str
    description: str = ""
    dimensions: list[str] = field(default_factory=list)
    objective_codes: list[str] = field(default_factory=list)
    indicators: list[ImpactIndicatorData] = field(default_factory=list)


# --- checks ----------------------------------------------------------------------------------------------------


def dimensions_clean(dimensions: list[str] | tuple[str, ...]) -> list[str]:
    """The dimensions in the order DM 132/2022 lists them, each once; an unknown word is refused."""
    known = [d.value for d in PublicValueDimension]
    unknown = [d for d in dimensions if d not in known]
    if unknown:
        raise ValidationError({"dimensions": f"Dimensione sconosciuta: «{unknown[0]}»."})
    return [d for d in known if d in dimensions]


def linkable_objectives(*, plan: Plan):
    """The objectives an impatto may be linked to: the plan's strategic objectives, in tree order."""
    return Objective.objects.filter(plan=plan, level__in=LINKABLE_LEVELS).order_by("code")


def _check_objectives(plan: Plan, objectives) -> list[Objective]:
    objectives = list(objectives)
    for objective in objectives:
        if objective.plan_id != plan.pk:
            raise ValidationError({"objectives": "L'obiettivo collegato non appartiene a questo piano."})
        if objective.level not in LINKABLE_LEVELS:
            raise ValidationError(
                {"objectives": f"«{objective.code}» non è un obiettivo strategico: collegare obiettivi strategici."}
            )
    return objectives


def _check_fit(model: type, values: dict[str, Any]) -> None:
    errors = {}
    for name, value in values.items():
        reason = field_problem(model, name, value)
        if reason:
            errors[name] = problem_message(str(model._meta.get_field(name).verbose_name), reason)
    if errors:
        raise ValidationError(errors)


def _check_code(plan: Plan, code: str, exclude_pk: int | None = None) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": "Indicare il codice dell'impatto."})
    clash = PublicValue.objects.filter(plan=plan, code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": f"Il codice «{code}» è già usato da un altro impatto del piano."})
    return code


def impact_target_problem(*, raw: str, year: int, unit: str, plan: Plan) -> str:
    """Why an impact target cannot be saved ('' when it can): a year outside the plan, or the notation's error."""
    if year not in plan.years:
        return f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year})."
    return target_check(raw=raw, year=year, unit=unit).error


# --- the plan's kind -------------------------------------------------------------------------------------------


@audited
@transaction.atomic
def plan_kind_set(*, plan: Plan, kind: str, user, reason: str = "") -> Plan:
    """Print the plan as the PIAO's section 2 or as a plain Piano della performance."""
    require_plan_editable(user=user, plan=plan)
    if kind not in PlanKind.values:
        raise ValidationError({"kind": "Documento sconosciuto."})
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.kind == kind:
        return plan
    reason = revision_reason(plan=plan, reason=reason)
    revisions = RevisionLog(plan, user, reason)
    revisions.add("piano", plan.title[:200], "documento", plan.get_kind_display(), PlanKind(kind).label)
    plan.kind = kind
    plan.save(update_fields=["kind", "updated_at"])
    revisions.save()
    return plan


# --- impatti ---------------------------------------------------------------------------------------------------


def _impact_values(values: dict[str, Any]) -> dict[str, Any]:
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if "title" in clean and not clean["title"]:
        raise ValidationError({"title": "Indicare il titolo dell'impatto."})
    if "dimensions" in clean:
        clean["dimensions"] = dimensions_clean(clean["dimensions"] or [])
    _check_fit(PublicValue, {k: v for k, v in clean.items() if k in ("code", "title", "description")})
    return clean


@audited
@transaction.atomic
def public_value_create(
    *,
    plan: Plan,
    user,
    code: str,
    title: str,
    description: str = "",
    dimensions: list[str] | None = None,
    objectives=(),
    reason: str = "",
) -> PublicValue:
    """Add an impatto to the plan, last among them, linked to the strategic objectives that pursue it."""
    require_plan_editable(user=user, plan=plan)
    plan = Plan.objects.get(pk=plan.pk)
    reason = revision_reason(plan=plan, reason=reason)
    values = _impact_values({"title": title, "description": description, "dimensions": dimensions or []})
    code = _check_code(plan, code)
    linked = _check_objectives(plan, objectives)
    last = PublicValue.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]
    item = PublicValue.objects.create(plan=plan, code=code, position=(last or 0) + 1, **values)
    item.objectives.set(linked)
    revisions = RevisionLog(plan, user, reason)
    revisions.add(SUBJECT, code, "aggiunto", None, item.title)
    revisions.save()
    return item


@audited
@transaction.atomic
def public_value_update(*, public_value: PublicValue, user, reason: str = "", objectives=None, **values: Any):
    """Change an impatto's code, title, description, dimensions or linked objectives (None: links unchanged)."""
    plan = Plan.objects.get(pk=public_value.plan_id)  # the state decides about revisions: never a stale copy
    require_plan_editable(user=user, plan=plan)
    # The stored row, changed here: a refused change (no reason) must not leave the caller's object changed.
    public_value = PublicValue.objects.select_for_update().get(pk=public_value.pk)
    values = _impact_values({k: v for k, v in values.items() if k in ("code", "title", "description", "dimensions")})
    if "code" in values:
        values["code"] = _check_code(plan, values["code"], exclude_pk=public_value.pk)
    old_code = public_value.code
    revisions = RevisionLog(plan, user, reason)
    changed = False
    for name, new in values.items():
        old = getattr(public_value, name)
        if old != new:
            changed = True
            revisions.add(SUBJECT, old_code, name, ", ".join(old) if name == "dimensions" else old, new)
            setattr(public_value, name, new)
    if objectives is not None:
        linked = _check_objectives(plan, objectives)
        old_codes = sorted(public_value.objectives.values_list("code", flat=True))
        new_codes = sorted(o.code for o in linked)
        if old_codes != new_codes:
            changed = True
            revisions.add(SUBJECT, old_code, "obiettivi collegati", ", ".join(old_codes), ", ".join(new_codes))
            public_value.objectives.set(linked)
    if changed:
        revisions.reason = revision_reason(plan=plan, reason=reason)
        public_value.save()
        revisions.save()
    return public_value


@audited
@transaction.atomic
def public_value_delete(*, public_value: PublicValue, user, reason: str = "") -> None:
    """Delete an impatto with its impact indicators and targets (the objectives stay)."""
    plan = Plan.objects.get(pk=public_value.plan_id)  # the state decides about revisions: never a stale copy
    require_plan_editable(user=user, plan=plan)
    reason = revision_reason(plan=plan, reason=reason)
    revisions = RevisionLog(plan, user, reason)
    revisions.add(SUBJECT, public_value.code, "eliminato", public_value.title, None)
    public_value.delete()
    revisions.save()


# --- impact indicators -----------------------------------------------------------------------------------------


def _indicator_values(plan: Plan, data: ImpactIndicatorData) -> dict[str, Any]:
    name = (data.name or "").strip()
    if not name:
        raise ValidationError({"name": "Indicare il nome dell'indicatore di impatto."})
    values = {
        "name": name,
        "code": (data.code or "").strip(),
        "unit": data.unit or "",
        "source": (data.source or "").strip(),
        "baseline_year": data.baseline_year,
        "baseline": (data.baseline or "").strip(),
    }
    _check_fit(PublicValueIndicator, values)
    for year, raw in data.targets.items():
        raw = (raw or "").strip()
        problem = impact_target_problem(raw=raw, year=year, unit=values["unit"], plan=plan) if raw else ""
        if problem:
            raise ValidationError({f"target_{year}": problem})
    return values


def _targets_set(indicator: PublicValueIndicator, targets: dict[int, str], revisions: RevisionLog, label: str):
    """Write the targets of the years given (an empty text removes one); a year closed for targets is refused."""
    current = {t.year: t for t in indicator.targets.all()}
    for year, raw in sorted(targets.items()):
        raw = (raw or "").strip()
        old = current.get(year)
        if (old.raw if old else "") == raw:
            continue
        require_open(plan=indicator.public_value.plan_id, action=Write.TARGET, year=year)
        revisions.add(SUBJECT, label, f"target {year}", old.raw if old else None, raw or None)
        if not raw:
            old.delete()
        elif old is None:
            PublicValueTarget.objects.create(indicator=indicator, year=year, raw=raw)
        else:
            old.raw = raw
            old.save(update_fields=["raw"])


def _check_indicator_name(public_value: PublicValue, name: str, exclude_pk: int | None = None) -> None:
    clash = PublicValueIndicator.objects.filter(public_value=public_value, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "L'impatto ha già un indicatore con questo nome."})


@audited
@transaction.atomic
def impact_indicator_create(
    *, public_value: PublicValue, data: ImpactIndicatorData, user, reason: str = ""
) -> PublicValueIndicator:
    """Add an impact indicator to an impatto, with its baseline and a target per plan year."""
    plan = Plan.objects.get(pk=public_value.plan_id)  # the state decides about revisions: never a stale copy
    require_plan_editable(user=user, plan=plan)
    reason = revision_reason(plan=plan, reason=reason)
    values = _indicator_values(plan, data)
    _check_indicator_name(public_value, values["name"])
    last = PublicValueIndicator.objects.filter(public_value=public_value).aggregate(m=Max("position"))["m"]
    indicator = PublicValueIndicator.objects.create(public_value=public_value, position=(last or 0) + 1, **values)
    label = f"{public_value.code} / {indicator.code or indicator.name[:60]}"
    revisions = RevisionLog(plan, user, reason)
    revisions.add(SUBJECT, label, "indicatore aggiunto", None, indicator.name)
    _targets_set(indicator, data.targets, revisions, label)
    revisions.save()
    return indicator


@audited
@transaction.atomic
def impact_indicator_update(
    *, indicator: PublicValueIndicator, data: ImpactIndicatorData, user, reason: str = ""
) -> PublicValueIndicator:
    """Change an impact indicator, its baseline and its targets, in one transaction."""
    public_value = indicator.public_value
    plan = Plan.objects.get(pk=public_value.plan_id)  # the state decides about revisions: never a stale copy
    require_plan_editable(user=user, plan=plan)
    values = _indicator_values(plan, data)
    _check_indicator_name(public_value, values["name"], exclude_pk=indicator.pk)
    label = f"{public_value.code} / {indicator.code or indicator.name[:60]}"
    revisions = RevisionLog(plan, user, reason)
    changed = False
    for name, new in values.items():
        old = getattr(indicator, name)
        if old != new:
            changed = True
            revisions.add(SUBJECT, label, name, old, new)
            setattr(indicator, name, new)
    if changed:
        indicator.save()
    _targets_set(indicator, data.targets, revisions, label)
    if revisions.rows:
        revisions.reason = revision_reason(plan=plan, reason=reason)
    revisions.save()
    return indicator


@audited
@transaction.atomic
def impact_indicator_delete(*, indicator: PublicValueIndicator, user, reason: str = "") -> None:
    plan = Plan.objects.get(pk=indicator.public_value.plan_id)
    require_plan_editable(user=user, plan=plan)
    reason = revision_reason(plan=plan, reason=reason)
    revisions = RevisionLog(plan, user, reason)
    label = f"{indicator.public_value.code} / {indicator.code or indicator.name[:60]}"
    revisions.add(SUBJECT, label, "indicatore eliminato", indicator.name, None)
    indicator.delete()
    revisions.save()


# --- section 2.3 references ------------------------------------------------------------------------------------


@audited
@transaction.atomic
def risk_measure_create(
    *, plan: Plan, user, code: str, title: str, link: str = "", reason: str = ""
) -> RiskMeasureLink:
    """Add a reference to a measure of section 2.3 (written by the anticorruption office) to the plan's table."""
    require_plan_editable(user=user, plan=plan)
    plan = Plan.objects.get(pk=plan.pk)
    reason = revision_reason(plan=plan, reason=reason)
    code, title, link = (code or "").strip(), (title or "").strip(), (link or "").strip()
    if not code:
        raise ValidationError({"code": "Indicare il codice della misura."})
    if not title:
        raise ValidationError({"title": "Indicare la misura."})
    if RiskMeasureLink.objects.filter(plan=plan, code=code).exists():
        raise ValidationError({"code": f"Il codice «{code}» è già usato da un'altra misura del piano."})
    _check_fit(RiskMeasureLink, {"code": code, "title": title, "link": link})
    last = RiskMeasureLink.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]
    measure = RiskMeasureLink.objects.create(plan=plan, code=code, title=title, link=link, position=(last or 0) + 1)
    revisions = RevisionLog(plan, user, reason)
    revisions.add(SUBJECT_MEASURE, code, "aggiunta", None, title)
    revisions.save()
    return measure


@audited
@transaction.atomic
def risk_measure_delete(*, measure: RiskMeasureLink, user, reason: str = "") -> None:
    plan = Plan.objects.get(pk=measure.plan_id)
    require_plan_editable(user=user, plan=plan)
    reason = revision_reason(plan=plan, reason=reason)
    revisions = RevisionLog(plan, user, reason)
    revisions.add(SUBJECT_MEASURE, measure.code, "eliminata", measure.title, None)
    measure.delete()
    revisions.save()


# --- the workbook's sheet --------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)  # codes of the plan's impatti the sheet does not list


def public_values_sync(*, plan: Plan, items: list[PublicValueData], revisions: RevisionLog) -> SyncReport:
    """Write the impatti of a workbook sheet (already checked: codes, dimensions, objectives, targets).

    Matched by code: an impatto of the sheet is created or updated, its indicators (by name) and targets are the
    sheet's ones; an impatto of the plan the sheet does not list is kept and reported (workbook.md: nothing is
    deleted silently). Called inside the import's transaction, which checks the user and the year locks itself.
    """
    report = SyncReport()
    existing = {pv.code: pv for pv in PublicValue.objects.filter(plan=plan).prefetch_related("objectives")}
    objectives = {o.code: o for o in Objective.objects.filter(plan=plan)}
    indicators: dict[int, dict[str, PublicValueIndicator]] = {}
    for ind in PublicValueIndicator.objects.filter(public_value__plan=plan).prefetch_related("targets"):
        indicators.setdefault(ind.public_value_id, {})[ind.name] = ind
    for position, data in enumerate(items, start=1):
        item = existing.get(data.code)
        values = {"title": data.title, "description": data.description, "dimensions": data.dimensions}
        changed = False
        if item is None:
            item = PublicValue.objects.create(plan=plan, code=data.code, position=position, **values)
            revisions.add(SUBJECT, data.code, "aggiunto", None, data.title)
            report.created += 1
            changed = True
        else:
            diff = {k: v for k, v in values.items() if getattr(item, k) != v}
            for name, new in diff.items():
                old = getattr(item, name)
                revisions.add(SUBJECT, data.code, name, ", ".join(old) if name == "dimensions" else old, new)
                setattr(item, name, new)
            if diff or item.position != position:
                item.position = position
                item.save()
            changed = bool(diff)
        is_new = data.code not in existing
        old_codes = [] if is_new else sorted(o.code for o in item.objectives.all())
        new_codes = sorted(data.objective_codes)
        if old_codes != new_codes:
            if not is_new:
                revisions.add(SUBJECT, data.code, "obiettivi collegati", ", ".join(old_codes), ", ".join(new_codes))
            item.objectives.set([objectives[c] for c in new_codes])
            changed = True
        mine = indicators.get(item.pk, {})
        for ind_position, ind_data in enumerate(data.indicators, start=1):
            changed |= _sync_indicator(item, mine.pop(ind_data.name, None), ind_data, ind_position, revisions)
        for gone in mine.values():
            revisions.add(
                SUBJECT, f"{data.code} / {gone.code or gone.name[:60]}", "indicatore eliminato", gone.name, ""
            )
            gone.delete()
            changed = True
        if not is_new:
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
    listed = {data.code for data in items}
    report.missing = [code for code in existing if code not in listed]
    return report


def _sync_indicator(
    item: PublicValue, indicator: PublicValueIndicator | None, data: ImpactIndicatorData, position: int, revisions
) -> bool:
    values = {
        "code": data.code,
        "unit": data.unit,
        "source": data.source,
        "baseline_year": data.baseline_year,
        "baseline": data.baseline,
    }
    label = f"{item.code} / {data.code or data.name[:60]}"
    changed = False
    if indicator is None:
        indicator = PublicValueIndicator.objects.create(public_value=item, name=data.name, position=position, **values)
        revisions.add(SUBJECT, label, "indicatore aggiunto", None, data.name)
        changed = True
        current: dict[int, PublicValueTarget] = {}
    else:
        diff = {k: v for k, v in values.items() if getattr(indicator, k) != v}
        for name, new in diff.items():
            revisions.add(SUBJECT, label, name, getattr(indicator, name), new)
            setattr(indicator, name, new)
        if diff or indicator.position != position:
            indicator.position = position
            indicator.save()
        changed = bool(diff)
        current = {t.year: t for t in indicator.targets.all()}
    for year in sorted(set(current) | set(data.targets)):
        new = data.targets.get(year, "")
        old = current.get(year)
        if (old.raw if old else "") == new:
            continue
        changed = True
        revisions.add(SUBJECT, label, f"target {year}", old.raw if old else None, new or None)
        if not new:
            old.delete()
        elif old is None:
            PublicValueTarget.objects.create(indicator=indicator, year=year, raw=new)
        else:
            old.raw = new
            old.save(update_fields=["raw"])
    return changed
