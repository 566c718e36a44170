"""One log line per request on the logger `perfplan.request` (settings LOG_REQUESTS), and a request id.

The id is the proxy's `X-Request-ID` when a trusted reverse proxy sends one (PROXY_COUNT > 0; nginx:
`proxy_set_header X-Request-ID $request_id;`), so the proxy's access log and perfplan's lines can be matched;
otherwise a new random one. It is sent back in the `X-Request-ID` response header and stamped on every log record
written while the request is served (perfplan.logs.request_id_var), errors included.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.db import DatabaseError

from perfplan.login_throttle import client_ip
from perfplan.logs import request_id_var

logger = logging.getLogger("perfplan.request")

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def request_id_of(request) -> str:
    offered = request.META.get("HTTP_X_REQUEST_ID", "")
    if settings.PROXY_COUNT and _SAFE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def user_id_of(request) -> int | None:
    """The logged-in user's id; None for anonymous requests, static files (served before the login middleware) and
    when the session cannot be read (the database is down: the line is still written)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    try:
        return user.pk if user.is_authenticated else None
    except DatabaseError:
        return None


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole request, redirects and static files included."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        request_id_var.set(request.request_id)  # until the response is closed (forget_request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if logger.isEnabledFor(logging.INFO):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "client": client_ip(request),
                "user_id": user_id_of(request),
            }
            logger.info("%s %s %s %s ms", request.method, request.path, response.status_code, duration_ms, extra=fields)
        return response


def forget_request_id(**kwargs) -> None:
    """request_finished: the request is over once its response is closed, after Django's own log of an error
    status (django.request), which so still carries the id."""
    request_id_var.set("-")
