"""Consuntivi: data-entry rounds, «I miei indicatori», review (issue 5)."""

from django.urls import path  # noqa: F401

app_name = "indicators"

urlpatterns: list = []
