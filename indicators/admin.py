from django.contrib import admin

from indicators.models import Baseline, Evidence, Indicator, Measurement, MeasurementChange, Round, Target


class BaselineInline(admin.TabularInline):
    model = Baseline
    extra = 0


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["year", "version", "is_current", "raw", "kind", "comparator", "number", "deadline", "reason"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "objective", "unit", "polarity", "weight", "derived"]
    list_filter = ["objective__plan", "unit", "polarity", "derived"]
    search_fields = ["code", "benchmark_code", "name", "objective__code", "formula"]
    autocomplete_fields = ["objective"]
    list_select_related = ["objective"]
    inlines = [BaselineInline, TargetInline]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "version", "is_current", "raw", "kind"]
    list_filter = ["year", "kind", "is_current", "indicator__objective__plan"]
    search_fields = ["raw", "indicator__name", "indicator__code"]
    autocomplete_fields = ["indicator"]
    list_select_related = ["indicator"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plan", "year", "period", "state", "final", "deadline"]
    list_filter = ["plan", "year", "period", "state", "final"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "raw", "value_number", "status", "manual_achievement", "updated_at"]
    list_filter = ["year", "status", "round"]
    search_fields = ["indicator__name", "indicator__code", "note", "manual_reason"]
    autocomplete_fields = ["indicator"]
    list_select_related = ["indicator", "round"]


@admin.register(MeasurementChange)
class MeasurementChangeAdmin(admin.ModelAdmin):
    """The audit history of consuntivi: readable, never editable."""

    list_display = ["at", "measurement", "user", "action", "field", "old_value", "new_value"]
    search_fields = ["measurement__indicator__name", "old_value", "new_value"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["measurement", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name"]


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "raw", "value"]
    search_fields = ["indicator__name", "indicator__code", "raw"]
    autocomplete_fields = ["indicator"]
    list_select_related = ["indicator"]
