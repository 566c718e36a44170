"""The one task on django-tasks' queue: run a Job of ours by its id (its kind says what to do, jobs/runner.py)."""

from __future__ import annotations

from django_tasks import task

from jobs.runner import job_run


@task()
def run_job(job_id: int) -> None:
    job_run(job_id)
