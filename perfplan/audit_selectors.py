"""Reads of the audit history: every change of the user's ente, newest first, one line per changed field.

The rows come from the historical tables of simple-history (perfplan.history) and from the consuntivi's own history
(indicators.MeasurementChange). One UNION query lists a page of changes (who, when, which record and the record
before it); then each kind of record on the page is read in one query, and the values shown (users, units,
objectives, groups) in one query per kind of value: a constant number of queries whatever the history's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import (
    BigIntegerField,
    CharField,
    F,
    ForeignKey,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst

from consuntivi.models import MeasurementChange
from perfplan.audit import BASELINE_REASON, history_model_of, is_audited
from perfplan.formats import datetime_it, value_it
from perfplan.history import NOISE_FIELDS
from perfplan.permissions import Action, can
from perfplan.roles import user_ente

PER_PAGE = 50
EXPORT_CHUNK = 500
MEASUREMENT = "indicators.measurementchange"
ACTIONS = {"+": "Creazione", "~": "Modifica", "-": "Eliminazione"}
# The audited models, in the order the type filter lists them (label_lower → model).
ORDER = (
    "plans.plan",
    "plans.planyear",
    "plans.objective",
    "indicators.indicator",
    "indicators.baseline",
    "indicators.target",
    "indicators.round",
    "reports.relazione",
    "reports.budgetline",
    "reports.promoamount",
    "reports.keyindicator",
    "reports.cycleactivity",
    "reports.validation",
    "reports.bilancioline",
    "plans.orgunit",
    "plans.ente",
    "plans.profile",
    "auth.user",
)


def audited_models() -> dict[str, Any]:
    models = {m._meta.label_lower: m for m in apps.get_models() if is_audited(m)}
    return {key: models[key] for key in sorted(models, key=lambda k: (ORDER.index(k) if k in ORDER else 99, k))}


def kind_choices() -> list[tuple[str, str]]:
    """The type filter: every audited model, then the consuntivi."""
    choices = [(key, capfirst(str(model._meta.verbose_name))) for key, model in audited_models().items()]
    return [*choices, (MEASUREMENT, "Consuntivo")]


@dataclass(frozen=True)
class AuditFilters:
    plan_id: int | None = None
    kind: str = ""
    user_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return any((self.plan_id, self.kind, self.user_id, self.date_from, self.date_to, self.q))


@dataclass
class AuditRow:
    """One line of the audit page and of its export: one changed field (or a whole creation or deletion)."""

    when: dt.datetime
    user: Any  # a User, or None for a write without one («Sistema»)
    kind: str
    label: str
    action: str
    field: str
    old: str
    new: str
    why: str


@dataclass
class AuditPage:
    page: Page
    rows: list[AuditRow] = field(default_factory=list)


# --- the scope and the filters ---------------------------------------------------------------------------------

ALL = object()


def _scope(user):
    """The ente whose history the user reads; ALL for an administrator without an ente (as plans_visible_to)."""
    ente = user_ente(user)
    if ente is not None:
        return ente.pk
    return ALL if can(user, Action.ADMIN_SITE) else None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _history_query(key: str, model, *, ente, filters: AuditFilters) -> QuerySet:
    history = history_model_of(model)
    qs = history.objects.exclude(history_change_reason=BASELINE_REASON)
    if ente is not ALL:
        qs = qs.filter(audit_ente=ente)
    if filters.plan_id:
        qs = qs.filter(audit_plan=filters.plan_id)
    if filters.user_id:
        qs = qs.filter(history_user_id=filters.user_id)
    if filters.date_from:
        qs = qs.filter(history_date__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(history_date__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.q:
        qs = qs.filter(Q(audit_label__icontains=filters.q) | Q(history_change_reason__icontains=filters.q))
    pk = model._meta.pk.attname
    previous = (
        history.objects.filter(**{pk: OuterRef(pk)}, history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    return (
        qs.annotate(
            a_kind=Value(key, output_field=CharField()),
            a_id=F("history_id"),
            a_date=F("history_date"),
            a_user=F("history_user_id"),
            a_prev=Subquery(previous, output_field=BigIntegerField()),
        )
        .order_by()
        .values_list("a_kind", "a_id", "a_date", "a_user", "a_prev")
    )


def _measurement_query(*, ente, filters: AuditFilters) -> QuerySet:
    qs = MeasurementChange.objects.all()
    if ente is not ALL:
        qs = qs.filter(measurement__indicator__objective__plan__ente_id=ente)
    if filters.plan_id:
        qs = qs.filter(measurement__round__plan_id=filters.plan_id)
    if filters.user_id:
        qs = qs.filter(user_id=filters.user_id)
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(field__icontains=q)
            | Q(old_value__icontains=q)
            | Q(new_value__icontains=q)
            | Q(comment__icontains=q)
            | Q(measurement__indicator__code__icontains=q)
            | Q(measurement__indicator__name__icontains=q)
            | Q(measurement__indicator__objective__code__icontains=q)
        )
    return (
        qs.annotate(
            a_kind=Value(MEASUREMENT, output_field=CharField()),
            a_id=F("id"),
            a_date=F("at"),
            a_user=F("user_id"),
            a_prev=Value(None, output_field=BigIntegerField()),
        )
        .order_by()
        .values_list("a_kind", "a_id", "a_date", "a_user", "a_prev")
    )


def audit_entries(*, user, filters: AuditFilters) -> QuerySet:
    """The filtered changes as (kind, id, date, user id, previous record id), newest first: one SQL query."""
    ente = _scope(user)
    if ente is None:
        return MeasurementChange.objects.none().values_list("id")
    parts = [
        _history_query(key, model, ente=ente, filters=filters)
        for key, model in audited_models().items()
        if not filters.kind or filters.kind == key
    ]
    if not filters.kind or filters.kind == MEASUREMENT:
        parts.append(_measurement_query(ente=ente, filters=filters))
    if not parts:
        return MeasurementChange.objects.none().values_list("id")
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-a_date", "-a_id")


# --- from records to lines -------------------------------------------------------------------------------------


def _related_text(obj) -> str:
    for name in ("username", "code", "title", "name"):
        value = getattr(obj, name, "")
        if value:
            return str(value)
    return str(obj.pk)


def _text(value: Any) -> str:
    """A recorded value as the history shows it: perfplan.formats.value_it, plus moments, lists, mappings, HTML."""
    if isinstance(value, dt.datetime):
        return datetime_it(timezone.localtime(value)) if timezone.is_aware(value) else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, str) and "<" in value:
        return strip_tags(value).strip()
    return value_it(value)


class _Lookups:
    """The values a page shows for ids (users, units, objectives, groups), each kind read in one query."""

    def __init__(self) -> None:
        self.wanted: dict[Any, set] = defaultdict(set)
        self.found: dict[Any, dict] = {}

    def want(self, model, pk) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            self.found[model] = {pk: _related_text(obj) for pk, obj in model._default_manager.in_bulk(ids).items()}

    def text(self, model, pk) -> str:
        if pk is None:
            return ""
        return self.found.get(model, {}).get(pk, f"#{pk}")


def _field_changes(history, record, previous, m2m: dict, lookups: _Lookups) -> list[tuple[str, Any, Any, Any]]:
    """(label, old, new, model of an id or None) for every visible field that differs between two records."""
    changes = []
    for f in history.tracked_fields:
        if f.name in NOISE_FIELDS:
            continue
        old, new = getattr(previous, f.attname), getattr(record, f.attname)
        if old == new:
            continue
        label = capfirst(str(f.verbose_name))
        if isinstance(f, JSONField) and isinstance(old or {}, dict) and isinstance(new or {}, dict):
            old, new = old or {}, new or {}
            for key in sorted(set(old) | set(new), key=str):
                if old.get(key) != new.get(key):
                    changes.append((f"{label} · {key}", old.get(key), new.get(key), None))
            continue
        if isinstance(f, ForeignKey):
            related = f.related_model
            lookups.want(related, old)
            lookups.want(related, new)
            changes.append((label, old, new, related))
            continue
        choices = dict(f.flatchoices) if f.choices else None
        if choices:
            old, new = choices.get(old, old), choices.get(new, new)
        changes.append((label, old, new, None))
    for name, (label, related) in m2m.get("fields", {}).items():
        old = m2m["values"].get((name, previous.history_id), set())
        new = m2m["values"].get((name, record.history_id), set())
        if old != new:
            for pk in old | new:
                lookups.want(related, pk)
            changes.append((label, sorted(old), sorted(new), related))
    return changes


def _m2m_values(history, ids: set[int]) -> dict:
    """The many-to-many snapshots (User.groups, OrgUnit.leaders) of the records, one query per field."""
    result = {"fields": {}, "values": defaultdict(set)}
    for m2m_field in getattr(history, "_history_m2m_fields", []):
        snapshot = getattr(history, m2m_field.name).model
        target = next(
            f for f in snapshot._meta.fields if isinstance(f, ForeignKey) and f.related_model is m2m_field.related_model
        )
        label = capfirst(str(m2m_field.verbose_name))
        result["fields"][m2m_field.name] = (label, m2m_field.related_model)
        for history_id, pk in snapshot.objects.filter(history_id__in=ids).values_list("history_id", target.attname):
            result["values"][(m2m_field.name, history_id)].add(pk)
    return result


def audit_rows(entries: list[tuple]) -> list[AuditRow]:
    """The lines of some listed changes, in a constant number of queries whatever their number."""
    models = audited_models()
    User = get_user_model()
    lookups = _Lookups()
    wanted: dict[str, set[int]] = defaultdict(set)
    for kind, pk, _when, user_id, previous in entries:
        wanted[kind].add(pk)
        if previous is not None:
            wanted[kind].add(previous)
        lookups.want(User, user_id)
    records: dict[tuple[str, int], Any] = {}
    m2m: dict[str, dict] = {}
    for kind, ids in wanted.items():
        if kind == MEASUREMENT:
            changes = MeasurementChange.objects.filter(pk__in=ids).select_related(
                "measurement__indicator__objective", "measurement__round"
            )
            records.update(((kind, c.pk), c) for c in changes)
            continue
        history = history_model_of(models[kind])
        records.update(((kind, r.history_id), r) for r in history.objects.filter(history_id__in=ids))
        m2m[kind] = _m2m_values(history, ids)
    pending: list[tuple] = []
    for kind, pk, when, user_id, previous in entries:
        record = records.get((kind, pk))
        if record is None:
            continue
        if kind == MEASUREMENT:
            pending.append((when, user_id, kind, record, None, []))
            continue
        before = records.get((kind, previous)) if previous is not None else None
        changes = []
        if record.history_type == "~" and before is not None:
            history = history_model_of(models[kind])
            changes = _field_changes(history, record, before, m2m.get(kind, {}), lookups)
        pending.append((when, user_id, kind, record, before, changes))
    lookups.load()
    rows = []
    for when, user_id, kind, record, before, changes in pending:
        user = _user(user_id, lookups)
        if kind == MEASUREMENT:
            rows.append(_measurement_row(record, when, user))
            continue
        label = record.audit_label or f"{capfirst(str(models[kind]._meta.verbose_name))} {record.pk}"
        common = {
            "when": when,
            "user": user,
            "kind": capfirst(str(models[kind]._meta.verbose_name)),
            "label": label,
            "action": ACTIONS.get(record.history_type, record.history_type),
            "why": record.history_change_reason or "",
        }
        if record.history_type != "~":
            summary = _summary(record)
            created = record.history_type == "+"
            rows.append(AuditRow(**common, field="", old="" if created else summary, new=summary if created else ""))
        elif before is None:
            rows.append(
                AuditRow(**common, field="", old="", new="(prima modifica registrata: stato precedente ignoto)")
            )
        elif not changes:
            rows.append(AuditRow(**common, field="", old="", new="(nessun campo visibile modificato)"))
        for name, old, new, related in changes:
            if related is not None:
                old, new = _named(lookups, related, old), _named(lookups, related, new)
            rows.append(AuditRow(**common, field=name, old=_text(old), new=_text(new)))
    return rows


SUMMARY_FIELDS = ("raw", "amount", "preventivo", "title", "name", "activity", "state", "username", "code")


def _summary(record) -> str:
    """What a created or deleted object held, in a word: a target's text, an amount, a title."""
    for name in SUMMARY_FIELDS:
        value = getattr(record, name, None)
        if value not in (None, ""):
            text = _text(value)
            if name == "state":
                field = record._meta.get_field(name)
                text = str(dict(field.flatchoices).get(value, value)) if field.choices else text
            return text
    return ""


