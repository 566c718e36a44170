"""The admin obeys the app's rules: one ente per staff user, plan data read-only, history never written.

- `EnteScopedAdmin`: lists, opens and saves only the objects of the staff user's ente (a superuser: all); access is
  the permissions table's `Action.ADMIN_SITE` (perfplan.permissions), not Django's per-model permissions.
- `ReadOnlyAdmin`: plan data, Relazione data and every record of what happened (revisions, consuntivi changes, year
  moves, artefacts): the planning office changes them through the app, where the lifecycle guard, the rounding,
  the target notation and the revisions apply.
- `SpreadsheetAdminMixin`: xlsx import (with its dry-run preview) and export of an ente's rows (django-import-export).
- `AuditedAdmin`: the object's simple-history «Cronologia», read-only (SIMPLE_HISTORY_REVERT_DISABLED) and scoped
  like the object.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm
from simple_history.admin import SimpleHistoryAdmin

from perfplan.permissions import Action, can
from perfplan.roles import user_ente


def scope_to_ente(queryset, user, path: str):
    """The objects of the user's ente (`path` leads from the model to its Ente); a superuser sees all."""
    if user.is_superuser:
        return queryset
    ente = user_ente(user)
    if ente is None:
        return queryset.none()
    return queryset.filter(**{path: ente.pk})


class EnteScopedAdmin(admin.ModelAdmin):
    ente_path = "ente"  # the lookup from the model to its Ente ("pk" for Ente itself)

    def get_queryset(self, request):
        return scope_to_ente(super().get_queryset(request), request.user, self.ente_path)

    def _allowed(self, request) -> bool:
        return can(request.user, Action.ADMIN_SITE)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request) and (request.user.is_superuser or user_ente(request.user) is not None)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


class ReadOnlyMixin:
    """Readable, never added, changed or deleted here: the one read-only rule, for pages and inlines alike."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, EnteScopedAdmin):
    """An ente's objects, read-only."""


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """The rows under a read-only object, shown to whoever may use the admin site."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.ADMIN_SITE)


class AuditedAdmin(SimpleHistoryAdmin):
    """The «Cronologia» of an audited object: only for objects the user may open, and never a revert."""

    def _check_scope(self, request, object_id) -> None:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404("Oggetto non trovato.")

    def history_view(self, request, object_id, extra_context=None):
        self._check_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("Lo storico si consulta soltanto: nessun ripristino dall'amministrazione.")
        self._check_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


# Django stores permission names in English when it creates them («Can add baseline»); the admin shows them in
# Italian, from the codename and the model's (Italian) verbose_name, without touching the stored rows.
PERMISSION_VERBS = {
    "add": "Può aggiungere",
    "change": "Può modificare",
    "delete": "Può eliminare",
    "view": "Può vedere",
}


def permission_label(permission) -> str:
    """«Piani e organizzazione | piano | Può aggiungere piano» for Django's «plans | piano | Can add piano»."""
    verb, _, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if verb in PERMISSION_VERBS and model is not None and model._meta.model_name == model_name:
        app = model._meta.app_config.verbose_name
        return f"{app} | {model._meta.verbose_name} | {PERMISSION_VERBS[verb]} {model._meta.verbose_name}"
    return str(permission)


class ItalianPermissionsMixin:
    """A user's or group's permissions listed with their Italian labels (permission_label)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


class ColumnNamesExportForm(SelectableFieldsExportForm):
    """The fields to export labelled by their spreadsheet columns («Codice»), not by «Code (Codice)»: the package
    builds the label from the Python attribute's name, in English."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        for resource in resources:
            for name, field in resource.fields.items():
                key = self.create_boolean_field_name(resource, name)
                if key in self.fields and field.column_name:
                    self.fields[key].label = field.column_name


class SpreadsheetAdminMixin(ImportExportMixin):
    """django-import-export on an ente's admin page: xlsx (and csv) in and out, for the Amministratore only.

    The resource gets the user (`user=`) and scopes every row to their ente; the export reads the page's own
    queryset, already scoped (EnteScopedAdmin). Errors show their message only, never a traceback."""

    formats = (base_formats.XLSX, base_formats.CSV)
    import_error_display = ("message",)
    import_template_name = "admin/perfplan/import.html"
    export_template_name = "admin/perfplan/export.html"
    export_form_class = ColumnNamesExportForm

    def _may_transfer(self, request) -> bool:
        return can(request.user, Action.ADMIN_SITE) and (
            request.user.is_superuser or user_ente(request.user) is not None
        )

    def has_import_permission(self, request) -> bool:
        return self._may_transfer(request)

    def has_export_permission(self, request) -> bool:
        return self._may_transfer(request)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}
