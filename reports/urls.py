"""Relazione sulla performance (issue 6)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.relazione_index, name="index"),
    path("<int:plan_id>/<int:year>/", views.relazione_detail, name="detail"),
    path("<int:plan_id>/<int:year>/modifica/", views.relazione_edit, name="edit"),
    path("<int:plan_id>/<int:year>/approva/", views.relazione_approve, name="approve"),
    path("<int:plan_id>/<int:year>/valida/", views.relazione_validate, name="validate"),
    path("<int:plan_id>/<int:year>/riapri/", views.relazione_reopen, name="reopen"),
    path("<int:plan_id>/<int:year>/genera-pdf/", views.relazione_render, name="render"),
    path("<int:plan_id>/<int:year>/relazione.pdf", views.relazione_pdf, name="pdf"),
    path("<int:plan_id>/<int:year>/anteprima.pdf", views.relazione_draft_pdf, name="draft_pdf"),
    path("<int:plan_id>/<int:year>/storico/<int:artifact_id>.pdf", views.relazione_history_pdf, name="history_pdf"),
    path("<int:plan_id>/<int:year>/validazione-firmata.pdf", views.relazione_attachment, name="attachment"),
    path("<int:plan_id>/<int:year>/tabelle.xlsx", views.relazione_export, name="xlsx"),
]
