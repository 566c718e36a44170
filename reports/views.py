"""Relazione pages: list, HTML preview with pre-flight checks, editor, workflow actions, PDF and xlsx downloads.

Thin views: check access with `_relazione_for`, parse the request, call one service or selector, render.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from consuntivi.models import Measurement
from indicators.models import Indicator
from jobs.models import JobKind, JobState
from jobs.services import job_for_user, job_save_input, job_start, latest_job
from jobs.views import job_response
from perfplan.collector import collector_paused
from perfplan.limits import parse_id
from perfplan.permissions import Action, can, permission_required
from plans.models import Level, Objective
from plans.selectors import plan_for_user
from reports import services
from reports.bilancio import LINES
from reports.export import relazione_xlsx
from reports.models import (
    ArtifactKind,
    BilancioLine,
    BudgetVoce,
    CycleActivity,
    PaperDocument,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    RelazioneState,
)
from reports.selectors import (
    PAPER_TOPICS,
    clarification_get,
    current_document,
    final_artifact,
    papers_for,
    relazione_build,
    relazione_list,
)
from reports.texts import CHECKLIST, CONCLUSION_SECTIONS, DEFAULT_ACTIVITIES, TEXT_SECTIONS

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _relazione_for(request, plan_id: int, year: int, *, create: bool = False) -> Relazione:
    """The one access helper: the plan must be in the user's ente (404 otherwise) and the year in the plan."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    if year not in plan.years:
        raise Http404("Anno non compreso nel piano.")
    relazione = Relazione.objects.filter(plan=plan, year=year).select_related("plan", "plan__ente").first()
    if relazione is None:
        relazione = (
            services.relazione_get_or_create(plan=plan, year=year) if create else Relazione(plan=plan, year=year)
        )
    return relazione


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{m}" for msgs in error.message_dict.values() for m in msgs)
    return " ".join(error.messages)


@permission_required(Action.RELAZIONE_READ)
def relazione_index(request):
    rows = relazione_list(user=request.user)
    to_validate = [r for r in rows if r["state"] == RelazioneState.APPROVED]
    validated = [r for r in rows if r["state"] == RelazioneState.VALIDATED]
    return render(
        request,
        "reports/index.html",
        {"rows": rows, "to_validate": to_validate, "validated": validated},
    )


@permission_required(Action.RELAZIONE_READ)
@collector_paused
def relazione_detail(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    data = relazione_build(plan=relazione.plan, year=year, relazione=relazione)
    draft = (
        RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.DRAFT).first() if relazione.pk else None
    )
    history = (
        list(RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.FINAL).order_by("-created_at"))
        if relazione.pk
        else []
    )
    document = current_document(relazione=relazione) if relazione.pk else None
    user = request.user
    papers = papers_for(relazione=relazione, user=user) if can(user, Action.CLARIFICATION_READ) else None
    notes = {row["key"]: row for row in papers.note_rows("criterio")} if papers else {}
    return render(
        request,
        "reports/detail.html",
        {
            "r": data,
            "papers": papers,
            "criteria_rows": [(c, notes.get(f"criterio:{c.key}")) for c in data.criteria],
            "papers_oiv": can(user, Action.OIV_PAPERS),
            "validated": data.state == RelazioneState.VALIDATED,
            "plan": relazione.plan,
            "year": year,
            "document": document,
            "validation": relazione.validations.first() if document else None,
            "relazione": relazione,
            "draft": draft,
            "history": history,
            "can_edit": can(user, Action.RELAZIONE_EDIT) and data.state == RelazioneState.DRAFT,
            "can_approve": can(user, Action.RELAZIONE_EDIT) and data.state == RelazioneState.DRAFT,
            "can_close_year": can(user, Action.RELAZIONE_EDIT)
            and data.year_state in ("programmazione", "monitoraggio"),
            "can_validate": can(user, Action.RELAZIONE_VALIDATE) and data.state == RelazioneState.APPROVED,
            "can_reopen": can(user, Action.YEAR_REOPEN) and data.state == RelazioneState.VALIDATED,
            "job": latest_job(user=user, kind=JobKind.RELAZIONE_DRAFT, plan=relazione.plan, year=year),
            "validate_job": latest_job(user=user, kind=JobKind.RELAZIONE_VALIDATE, plan=relazione.plan, year=year),
            "checklist": CHECKLIST,
            "conclusion_sections": CONCLUSION_SECTIONS,
            "today": dt.date.today(),
        },
    )


