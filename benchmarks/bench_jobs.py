"""The Relazione preview of the Modena demo as a background job, and the app answering meanwhile.

Starts, on this machine only (loopback), what `make serve` starts: gunicorn (2 processes × 4 threads) and the job
worker (`manage.py db_worker`) in its own process, on a database of its own (DATABASE_URL; default: a new SQLite file
in a temporary folder; PostgreSQL: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfplan_bench_jobs`, created
when missing, the demo loaded when empty). Logs in as the demo planner, asks the preview PDF of Modena 2017 the way
the page does (htmx POST), then times GET / (the plans list, «Piani») one request after the other until the job is
done, and the same page with nothing running. Prints one JSON line: the job's queue wait and render seconds, its
pages, and the plans page p50/max/count before and during the render. Bounded: the job must finish within 300 s;
every process it starts is stopped.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LIMIT = 300  # seconds for the whole render


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        with self.opener.open(self.base + path, timeout=60) as response:
            response.read()
            return response.status, time.perf_counter() - started

    def post(self, path: str, data: dict, headers: dict | None = None) -> int:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        request.add_header("Referer", self.base + path)
        with self.opener.open(request, timeout=60) as response:
            response.read()
            return response.status


def summary(times: list[float]) -> dict:
    return {
        "count": len(times),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def main() -> int:
    env = {**os.environ, "DEBUG": "true", "LOG_REQUESTS": "false", "LOG_LEVEL": "WARNING"}
    tmp = tempfile.mkdtemp(prefix="perfplan-bench-jobs-")
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    env["MEDIA_ROOT"] = f"{tmp}/media"
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    if env["DATABASE_URL"].startswith("postgres"):
        subprocess.run([PY, "manage.py", "ensure_database"], **quiet)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], **quiet)
    subprocess.run([PY, "manage.py", "seed_demo", "--if-empty"], **quiet)

    os.environ.update({k: env[k] for k in ("DEBUG", "DATABASE_URL", "MEDIA_ROOT")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfplan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from jobs.models import Job, JobKind
    from plans.models import Plan

    plan = Plan.objects.get(ente__code="MO", start_year=2017)
    port = free_port()
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"}
    out = subprocess.DEVNULL
    server = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=server_env, stdout=out
    )
    worker = subprocess.Popen([PY, "manage.py", "db_worker", "--no-reload"], cwd=ROOT, env=env, stdout=out)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/salute/")
        browser = Browser(base)
        browser.get("/accounts/login/")
        browser.post(
            "/accounts/login/",
            {"username": "pianificazione", "password": "Pianifica-2017!"},
            {"X-CSRFToken": browser.csrf()},
        )
        assert browser.get("/")[0] == 200
        before = [browser.get("/")[1] for _ in range(20)]

        last = Job.objects.filter(kind=JobKind.RELAZIONE_DRAFT).order_by("-pk").first()
        asked = time.perf_counter()
        headers = {"HX-Request": "true", "X-CSRFToken": browser.csrf()}
        assert browser.post(f"/relazioni/{plan.pk}/2017/genera-pdf/", {}, headers) == 200
        job = Job.objects.filter(kind=JobKind.RELAZIONE_DRAFT).order_by("-pk").first()
        assert job is not None and job != last
        during: list[float] = []
        polls = 0
        while True:
            job.refresh_from_db()
            if not job.active:
                break
            if time.perf_counter() - asked > LIMIT:
                raise RuntimeError("the render took longer than the benchmark allows")
            if job.started_at is not None:  # only while the worker renders
                during.append(browser.get("/")[1])
            browser.get(job.status_url)  # the page's own poll, as the browser does it
            polls += 1
            time.sleep(0.2)
        wall = time.perf_counter() - asked
        assert job.state == "completato", job.error
        print(
            json.dumps(
                {
                    "benchmark": "jobs_relazione_preview",
                    "database": env["DATABASE_URL"].split(":", 1)[0],
                    "plan": plan.title,
                    "pages": job.artifact.pages,
                    "queue_wait_s": round((job.started_at - job.created_at).total_seconds(), 2),
                    "render_s": round((job.finished_at - job.started_at).total_seconds(), 2),
                    "asked_to_done_s": round(wall, 2),
                    "status_polls": polls,
                    "plans_page_idle": summary(before),
                    "plans_page_during_render": summary(during) if during else None,
                }
            )
        )
    finally:
        for process in (worker, server):
            process.terminate()
        for process in (worker, server):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
