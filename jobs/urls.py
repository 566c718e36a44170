"""The documents a job makes to download (PIAO section 2, monitoring report): their progress, then their file."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("documenti/<id:job_id>/", views.document_job, name="document"),
    path("documenti/<id:job_id>/file", views.document_file, name="document_file"),
]
