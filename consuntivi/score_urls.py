"""Scores: performance per unità organizzativa, the ente's overall score, the objectives at risk (issues 3, 16)."""

from django.urls import path

from consuntivi import score_views

app_name = "scores"

urlpatterns = [
    path("<id:plan_id>/unita/", score_views.unit_scores, name="units"),
    path("<id:plan_id>/rischi/", score_views.risks, name="risks"),
    path("<id:plan_id>/rischi/<id:round_id>/segnala/", score_views.risk_flag, name="risk_flag"),
    path("<id:plan_id>/rischi/<id:round_id>/rimuovi/<id:indicator_id>/", score_views.risk_unflag, name="risk_unflag"),
    path(
        "<id:plan_id>/rischi/<id:round_id>/rapporto.<str:fmt>",
        score_views.monitoring_download,
        name="monitoring_download",
    ),
]
