"""Indicators, targets and consuntivi are read here and changed in the app (perfplan.admin_base)."""

from django.contrib import admin

from indicators.models import Baseline, Evidence, Indicator, Measurement, MeasurementChange, Round, Target
from perfplan.admin_base import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline

RelatedOnly = admin.RelatedOnlyFieldListFilter


class BaselineInline(ReadOnlyInline):
    model = Baseline


class TargetInline(ReadOnlyInline):
    model = Target
    fields = ["year", "version", "is_current", "raw", "kind", "comparator", "number", "deadline", "reason"]


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "objective__plan__ente"
    list_display = ["code", "name", "objective", "unit", "polarity", "weight", "derived"]
    list_filter = [("objective__plan", RelatedOnly), "unit", "polarity", "derived"]
    search_fields = ["code", "benchmark_code", "name", "objective__code", "formula"]
    list_select_related = ["objective"]
    inlines = [BaselineInline, TargetInline]


@admin.register(Target)
class TargetAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "indicator__objective__plan__ente"
    list_display = ["indicator", "year", "version", "is_current", "raw", "kind"]
    list_filter = ["year", "kind", "is_current", ("indicator__objective__plan", RelatedOnly)]
    search_fields = ["raw", "indicator__name", "indicator__code"]
    list_select_related = ["indicator"]


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


@admin.register(Baseline)
class BaselineAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "indicator__objective__plan__ente"
    list_display = ["indicator", "year", "raw", "value"]
    search_fields = ["indicator__name", "indicator__code", "raw"]
    list_select_related = ["indicator"]