def _named(lookups: _Lookups, related, value) -> str:
    if isinstance(value, list):
        return ", ".join(lookups.text(related, pk) for pk in value)
    return lookups.text(related, value)


class _NamedUser:
    """The user of a line, as pages show it: full name or username (the account may be gone: «#12»)."""

    def __init__(self, pk: int, name: str) -> None:
        self.pk, self.name = pk, name

    def __str__(self) -> str:
        return self.name


def _user(user_id, lookups: _Lookups):
    if user_id is None:
        return None
    return _NamedUser(user_id, lookups.text(get_user_model(), user_id))


def _measurement_row(change: MeasurementChange, when, user) -> AuditRow:
    measurement = change.measurement
    indicator = measurement.indicator
    code = indicator.code or indicator.name[:60]
    return AuditRow(
        when=when,
        user=user,
        kind="Consuntivo",
        label=f"Consuntivo {measurement.year} · {indicator.objective.code} / {code} ({measurement.round})",
        action=change.get_action_display(),
        field=change.field,
        old=change.old_value,
        new=change.new_value,
        why=change.comment,
    )


# --- the page and the export -----------------------------------------------------------------------------------


def audit_page(*, user, filters: AuditFilters, page_number: Any = 1) -> AuditPage:
    """A page of 50 changes (each one or more lines), in a constant number of queries."""
    paginator = Paginator(audit_entries(user=user, filters=filters), PER_PAGE)
    page = paginator.get_page(page_number)
    return AuditPage(page=page, rows=audit_rows(list(page.object_list)))


def audit_export_rows(*, user, filters: AuditFilters) -> Iterator[AuditRow]:
    """Every line of the filtered list, read 500 changes at a time."""
    entries = audit_entries(user=user, filters=filters)
    start = 0
    while True:
        chunk = list(entries[start : start + EXPORT_CHUNK])
        if not chunk:
            return
        yield from audit_rows(chunk)
        start += EXPORT_CHUNK


def audit_users(*, user) -> QuerySet:
    """The users the filter offers: those of the user's ente (every user for an administrator without one)."""
    ente = _scope(user)
    users = get_user_model().objects.order_by("username")
    if ente is ALL:
        return users
    if ente is None:
        return users.none()
    return users.filter(profile__ente_id=ente)
