"""Production serving: the health check, static files through WhiteNoise, the logs, and the real gunicorn.

The module's fixture prepares what `make serve` prepares, in subprocesses with the production settings (DEBUG off,
perfplan/settings.py, not the test settings): `collectstatic` into a temporary STATIC_ROOT and a migrated temporary
SQLite database with one user. The gunicorn tests start deploy/gunicorn.conf.py on a free loopback port.
"""

from __future__ import annotations

import gzip
import http.client
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import brotli
import pytest
from django.db import OperationalError, connections
from django.test import Client, override_settings
from django.urls import reverse

from perfplan.logs import JsonFormatter, RequestIdFilter, TextFormatter
from tests.test_deploy_settings import STRONG_KEY

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
USER, PASSWORD = "gestore", "Gestore-Serve-2026!"
PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SETUP_DATABASE = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from perfplan.roles import Role
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user(username="{USER}", password="{PASSWORD}")
user.groups.add(Group.objects.get(name=Role.PLANNER))
"""


@dataclass(frozen=True)
class Served:
    static_root: Path
    env: dict[str, str]


def _production_env(**extra: str) -> dict[str, str]:
    # What a production server has: not the test run's DJANGO_* or settings variables.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env |= {"DJANGO_SETTINGS_MODULE": "perfplan.settings", "DEBUG": "false", "SECRET_KEY": STRONG_KEY}
    env |= {"ALLOWED_HOSTS": "127.0.0.1,perfplan.example.it", "PERFPLAN_HTTPS": "false"}
    return env | extra


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    base = tmp_path_factory.mktemp("served")
    env = _production_env(STATIC_ROOT=str(base / "static"), DATABASE_URL=f"sqlite:///{base / 'db.sqlite3'}")
    commands = [
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        [sys.executable, "manage.py", "shell", "-c", SETUP_DATABASE],
    ]
    running = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]
    for process in running:  # both at once: the two cores
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, (process.args, out.decode(), err.decode())
    return Served(static_root=base / "static", env=env)


# --- the health check -----------------------------------------------------------------------------------------------


def test_health_answers_200_and_json_with_the_database(client, db):
    response = client.get("/salute/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "jobs": "ok"}
    assert "no-store" in response["Cache-Control"]  # a monitor never reads a cached answer
    assert client.head("/salute/").status_code == 200
    assert client.post("/salute/").status_code == 405


def test_health_answers_503_when_the_database_does_not(client, db, monkeypatch, caplog):
    def unreachable():
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="perfplan.health"):
        patch.setattr(connections["default"], "cursor", unreachable)  # Django's connection, not perfplan's code
        response = client.get("/salute/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "jobs": "error"}  # the queue is a table
    assert "5432" not in response.content.decode()  # the reason goes to the log, not to anyone who asks
    assert "Health check 'database' failed" in caplog.text and "Connection refused" in caplog.text


def failing_job_queue_check():
    raise RuntimeError("no worker seen for 10 minutes")


def test_a_check_added_to_the_settings_is_answered_by_name(client, db, settings):
    settings.HEALTH_CHECKS = {**settings.HEALTH_CHECKS, "jobs": "tests.test_serving.failing_job_queue_check"}
    response = client.get("/salute/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "jobs": "error"}


def test_health_is_public_and_answers_plain_http_when_https_is_on(db):
    with override_settings(SECURE_SSL_REDIRECT=True):
        client = Client()  # a new handler: SecurityMiddleware reads the redirect settings when it starts
        assert client.get("/salute/").status_code == 200
        login = client.get(reverse("login"))
        assert login.status_code == 301 and login.url.startswith("https://")


# --- logs -----------------------------------------------------------------------------------------------------------


def _record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.getLogger("perfplan.test").makeRecord(
        "perfplan.test", logging.WARNING, __file__, 1, message, args, None, extra=extra
    )
    RequestIdFilter().filter(record)
    return record


def test_the_json_formatter_writes_one_parsable_object_per_record():
    line = JsonFormatter().format(_record("Importati %d obiettivi «%s»", 3, "Città", plan_id=7, when=object()))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Importati 3 obiettivi «Città»"
    assert entry["level"] == "WARNING" and entry["logger"] == "perfplan.test" and entry["request_id"] == "-"
    assert entry["plan_id"] == 7 and entry["when"].startswith("<object object")  # extras, str() if not JSON
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_the_json_formatter_keeps_the_traceback_inside_the_line():
    try:
        raise ValueError("riga 12: valore non valido")
    except ValueError:
        record = logging.getLogger("perfplan.test").makeRecord(
            "perfplan.test", logging.ERROR, __file__, 1, "Import fallito", (), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Import fallito"
    assert entry["exc"].startswith("Traceback") and "ValueError: riga 12: valore non valido" in entry["exc"]


def test_the_text_formatter_is_one_readable_line():
    line = TextFormatter().format(_record("Piano %s adottato", "2026"))
    assert re.fullmatch(r"\S+Z WARNING perfplan\.test \[-\] Piano 2026 adottato", line)


def test_each_request_is_logged_with_its_id_status_and_duration(client, db, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    request_logger = logging.getLogger("perfplan.request")
    request_logger.addHandler(handler)
    level = request_logger.level
    request_logger.setLevel(logging.INFO)
    try:
        response = client.get("/salute/")
        settings.PROXY_COUNT = 1  # a trusted proxy's X-Request-ID is kept; without a proxy it is replaced
        proxied = client.get("/accounts/login/", HTTP_X_REQUEST_ID="nginx-4f2a")
        forged = client.get("/accounts/login/", HTTP_X_REQUEST_ID="a b\nfalsa riga")
    finally:
        request_logger.removeHandler(handler)
        request_logger.setLevel(level)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/salute/", 200),
        ("GET", "/accounts/login/", 200),
        ("GET", "/accounts/login/", 200),
    ]
    assert entries[0]["request_id"] == response["X-Request-ID"] and re.fullmatch(
        r"[0-9a-f]{32}", response["X-Request-ID"]
    )
    assert entries[1]["request_id"] == proxied["X-Request-ID"] == "nginx-4f2a"
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in entries)
    assert entries[0]["user_id"] is None and entries[0]["client"] == "127.0.0.1"


# --- static files ---------------------------------------------------------------------------------------------------


def _hashed(html: str, name: str) -> str:
    stem, suffix = name.rsplit(".", 1)
    found = re.search(rf'"(/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix})"', html)
    assert found, f"no hashed link to {name}"
    return found.group(1)


def test_whitenoise_serves_hashed_compressed_files_with_debug_off(served, db):
    # The production values, against the collected STATIC_ROOT (the test settings read static/ for speed).
    production = {"WHITENOISE_AUTOREFRESH": False, "WHITENOISE_USE_FINDERS": False}
    with override_settings(DEBUG=False, STATIC_ROOT=served.static_root, STORAGES=PRODUCTION_STATIC, **production):
        client = Client()
        html = client.get(reverse("login")).content.decode()
        url = _hashed(html, "css/perfplan.css")
        on_disk = (served.static_root / url.removeprefix("/static/")).read_bytes()
        assert on_disk == (ROOT / "static/css/perfplan.css").read_bytes()

        brotli_answer = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert brotli_answer.status_code == 200 and brotli_answer["Content-Encoding"] == "br"
        assert brotli_answer["Cache-Control"] == "max-age=315360000, public, immutable"
        assert brotli.decompress(b"".join(brotli_answer.streaming_content)) == on_disk

        gzip_answer = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert gzip_answer["Content-Encoding"] == "gzip"
        assert gzip.decompress(b"".join(gzip_answer.streaming_content)) == on_disk

        plain = client.get(url)
        assert "Content-Encoding" not in plain and b"".join(plain.streaming_content) == on_disk
        assert client.get("/static/css/perfplan.css").status_code == 404  # only hashed names are kept


# --- gunicorn -------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _cookies(headers) -> dict:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


class Gunicorn:
    def __init__(self, served: Served, **env: str) -> None:
        self.port = _free_port()
        self.output: tuple[str, str] | None = None
        environment = served.env | {"GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "1"}
        environment |= {"GUNICORN_THREADS": "2", "LOG_FORMAT": "json", **env}
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "deploy/gunicorn.conf.py")],
            cwd="/",  # the config finds the project by itself
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def wait_until_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()
            try:
                _request(self.port, "GET", "/salute/", {"Host": "127.0.0.1"})
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer on port {self.port} in {seconds} s")

    def stop(self) -> tuple[str, str]:
        """Stops the master and its worker; what they wrote on stdout and on stderr."""
        if self.output is None:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                out, err = self.process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                out, err = self.process.communicate(timeout=5)
            self.output = (out.decode(), err.decode())
        return self.output


@pytest.fixture
def gunicorn_server(served):
    started = []

    def start(**env: str) -> Gunicorn:
        server = Gunicorn(served, **env)
        started.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in started:
        server.stop()
        assert server.process.poll() is not None


def _log_in(port: int, headers: dict[str, str]) -> tuple[SimpleCookie, SimpleCookie]:
    status, response_headers, body = _request(port, "GET", "/accounts/login/", headers)
    assert status == 200, body[:500]
    form_cookies = _cookies(response_headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)
    form = urlencode({"csrfmiddlewaretoken": token, "username": USER, "password": PASSWORD})
    post_headers = headers | {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={form_cookies['csrftoken'].value}",
    }
    status, response_headers, body = _request(port, "POST", "/accounts/login/", post_headers, form)
    assert status == 302 and response_headers["Location"] == "/", (status, body[:500])
    return form_cookies, _cookies(response_headers)


def test_gunicorn_on_a_plain_http_intranet_serves_health_login_and_static_files(gunicorn_server, served):
    server = gunicorn_server(PERFPLAN_HTTPS="false")
    host = {"Host": "127.0.0.1"}

    status, headers, body = _request(server.port, "GET", "/salute/", host)
    assert (status, headers["Content-Type"], json.loads(body)) == (
        200,
        "application/json",
        {"status": "ok", "database": "ok", "jobs": "ok"},
    )

    status, headers, body = _request(server.port, "GET", "/accounts/login/", host)
    assert status == 200 and "Strict-Transport-Security" not in headers
    css = _hashed(body.decode(), "vendor/bootstrap-italia/css/bootstrap-italia.min.css")
    status, headers, body = _request(server.port, "GET", css, host | {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "immutable" in headers["Cache-Control"]
    assert gzip.decompress(body) == (served.static_root / css.removeprefix("/static/")).read_bytes()

    # The login works over plain HTTP with DEBUG off: cookies without Secure, so a browser sends them back.
    form_cookies, session_cookies = _log_in(server.port, host)
    assert not form_cookies["csrftoken"]["secure"] and not session_cookies["sessionid"]["secure"]
    status, _, body = _request(
        server.port, "GET", "/", host | {"Cookie": f"sessionid={session_cookies['sessionid'].value}"}
    )
    assert status == 200 and f'data-testid="current-user">{USER}' in body.decode() and "Esci" in body.decode()

    # LOG_FORMAT=json: every line on stdout is one JSON record, gunicorn's and the application's.
    out, err = server.stop()
    records = [json.loads(line) for line in out.splitlines()]
    assert {"gunicorn.error", "perfplan.request"} <= {r["logger"] for r in records}
    requests = [r for r in records if r["logger"] == "perfplan.request"]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
        ("GET", "/salute/", 200),
        ("POST", "/accounts/login/", 302),
    }
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) for r in requests)
    assert "perfplan.request" not in err


def test_gunicorn_behind_an_https_proxy_trusts_its_forwarded_proto(gunicorn_server):
    server = gunicorn_server(PERFPLAN_HTTPS="true", PROXY_COUNT="1")
    host = {"Host": "perfplan.example.it"}
    proxied = host | {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

    status, headers, _ = _request(server.port, "GET", "/accounts/login/", host)  # plain HTTP reaching the app
    assert status == 301 and headers["Location"] == "https://perfplan.example.it/accounts/login/"
    status, _, body = _request(server.port, "GET", "/salute/", host)  # monitors call the app directly
    assert status == 200 and json.loads(body)["status"] == "ok"

    form_cookies, session_cookies = _log_in(server.port, proxied | {"Origin": "https://perfplan.example.it"})
    assert form_cookies["csrftoken"]["secure"] and session_cookies["sessionid"]["secure"]
    cookie = {"Cookie": f"sessionid={session_cookies['sessionid'].value}"}
    status, headers, body = _request(server.port, "GET", "/", proxied | cookie)
    assert status == 200 and f'data-testid="current-user">{USER}' in body.decode()
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
