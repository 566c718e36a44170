"""Log records on stdout, one a line: readable text, or JSON for a log collector (settings LOG_FORMAT).

Standard library only, so that gunicorn's master process (deploy/gunicorn.conf.py) formats its own messages the
same way before Django is loaded. A record carries the request id of the request being served (set by
perfplan.request_log.RequestLogMiddleware through `request_id_var`), and the fields the request log passes in
`extra` (method, path, status, duration_ms, …) become JSON keys of their own.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging

# The id of the request the current thread is serving; "-" outside a request (commands, gunicorn's master).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What a LogRecord holds by itself; anything else on a record came from `extra=` and is written as a field.
_RECORD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (a filter on the handler, so third-party loggers get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    """The fields passed with `extra=` (or set by a filter), in the order they were added."""
    return {key: value for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the extra fields, and
    the traceback as `exc` when there is one. Values JSON cannot hold are written as their str()."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-12-06T03:10:00.123Z INFO perfplan.request [a1b2c3…] GET /salute/ 200 3.1 ms`, the traceback below.
    Times in UTC, as in JSON: gunicorn's master and the workers (Django sets TIME_ZONE) write the same clock."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return super().format(record)
