"""Consuntivi: data-entry rounds, «I miei indicatori», review (issue 5)."""

from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.index, name="index"),
    path("piano/<int:plan_id>/nuova/", views.round_create, name="round_create"),
    path("piano/<int:plan_id>/anno/<int:year>/chiudi/", views.year_close_view, name="year_close"),
    path("rilevazioni/<int:round_id>/", views.round_detail, name="round"),
    path("rilevazioni/<int:round_id>/chiudi/", views.round_close_view, name="round_close"),
    path("rilevazioni/<int:round_id>/riapri/", views.round_reopen_view, name="round_reopen"),
    path("rilevazioni/<int:round_id>/solleciti/", views.round_remind_view, name="round_remind"),
    path("rilevazioni/<int:round_id>/importa/", views.round_import_view, name="round_import"),
    path("rilevazioni/<int:round_id>/miei/", views.mine, name="mine"),
    path("rilevazioni/<int:round_id>/unita/<int:unit_id>/", views.unit_review, name="review"),
    path("rilevazioni/<int:round_id>/unita/<int:unit_id>/salva/", views.unit_save, name="unit_save"),
    path("rilevazioni/<int:round_id>/unita/<int:unit_id>/accetta/", views.unit_accept, name="unit_accept"),
    path("rilevazioni/<int:round_id>/unita/<int:unit_id>/foglio.xlsx", views.unit_sheet_view, name="unit_sheet"),
    path("rilevazioni/<int:round_id>/indicatori/<int:indicator_id>/anteprima/", views.entry_preview, name="preview"),
    path("rilevazioni/<int:round_id>/indicatori/<int:indicator_id>/accetta/", views.indicator_accept, name="accept"),
    path(
        "rilevazioni/<int:round_id>/indicatori/<int:indicator_id>/restituisci/",
        views.indicator_return,
        name="return",
    ),
    path("rilevazioni/<int:round_id>/indicatori/<int:indicator_id>/manuale/", views.indicator_manual, name="manual"),
    path("rilevazioni/<int:round_id>/indicatori/<int:indicator_id>/storico/", views.indicator_history, name="history"),
    path("allegati/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("allegati/<int:evidence_id>/elimina/", views.evidence_delete_view, name="evidence_delete"),
]
