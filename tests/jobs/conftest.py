"""The queue for real: django-tasks' database backend, and its worker run once (`db_worker --batch`)."""

import pytest
from django.core.management import call_command

from tests.reports.conftest import approved_relazione, closed_relazione, relazione  # noqa: F401 - fixtures

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def queue(settings):
    """Jobs wait in the queue table until `run_worker()`, as in production (the tests' default runs them at once)."""
    settings.TASKS = DATABASE_QUEUE
    return settings


def run_worker() -> None:
    """The worker's own command, once: every job waiting is run, then it exits."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)
