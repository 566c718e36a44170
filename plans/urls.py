from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("nuovo/", views.plan_create, name="create"),
    path("modello.xlsx", views.template_download, name="template"),
    path("anteprima-target/", views.target_preview, name="target_preview"),
    path("importa/", views.import_upload, name="import"),
    path("importa/<str:token>/", views.import_preview, name="import_preview"),
    path("importa/<str:token>/analisi/", views.import_analysis, name="import_analysis"),
    path("importa/<str:token>/conferma/", views.import_confirm, name="import_confirm"),
    path("importa/<str:token>/annulla/", views.import_cancel, name="import_cancel"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/stampa/", views.plan_print, name="print"),
    path("<int:plan_id>/esporta.xlsx", views.plan_export_view, name="export"),
    path("<int:plan_id>/revisioni/", views.plan_revision_list, name="revisions"),
    path("<int:plan_id>/perche/<str:kind>/<int:pk>/", views.score_why, name="why"),
    path("<int:plan_id>/adotta/", views.plan_adopt, name="adopt"),
    path("<int:plan_id>/copia/", views.plan_copy, name="copy"),
    path("<int:plan_id>/regole/", views.plan_rules, name="rules"),
    path("<int:plan_id>/pesi/", views.weights_edit, name="weights_roots"),
    path("<int:plan_id>/obiettivi/nuovo/", views.objective_create, name="objective_create"),
    path("<int:plan_id>/obiettivi/<int:parent_id>/nuovo/", views.objective_create, name="objective_create_child"),
    path("<int:plan_id>/obiettivi/<int:objective_id>/", views.objective_detail, name="objective"),
    path("<int:plan_id>/obiettivi/<int:objective_id>/modifica/", views.objective_edit, name="objective_edit"),
    path("<int:plan_id>/obiettivi/<int:objective_id>/sposta/", views.objective_move, name="objective_move"),
    path("<int:plan_id>/obiettivi/<int:objective_id>/elimina/", views.objective_delete, name="objective_delete"),
    path("<int:plan_id>/obiettivi/<int:objective_id>/pesi/", views.weights_edit, name="weights_children"),
    path(
        "<int:plan_id>/obiettivi/<int:objective_id>/pesi-indicatori/",
        views.weights_edit,
        {"of": "indicatori"},
        name="weights_indicators",
    ),
    path(
        "<int:plan_id>/obiettivi/<int:objective_id>/indicatori/nuovo/", views.indicator_create, name="indicator_create"
    ),
    path("<int:plan_id>/indicatori/<int:indicator_id>/modifica/", views.indicator_edit, name="indicator_edit"),
    path("<int:plan_id>/indicatori/<int:indicator_id>/elimina/", views.indicator_delete, name="indicator_delete"),
    path("<int:plan_id>/indicatori/<int:indicator_id>/target/<int:year>/", views.target_edit, name="target_edit"),
]