@permission_required(Action.RELAZIONE_EDIT)
@collector_paused
def relazione_edit(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year, create=request.method == "POST")
    if request.method == "POST":
        section = request.POST.get("section", "")
        try:
            _save_section(request, relazione, section)
        except ValidationError as error:
            messages.error(request, f"Dati non salvati: {_error_text(error)}")
        else:
            messages.success(request, "Modifiche salvate.")
        return redirect(f"{request.path}#{section or 'testi'}")
    plan = relazione.plan
    data = relazione_build(plan=plan, year=year, relazione=relazione)
    budget = {b.voce: b.preventivo for b in relazione.budget_lines.all()} if relazione.pk else {}
    typed = {
        (b.year, b.code): b.amount
        for b in BilancioLine.objects.filter(ente=plan.ente, year__gte=year - 3, year__lte=year)
    }
    years = [year - 3, year - 2, year - 1, year]
    promo = {p.objective_id: p.amount for p in PromoAmount.objects.filter(relazione=relazione)} if relazione.pk else {}
    own_activities = list(CycleActivity.objects.filter(ente=plan.ente))
    activities = own_activities or DEFAULT_ACTIVITIES
    return render(
        request,
        "reports/edit.html",
        {
            "r": data,
            "relazione": relazione,
            "locked": data.state != RelazioneState.DRAFT,
            "own_calendar": bool(own_activities),
            "texts": [
                {"key": s.key, "label": s.label, "value": relazione.texts.get(s.key, s.default)} for s in TEXT_SECTIONS
            ],
            "budget": [{"voce": v.value, "label": v.label, "value": budget.get(v)} for v in BudgetVoce],
            "years": years,
            "bilancio": [
                {"code": code, "label": label, "cells": [(y, typed.get((y, code))) for y in years]}
                for code, label in LINES
            ],
            "strategic": [
                {"pk": o.pk, "label": f"{o.code} – {o.title}", "amount": promo.get(o.pk)}
                for o in Objective.objects.filter(plan=plan, level=Level.STRATEGIC).order_by("position", "id")
            ],
            "keys": relazione.key_indicators.select_related("indicator", "indicator__objective")
            if relazione.pk
            else [],
            "indicators": Indicator.objects.filter(objective__plan=plan)
            .select_related("objective")
            .order_by("objective__code", "position", "id"),
            "activities": [
                {
                    "activity": a.activity,
                    "prepares": a.prepares,
                    "adopts": a.adopts,
                    "start": f"{a.start_day:02d}/{a.start_month:02d}",
                    "end": f"{a.end_day:02d}/{a.end_month:02d}",
                }
                for a in activities
            ]
            + [{"activity": "", "prepares": "", "adopts": "", "start": "", "end": ""}] * 3,
        },
    )


