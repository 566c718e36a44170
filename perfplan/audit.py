"""Who changed what, when and why: the writing side of the audit history.

django-simple-history writes a historical row for every save and delete of an audited model (perfplan.history).
This module gives those rows what the signals alone do not know:

- `audit_context(user=..., reason=...)`: the user and the reason of a service's writes. Services wrap their writes
  in it (or use the `audited` decorator); a request's user comes from simple-history's HistoryRequestMiddleware
  and wins over the context's, a command-line write takes the context's user (the actor it names).
- `record_bulk(model, objects, history_type=...)`: the historical rows of writes that send no signals
  (`bulk_create`, `bulk_update`, `QuerySet.update`, raw inserts), in one insert.
- `delete_with_history(obj)`: a delete whose cascade is recorded in bulk instead of one row (and query) at a time.
- every row's ente, plan and readable label («Target 2017 · 101 / F1»), so that the audit page can scope and name
  it even once the object is gone.

The measurements keep their own history (indicators.MeasurementChange) and are not audited here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.apps import apps
from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from perfplan.bulk import insert_rows

HISTORY_TYPES = ("+", "~", "-")
# The reason of a row that records an object's state before its first recorded change: a reference, not a change.
BASELINE_REASON = "(stato precedente alla prima modifica registrata)"
BATCH_SIZE = 500


@dataclass
class _Context:
    user: Any
    reason: str
    pending: dict = field(default_factory=dict)  # (model, pk) → the historical row written in this context


_current: ContextVar[_Context | None] = ContextVar("perfplan_audit", default=None)
_muted: ContextVar[bool] = ContextVar("perfplan_audit_muted", default=False)


@contextmanager
def audit_context(*, user, reason: str = "") -> Iterator[None]:
    """The user and the reason of the writes made inside the block, for their historical rows.

    Nested blocks inherit what they do not set: a service without a reason called by one with a reason records
    that reason; a user without a pk (anonymous, None) is no user.
    """
    outer = _current.get()
    if getattr(user, "pk", None) is None:
        user = outer.user if outer else None
    reason = (reason or "").strip() or (outer.reason if outer else "")
    token = _current.set(_Context(user=user, reason=reason, pending=outer.pending if outer else {}))
    try:
        yield
    finally:
        _current.reset(token)


def audited(service: Callable) -> Callable:
    """A service whose writes are recorded with its `user=` and `reason=` keyword arguments."""

    @wraps(service)
    def wrapped(*args, **kwargs):
        with audit_context(user=kwargs.get("user"), reason=kwargs.get("reason") or ""):
            return service(*args, **kwargs)

    return wrapped


def is_muted() -> bool:
    return _muted.get()


@contextmanager
def _history_muted() -> Iterator[None]:
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _request():
    return getattr(HistoricalRecords.context, "request", None)


def current_user():
    """The request's user (HistoryRequestMiddleware), else the audit context's, else None."""
    request = _request()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    context = _current.get()
    return context.user if context else None


def current_reason() -> str:
    context = _current.get()
    return context.reason if context else ""


def pending_records() -> dict | None:
    """Where the rows written in the current context (or request) are kept, for m2m changes to update them."""
    context = _current.get()
    if context is not None:
        return context.pending
    request = _request()
    if request is not None:
        return request.__dict__.setdefault("_perfplan_audit_pending", {})
    return None


def is_audited(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def history_model_of(model):
    return getattr(model, model._meta.simple_history_manager_attribute).model


# --- each row's ente, plan and label ---------------------------------------------------------------------------

Scope = tuple[int | None, int | None, str]  # ente id, plan id, readable label


def _values(model_label: str, ids: Iterable[int], *names: str) -> dict[int, tuple]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    model = apps.get_model(model_label)
    return {row[0]: row[1:] for row in model._default_manager.filter(pk__in=ids).values_list("pk", *names)}


def _indicator_label(objective_code: str, code: str, name: str) -> str:
    return f"{objective_code} / {code or name[:60]}"


def _indicators(ids) -> dict[int, tuple[int, int, str]]:
    """indicator id → (ente, plan, "101 / F1")."""
    rows = _values("indicators.Indicator", ids, "objective__plan__ente_id", "objective__plan_id", "objective__code")
    names = _values("indicators.Indicator", rows, "code", "name")
    return {pk: (ente, plan, _indicator_label(obj, *names[pk])) for pk, (ente, plan, obj) in rows.items()}


def _plans(ids) -> dict[int, tuple]:
    return _values("plans.Plan", ids, "ente_id", "title")


def _relazioni(ids) -> dict[int, tuple]:
    return _values("reports.Relazione", ids, "plan__ente_id", "plan_id", "year")


def _scope_plan_child(objs, label: Callable[[Any], str]) -> list[Scope]:
    plans = _plans(o.plan_id for o in objs)
    return [(plans.get(o.plan_id, (None,))[0], o.plan_id, label(o)) for o in objs]


def _scope_indicator_child(objs, label: Callable[[Any, str], str]) -> list[Scope]:
    indicators = _indicators(o.indicator_id for o in objs)
    out = []
    for o in objs:
        ente, plan, text = indicators.get(o.indicator_id, (None, None, f"indicatore {o.indicator_id}"))
        out.append((ente, plan, label(o, text)))
    return out


def _scope_relazione_child(objs, label: Callable[[Any, int | str, dict], str], extra=None) -> list[Scope]:
    relazioni = _relazioni(o.relazione_id for o in objs)
    names = extra(objs) if extra else {}
    out = []
    for o in objs:
        ente, plan, year = relazioni.get(o.relazione_id, (None, None, "?"))
        out.append((ente, plan, label(o, year, names)))
    return out


def _scope_objective(objs) -> list[Scope]:
    return _scope_plan_child(objs, lambda o: f"Obiettivo · {o.code}")


def _scope_indicator(objs) -> list[Scope]:
    objectives = _values("plans.Objective", (o.objective_id for o in objs), "plan__ente_id", "plan_id", "code")
    out = []
    for o in objs:
        ente, plan, code = objectives.get(o.objective_id, (None, None, "?"))
        out.append((ente, plan, f"Indicatore · {_indicator_label(code, o.code, o.name)}"))
    return out


def _scope_user(objs) -> list[Scope]:
    profiles = apps.get_model("plans.Profile").objects.filter(user_id__in=[o.pk for o in objs])
    profiles = dict(profiles.values_list("user_id", "ente_id"))
    return [(profiles.get(o.pk), None, f"Utente · {o.username}") for o in objs]


def _scope_profile(objs) -> list[Scope]:
    users = _values(settings.AUTH_USER_MODEL, (o.user_id for o in objs), "username")
    return [(o.ente_id, None, f"Profilo · {users.get(o.user_id, ('?',))[0]}") for o in objs]


def _promo_objectives(objs) -> dict:
    return _values("plans.Objective", (o.objective_id for o in objs), "code")


def _key_indicators(objs) -> dict:
    return {pk: text for pk, (_, _, text) in _indicators(o.indicator_id for o in objs).items()}


def _scope_clarification_message(objs) -> list[Scope]:
    requests = _values(
        "reports.ClarificationRequest",
        (o.request_id for o in objs),
        "relazione__plan__ente_id",
        "relazione__plan_id",
        "relazione__year",
    )
    out = []
    for o in objs:
        ente, plan, year = requests.get(o.request_id, (None, None, "?"))
        out.append((ente, plan, f"Messaggio di chiarimento {year} · {o.get_side_display()}"))
    return out


SCOPES: dict[str, Callable[[list], list[Scope]]] = {
    "plans.ente": lambda objs: [(o.pk, None, f"Ente · {o.code}") for o in objs],
    "plans.profile": _scope_profile,
    "plans.orgunit": lambda objs: [(o.ente_id, None, f"Unità · {o.code}") for o in objs],
    "auth.user": _scope_user,
    "plans.plan": lambda objs: [(o.ente_id, o.pk, f"Piano · {o.title}") for o in objs],
    "plans.planyear": lambda objs: _scope_plan_child(objs, lambda o: f"Anno {o.year}"),
    "plans.objective": _scope_objective,
    "indicators.indicator": _scope_indicator,
    "indicators.baseline": lambda objs: _scope_indicator_child(objs, lambda o, text: f"Baseline · {text}"),
    "indicators.target": lambda objs: _scope_indicator_child(objs, lambda o, text: f"Target {o.year} · {text}"),
    "indicators.round": lambda objs: _scope_plan_child(objs, lambda o: f"Rilevazione · {o.label or o.year}"),
    "reports.relazione": lambda objs: _scope_plan_child(objs, lambda o: f"Relazione {o.year}"),
    "reports.budgetline": lambda objs: _scope_relazione_child(
        objs, lambda o, year, _: f"Preventivo {year} · {o.get_voce_display()}"
    ),
    "reports.promoamount": lambda objs: _scope_relazione_child(
        objs,
        lambda o, year, names: f"Importo per obiettivo {year} · {names.get(o.objective_id, ('?',))[0]}",
        _promo_objectives,
    ),
    "reports.keyindicator": lambda objs: _scope_relazione_child(
        objs,
        lambda o, year, names: f"Indicatore significativo {year} · {names.get(o.indicator_id, '?')}",
        _key_indicators,
    ),
    "reports.validation": lambda objs: _scope_relazione_child(objs, lambda o, year, _: f"Validazione OIV {year}"),
    "reports.papernote": lambda objs: _scope_relazione_child(objs, lambda o, year, _: f"Nota OIV {year} · {o.topic}"),
    "reports.clarificationrequest": lambda objs: _scope_relazione_child(
        objs, lambda o, year, _: f"Richiesta di chiarimento {year} · {o.subject[:80]}"
    ),
    "reports.clarificationmessage": _scope_clarification_message,
    "reports.paperdocument": lambda objs: _scope_relazione_child(
        objs, lambda o, year, _: f"Documento OIV {year} · {o.title[:80]}"
    ),
    "reports.bilancioline": lambda objs: [(o.ente_id, None, f"Bilancio {o.year} · voce {o.code}") for o in objs],
    "reports.cycleactivity": lambda objs: [(o.ente_id, None, f"Attività del ciclo · {o.activity[:80]}") for o in objs],
}


def scopes_of(model, objects: list) -> list[Scope]:
    """(ente, plan, label) of each object, in a constant number of queries (at most two) whatever their number."""
    resolve = SCOPES.get(model._meta.label_lower)
    if resolve is None:
        return [(None, None, f"{model._meta.verbose_name} {o.pk}") for o in objects]
    return [(ente, plan, label[:300]) for ente, plan, label in resolve(objects)]


# --- the signals' rows -----------------------------------------------------------------------------------------


@receiver(pre_create_historical_record, dispatch_uid="perfplan.audit.fill_history")
def fill_history(sender, instance, history_instance, **kwargs) -> None:
    """Who and why from the audit context when simple-history got neither; the ente, plan and label always."""
    context = _current.get()
    if getattr(instance, "_audit_baseline", False):  # the state before the first recorded change (history.py)
        history_instance.history_user_id, history_instance.history_change_reason = None, BASELINE_REASON
        context = None
    if history_instance.history_user_id is None and context is not None and context.user is not None:
        history_instance.history_user_id = context.user.pk
    if not history_instance.history_change_reason and context is not None and context.reason:
        history_instance.history_change_reason = context.reason
    ente, plan, label = scopes_of(history_instance.instance_type, [instance])[0]
    history_instance.audit_ente, history_instance.audit_plan, history_instance.audit_label = ente, plan, label


@receiver(post_create_historical_record, dispatch_uid="perfplan.audit.remember_history")
def remember_history(sender, instance, history_instance, **kwargs) -> None:
    pending = pending_records()
    if pending is not None and not getattr(instance, "_audit_baseline", False):
        pending[(history_instance.instance_type, instance.pk)] = history_instance


# --- writes that send no signals -------------------------------------------------------------------------------


def record_bulk(model, objects: Iterable, *, history_type: str) -> int:
    """Write the historical rows of objects written without signals; returns how many rows were written.

    `history_type` is "+" (created), "~" (changed) or "-" (deleted). Each object must hold its primary key and the
    values to record: after `bulk_create` (which reads ids back on PostgreSQL and SQLite ≥ 3.35) or `bulk_update`,
    pass the objects themselves; for "-", pass them before the delete, still loaded (or use `delete_with_history`).
    Who and why come from the current `audit_context` (or the request). One insert on the historical model per call
    (in batches of 500), plus at most two queries for the rows' ente, plan and label.

    Rows written without reading ids back (a raw INSERT, `bulk_create(ignore_conflicts=True)`) or changed by
    `QuerySet.update()`: re-select them, then call it::

        Target.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        inserted = Target.objects.filter(indicator__objective__plan=plan, is_current=True)
        with audit_context(user=actor, reason=reason):
            record_bulk(Target, inserted, history_type="+")

    Many-to-many fields (User.groups, OrgUnit.leaders) are not snapshotted here: change them with `.add()`/`.set()`.
    """
    if history_type not in HISTORY_TYPES:
        raise ValueError(f"history_type must be one of {HISTORY_TYPES}, not {history_type!r}")
    objects = list(objects)
    if not objects or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return 0
    if any(obj.pk is None for obj in objects):
        raise ValueError(
            f"record_bulk({model.__name__}): objects without a primary key; re-select the inserted rows first."
        )
    history_model = history_model_of(model)
    user = current_user()
    reason = current_reason() or None
    now = timezone.now()
    fields = [(f.attname, f.get_prep_value) for f in history_model.tracked_fields]  # a file: its name
    user_id = getattr(user, "pk", None)
    rows = [
        {
            "history_date": now,
            "history_type": history_type,
            "history_user_id": user_id,
            "history_change_reason": reason,
            "audit_ente": ente,
            "audit_plan": plan,
            "audit_label": label,
            **{name: prep(getattr(obj, name)) for name, prep in fields},
        }
        for obj, (ente, plan, label) in zip(objects, scopes_of(model, objects), strict=True)
    ]
    # One executemany: bulk_create's per-value field conversion was most of an import's time (benchmarks/README.md).
    insert_rows(history_model, rows)
    return len(rows)


def delete_with_history(obj) -> tuple[int, dict[str, int]]:
    """Delete an object (or a queryset) with its cascade; each audited model's rows are recorded in one insert.

    Without it, every object of a cascade (a node's subtree, its indicators and targets) writes its own row.
    """
    from django.db import router
    from django.db.models.deletion import Collector

    model = obj.model if hasattr(obj, "model") else type(obj)
    collector = Collector(using=router.db_for_write(model), origin=obj)
    collector.collect(obj if hasattr(obj, "model") else [obj])
    for collected, instances in collector.data.items():
        if is_audited(collected):
            record_bulk(collected, list(instances), history_type="-")
    with _history_muted():
        return collector.delete()
