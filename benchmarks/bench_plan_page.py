"""Benchmark: the planner's plan page of a ≈10,000-indicator synthetic plan, through Django's test client.

    .venv/bin/python benchmarks/bench_plan_page.py            # SQLite, a temporary file database
    DATABASE_URL=postgres://…/bench_x .venv/bin/python benchmarks/bench_plan_page.py   # a THROWAWAY database
    .venv/bin/python benchmarks/bench_plan_page.py --profile page.pstats   # cProfile of one default-view request

Prints one JSON line (fields in benchmarks/README.md): the first view (a plan with more than PLAN_PAGE_LAZY_NODES
nodes opens on its areas and their first level), the rows a node's expand control fetches (`children`: a strategic
and an operational objective) and the first page of «tutte le aree» (`?area=-1`), each the best of --repeat GETs by CPU
time, with the CPU time split into plan_score, the rest of the selector and everything else (template, middleware);
then the size of every page of «tutte le aree» (`all_areas_pages`). These views find the plan year scored and kept
(consuntivi.scores, PLAN_SCORES_KEPT); `after_a_write` is the first view again, each GET after a write to the plan,
which scores it anew.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_import import import_synthetic_plan, run_benchmark, setup_django  # noqa: E402


class Spans:
    """CPU seconds spent inside a wrapped function during one request (the benchmark's own instrumentation)."""

    def __init__(self, function):
        self.function = function
        self.cpu = 0.0

    def __call__(self, *args, **kwargs):
        started = time.process_time()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.cpu += time.process_time() - started


def measure(client, url: str, repeat: int, page_spans: Spans, score_spans: Spans, before_each=None, **headers) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:  # a separate request: the debug cursor costs time
        response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    html = response.content
    query_count = len(queries)  # now: the next request empties the query log
    best = None
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        page_spans.cpu = score_spans.cpu = 0.0
        cpu_started = time.process_time()
        started = time.perf_counter()
        response = client.get(url, **headers)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        assert response.status_code == 200
        run = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "plan_score_seconds": round(score_spans.cpu, 3),
            "rows_seconds": round(page_spans.cpu - score_spans.cpu, 3),
            "render_seconds": round(cpu - page_spans.cpu, 3),
            "without_plan_score_seconds": round(cpu - score_spans.cpu, 3),
        }
        best = run if best is None or run["cpu_seconds"] < best["cpu_seconds"] else best
    tree_html = html[max(html.find(b'data-testid="plan-tree"'), 0) :]  # a fetch of rows is all rows
    return {
        **best,
        "queries": query_count,
        "html_kb": round(len(html) / 1024, 1),
        "shown_nodes": tree_html.count(b'class="node-row'),
        "shown_indicators": tree_html.count(b'class="ind-row'),
    }


def run(args: argparse.Namespace, workdir: Path) -> dict:
    db = setup_django(workdir, static=True)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from indicators.models import Indicator
    from perfplan.roles import Role
    from plans import page as page_module
    from plans import views
    from plans.models import Objective, Profile

    plan = import_synthetic_plan("Pagina")
    user = get_user_model().objects.create_user(username=f"bench-planner-{time.time_ns()}", password="x")
    user.groups.add(Group.objects.get(name=Role.PLANNER))
    Profile.objects.create(user=user, ente=plan.ente)
    client = Client(HTTP_HOST="localhost")  # in ALLOWED_HOSTS by default (the client says "testserver")
    client.force_login(user)

    score_spans = Spans(page_module.plan_score)
    page_spans = Spans(views.plan_page)
    children_spans = Spans(views.node_children)
    page_module.plan_score, views.plan_page, views.node_children = score_spans, page_spans, children_spans
    try:
        url = plan.get_absolute_url()
        if args.profile:
            client.get(url)  # warm
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(url)
            profiler.disable()
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        client.get(url)  # warm: templates compiled, URL resolvers and caches filled
        default = measure(client, url, args.repeat, page_spans, score_spans)

        def touch() -> None:  # a write to the plan: its data token changes, so the next view scores it again
            with connection.cursor() as cursor:
                cursor.execute("UPDATE plans_plan SET id = id WHERE id = %s", [plan.pk])

        after_a_write = measure(client, url, args.repeat, page_spans, score_spans, before_each=touch)
        children = {}
        for level in ("strategic", "operational"):
            node = Objective.objects.filter(plan=plan, level=level).order_by("position", "id").first()
            fetch = reverse("plans:objective_children", args=[plan.pk, node.pk])
            children[level] = measure(client, fetch, args.repeat, children_spans, score_spans, HTTP_HX_REQUEST="true")
        all_areas = measure(client, url + "?area=-1", max(1, args.repeat - 1), page_spans, score_spans)
        sizes, more = [], True
        while more and len(sizes) < 1000:  # every page once, for its size
            content = client.get(url + f"?area=-1&pagina={len(sizes) + 1}").content
            sizes.append(len(content))
            more = b'rel="next"' in content
    finally:
        page_module.plan_score, views.plan_page = score_spans.function, page_spans.function
        views.node_children = children_spans.function
    return {
        "benchmark": "plan_page",
        "db": db,
        "nodes": plan.objectives.count(),
        "indicators": Indicator.objects.filter(objective__plan=plan).count(),
        **default,
        "after_a_write": after_a_write,
        "children": children,
        "all_areas": all_areas,
        "all_areas_pages": {"pages": len(sizes), "max_kb": round(max(sizes) / 1024, 1)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", metavar="FILE", help="cProfile one default-view request, write pstats to FILE")
    args = parser.parse_args()
    return run_benchmark(run, args)


if __name__ == "__main__":
    sys.exit(main())