def _save_section(request, relazione: Relazione, section: str) -> None:
    post, user = request.POST, request.user
    if section == "testi":
        services.relazione_update_texts(
            relazione=relazione, texts={s.key: post.get(f"text-{s.key}", "") for s in TEXT_SECTIONS}, user=user
        )
    elif section == "pubblicazione":
        services.plan_update_publication(
            relazione=relazione, published_on=post.get("published_on", ""), url=post.get("published_url", ""), user=user
        )
    elif section == "risorse":
        services.relazione_update_budget(
            relazione=relazione, values={v: post.get(f"budget-{v.value}", "") for v in BudgetVoce}, user=user
        )
    elif section == "bilancio":
        values = {}
        for key, raw in post.items():
            if key.startswith("bilancio-"):
                _, year, code = (key.split("-", 2) + ["", ""])[:3]
                if parse_id(year) is None:
                    raise ValidationError(f"Voce di bilancio non prevista: «{key[:40]}».")
                values[(int(year), code)] = raw
        services.relazione_update_bilancio(relazione=relazione, values=values, user=user)
    elif section == "importi":
        values = {}
        for key, raw in post.items():
            if key.startswith("promo-"):
                objective_id = parse_id(key.split("-", 1)[1])
                if objective_id is None:
                    raise ValidationError("Obiettivo strategico non appartenente al piano.")
                values[objective_id] = raw
        services.relazione_update_promo(relazione=relazione, values=values, user=user)
    elif section == "indicatori":
        if post.get("remove"):
            key_id = parse_id(post["remove"])
            if key_id is None:
                raise ValidationError("Indicatore chiave non trovato.")
            services.relazione_remove_key_indicator(relazione=relazione, key_id=key_id, user=user)
        else:
            indicator_id = parse_id(post.get("indicator", ""))
            order_text = (post.get("order") or "0").strip()
            order = 0 if order_text == "0" else parse_id(order_text)
            if indicator_id is None or order is None:
                raise ValidationError({"indicator": "Scegliere un indicatore e un ordine numerico."})
            services.relazione_add_key_indicator(
                relazione=relazione, indicator_id=indicator_id, group=post.get("group", ""), order=order, user=user
            )
    elif section == "calendario":
        rows = [
            services.ActivityInput(a, p, d, s, e)
            for a, p, d, s, e in zip(
                post.getlist("activity"),
                post.getlist("prepares"),
                post.getlist("adopts"),
                post.getlist("start"),
                post.getlist("end"),
                strict=False,
            )
        ]
        services.cycle_activities_replace(relazione=relazione, rows=rows, user=user)
    else:
        raise ValidationError("Sezione sconosciuta.")


