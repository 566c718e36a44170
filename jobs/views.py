"""The page of a job and its htmx fragment, polled every second while the job runs (jobs/_job.html).

The URLs are the apps' own (reports:job, plans:import_job, consuntivi:remind_job), each behind the action of its
kinds of job; this module only answers for them once access is checked (jobs.services.job_for_user).
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache

from jobs.models import Job


@never_cache
def job_response(request, job: Job, *, back_url: str, back_label: str):
    """The fragment for htmx (the poll swaps it whole), the page otherwise (a link, a reload, no JavaScript)."""
    if request.headers.get("HX-Request"):
        return render(request, "jobs/_job.html", {"job": job})
    return render(request, "jobs/job_page.html", {"job": job, "back_url": back_url, "back_label": back_label})
