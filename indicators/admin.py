"""Indicators, baselines and targets are read here and changed in the app (perfplan.admin_base); the indicator
catalogue is managed here, from forms and spreadsheets (plans.resources.CatalogueResource)."""

from django.contrib import admin
from django.db.models import Q

from indicators.models import Baseline, CatalogueIndicator, Indicator, Target
from perfplan.admin_base import AuditedAdmin, EnteScopedAdmin, ReadOnlyAdmin, ReadOnlyInline, SpreadsheetAdminMixin
from perfplan.forms import FitsModelForm
from perfplan.roles import user_ente
from plans.models import Ente
from plans.resources import CatalogueResource

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


@admin.register(CatalogueIndicator)
class CatalogueIndicatorAdmin(SpreadsheetAdminMixin, EnteScopedAdmin):
    """The common entries (built in: read-only here) and the ente's own, which its administrator adds and changes."""

    resource_classes = [CatalogueResource]
    form = FitsModelForm
    list_display = ["code", "name", "unit", "polarity", "area", "ente", "built_in", "verified"]
    list_filter = ["built_in", "verified", "area", "unit"]
    search_fields = ["code", "name", "description", "formula"]
    list_select_related = ["ente"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        ente = user_ente(request.user)
        return queryset.filter(Q(ente__isnull=True) | Q(ente=ente.pk if ente else None))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.built_in and not request.user.is_superuser:
            return [f.name for f in self.model._meta.fields]
        return ["built_in"] if not request.user.is_superuser else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self._own(request, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or self._own(request, obj))

    def _own(self, request, obj) -> bool:
        """A common entry is changed by a superuser only; an ente's entry by that ente's administrator."""
        return request.user.is_superuser or (
            obj.ente_id is not None and obj.ente_id == getattr(user_ente(request.user), "pk", None)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ente" and not request.user.is_superuser:
            ente = user_ente(request.user)
            kwargs["queryset"] = Ente.objects.filter(pk=ente.pk if ente else None)
            kwargs["initial"] = ente
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
