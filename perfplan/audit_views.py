"""The audit page (/storico/): every change of the user's ente, filtered, paginated and exported as xlsx."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from openpyxl.styles import Font

from perfplan.audit_selectors import AuditFilters, audit_export_rows, audit_page, audit_users, kind_choices
from perfplan.formats import datetime_it
from perfplan.permissions import Action, permission_required
from perfplan.xlsx_safe import append_row, new_workbook, text_cell, workbook_bytes
from plans.forms import StyledForm
from plans.selectors import plans_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADERS = ["Data", "Utente", "Tipo", "Oggetto", "Operazione", "Campo", "Prima", "Dopo", "Motivazione"]
EXPORT_WIDTHS = [17, 18, 18, 40, 13, 24, 40, 40, 40]


class AuditFilterForm(StyledForm):
    """The audit page's filters (GET): they never change data."""

    piano = forms.TypedChoiceField(label="Piano", coerce=int, required=False, empty_value=None)
    tipo = forms.ChoiceField(label="Tipo di oggetto", required=False)
    utente = forms.TypedChoiceField(label="Utente", coerce=int, required=False, empty_value=None)
    dal = forms.DateField(label="Dal", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    al = forms.DateField(label="Al", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label="Cerca", required=False, max_length=100, help_text="Nell'oggetto e nella motivazione.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        plans = plans_visible_to(user=user).order_by("-start_year", "title").values_list("pk", "title")
        self.fields["piano"].choices = [("", "Tutti i piani"), *plans]
        self.fields["tipo"].choices = [("", "Tutti i tipi"), *kind_choices()]
        users = audit_users(user=user).values_list("pk", "username")
        self.fields["utente"].choices = [("", "Tutti gli utenti"), *users]

    def filters(self) -> AuditFilters:
        if not self.is_bound or not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(
            plan_id=data["piano"],
            kind=data["tipo"],
            user_id=data["utente"],
            date_from=data["dal"],
            date_to=data["al"],
            q=data["q"].strip(),
        )


def _form(request) -> AuditFilterForm:
    return AuditFilterForm(request.GET or None, user=request.user)


@permission_required(Action.AUDIT_READ)
def audit_index(request):
    form = _form(request)
    filters = form.filters()
    result = audit_page(user=request.user, filters=filters, page_number=request.GET.get("pagina", 1))
    query = request.GET.copy()
    query.pop("pagina", None)
    context = {"form": form, "filters": filters, "page": result.page, "rows": result.rows, "query": query.urlencode()}
    return render(request, "audit/index.html", context)


@permission_required(Action.AUDIT_READ)
def audit_export(request):
    filters = _form(request).filters()
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet("Storico delle modifiche")
    for index, width in enumerate(EXPORT_WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title in EXPORT_HEADERS:
        cell = text_cell(ws, title)
        cell.font = Font(bold=True)
        header.append(cell)
    append_row(ws, header)
    for row in audit_export_rows(user=request.user, filters=filters):
        when = datetime_it(timezone.localtime(row.when), seconds=True)
        values = [when, str(row.user) if row.user else "Sistema", row.kind, row.label, row.action]
        values += [row.field, row.old, row.new, row.why]
        append_row(ws, values)  # a value such as "=1+1" is text, never a spreadsheet formula
    response = HttpResponse(workbook_bytes(wb), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="storico-modifiche-{stamp}.xlsx"'
    return response


app_name = "audit"
urlpatterns = [
    path("", audit_index, name="index"),
    path("storico.xlsx", audit_export, name="export"),
]
