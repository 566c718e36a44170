"""The Relazione PDF rendered as a background job, and the app answering meanwhile.

    .venv/bin/python benchmarks/bench_jobs.py              # the preview of the Modena demo 2017
    .venv/bin/python benchmarks/bench_jobs.py --synthetic  # the preview and the validated (final) PDF of the
                                                           # 10.220-indicator synthetic plan (about 10 minutes)

Starts, on this machine only (loopback), what `make serve` starts: gunicorn (2 processes × 4 threads) and the job
worker (`manage.py db_worker`) in its own process, on a database of its own (DATABASE_URL; default: a new SQLite file
in a temporary folder; PostgreSQL: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfplan_bench_jobs`, created
when missing, the demo loaded when empty). Logs in as the demo planner, asks the preview PDF of Modena 2017 the way
the page does (htmx POST), then times GET / (the plans list, «Piani») one request after the other until the job is
done, and the same page with nothing running. Prints one JSON line: the job's queue wait and render seconds, its
pages, and the plans page p50/max/count before and during the render. `--synthetic` imports the synthetic plan of
bench_relazione.py (10.220 indicators) into that database, asks its preview as a planner of its ente, then approves
its Relazione and has an OIV validate it through the page (the job renders the final PDF, then stores it with the
act), timing the plans page during each render and sampling the progress the page shows (pages drawn / total).
Bounded: each job must finish within 300 s (900 s for the synthetic plan); every process it starts is stopped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import io
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
SYNTHETIC_LIMIT = 900
SYNTHETIC_PASSWORD = "Bench-jobs-2026!"


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


class Stack:
    """gunicorn (2 processes × 4 threads, as a small `make serve`) and the job worker, on the loopback."""

    def __init__(self, env: dict) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        server_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
        }
        out = subprocess.DEVNULL
        gunicorn = str(Path(PY).parent / "gunicorn")
        self.processes = [
            subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=server_env, stdout=out),
            subprocess.Popen([PY, "manage.py", "db_worker", "--no-reload"], cwd=ROOT, env=env, stdout=out),
        ]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def logged_in(base: str, username: str, password: str) -> Browser:
    browser = Browser(base)
    browser.get("/accounts/login/")
    browser.post("/accounts/login/", {"username": username, "password": password}, {"X-CSRFToken": browser.csrf()})
    assert browser.get("/")[0] == 200, f"{username} could not log in"
    return browser


def run_job(asker: Browser, path: str, data: dict, kind: str, watcher: Browser, limit: float) -> dict:
    """Ask the job the way the page does (htmx POST), then until it is done: the plans page asked by `watcher` one
    request after the other while the worker renders, the job's own poll, and the progress it shows."""
    from jobs.models import Job

    last = Job.objects.filter(kind=kind).order_by("-pk").first()
    asked = time.perf_counter()
    # 200: the job's panel (the preview); 204 with HX-Redirect back to the Relazione (the validation form)
    assert asker.post(path, data, {"HX-Request": "true", "X-CSRFToken": asker.csrf()}) in (200, 204)
    job = Job.objects.filter(kind=kind).order_by("-pk").first()
    assert job is not None and job != last, "no job was started"
    during: list[float] = []
    progress: list[tuple[float, int, int]] = []
    polls = 0
    while True:
        job.refresh_from_db()
        if not job.active:
            break
        if time.perf_counter() - asked > limit:
            raise RuntimeError("the render took longer than the benchmark allows")
        if job.started_at is not None:  # only while the worker renders
            during.append(watcher.get("/")[1])
            if not progress or progress[-1][1:] != (job.done, job.total):
                progress.append((round(time.perf_counter() - asked, 1), job.done, job.total))
        asker.get(job.status_url)  # the page's own poll, as the browser does it
        polls += 1
        time.sleep(0.2)
    wall = time.perf_counter() - asked
    assert job.state == "completato", job.error
    return {
        "pages": job.artifact.pages,
        "queue_wait_s": round((job.started_at - job.created_at).total_seconds(), 2),
        "render_s": round((job.finished_at - job.started_at).total_seconds(), 2),
        "asked_to_done_s": round(wall, 2),
        "status_polls": polls,
        "progress_steps": len(progress),
        "progress_first_last": [progress[0], progress[-1]] if progress else None,
        "plans_page_during_render": summary(during) if during else None,
    }


