"""Scores: performance per unità organizzativa and the ente's overall score (issue 3)."""

from django.urls import path

from consuntivi import score_views

app_name = "scores"

urlpatterns = [
    path("<id:plan_id>/unita/", score_views.unit_scores, name="units"),
]
