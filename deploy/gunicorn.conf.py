"""gunicorn's settings for perfplan, read from the environment: `.venv/bin/gunicorn -c deploy/gunicorn.conf.py`.

| variable               | default                     | meaning                                                      |
|------------------------|-----------------------------|--------------------------------------------------------------|
| GUNICORN_BIND          | 127.0.0.1:8000              | address:port, or unix:/run/perfplan/gunicorn.sock            |
| GUNICORN_WORKERS       | CPUs + 1 (at least 2)       | processes; each holds one copy of the app (≈ 100-300 MB)     |
| GUNICORN_THREADS       | 4                           | threads per process (gthread): requests waiting on the DB    |
| GUNICORN_TIMEOUT       | 60                          | seconds before a silent worker is restarted (not a limit on  |
|                        |                             | one request: with threads the proxy's read timeout is)       |
| GUNICORN_GRACEFUL_TIMEOUT | 30                       | seconds a stopping worker has to finish its requests         |
| GUNICORN_MAX_REQUESTS  | 0 (never)                   | a worker is replaced (± 10 %) after this many requests: a    |
|                        |                             | safety net for a leak; no PDF is rendered in a web worker    |
| GUNICORN_ACCESS_LOG    | (off)                       | "-" for gunicorn's own access log on stdout; perfplan already|
|                        |                             | logs each request (LOG_REQUESTS) with its request id         |
| GUNICORN_LOG_LEVEL     | info                        | gunicorn's own messages (start, workers, errors)             |
| LOG_FORMAT             | text                        | text or json, as the application's logs (all on stdout)      |
| GUNICORN_CONTROL_SOCKET| (off)                       | path of gunicorn's control socket, for `gunicornc`           |

Forwarded headers are left to the application: gunicorn trusts none (forwarded_allow_ips is empty), and Django
reads X-Forwarded-Proto and X-Forwarded-For only with PROXY_COUNT set (perfplan/settings.py), one switch for both.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # perfplan.logs below, whatever the working directory
os.environ.setdefault("LOG_STREAM", "stdout")  # the application's logs, in the workers (perfplan/settings.py)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (a container's or systemd's limit)
    except AttributeError:
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


wsgi_app = "perfplan.wsgi:application"
chdir = str(ROOT)
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if address]
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", max(2, _cpus() + 1))
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# 0: a worker is never replaced. Every PDF and DOCX is a background job (jobs/), so a web worker's memory stays that of
# its pages; replacing a worker resets the kept-alive connections it closes (4 errors in the load test at 1000).
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = ""  # see above: the application decides, from PROXY_COUNT
secure_scheme_headers = {}  # not even from a Unix socket's peer, which gunicorn would trust
proxy_allow_ips = ""
limit_request_line = 8190
# gunicorn's control socket (gunicornc) only when asked for: by default every instance would share ~/.gunicorn/.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'

_format = os.environ.get("LOG_FORMAT", "text").lower()
_format = _format if _format in {"text", "json"} else "text"  # the application refuses anything else, saying so
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "perfplan.logs.TextFormatter"},
        "json": {"()": "perfplan.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": _format},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {
            "handlers": ["console"] if accesslog else [],
            "level": "INFO" if accesslog else "WARNING",
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