def synthetic_plan():
    """bench_relazione.py's synthetic plan imported, with a planner and an OIV of its ente."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from benchmarks.bench_relazione import SYNTHETIC
    from benchmarks.synthetic import synthetic_workbook
    from perfplan.roles import Role
    from plans.models import Plan, Profile
    from workbook.plan_import import plan_import

    report = plan_import(source=io.BytesIO(synthetic_workbook(**SYNTHETIC, ente_code="SYN")))
    assert report.ok, report.errors[:3]
    plan = Plan.objects.select_related("ente").get(pk=report.plan_id)
    for username, role in (("bench-pianificazione", Role.PLANNER), ("bench-oiv", Role.OIV)):
        user = get_user_model().objects.create_user(username=username, password=SYNTHETIC_PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, ente=plan.ente)
    return plan


def approved(plan, year: int) -> None:
    """The Relazione written, its year closed and the Relazione approved, as the planning office does it."""
    from django.contrib.auth import get_user_model

    from consuntivi.models import Measurement
    from reports.models import BilancioLine
    from reports.services import (
        relazione_approve,
        relazione_close_year,
        relazione_get_or_create,
        relazione_update_texts,
    )

    planner = get_user_model().objects.get(username="bench-pianificazione")
    # What approval asks of the office first: the budget lines of table 2.1 and a note on every missed target.
    for code, amount in {"1": 9_000_000, "6": 4_000_000, "7": 2_000_000, "8": 2_500_000}.items():
        BilancioLine.objects.create(ente=plan.ente, year=year, code=code, amount=amount)
    Measurement.objects.filter(indicator__objective__plan=plan, year=year, note="").update(
        note="Scostamento dovuto a cause esterne."
    )
    relazione = relazione_get_or_create(plan=plan, year=year)
    texts = {key: "<p>Testo della Relazione.</p>" for key in ("contesto", "misurazione", "genere", "processo")}
    relazione_update_texts(relazione=relazione, texts=texts, user=planner)
    relazione.refresh_from_db()
    relazione_close_year(plan=plan, year=year, user=planner, confirmed=True)
    relazione_approve(
        relazione=relazione, organ="delibera di Giunta", number="1", date=dt.date(year + 1, 6, 1), user=planner
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="the 10.220-indicator plan, preview and final PDF")
    args = parser.parse_args(argv)
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
    from jobs.models import JobKind
    from plans.models import Plan

    if args.synthetic:
        plan, limit = synthetic_plan(), SYNTHETIC_LIMIT
        year, planner = plan.start_year, ("bench-pianificazione", SYNTHETIC_PASSWORD)
    else:
        plan, limit = Plan.objects.get(ente__code="MO", start_year=2017), LIMIT
        year, planner = 2017, ("pianificazione", "Pianifica-2017!")
    stack = Stack(env)
    try:
        wait_for(stack.base + "/salute/")
        browser = logged_in(stack.base, *planner)
        before = [browser.get("/")[1] for _ in range(20)]
        line = {
            "benchmark": "jobs_relazione_preview" if not args.synthetic else "jobs_relazione_synthetic",
            "database": env["DATABASE_URL"].split(":", 1)[0],
            "plan": plan.title,
            "plans_page_idle": summary(before),
        }
        preview = run_job(
            browser, f"/relazioni/{plan.pk}/{year}/genera-pdf/", {}, JobKind.RELAZIONE_DRAFT, browser, limit
        )
        if not args.synthetic:
            line.update(preview)
        else:
            line["preview"] = preview
            print(json.dumps(line), file=sys.stderr, flush=True)  # kept if the final part fails
            approved(plan, year)
            oiv = logged_in(stack.base, "bench-oiv", SYNTHETIC_PASSWORD)
            form = {
                "date": f"28/06/{year + 1}",
                "outcome": "validata",
                "text": "La Relazione è conforme.",
                "members": "OIV di prova",
                "checklist": "fonti",
            }
            line["final"] = run_job(
                oiv, f"/relazioni/{plan.pk}/{year}/valida/", form, JobKind.RELAZIONE_VALIDATE, browser, limit
            )
        print(json.dumps(line))
    finally:
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
