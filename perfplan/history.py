"""The historical records of the audited models (django-simple-history), as perfplan keeps them.

Every audited model declares `history = AuditedRecords()` (User is registered in plans/models.py). On top of
simple-history's own behaviour each historical row carries the ente, the plan and a readable label of its object,
written when the row is (perfplan.audit), so that the audit page can scope and name a row even after the object is
deleted; saves that change nothing visible write no row; and several changes of a many-to-many field made in one
request or one `audit_context` are one row, not one per `remove`/`add`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from perfplan import audit

# Bookkeeping fields: they change on every save and say nothing the history's own who/when does not say.
NOISE_FIELDS = frozenset({"updated_at", "updated_by", "created_at", "changed_at"})
M2M_POST = ("post_add", "post_remove", "post_clear")


class AuditTrail(models.Model):
    """The fields every historical model adds to the tracked ones (filled by perfplan.audit)."""

    audit_ente = models.BigIntegerField("ente", null=True, blank=True, db_index=True)
    audit_plan = models.BigIntegerField("piano", null=True, blank=True, db_index=True)
    audit_label = models.CharField("oggetto", max_length=300, blank=True)

    class Meta:
        abstract = True


class AuditedRecords(HistoricalRecords):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("bases", [AuditTrail])
        # A revision's motivazione is free text: simple-history's default column keeps 100 characters.
        kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
        kwargs.setdefault("user_related_name", "+")
        super().__init__(**kwargs)

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        meta["verbose_name"] = f"storico di {model._meta.verbose_name}"
        meta["verbose_name_plural"] = f"storico di {model._meta.verbose_name_plural}"
        return meta

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            models.signals.pre_save.connect(self.pre_save, sender=sender, weak=False)

    def _enabled(self) -> bool:
        return getattr(settings, "SIMPLE_HISTORY_ENABLED", True) and not audit.is_muted()

    def pre_save(self, instance, raw=False, **kwargs):
        """Before the first recorded change of an object written without history (rows that predate the audit, or
        a bulk path without record_bulk), record the state it had: the change then reads old → new."""
        if not self._enabled() or raw or instance._state.adding or instance.pk is None:
            return
        instance._audit_last = self._last_values(instance)
        if instance._audit_last is None:
            instance._audit_last = self._record_baseline(instance)

    def post_save(self, instance, created, using=None, **kwargs):
        if not self._enabled():
            return
        update_fields = kwargs.get("update_fields")
        if not created and update_fields is not None and set(update_fields) <= set(self.excluded_fields):
            return  # e.g. a login writes User.last_login only
        if not created and not kwargs.get("raw", False) and self._unchanged(instance):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def post_delete(self, instance, using=None, **kwargs):
        if self._enabled():
            super().post_delete(instance, using=using, **kwargs)

    def _visible_names(self, instance) -> list[str]:
        history_model = getattr(instance, self.manager_name).model
        return [f.attname for f in history_model.tracked_fields if f.name not in NOISE_FIELDS]

    def _last_values(self, instance) -> dict | None:
        history_model = getattr(instance, self.manager_name).model
        return (
            history_model.objects.filter(**{instance._meta.pk.attname: instance.pk})
            .order_by("-history_id")
            .values(*self._visible_names(instance))
            .first()
        )

    def _record_baseline(self, instance) -> dict | None:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
        if stored is None:
            return None
        stored._audit_baseline = True
        self.create_historical_record(stored, "~")
        return {name: getattr(stored, name) for name in self._visible_names(stored)}

    def _unchanged(self, instance) -> bool:
        """True when the last historical row already holds every visible value of the instance."""
        last = instance.__dict__.pop("_audit_last", None)
        if last is None:
            last = self._last_values(instance)
        return last is not None and all(last[name] == getattr(instance, name) for name in self._visible_names(instance))

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not self._enabled() or action not in ("pre_add", "pre_remove", "pre_clear", *M2M_POST):
            return
        objects = [instance]
        if reverse:  # group.user_set.add(user): the changed objects are ours, named by pk_set
            objects = list(self.cls._default_manager.filter(pk__in=pk_set)) if pk_set else []
        if action not in M2M_POST:
            for obj in objects:  # the members before the change, for an object without history yet
                if self._last_values(obj) is None:
                    self._record_baseline(obj)
            return
        pending = audit.pending_records()
        for obj in objects:
            record = pending.get((self.cls, obj.pk)) if pending is not None else None
            if record is None:
                self.create_historical_record(obj, "~")
                continue
            # The same request (or audit_context) already wrote this object's row: it takes the new snapshot.
            for field in record._history_m2m_fields:
                self.m2m_models[field].objects.filter(history=record).delete()
            self.create_historical_record_m2ms(record, obj)
