"""Benchmark: render the Relazione sulla performance to PDF, and download the validated one.

    .venv/bin/python benchmarks/bench_relazione.py [--synthetic-only | --modena-only]

Prints one JSON line on stdout: for the Modena demo (fixtures/, invented 2017 consuntivi) and for a synthetic plan of
about 10,000 indicators (benchmarks/synthetic.py): pages, seconds, pages per second and the peak RSS of the process
that rendered it (each render runs in its own forked process, so each peak is its own), and the render's CPU
seconds (the steadier figure on a shared machine), the chunk workers (RELAZIONE_PDF_WORKERS) and their largest
peak RSS; with --compare-workers the synthetic plan again with one worker, and the speed-up; then the time of the
validated download (stored file streamed, never rendered again), median of 20 requests. Uses a temporary SQLite
database and media folder, deleted afterwards. Aims: ≥ 8 pages/s, < 500 MB, download < 50 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import multiprocessing
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# 5 areas × 10 OS × 10 OO × 4 actions = 2,555 nodes with 4 indicators each: 10,220 indicators.
SYNTHETIC = {"areas": 5, "strategic": 10, "operational": 10, "actions": 4, "indicators": 4}


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfplan.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # DEBUG off refuses a weak key (settings.py)
    os.environ.setdefault("PERFPLAN_HTTPS", "false")  # the test client speaks plain HTTP: no redirect to https
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    os.environ.setdefault("STATIC_ROOT", str(workdir / "static"))
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # DEBUG off serves the hashed names


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _descendants_peak_mb(root: int) -> float:
    """The largest peak RSS (VmHWM) among the processes under `root` (the chunk workers, under the forkserver)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    peak = 0.0
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root:
            with contextlib.suppress(OSError, ValueError, IndexError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _render_child(plan_id: int, year: int, out: str, queue) -> None:
    import threading

    from django.db import connections

    connections.close_all()
    worker_peak = [0.0]
    rendering = threading.Event()

    def sample() -> None:  # the workers' peaks, read while they live (they exit with the pool)
        while not rendering.wait(0.2):
            worker_peak[0] = max(worker_peak[0], _descendants_peak_mb(os.getpid()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from plans.models import Plan
    from reports.services import relazione_render_pdf

    plan = Plan.objects.select_related("ente").get(pk=plan_id)
    cpu = time.process_time()
    rendered = relazione_render_pdf(plan=plan, year=year)
    cpu = time.process_time() - cpu
    rendering.set()
    sampler.join()
    Path(out).write_bytes(rendered.content)
    queue.put(
        {
            "pages": rendered.pages,
            "seconds": rendered.seconds,
            "cpu_seconds": cpu,
            "maxrss_mb": maxrss_mb(),
            "worker_peak_mb": worker_peak[0],
        }
    )


def render_in_child(plan_id: int, year: int, out: Path) -> dict:
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_render_child, args=(plan_id, year, str(out), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return {
        "pages": result["pages"],
        "seconds": round(result["seconds"], 2),
        "pages_per_s": round(result["pages"] / result["seconds"], 1),
        "cpu_seconds": round(result["cpu_seconds"], 2),
        "peak_rss_mb": round(result["maxrss_mb"], 1),
        "workers": settings_workers(),
        "worker_peak_rss_mb": round(result["worker_peak_mb"], 1),
        "pdf_mb": round(out.stat().st_size / 1_048_576, 2),
    }


def settings_workers() -> int:
    from reports.pdf import pdf_workers

    return pdf_workers()


def validated_download_ms(plan) -> dict:
    """Close, approve and validate Modena 2017, then time the download of the stored file."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    from perfplan.roles import Role
    from plans.models import Profile
    from reports.models import BilancioLine
    from reports.services import (
        ValidationInput,
        relazione_approve,
        relazione_close_year,
        relazione_get_or_create,
        relazione_update_texts,
        relazione_validate,
    )

    users = {}
    for role in (Role.PLANNER, Role.OIV):
        user = get_user_model().objects.create_user(username=f"bench-{role}", password="x")
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, ente=plan.ente)
        users[role] = user
    for code, amount in {"1": 9_000_000, "6": 4_000_000, "7": 2_000_000, "8": 2_500_000}.items():
        BilancioLine.objects.create(ente=plan.ente, year=2017, code=code, amount=amount)
    relazione = relazione_get_or_create(plan=plan, year=2017)
    # The texts whose default is an instruction are written (approval is refused while one is left).
    relazione_update_texts(
        relazione=relazione,
        texts={key: "<p>Testo della Relazione.</p>" for key in ("contesto", "misurazione", "genere", "processo")},
        user=users[Role.PLANNER],
    )
    relazione.refresh_from_db()
    # The demo leaves units not sent and values missing (as the Modena report did): closing is confirmed.
    relazione_close_year(plan=plan, year=2017, user=users[Role.PLANNER], confirmed=True)
    relazione_approve(
        relazione=relazione, organ="delibera di Giunta", number="1", date=dt.date(2018, 6, 1), user=users[Role.PLANNER]
    )
    started = time.perf_counter()
    data = ValidationInput(dt.date(2018, 6, 28), "validata", "Conforme.", "OIV di prova", ["fonti"])
    relazione_validate(relazione=relazione, data=data, user=users[Role.OIV])
    validate_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(users[Role.OIV])
    url = reverse("reports:pdf", args=[plan.pk, 2017])
    timings = []
    for _ in range(21):
        started = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and body.startswith(b"%PDF")
    return {"validate_seconds": round(validate_seconds, 2), "download_ms": round(statistics.median(timings[1:]), 1)}


def run(args: argparse.Namespace, workdir: Path) -> dict:
    setup_django(workdir)
    from benchmarks.synthetic import synthetic_workbook
    from indicators.models import Indicator
    from plans.models import Plan
    from workbook.plan_import import plan_import

    line: dict = {"benchmark": "relazione"}
    if not args.synthetic_only:
        report = plan_import(source=ROOT / "fixtures" / "modena_2017_2019.xlsx")
        modena = Plan.objects.select_related("ente").get(pk=report.plan_id)
        line["modena"] = render_in_child(modena.pk, 2017, workdir / "modena.pdf")
        line["modena"]["indicators"] = Indicator.objects.filter(objective__plan=modena).count()
        line.update(validated_download_ms(modena))
    if not args.modena_only:
        report = plan_import(source=io.BytesIO(synthetic_workbook(**SYNTHETIC, ente_code="SYN")))
        assert report.ok, report.errors[:3]
        synthetic = Plan.objects.get(pk=report.plan_id)
        line["synthetic"] = render_in_child(synthetic.pk, synthetic.start_year, workdir / "synthetic.pdf")
        line["synthetic"]["indicators"] = Indicator.objects.filter(objective__plan=synthetic).count()
        if args.compare_workers:  # the same render with the chunks drawn one after the other, in the process itself
            from django.test import override_settings

            with override_settings(RELAZIONE_PDF_WORKERS=1):
                line["synthetic_one_worker"] = render_in_child(
                    synthetic.pk, synthetic.start_year, workdir / "synthetic-1.pdf"
                )
            line["speedup"] = round(line["synthetic_one_worker"]["seconds"] / line["synthetic"]["seconds"], 2)
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the Relazione PDF.")
    parser.add_argument("--synthetic-only", action="store_true")
    parser.add_argument("--modena-only", action="store_true")
    parser.add_argument(
        "--compare-workers", action="store_true", help="render the synthetic plan again with RELAZIONE_PDF_WORKERS=1"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="perfplan-bench-relazione-"))
    try:
        with contextlib.redirect_stdout(sys.stderr):
            line = run(args, workdir)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
