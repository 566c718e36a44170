"""Relazione records in the admin: read-only, since texts, tables and the workflow live in services and pages."""

from django.contrib import admin

from perfplan.admin_base import AuditedAdmin, ReadOnlyAdmin
from reports.models import (
    BilancioLine,
    BudgetLine,
    ClarificationMessage,
    ClarificationRequest,
    CycleActivity,
    KeyIndicator,
    PaperDocument,
    PaperNote,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    Validation,
)

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Relazione)
class RelazioneAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["plan", "year", "state", "act_number", "act_date", "updated_at"]
    list_filter = ["state", "year", ("plan__ente", RelatedOnly)]
    search_fields = ["plan__title", "act_number"]
    list_select_related = ["plan"]


@admin.register(BilancioLine)
class BilancioLineAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ["ente", "year", "code", "amount"]
    list_filter = [("ente", RelatedOnly), "year"]


@admin.register(CycleActivity)
class CycleActivityAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ["ente", "order", "activity", "prepares", "adopts", "start_month", "end_month"]
    list_filter = [("ente", RelatedOnly)]
    search_fields = ["activity"]


@admin.register(BudgetLine, PromoAmount, KeyIndicator)
class RelazioneTableAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "relazione__plan__ente"
    list_filter = ["relazione__year"]


@admin.register(Validation)
class ValidationAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "relazione__plan__ente"
    list_display = ["relazione", "date", "outcome", "members", "created_by"]
    list_filter = ["outcome"]


@admin.register(RelazioneArtifact)
class RelazioneArtifactAdmin(ReadOnlyAdmin):
    ente_path = "relazione__plan__ente"
    list_display = ["relazione", "kind", "pages", "size", "created_at", "superseded_at"]
    list_filter = ["kind"]


@admin.register(ClarificationRequest)
class ClarificationRequestAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "relazione__plan__ente"
    list_display = ["relazione", "subject", "state", "created_at", "closed_at"]
    list_filter = ["state"]
    search_fields = ["subject"]


@admin.register(ClarificationMessage)
class ClarificationMessageAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "request__relazione__plan__ente"
    list_display = ["request", "side", "author", "created_at"]
    list_filter = ["side"]


@admin.register(PaperNote)
class PaperNoteAdmin(AuditedAdmin, ReadOnlyAdmin):
    """The OIV's notes are its own: the admin lists which exist, not what they say."""

    ente_path = "relazione__plan__ente"
    list_display = ["relazione", "topic", "revision", "updated_at", "updated_by"]
    exclude = ["text"]


@admin.register(PaperDocument)
class PaperDocumentAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "relazione__plan__ente"
    list_display = ["relazione", "title", "original_name", "size", "sha256", "uploaded_at"]
