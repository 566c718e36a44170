"""Benchmark: import a large synthetic plan workbook (≈ 10,000 indicators) into a throwaway database.

    .venv/bin/python benchmarks/bench_import.py                       # SQLite, a temporary file database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_x \\
        .venv/bin/python benchmarks/bench_import.py                   # PostgreSQL: give a THROWAWAY database

Prints one JSON line on stdout (fields in benchmarks/README.md); everything else goes to stderr. Without
DATABASE_URL, or with a sqlite URL, the database is a temporary SQLite file, deleted afterwards; any other
DATABASE_URL is used as it is: it is migrated and the benchmark's plans stay in it, so drop it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1_048_576
# 5 areas × 10 strategic × 11 operational × 5 actions = 3,355 nodes, 3 indicators on each: 10,065 indicators.
DEFAULT_SHAPE = {"areas": 5, "strategic": 10, "operational": 11, "actions": 5, "indicators": 3}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark plan_import on a synthetic workbook.")
    for name, default in DEFAULT_SHAPE.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--indicators-on", choices=["all", "leaves"], default="all")
    parser.add_argument("--no-measurements", action="store_true", help="workbook without the Consuntivi sheet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run (peak_mb is null)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the timed import, write pstats to FILE")
    return parser.parse_args(argv)


def setup_django(workdir: Path, *, static: bool = False) -> str:
    """Point Django at the benchmark database before setup; returns "sqlite" or "postgresql". With `static`, the
    static files are collected into the work folder first, as in production (DEBUG off serves the hashed names)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfplan.settings")
    os.environ.setdefault("DEBUG", "false")  # production-like: no query log, no debug cursor wrapper
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # DEBUG off refuses a weak key (settings.py)
    os.environ.setdefault("PERFPLAN_HTTPS", "false")  # the test client speaks plain HTTP: no redirect to https
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command
    from django.db import connection

    os.environ.setdefault("STATIC_ROOT", str(workdir / "static"))
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    if static:
        call_command("collectstatic", verbosity=0, interactive=False)
    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / MB if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def import_synthetic_plan(title: str):
    """The default-shape synthetic plan, imported under a new title (call after setup_django): the Plan."""
    from benchmarks.synthetic import synthetic_workbook
    from plans.models import Plan
    from workbook.plan_import import plan_import

    workbook = synthetic_workbook(**DEFAULT_SHAPE, ente_code="BENCH", title=f"{title} {time.time()}")
    report = plan_import(source=io.BytesIO(workbook))
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    return Plan.objects.get(pk=report.plan_id)


def fail(report) -> None:
    print(f"Import failed: {len(report.errors)} errors", file=sys.stderr)
    for issue in report.errors[:20]:
        print(f"  {issue}", file=sys.stderr)
    raise SystemExit(1)


def run(args: argparse.Namespace, workdir: Path) -> dict:
    db = setup_django(workdir)
    from django.conf import settings

    from benchmarks.synthetic import build_workbook
    from consuntivi.models import Measurement
    from indicators.models import Indicator, Target
    from plans.models import Objective
    from workbook.plan_import import plan_import
    from workbook.reader import read_plan_workbook

    shape = {name: getattr(args, name) for name in DEFAULT_SHAPE}
    run_id = uuid.uuid4().hex[:8]  # a new plan on every run, also in a reused PostgreSQL database
    common = dict(
        **shape,
        indicators_on=args.indicators_on,
        years=(2025, 2026, 2027),
        with_measurements=not args.no_measurements,
        seed=args.seed,
        ente_code="BENCH",
    )
    started = time.perf_counter()
    data, _counts = build_workbook(**common, title=f"Piano benchmark {run_id}")
    generate_seconds = time.perf_counter() - started
    path = workdir / "bench.xlsx"
    path.write_bytes(data)

    # 1. read and validate only (no database)
    started = time.perf_counter()
    result = read_plan_workbook(io.BytesIO(data), max_bytes=settings.MAX_WORKBOOK_BYTES)
    read_seconds = time.perf_counter() - started
    if result.errors:
        fail(result)

    # 2. the whole import, as `import_plan` runs it (read + validate + write in one transaction)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = plan_import(source=str(path))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler is not None:
        import pstats

        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    if not report.ok:
        fail(report)
    plan_id = report.plan_id
    rss_mb = maxrss_mb()  # the process peak so far: before the traced run, whose bookkeeping inflates it

    # 3. peak memory: the same import of a second plan, traced (tracemalloc slows Python down, so not timed)
    peak_mb = None
    if not args.no_trace:
        traced = workdir / "bench-traced.xlsx"
        traced.write_bytes(build_workbook(**common, title=f"Piano benchmark {run_id} (memoria)")[0])
        started = time.perf_counter()
        tracemalloc.start()
        traced_report = plan_import(source=str(traced))
        peak_mb = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
        print(f"traced import: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if not traced_report.ok:
            fail(traced_report)

    indicators = Indicator.objects.filter(objective__plan_id=plan_id).count()
    return {
        "benchmark": "import",
        "db": db,
        "indicators": indicators,
        "objectives": Objective.objects.filter(plan_id=plan_id).count(),
        "targets": Target.objects.filter(indicator__objective__plan_id=plan_id, is_current=True).count(),
        "measurements": Measurement.objects.filter(indicator__objective__plan_id=plan_id).count(),
        "seconds": round(seconds, 3),
        "read_seconds": round(read_seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "rows_per_s": round(indicators / seconds, 1),
        "peak_mb": None if peak_mb is None else round(peak_mb, 1),
        "maxrss_mb": round(rss_mb, 1),
        "file_mb": round(len(data) / MB, 2),
        "warnings": len(report.warnings),
        "generate_seconds": round(generate_seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    return run_benchmark(run, parse_args(argv))


def run_benchmark(run, args: argparse.Namespace) -> int:
    """Run a benchmark in a temporary folder (its SQLite file, its media), then print its one JSON line."""
    workdir = Path(tempfile.mkdtemp(prefix="perfplan-bench-"))
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON line only
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
