"""Benchmark: score a ≈10,000-indicator synthetic plan (load + compute), with its query count.

    .venv/bin/python benchmarks/bench_scoring.py            # SQLite, a temporary file database
    DATABASE_URL=postgres://…/bench_x .venv/bin/python benchmarks/bench_scoring.py   # a THROWAWAY database

Prints one JSON line: {"benchmark": "scoring", "db", "indicators", "nodes", "load_seconds", "compute_seconds",
"seconds" (best of --repeat runs of load + compute), "build_seconds" and "score_seconds" (the two parts of compute:
ORM rows → inputs, then the pure core), "cpu_seconds" (process CPU time of that best run: steadier than wall time on a
shared machine), "collect_seconds" (not part of "seconds": the collector pass when it is switched back on while the
whole scored plan is still alive; a page pays it once, when its view returns, see perfplan.collector), "queries",
"score"}. Each run is timed as a view runs it, with the garbage collector paused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_import import import_synthetic_plan, run_benchmark, setup_django  # noqa: E402


def run(args: argparse.Namespace, workdir: Path) -> dict:
    db = setup_django(workdir)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consuntivi.scores import build_inputs, plan_score
    from consuntivi.trees import plan_tree_with_values
    from indicators.scoring import score_tree, score_units
    from perfplan.collector import gc_paused

    plan = import_synthetic_plan("Punteggi")
    year = plan.start_year
    best = None
    for _ in range(args.repeat):
        with gc_paused():  # as a view runs it (perfplan.collector.collector_paused)
            cpu_started = time.process_time()
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                tree = plan_tree_with_values(plan=plan, year=year)
            loaded = time.perf_counter()
            roots = build_inputs(tree, year)
            built = time.perf_counter()
            result = score_tree(roots, plan.scoring_rules())
            score_units(result, roots, [])
            done = time.perf_counter()
            cpu = time.process_time() - cpu_started
        collected = time.perf_counter()  # the collector back on with everything alive: one pass over it all
        timing = (
            done - started,
            loaded - started,
            done - loaded,
            len(queries),
            built - loaded,
            done - built,
            cpu,
            collected - done,
        )
        best = timing if best is None or timing[0] < best[0] else best
        del tree, roots, result  # freeing a run's 400,000 objects is not part of the next run's timing
    with CaptureQueriesContext(connection) as queries:
        scoring = plan_score(plan=plan, year=year)
    return {
        "benchmark": "scoring",
        "db": db,
        "indicators": len(scoring.result.indicators),
        "nodes": len(scoring.result.nodes),
        "seconds": round(best[0], 3),
        "load_seconds": round(best[1], 3),
        "compute_seconds": round(best[2], 3),
        "build_seconds": round(best[4], 3),
        "score_seconds": round(best[5], 3),
        "cpu_seconds": round(best[6], 3),
        "collect_seconds": round(best[7], 3),
        "queries": len(queries),
        "score": float(scoring.result.score) if scoring.result.score is not None else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    return run_benchmark(run, args)


if __name__ == "__main__":
    sys.exit(main())
