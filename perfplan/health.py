"""The health check, `/salute/`: for monitors, load balancers and systemd, public and without a session.

    GET /salute/  →  200 {"status": "ok", "database": "ok"}
                     503 {"status": "error", "database": "error"}   (any check failing)

Each entry of settings.HEALTH_CHECKS is a name and the dotted path of a function that returns when that part works
and raises when it does not; the answer lists every check by name. A new part (the background job queue) adds its
own entry, e.g. "jobs": "….check_job_queue", and nothing here changes; "storage" is there when the files are in an
S3 bucket (PERFPLAN_S3_BUCKET). The reason of a failure goes to the log (logger `perfplan.health`), never to the
answer, which anyone may read.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import default_storage
from django.db import connections
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("perfplan.health")


def check_database() -> None:
    """A round trip to the default database: the connection (kept or new) answers a query."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not return 1")


def check_file_storage() -> None:
    """The file storage answers (settings: only when files are in an S3 bucket): listing its top folders is one
    request that fails on an unreachable endpoint, wrong credentials or a missing bucket, and reads no file."""
    default_storage.listdir("")


def run_checks() -> dict[str, str]:
    results = {}
    for name, path in settings.HEALTH_CHECKS.items():
        try:
            import_string(path)()
        except Exception:  # any failure of the part checked, whatever its kind, is a 503 with its name
            logger.exception("Health check %r failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


@login_not_required
@never_cache
@require_safe
def health(request):
    results = run_checks()
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "error", **results}, status=200 if healthy else 503)
