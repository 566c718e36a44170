"""Consuntivi: data-entry rounds, «I miei indicatori», review (issue 5)."""

from django.urls import path

from consuntivi import views

app_name = "consuntivi"

urlpatterns = [
    path("", views.index, name="index"),
    path("piano/<id:plan_id>/nuova/", views.round_create, name="round_create"),
    path("piano/<id:plan_id>/anno/<id:year>/chiudi/", views.year_close_view, name="year_close"),
    path("rilevazioni/<id:round_id>/", views.round_detail, name="round"),
    path("rilevazioni/<id:round_id>/chiudi/", views.round_close_view, name="round_close"),
    path("rilevazioni/<id:round_id>/riapri/", views.round_reopen_view, name="round_reopen"),
    path("rilevazioni/<id:round_id>/solleciti/", views.round_remind_view, name="round_remind"),
    path("rilevazioni/<id:round_id>/solleciti/<id:job_id>/", views.remind_job, name="remind_job"),
    path("rilevazioni/<id:round_id>/importa/", views.round_import_view, name="round_import"),
    path("rilevazioni/<id:round_id>/miei/", views.mine, name="mine"),
    path("rilevazioni/<id:round_id>/unita/<id:unit_id>/", views.unit_review, name="review"),
    path("rilevazioni/<id:round_id>/unita/<id:unit_id>/salva/", views.unit_save, name="unit_save"),
    path("rilevazioni/<id:round_id>/unita/<id:unit_id>/accetta/", views.unit_accept, name="unit_accept"),
    path("rilevazioni/<id:round_id>/unita/<id:unit_id>/foglio.xlsx", views.unit_sheet_view, name="unit_sheet"),
    path("rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/anteprima/", views.entry_preview, name="preview"),
    path(
        "rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/salva/",
        views.measurement_save_view,
        name="measurement_save",
    ),
    path("rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/accetta/", views.indicator_accept, name="accept"),
    path(
        "rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/restituisci/",
        views.indicator_return,
        name="return",
    ),
    path("rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/manuale/", views.indicator_manual, name="manual"),
    path("rilevazioni/<id:round_id>/indicatori/<id:indicator_id>/storico/", views.indicator_history, name="history"),
    path("allegati/<id:evidence_id>/", views.evidence_download, name="evidence"),
    path("allegati/<id:evidence_id>/elimina/", views.evidence_delete_view, name="evidence_delete"),
]
