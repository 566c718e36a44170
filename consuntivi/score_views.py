"""Scores pages: the ente's overall score, the performance per unità organizzativa, the objectives at risk.

Each page shows the year at its end (the final round) or, with «Situazione al», as it stood at the end of one of its
rounds' period (consuntivi.scores, consuntivi.monitoring).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from consuntivi.forms import RiskFlagForm
from consuntivi.models import Round
from consuntivi.monitoring import monitoring_state
from consuntivi.scores import plan_score, unit_score_lines, year_rounds
from consuntivi.selectors import round_data, user_unit_ids
from consuntivi.services import risk_flag_clear, risk_flag_set
from jobs.models import JobKind
from jobs.services import document_job_start, recent_documents
from jobs.views import DOCUMENT_BUTTONS, document_request
from perfplan.collector import collector_paused
from perfplan.permissions import Action, can, permission_required
from plans.selectors import plan_for_user

DOCUMENT_TYPES = ("pdf", "docx")


def _year(request, plan) -> int:
    try:
        year = int(request.GET.get("anno") or plan.start_year)
    except ValueError as exc:
        raise Http404("Anno non valido") from exc
    if year not in plan.years:
        raise Http404("Anno fuori dal piano")
    return year


def _chosen_round(request, rounds: list[Round], *, default_latest: bool = False) -> Round | None:
    """The round of «Situazione al» (?rilevazione=ID among the year's rounds); None: the year's final state, or
    with `default_latest` the latest non-final round when none is asked for (the monitoring is mid-year)."""
    raw = request.GET.get("rilevazione")
    if raw:
        chosen = next((r for r in rounds if str(r.pk) == raw), None)
        if chosen is None:
            raise Http404("Rilevazione non trovata")
        return chosen
    if default_latest:
        mid_year = [r for r in rounds if not r.final]
        return mid_year[-1] if mid_year else (rounds[-1] if rounds else None)
    return None


@permission_required(Action.READ)
@collector_paused
def unit_scores(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year = _year(request, plan)
    rounds = year_rounds(plan=plan, year=year)
    data_round = _chosen_round(request, rounds)
    scoring = plan_score(plan=plan, year=year, data_round=data_round)
    context = {
        "plan": plan,
        "year": year,
        "years": plan.years,
        "rounds": [r for r in rounds if not r.final],
        "data_round": scoring.round,
        "ente_score": scoring.result,
        "lines": unit_score_lines(scoring=scoring),
    }
    return render(request, "scores/units.html", context)


@permission_required(Action.READ)
@collector_paused
def risks(request, plan_id: int):
    """The objectives at risk at the end of a round's period, the indicators without value, the report downloads;
    a Responsabile also flags their own indicators here."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year = _year(request, plan)
    rounds = year_rounds(plan=plan, year=year)
    data_round = _chosen_round(request, rounds, default_latest=True)
    state = monitoring_state(plan=plan, year=year, data_round=data_round) if data_round else None
    flaggable, form = [], None
    if state is not None and can(request.user, Action.MEASUREMENT_ENTER):
        data = round_data(data_round=data_round, unit_ids=user_unit_ids(user=request.user, data_round=data_round))
        flaggable = [row.indicator for block in data.blocks for row in block.rows]
        if flaggable:
            form = RiskFlagForm(indicators=flaggable)
    proposals = {}
    if state is not None and can(request.user, Action.PLAN_EDIT):
        for item in state.objectives:
            for risk in item.indicators:
                target_url = reverse("plans:target_edit", args=[plan.pk, risk.indicator.pk, year])
                query = urlencode({"motivo": risk.proposal_reason(state.period_end)})
                proposals[risk.indicator.pk] = f"{target_url}?{query}"
    context = {
        "plan": plan,
        "year": year,
        "years": plan.years,
        "rounds": rounds,
        "proposals": proposals,
        "data_round": data_round,
        "state": state,
        "form": form,
        "own": {ind.pk for ind in flaggable},
        "documents": _documents(request, data_round) if data_round else [],
        "formats": DOCUMENT_BUTTONS,
    }
    return render(request, "scores/risks.html", context)


def _round_of_plan(request, plan_id: int, round_id: int) -> Round:
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    data_round = Round.objects.filter(plan=plan, pk=round_id).select_related("plan__ente").first()
    if data_round is None:
        raise Http404("Rilevazione non trovata")
    return data_round


def _risks_url(data_round: Round) -> str:
    return reverse("scores:risks", args=[data_round.plan_id]) + f"?anno={data_round.year}&rilevazione={data_round.pk}"


def _back(data_round: Round):
    return redirect(_risks_url(data_round))


@require_POST
@permission_required(Action.MEASUREMENT_ENTER)
def risk_flag(request, plan_id: int, round_id: int):
    data_round = _round_of_plan(request, plan_id, round_id)
    try:
        indicator_id = int(request.POST.get("indicator", ""))
    except ValueError as exc:
        raise Http404("Indicatore non valido") from exc
    form = RiskFlagForm(request.POST, indicators=())
    reason = form.data.get("reason", "")
    try:
        risk_flag_set(data_round=data_round, indicator_id=indicator_id, user=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, "Segnalazione non salvata: " + " ".join(error.messages))
    else:
        messages.success(request, "Indicatore segnalato a rischio.")
    return _back(data_round)


@require_POST
@permission_required(Action.MEASUREMENT_ENTER)
def risk_unflag(request, plan_id: int, round_id: int, indicator_id: int):
    data_round = _round_of_plan(request, plan_id, round_id)
    if risk_flag_clear(data_round=data_round, indicator_id=indicator_id, user=request.user):
        messages.success(request, "Segnalazione rimossa.")
    return _back(data_round)


@require_POST
@permission_required(Action.READ)
def monitoring_download(request, plan_id: int, round_id: int, fmt: str):
    """Ask for the monitoring report at this round: a job makes it (jobs/), the answer is its progress."""
    if fmt not in DOCUMENT_TYPES:
        raise Http404("Formato non disponibile")
    data_round = _round_of_plan(request, plan_id, round_id)
    return document_request(
        request,
        start=lambda: document_job_start(
            kind=JobKind.MONITORING_REPORT, user=request.user, plan=data_round.plan, data_round=data_round, fmt=fmt
        ),
        documents=lambda: _documents(request, data_round),
        back_url=_risks_url(data_round),
    )


def _documents(request, data_round) -> list:
    return recent_documents(
        user=request.user, kind=JobKind.MONITORING_REPORT, plan=data_round.plan, data_round=data_round
    )
