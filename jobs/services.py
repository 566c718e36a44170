"""Starting a job and who may see it.

A page asks for long work with `job_start`: a Job row (ours) and a task on django-tasks' queue (jobs/tasks.py,
its id kept in the row). The worker runs it (jobs/runner.py): the domain services stay the ones the pages called
before (reports, workbook, consuntivi), run elsewhere with a progress callback that writes into the row, which the
page polls (jobs/_job.html).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import ngettext

from consuntivi.models import Round
from jobs.models import ACTIVE_STATES, DOCUMENT_KINDS, Job, JobKind, JobState
from jobs.runner import KIND_ACTION
from jobs.tasks import run_job
from perfplan.permissions import Action, can, require
from perfplan.roles import user_ente
from plans.models import Plan
from plans.selectors import plans_visible_to
from reports.models import ArtifactKind, RelazioneArtifact

logger = logging.getLogger("jobs")
JOB_FILES = "lavori"  # storage folder of a job's input files (the signed validation), deleted when it ends

# --- starting ------------------------------------------------------------------------------------------------------


def job_start(
    *,
    kind: str,
    user,
    plan: Plan | None = None,
    year: int | None = None,
    data_round: Round | None = None,
    params: dict[str, Any] | None = None,
) -> Job:
    """Queue a job for `user` and return its row. With the immediate backend (tests) the job has already run."""
    require(user, KIND_ACTION[kind])
    ente = plan.ente if plan is not None else data_round.plan.ente if data_round is not None else user_ente(user)
    job = Job.objects.create(
        kind=kind, owner=user, ente=ente, plan=plan, year=year, round=data_round, params=params or {}
    )
    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def document_job_start(
    *, kind: str, user, plan: Plan, fmt: str, year: int | None = None, data_round: Round | None = None
) -> Job:
    """Ask for a document (PIAO section 2, monitoring report) in a format. A second click while the same one is
    being made follows it; documents older than JOBS_DOCUMENT_HOURS are deleted first.

    A user may have at most JOBS_DOCUMENTS_PER_USER documents waiting or being made: one worker makes them one at a
    time (a 10.000-indicator plan's PDF takes two minutes), so one person's twenty clicks would hold everyone's.
    """
    documents_prune()
    params: dict[str, Any] = {"fmt": fmt}
    if kind == JobKind.MONITORING_REPORT:
        params["today"] = timezone.localdate().isoformat()
    running = Job.objects.filter(
        kind=kind, owner=user, plan=plan, year=year, round=data_round, state__in=ACTIVE_STATES, params__fmt=fmt
    ).first()
    if running is not None and running.active:
        return running
    waiting = _documents_waiting(user)
    if waiting >= settings.JOBS_DOCUMENTS_PER_USER:
        raise ValidationError(
            ngettext(
                "Hai già un documento in preparazione: se ne può chiedere un altro appena è pronto.",
                "Hai già %(n)d documenti in preparazione (elencati nelle pagine da cui sono stati chiesti): se ne può "
                "chiedere un altro appena uno è pronto.",
                waiting,
            )
            % {"n": waiting}
        )
    return job_start(kind=kind, user=user, plan=plan, year=year, data_round=data_round, params=params)


def _documents_waiting(user) -> int:
    """The user's documents waiting or being made. One taken by a worker that was killed (abandoned), or still queued
    after JOBS_ABANDONED_SECONDS (its task lost with the queue), no longer counts: it would hold the limit for good.
    (Two clicks at the same instant may both pass: the limit is there for the worker's sake, not a quota.)"""
    lost = timezone.now() - dt.timedelta(seconds=settings.JOBS_ABANDONED_SECONDS)
    candidates = Job.objects.filter(owner=user, kind__in=DOCUMENT_KINDS, state__in=ACTIVE_STATES, created_at__gte=lost)
    return sum(1 for job in candidates.only("state", "started_at") if job.active)


def documents_prune() -> int:
    """Delete the files of the documents made more than JOBS_DOCUMENT_HOURS ago (the job rows stay, «scaduto»)."""
    limit = timezone.now() - dt.timedelta(hours=settings.JOBS_DOCUMENT_HOURS)
    expired = Job.objects.filter(kind__in=DOCUMENT_KINDS, finished_at__lt=limit).exclude(file="")
    old = list(expired.values_list("pk", "file"))
    for _, name in old:
        try:
            default_storage.delete(name)
        except Exception:  # a storage error (S3's are not OSError) must not stop the document asked for now
            logger.warning("Could not delete the expired document %s", name, exc_info=True)
    Job.objects.filter(pk__in=[pk for pk, _ in old]).update(file="")
    return len(old)


def job_save_input(content: bytes, suffix: str) -> str:
    """Keep an input file of a job (it cannot travel in the queue's JSON) until the job ends; its storage name."""
    return default_storage.save(f"{JOB_FILES}/{get_random_string(24)}{suffix}", ContentFile(content))


# --- reading -------------------------------------------------------------------------------------------------------


def job_for_user(*, user, job_id: int, kinds: tuple[str, ...]) -> Job:
    """The one access helper for a job: 403 without the action of its kind (permissions.py), 404 for a job of
    another kind or outside the user's ente (plans_visible_to: a plan's job; the ente itself for an import)."""
    job = Job.objects.select_related("artifact", "plan", "round").filter(pk=job_id, kind__in=kinds).first()
    if job is None:
        raise Http404("Lavoro non trovato.")
    require(user, KIND_ACTION[job.kind])
    if job.plan_id is not None:
        visible = plans_visible_to(user=user).filter(pk=job.plan_id).exists()
    else:
        ente = user_ente(user)
        visible = job.ente_id == ente.pk if ente is not None else can(user, Action.ADMIN_SITE)
    if not visible:
        raise Http404("Lavoro non trovato.")
    return job


def latest_job(*, user, kind: str, plan: Plan, year: int) -> Job | None:
    """The last job of a kind for a plan year, when it is still running or it failed after the last PDF made:
    what a page shows again after a reload. None for a user who may not see it."""
    if not can(user, KIND_ACTION[kind]):
        return None
    job = Job.objects.select_related("artifact").filter(kind=kind, plan=plan, year=year).first()
    if job is None or job.state == JobState.DONE or job.abandoned:
        return None
    if job.state == JobState.FAILED:
        newer = RelazioneArtifact.objects.filter(
            relazione__plan=plan, relazione__year=year, created_at__gt=job.created_at
        )
        if kind == JobKind.RELAZIONE_DRAFT:
            newer = newer.filter(kind=ArtifactKind.DRAFT)
        if newer.exists() or (timezone.now() - job.created_at).total_seconds() > 86400:
            return None
    return job


def recent_documents(*, user, kind: str, plan: Plan, data_round: Round | None = None) -> list[Job]:
    """The documents of this kind the user asked for this plan (and round) in the last JOBS_DOCUMENT_HOURS, newest
    first: the page lists them, so one still being made, or made while the user was elsewhere, is found again."""
    since = timezone.now() - dt.timedelta(hours=settings.JOBS_DOCUMENT_HOURS)
    kept = Q(state__in=ACTIVE_STATES) | Q(finished_at__gte=since)  # the same clock as documents_prune
    jobs = Job.objects.select_related("plan", "round").filter(kept, kind=kind, owner=user, plan=plan)
    if data_round is not None:
        jobs = jobs.filter(round=data_round)
    return list(jobs[:10])


def active_round_job(*, user, data_round: Round) -> Job | None:
    """The reminders of a round still being sent, for its page (after a reload too); None for who may not see it."""
    if not can(user, KIND_ACTION[JobKind.ROUND_REMIND]):
        return None
    job = Job.objects.filter(kind=JobKind.ROUND_REMIND, round=data_round, state__in=ACTIVE_STATES).first()
    return job if job is not None and job.active else None
