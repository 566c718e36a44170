"""Indicators, baselines and targets are read here and changed in the app (perfplan.admin_base)."""

from django.contrib import admin

from indicators.models import Baseline, Indicator, Target
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


@admin.register(Baseline)
class BaselineAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "indicator__objective__plan__ente"
    list_display = ["indicator", "year", "raw", "value"]
    search_fields = ["indicator__name", "indicator__code", "raw"]
    list_select_related = ["indicator"]
