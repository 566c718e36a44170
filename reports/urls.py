"""Relazione sulla performance (issue 6)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.relazione_index, name="index"),
    path("<id:plan_id>/<id:year>/", views.relazione_detail, name="detail"),
    path("<id:plan_id>/<id:year>/modifica/", views.relazione_edit, name="edit"),
    path("<id:plan_id>/<id:year>/approva/", views.relazione_approve, name="approve"),
    path("<id:plan_id>/<id:year>/valida/", views.relazione_validate, name="validate"),
    path("<id:plan_id>/<id:year>/riapri/", views.relazione_reopen, name="reopen"),
    path("<id:plan_id>/<id:year>/genera-pdf/", views.relazione_render, name="render"),
    path("<id:plan_id>/<id:year>/lavori/<id:job_id>/", views.relazione_job, name="job"),
    path("<id:plan_id>/<id:year>/relazione.pdf", views.relazione_pdf, name="pdf"),
    path("<id:plan_id>/<id:year>/anteprima.pdf", views.relazione_draft_pdf, name="draft_pdf"),
    path("<id:plan_id>/<id:year>/storico/<id:artifact_id>.pdf", views.relazione_history_pdf, name="history_pdf"),
    path("<id:plan_id>/<id:year>/validazione-firmata.pdf", views.relazione_attachment, name="attachment"),
    path("<id:plan_id>/<id:year>/documento-validazione.pdf", views.relazione_document, name="document"),
    path("<id:plan_id>/<id:year>/documento-firmato/", views.relazione_upload_signed, name="upload_signed"),
    path("<id:plan_id>/<id:year>/tabelle.xlsx", views.relazione_export, name="xlsx"),
    path("<id:plan_id>/<id:year>/carte/", views.relazione_papers, name="papers"),
    path("<id:plan_id>/<id:year>/carte/nota/", views.paper_note, name="paper_note"),
    path("<id:plan_id>/<id:year>/carte/richieste/", views.clarification_open, name="clarification_open"),
    path(
        "<id:plan_id>/<id:year>/carte/richieste/<id:request_id>/risposta/",
        views.clarification_answer,
        name="clarification_answer",
    ),
    path(
        "<id:plan_id>/<id:year>/carte/richieste/<id:request_id>/messaggio/",
        views.clarification_follow_up,
        name="clarification_follow_up",
    ),
    path(
        "<id:plan_id>/<id:year>/carte/richieste/<id:request_id>/chiudi/",
        views.clarification_close,
        name="clarification_close",
    ),
    path("<id:plan_id>/<id:year>/carte/documenti/", views.paper_document_add, name="paper_document_add"),
    path("<id:plan_id>/<id:year>/carte/documenti/<id:document_id>/", views.paper_document, name="paper_document"),
]
