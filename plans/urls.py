from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("nuovo/", views.plan_create, name="create"),
    path("modello.xlsx", views.template_download, name="template"),
    path("anteprima-target/", views.target_preview, name="target_preview"),
    path("importa/", views.import_upload, name="import"),
    path("importa/lavori/<id:job_id>/", views.import_job, name="import_job"),
    path("importa/<str:token>/", views.import_preview, name="import_preview"),
    path("importa/<str:token>/analisi/", views.import_analysis, name="import_analysis"),
    path("importa/<str:token>/conferma/", views.import_confirm, name="import_confirm"),
    path("importa/<str:token>/annulla/", views.import_cancel, name="import_cancel"),
    path("<id:plan_id>/", views.plan_detail, name="detail"),
    path("<id:plan_id>/stampa/", views.plan_print, name="print"),
    path("<id:plan_id>/esporta.xlsx", views.plan_export_view, name="export"),
    path("<id:plan_id>/revisioni/", views.plan_revision_list, name="revisions"),
    path("<id:plan_id>/perche/<str:kind>/<id:pk>/", views.score_why, name="why"),
    path("<id:plan_id>/adotta/", views.plan_adopt, name="adopt"),
    path("<id:plan_id>/copia/", views.plan_copy, name="copy"),
    path("<id:plan_id>/regole/", views.plan_rules, name="rules"),
    path("<id:plan_id>/pesi/", views.weights_edit, name="weights_roots"),
    path("<id:plan_id>/obiettivi/nuovo/", views.objective_create, name="objective_create"),
    path("<id:plan_id>/obiettivi/<id:parent_id>/nuovo/", views.objective_create, name="objective_create_child"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/", views.objective_detail, name="objective"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/figli/", views.objective_children, name="objective_children"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/modifica/", views.objective_edit, name="objective_edit"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/sposta/", views.objective_move, name="objective_move"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/elimina/", views.objective_delete, name="objective_delete"),
    path("<id:plan_id>/obiettivi/<id:objective_id>/pesi/", views.weights_edit, name="weights_children"),
    path(
        "<id:plan_id>/obiettivi/<id:objective_id>/pesi-indicatori/",
        views.weights_edit,
        {"of": "indicatori"},
        name="weights_indicators",
    ),
    path("<id:plan_id>/obiettivi/<id:objective_id>/indicatori/nuovo/", views.indicator_create, name="indicator_create"),
    path("<id:plan_id>/indicatori-catalogo.xlsx", views.catalogue_values_export, name="catalogue_values"),
    path(
        "<id:plan_id>/obiettivi/<id:objective_id>/indicatori/catalogo/",
        views.catalogue_insert,
        name="catalogue_insert",
    ),
    path("<id:plan_id>/indicatori/<id:indicator_id>/modifica/", views.indicator_edit, name="indicator_edit"),
    path("<id:plan_id>/indicatori/<id:indicator_id>/elimina/", views.indicator_delete, name="indicator_delete"),
    path("<id:plan_id>/indicatori/<id:indicator_id>/target/<id:year>/", views.target_edit, name="target_edit"),
    path("<id:plan_id>/valore-pubblico/", views.public_values, name="public_values"),
    path("<id:plan_id>/valore-pubblico/documento/", views.plan_kind, name="plan_kind"),
    path("<id:plan_id>/valore-pubblico/nuovo/", views.public_value_create, name="public_value_create"),
    path(
        "<id:plan_id>/valore-pubblico/<id:public_value_id>/modifica/", views.public_value_edit, name="public_value_edit"
    ),
    path(
        "<id:plan_id>/valore-pubblico/<id:public_value_id>/elimina/",
        views.public_value_delete,
        name="public_value_delete",
    ),
    path(
        "<id:plan_id>/valore-pubblico/<id:public_value_id>/indicatori/nuovo/",
        views.impact_indicator_create,
        name="impact_indicator_create",
    ),
    path(
        "<id:plan_id>/indicatori-impatto/<id:indicator_id>/modifica/",
        views.impact_indicator_edit,
        name="impact_indicator_edit",
    ),
    path(
        "<id:plan_id>/indicatori-impatto/<id:indicator_id>/elimina/",
        views.impact_indicator_delete,
        name="impact_indicator_delete",
    ),
    path("<id:plan_id>/misure-2-3/nuova/", views.risk_measure_create, name="risk_measure_create"),
    path("<id:plan_id>/misure-2-3/<id:measure_id>/elimina/", views.risk_measure_delete, name="risk_measure_delete"),
    path("<id:plan_id>/sezione-2/<id:year>.<str:fmt>", views.piao_document, name="piao_document"),
]