def _parse_date(raw: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _after_action(request, relazione: Relazione, ok: str | None, action):
    try:
        action()
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied:
        raise
    else:
        if ok:
            messages.success(request, ok)
    target = relazione.get_absolute_url()
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@require_POST
@permission_required(Action.RELAZIONE_EDIT)
def relazione_approve(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year, create=True)
    post = request.POST
    return _after_action(
        request,
        relazione,
        "Relazione approvata: testi bloccati, ora l'OIV può validarla.",
        lambda: services.relazione_approve(
            relazione=relazione,
            organ=post.get("organ", ""),
            number=post.get("number", ""),
            date=_parse_date(post.get("date", "")),
            user=request.user,
        ),
    )


@require_POST
@permission_required(Action.RELAZIONE_VALIDATE)
def relazione_validate(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    if relazione.pk is None:
        raise Http404("Relazione non trovata.")
    post = request.POST
    upload = request.FILES.get("attachment")
    data = services.ValidationInput(
        date=_parse_date(post.get("date", "")),
        outcome=post.get("outcome", ""),
        text=post.get("text", ""),
        members=post.get("members", ""),
        checklist=post.getlist("checklist"),
        section_conclusions={key: post.get(f"section_{key}", "") for key, _ in CONCLUSION_SECTIONS},
        attachment_name=upload.name if upload else "",
        attachment=upload.read() if upload else None,
    )
    if data.outcome != "validata":
        return _after_action(
            request,
            relazione,
            "Esito «non validata» registrato: la Relazione torna in bozza.",
            lambda: services.relazione_validate(relazione=relazione, data=data, user=request.user),
        )
    # «validata»: the form is checked now; the final PDF is rendered by a job, then stored with the act.
    return _after_action(request, relazione, None, lambda: _start_validation(request, relazione, data))


def _start_validation(request, relazione: Relazione, data: services.ValidationInput) -> None:
    services.relazione_validate_check(relazione=relazione, data=data, user=request.user)
    params = {
        "date": data.date.isoformat() if data.date else "",
        "outcome": data.outcome,
        "text": data.text,
        "members": data.members,
        "checklist": data.checklist,
        "section_conclusions": data.section_conclusions,
        "attachment_name": data.attachment_name,
    }
    if data.attachment is not None:
        params["attachment_path"] = job_save_input(data.attachment, ".pdf")
    job = job_start(
        kind=JobKind.RELAZIONE_VALIDATE, user=request.user, plan=relazione.plan, year=relazione.year, params=params
    )
    if job.state == JobState.DONE:
        messages.success(
            request,
            "Relazione validata: il PDF definitivo e il Documento di validazione sono stati generati e "
            "conservati con la loro impronta SHA-256.",
        )
    elif job.state == JobState.FAILED:
        raise ValidationError(job.error)
    else:
        messages.info(
            request,
            "Validazione registrata in corso: il PDF definitivo è in generazione (l'avanzamento è qui sotto); "
            "al termine viene conservato con la sua impronta SHA-256 e l'anno è congelato.",
        )


@require_POST
@permission_required(Action.YEAR_REOPEN)
def relazione_reopen(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    if relazione.pk is None:
        raise Http404("Relazione non trovata.")
    return _after_action(
        request,
        relazione,
        "Anno riaperto: la Relazione torna in bozza; il PDF validato resta nello storico.",
        lambda: services.relazione_reopen(
            relazione=relazione, reason=request.POST.get("reason", ""), user=request.user
        ),
    )


@require_POST
@permission_required(Action.RELAZIONE_RENDER)
def relazione_render(request, plan_id: int, year: int):
    """Ask for a preview PDF: a job renders it (jobs/), the answer is its progress, polled by htmx until the link."""
    relazione = _relazione_for(request, plan_id, year, create=True)
    job = latest_job(user=request.user, kind=JobKind.RELAZIONE_DRAFT, plan=relazione.plan, year=year)
    if job is None or not job.active:  # one preview at a time: a second click follows the running one
        job = job_start(kind=JobKind.RELAZIONE_DRAFT, user=request.user, plan=relazione.plan, year=year)
    if not request.headers.get("HX-Request"):
        return redirect(job.status_url)
    return render(request, "reports/_draft.html", {"job": job, "relazione": relazione})


@permission_required(Action.RELAZIONE_RENDER)
def relazione_job(request, plan_id: int, year: int, job_id: int):
    """A PDF job of this Relazione (preview or validation): its progress, then its result."""
    relazione = _relazione_for(request, plan_id, year)
    job = job_for_user(user=request.user, job_id=job_id, kinds=(JobKind.RELAZIONE_DRAFT, JobKind.RELAZIONE_VALIDATE))
    if (job.plan_id, job.year) != (relazione.plan.pk, year):
        raise Http404("Lavoro non trovato.")
    back = reverse("reports:detail", args=[plan_id, year])
    return job_response(request, job, back_url=back, back_label=f"Relazione {year}")


def _stream(request, artifact: RelazioneArtifact, filename: str):
    etag = f'"{artifact.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = FileResponse(artifact.file.open("rb"), as_attachment=True, filename=filename, content_type=PDF)
    response["ETag"] = etag
    response["Content-Length"] = str(artifact.size)
    response["X-Content-SHA256"] = artifact.sha256
    return response


@permission_required(Action.RELAZIONE_READ)
def relazione_pdf(request, plan_id: int, year: int):
    """The validated PDF, byte for byte as stored (never re-rendered)."""
    relazione = _relazione_for(request, plan_id, year)
    artifact = final_artifact(relazione=relazione) if relazione.pk else None
    if artifact is None:
        raise Http404("La Relazione non è ancora validata.")
    return _stream(request, artifact, f"relazione-performance-{relazione.plan.ente.code}-{year}.pdf")


@permission_required(Action.RELAZIONE_RENDER)
def relazione_draft_pdf(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    artifact = (
        RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.DRAFT).first() if relazione.pk else None
    )
    if artifact is None:
        raise Http404("Nessuna anteprima generata.")
    return _stream(request, artifact, f"relazione-performance-{relazione.plan.ente.code}-{year}-anteprima.pdf")


@permission_required(Action.RELAZIONE_RENDER)
def relazione_history_pdf(request, plan_id: int, year: int, artifact_id: int):
    relazione = _relazione_for(request, plan_id, year)
    artifact = RelazioneArtifact.objects.filter(relazione=relazione, pk=artifact_id, kind=ArtifactKind.FINAL).first()
    if artifact is None:
        raise Http404("File non trovato.")
    return _stream(request, artifact, f"relazione-performance-{relazione.plan.ente.code}-{year}-{artifact.pk}.pdf")


@permission_required(Action.RELAZIONE_RENDER)
def relazione_attachment(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    validation = relazione.validations.first() if relazione.pk else None
    if validation is None or not validation.attachment:
        raise Http404("Nessun documento di validazione.")
    return FileResponse(validation.attachment.open("rb"), as_attachment=True, content_type=PDF)


@permission_required(Action.RELAZIONE_RENDER)
def relazione_document(request, plan_id: int, year: int):
    """The Documento di validazione generated with the OIV's latest validation, byte for byte as stored."""
    relazione = _relazione_for(request, plan_id, year)
    artifact = current_document(relazione=relazione) if relazione.pk else None
    if artifact is None:
        raise Http404("Nessun documento di validazione.")
    return _stream(request, artifact, f"documento-validazione-{relazione.plan.ente.code}-{year}.pdf")


@require_POST
@permission_required(Action.RELAZIONE_VALIDATE)
def relazione_upload_signed(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    if relazione.pk is None:
        raise Http404("Relazione non trovata.")
    upload = request.FILES.get("signed")

    def upload_it():
        if upload is None:
            raise ValidationError({"signed": "Scegliere il PDF firmato da caricare."})
        too_big = upload.size > settings.MAX_SIGNED_PDF_BYTES  # refused before reading it
        services.validation_upload_signed(
            relazione=relazione,
            name=upload.name,
            content=b"" if too_big else upload.read(),
            size=upload.size,
            user=request.user,
        )

    return _after_action(
        request,
        relazione,
        "Documento di validazione firmato caricato e conservato con la sua impronta SHA-256.",
        upload_it,
    )


@permission_required(Action.RELAZIONE_READ)
@collector_paused
def relazione_export(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year)
    data = relazione_build(plan=relazione.plan, year=year, relazione=relazione)
    response = HttpResponse(relazione_xlsx(data=data), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="relazione-performance-{relazione.plan.ente.code}-{year}.xlsx"'
    )
    return response


# --- the OIV's working papers (carte di lavoro) ----------------------------------------------------------------


def _papers_url(relazione: Relazione, anchor: str = "") -> str:
    url = reverse("reports:papers", args=[relazione.plan.pk, relazione.year])
    return f"{url}#{anchor}" if anchor else url


def _papers_action(request, relazione: Relazione, ok: str, action, anchor: str = ""):
    """Run a write of the working papers; its refusal is shown on the page the user came from."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, f"Non salvato: {_error_text(error)}")
    else:
        messages.success(request, ok)
    back = request.POST.get("next", "")
    if back == "relazione":
        return redirect(f"{relazione.get_absolute_url()}#{anchor}" if anchor else relazione.get_absolute_url())
    return redirect(_papers_url(relazione, anchor))


@permission_required(Action.CLARIFICATION_READ)
def relazione_papers(request, plan_id: int, year: int):
    """The Carte di lavoro: the threads with the planning office; for the OIV also its notes and documents."""
    relazione = _relazione_for(request, plan_id, year)
    papers = papers_for(relazione=relazione, user=request.user)
    plan = relazione.plan
    topic = request.GET.get("argomento", "")
    objective_id = parse_id(request.GET.get("obiettivo", ""))
    measurement_id = parse_id(request.GET.get("consuntivo", ""))
    measurement = (
        Measurement.objects.filter(pk=measurement_id, indicator__objective__plan=plan, year=year)
        .select_related("indicator__objective")
        .first()
        if measurement_id
        else None
    )
    oiv = can(request.user, Action.OIV_PAPERS)
    validated = relazione.state == RelazioneState.VALIDATED
    return render(
        request,
        "reports/papers.html",
        {
            "relazione": relazione,
            "plan": plan,
            "year": year,
            "papers": papers,
            "oiv": oiv,
            "validated": validated,
            "can_ask": oiv and not validated,
            "can_answer": can(request.user, Action.CLARIFICATION_ANSWER) and not validated,
            "topics": list(PAPER_TOPICS.items()),
            "section_notes": papers.note_rows("sezione"),
            "criterion_notes": papers.note_rows("criterio"),
            "objectives": Objective.objects.filter(plan=plan).order_by("code").only("pk", "code", "title")
            if oiv and not validated
            else [],
            "chosen_topic": topic if topic in PAPER_TOPICS else "",
            "chosen_objective": objective_id,
            "measurement": measurement,
        },
    )


@require_POST
@permission_required(Action.OIV_PAPERS)
def paper_note(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year, create=True)
    topic = request.POST.get("topic", "")
    anchor = "nota-" + topic.replace(":", "-") if topic in PAPER_TOPICS else ""
    return _papers_action(
        request,
        relazione,
        "Nota salvata.",
        lambda: services.paper_note_save(
            relazione=relazione, topic=topic, text=request.POST.get("text", ""), user=request.user
        ),
        anchor,
    )


@require_POST
@permission_required(Action.OIV_PAPERS)
def clarification_open(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year, create=True)
    post = request.POST

    def open_it():
        objective_id = parse_id(post.get("objective", "")) if post.get("objective") else None
        measurement_id = parse_id(post.get("measurement", "")) if post.get("measurement") else None
        if (post.get("objective") and objective_id is None) or (post.get("measurement") and measurement_id is None):
            raise ValidationError("Obiettivo o consuntivo non validi.")
        services.clarification_open(
            relazione=relazione,
            subject=post.get("subject", ""),
            text=post.get("text", ""),
            objective_id=objective_id,
            measurement_id=measurement_id,
            topic=post.get("topic", ""),
            user=request.user,
        )

    return _papers_action(request, relazione, "Richiesta di chiarimento inviata all'ufficio pianificazione.", open_it)


def _clarification(request, plan_id: int, year: int, request_id: int):
    relazione = _relazione_for(request, plan_id, year)
    return relazione, clarification_get(relazione=relazione, request_id=request_id)


@require_POST
@permission_required(Action.CLARIFICATION_ANSWER)
def clarification_answer(request, plan_id: int, year: int, request_id: int):
    relazione, thread = _clarification(request, plan_id, year, request_id)
    return _papers_action(
        request,
        relazione,
        "Risposta inviata all'OIV.",
        lambda: services.clarification_answer(request=thread, text=request.POST.get("text", ""), user=request.user),
        f"richiesta-{thread.pk}",
    )


@require_POST
@permission_required(Action.OIV_PAPERS)
def clarification_follow_up(request, plan_id: int, year: int, request_id: int):
    relazione, thread = _clarification(request, plan_id, year, request_id)
    return _papers_action(
        request,
        relazione,
        "Nuovo messaggio inviato: la richiesta è di nuovo aperta.",
        lambda: services.clarification_follow_up(request=thread, text=request.POST.get("text", ""), user=request.user),
        f"richiesta-{thread.pk}",
    )


@require_POST
@permission_required(Action.OIV_PAPERS)
def clarification_close(request, plan_id: int, year: int, request_id: int):
    relazione, thread = _clarification(request, plan_id, year, request_id)
    return _papers_action(
        request,
        relazione,
        "Richiesta chiusa.",
        lambda: services.clarification_close(request=thread, user=request.user),
        f"richiesta-{thread.pk}",
    )


@require_POST
@permission_required(Action.OIV_PAPERS)
def paper_document_add(request, plan_id: int, year: int):
    relazione = _relazione_for(request, plan_id, year, create=True)
    upload = request.FILES.get("file")

    def add_it():
        if upload is None:
            raise ValidationError({"file": "Scegliere il file da caricare."})
        services.paper_document_add(
            relazione=relazione, title=request.POST.get("title", ""), upload=upload, user=request.user
        )

    return _papers_action(request, relazione, "Documento caricato e conservato con la sua impronta SHA-256.", add_it)


@permission_required(Action.OIV_PAPERS)
def paper_document(request, plan_id: int, year: int, document_id: int):
    relazione = _relazione_for(request, plan_id, year)
    document = PaperDocument.objects.filter(relazione=relazione, pk=document_id).first() if relazione.pk else None
    if document is None:
        raise Http404("Documento non trovato.")
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-SHA256"] = document.sha256
    return response
