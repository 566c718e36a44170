"""The job queue's health check (settings.HEALTH_CHECKS, /salute/): a job waiting too long means no worker runs.

The worker (`manage.py db_worker`) takes the oldest ready job of the queue table as soon as it is free; a ready job
queued more than JOBS_MAX_WAIT_SECONDS ago says that no worker is running, unless a worker has shown it is alive
meanwhile (it took or finished a job within that time, or is still on one): then it is busy, not down. A few large
documents asked together (a 10.000-indicator PIAO section 2 takes 110 s) keep one worker busy longer than the limit.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import worker_alive


class JobQueueStuck(RuntimeError):
    pass


def oldest_waiting_seconds(*, now: dt.datetime | None = None) -> float | None:
    """Seconds since the oldest job still waiting for a worker was queued (None: nothing waits)."""
    now = now or timezone.now()
    oldest = DBTaskResult.objects.ready().aggregate(first=Min("enqueued_at"))["first"]
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


def queue_stuck() -> float | None:
    """The seconds the oldest job has waited, when that is past JOBS_MAX_WAIT_SECONDS and no worker is alive."""
    waited = oldest_waiting_seconds()
    if waited is None or waited <= settings.JOBS_MAX_WAIT_SECONDS or worker_alive():
        return None
    return waited


def check_job_queue() -> None:
    waited = queue_stuck()
    if waited is not None:
        raise JobQueueStuck(
            f"a job has waited {waited:.0f} s (limit JOBS_MAX_WAIT_SECONDS={settings.JOBS_MAX_WAIT_SECONDS}): "
            "is the worker (manage.py db_worker, perfplan-worker.service) running?"
        )
