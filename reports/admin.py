"""Relazione records in the admin: read-mostly, since the workflow (approval, validation) lives in services."""

from django.contrib import admin

from reports.models import (
    BilancioLine,
    BudgetLine,
    CycleActivity,
    KeyIndicator,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    Validation,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Validated artefacts and OIV validations are evidence: nobody edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Relazione)
class RelazioneAdmin(admin.ModelAdmin):
    list_display = ["plan", "year", "state", "act_number", "act_date", "updated_at"]
    list_filter = ["state", "year", "plan__ente"]
    search_fields = ["plan__title", "act_number"]
    readonly_fields = ["state", "created_at", "updated_at", "updated_by"]
    list_select_related = ["plan"]


@admin.register(BilancioLine)
class BilancioLineAdmin(admin.ModelAdmin):
    list_display = ["ente", "year", "code", "amount"]
    list_filter = ["ente", "year"]


@admin.register(CycleActivity)
class CycleActivityAdmin(admin.ModelAdmin):
    list_display = ["ente", "order", "activity", "prepares", "adopts", "start_month", "end_month"]
    list_filter = ["ente"]
    search_fields = ["activity"]


@admin.register(BudgetLine, PromoAmount, KeyIndicator)
class RelazioneTableAdmin(admin.ModelAdmin):
    list_filter = ["relazione__year"]


@admin.register(Validation)
class ValidationAdmin(ReadOnlyAdmin):
    list_display = ["relazione", "date", "outcome", "members", "created_by"]
    list_filter = ["outcome"]


@admin.register(RelazioneArtifact)
class RelazioneArtifactAdmin(ReadOnlyAdmin):
    list_display = ["relazione", "kind", "pages", "size", "created_at", "superseded_at"]
    list_filter = ["kind"]
