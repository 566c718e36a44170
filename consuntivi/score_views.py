"""Scores pages: the ente's overall score and the performance per unità organizzativa."""

from django.http import Http404
from django.shortcuts import render

from consuntivi.scores import plan_score, unit_score_lines
from perfplan.collector import collector_paused
from perfplan.permissions import Action, permission_required
from plans.selectors import plan_for_user


@permission_required(Action.READ)
@collector_paused
def unit_scores(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    try:
        year = int(request.GET.get("anno") or plan.start_year)
    except ValueError as exc:
        raise Http404("Anno non valido") from exc
    if year not in plan.years:
        raise Http404("Anno fuori dal piano")
    scoring = plan_score(plan=plan, year=year)
    context = {
        "plan": plan,
        "year": year,
        "years": plan.years,
        "ente_score": scoring.result,
        "lines": unit_score_lines(scoring=scoring),
    }
    return render(request, "scores/units.html", context)
