"""Rounds, consuntivi, their history and evidence are read here and changed in the app (perfplan.admin_base)."""

from django.contrib import admin

from consuntivi.models import Evidence, Measurement, MeasurementChange, Round
from perfplan.admin_base import AuditedAdmin, ReadOnlyAdmin

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Round)
class RoundAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["__str__", "plan", "year", "period", "state", "final", "deadline"]
    list_filter = [("plan", RelatedOnly), "year", "period", "state", "final"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    ente_path = "indicator__objective__plan__ente"
    list_display = ["indicator", "year", "raw", "value_number", "status", "manual_achievement", "updated_at"]
    list_filter = ["year", "status", ("round", RelatedOnly)]
    search_fields = ["indicator__name", "indicator__code", "note", "manual_reason"]
    list_select_related = ["indicator", "round"]


@admin.register(MeasurementChange)
class MeasurementChangeAdmin(ReadOnlyAdmin):
    """The audit history of consuntivi: readable, never editable."""

    ente_path = "measurement__indicator__objective__plan__ente"
    list_display = ["at", "measurement", "user", "action", "field", "old_value", "new_value"]
    search_fields = ["measurement__indicator__name", "old_value", "new_value"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    ente_path = "measurement__indicator__objective__plan__ente"
    list_display = ["measurement", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name"]
