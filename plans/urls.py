from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/esporta.xlsx", views.plan_export_view, name="export"),
    path("modello.xlsx", views.template_download, name="template"),
]
