"""Scores: performance per unità organizzativa and the ente's overall score (issue 3)."""

from django.urls import path  # noqa: F401

app_name = "scores"

urlpatterns: list = []
