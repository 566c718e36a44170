"""The page of a job and its htmx fragment, polled every second while the job runs (jobs/_job.html).

The URLs are the apps' own (reports:job, plans:import_job, consuntivi:remind_job), each behind the action of its
kinds of job; this module only answers for them once access is checked (jobs.services.job_for_user).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from jobs.models import DOCUMENT_KINDS, Job, JobKind, JobState
from jobs.services import job_for_user
from perfplan.permissions import Action, permission_required
from reports.piao.documents import FORMATS


@never_cache
def job_response(request, job: Job, *, back_url: str, back_label: str):
    """The fragment for htmx (the poll swaps it whole), the page otherwise (a link, a reload, no JavaScript)."""
    if request.headers.get("HX-Request"):
        return render(request, "jobs/_job.html", {"job": job})
    return render(request, "jobs/job_page.html", {"job": job, "back_url": back_url, "back_label": back_label})


DOCUMENT_BUTTONS = (("pdf", "PDF"), ("docx", "DOCX (modificabile)"))  # the formats a page offers, in this order


def document_request(request, *, start: Callable[[], Job], documents: Callable[[], list[Job]], back_url: str):
    """The answer to asking for a document (`start` queues it, jobs.services.document_job_start): htmx gets the
    page's list of documents again, the new one first and polling; without JavaScript, the job's own page. A refusal
    (too many documents in preparation) is said above the list, or on the page the request came from."""
    try:
        job = start()
    except ValidationError as error:
        refusal = " ".join(error.messages)
        if not request.headers.get("HX-Request"):
            messages.error(request, refusal)
            return redirect(back_url)
        return render(request, "jobs/_documents.html", {"documents": documents(), "refusal": refusal})
    if not request.headers.get("HX-Request"):
        return redirect(job.status_url)
    return render(request, "jobs/_documents.html", {"documents": documents()})


@permission_required(Action.READ)
def document_job(request, job_id: int):
    """A document being made: its progress, then the link to its file (jobs/_job.html)."""
    job = job_for_user(user=request.user, job_id=job_id, kinds=DOCUMENT_KINDS)
    if job.kind == JobKind.MONITORING_REPORT:
        back_url = reverse("scores:risks", args=[job.plan_id]) + f"?anno={job.round.year}&rilevazione={job.round_id}"
        back_label = "Monitoraggio"
    else:
        back_url, back_label = reverse("plans:public_values", args=[job.plan_id]), "PIAO"
    return job_response(request, job, back_url=back_url, back_label=back_label)


@permission_required(Action.READ)
def document_file(request, job_id: int):
    job = job_for_user(user=request.user, job_id=job_id, kinds=DOCUMENT_KINDS)
    if job.state != JobState.DONE or job.expired:
        raise Http404("Documento non disponibile: ancora in preparazione, oppure scaduto (chiederlo di nuovo).")
    content_type = FORMATS.get(Path(job.filename).suffix, "application/octet-stream")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=content_type)
