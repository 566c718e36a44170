"""Benchmark: saving one value of «I miei indicatori» (the row's htmx save) and opening the page, server CPU.

    .venv/bin/python benchmarks/bench_save.py               # SQLite, a temporary file database
    .venv/bin/python benchmarks/bench_save.py --repeat 200  # more saves per case
    .venv/bin/python benchmarks/bench_save.py --profile DIR # + cProfile of one request of each case (pstats in DIR)
    .venv/bin/python benchmarks/bench_save.py --sql         # + the SQL of one save of each case, on stderr
    DATABASE_URL=postgres://…/bench_x .venv/bin/python benchmarks/bench_save.py   # a THROWAWAY database

Issue 13 item 4 aims at a save ≤ 10 ms of server CPU and the page of the largest unit < 200 ms. Two synthetic plans
(benchmarks/synthetic.py, with the generated consuntivi of the first year, put back to drafts so that every row is
editable): the load test's (474 indicators, bench_load.py) and the large default one (≈ 10,000 indicators). On each,
a Responsabile of a typical office unit and one of the unit with the most rows (its sub-units included, as
«I miei indicatori» shows them) save a new value (and a note) of one of their numeric rows through Django's test
client, `HX-Request: true`, as the page does: CPU time of this process around the POST (`time.process_time`), median
and p95 of --repeat saves after a warm-up, and the queries of one save. The GET of «I miei indicatori» of the largest
unit is timed the same way (fewer repetitions). Prints one JSON line (fields in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_import import DEFAULT_SHAPE, run_benchmark, setup_django  # noqa: E402

LOAD_SHAPE = {"areas": 3, "strategic": 3, "operational": 5, "actions": 4, "indicators": 2}  # as bench_load.py


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cpu_ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "n": len(ordered),
    }


def version_in(response, prefix: str) -> int:
    return int(re.search(rf'name="{prefix}version" value="(\d+)"', response.content.decode())[1])


def build(shape: dict, code: str):
    """The plan imported with its first-year consuntivi, its final round open with every value a draft."""
    from benchmarks.synthetic import synthetic_workbook
    from consuntivi.models import Measurement, Round, RoundState
    from plans.models import Plan
    from workbook.plan_import import plan_import

    started = time.perf_counter()
    report = plan_import(source=io.BytesIO(synthetic_workbook(**shape, ente_code=code, title=f"Salvataggi {code}")))
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    plan = Plan.objects.get(pk=report.plan_id)
    rnd = Round.objects.get(plan=plan, final=True)
    Round.objects.filter(pk=rnd.pk).update(state=RoundState.OPEN)
    Measurement.objects.filter(round=rnd).update(status="bozza")
    rnd.refresh_from_db()
    log(f"plan {code}: imported in {time.perf_counter() - started:.1f} s")
    return plan, rnd


def head_of(unit, code: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from perfplan.roles import Role
    from plans.models import Profile

    user = get_user_model().objects.create_user(username=f"resp-{code}-{unit.code}-{time.time_ns()}", password="x")
    user.groups.add(Group.objects.get(name=Role.OFFICE_HEAD))
    Profile.objects.create(user=user, ente=unit.ente)
    unit.leaders.add(user)
    return user


def measure_plan(shape: dict, code: str, repeat: int, profile: str | None, show_sql: bool = False) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from consuntivi.selectors import round_data, units_led_by
    from indicators.models import Indicator
    from plans.models import OrgUnit

    plan, rnd = build(shape, code)
    data = round_data(data_round=rnd)
    units = list(OrgUnit.objects.filter(ente=plan.ente))
    rows_of = {b.unit.pk: b.rows for b in data.blocks}

    class Lead:  # units_led_by reads user.led_units
        def __init__(self, unit):
            self.led_units = OrgUnit.objects.filter(pk=unit.pk)

    def visible_rows(unit) -> list:  # what «I miei indicatori» shows its Responsabile: the unit and its sub-units
        return [row for pk in units_led_by(user=Lead(unit), units=units) for row in rows_of.get(pk, [])]

    offices = sorted((u for u in units if u.code.startswith("U") and u.pk in rows_of), key=lambda u: u.code)
    typical = offices[0]
    largest = max(units, key=lambda u: len(visible_rows(u)))
    result = {
        "indicators": Indicator.objects.filter(objective__plan=plan).count(),
        "round_rows": sum(len(b.rows) for b in data.blocks),
    }
    counter = itertools.count(10_000_000)
    for name, unit in (("typical", typical), ("largest", largest)):
        rows = visible_rows(unit)
        row = next(r for r in rows if r.input_kind == "number" and not r.ratio and not r.variables)
        client = Client(HTTP_HOST="localhost")
        client.force_login(head_of(unit, code))
        url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{row.indicator.pk}/salva/"
        prefix = f"m{row.indicator.pk}-"
        page = client.get(url, HTTP_HX_REQUEST="true")  # the row as stored: the version to send
        assert page.status_code == 200, page.status_code
        state = {"version": version_in(page, prefix), "seen": ""}

        def save(client=client, url=url, prefix=prefix, state=state) -> float:
            post = {
                prefix + "version": state["version"],
                prefix + "seen": state["seen"],
                prefix + "value": str(next(counter)),
                prefix + "note": "Valore del benchmark",
            }
            started = time.process_time()
            response = client.post(url, post, HTTP_HX_REQUEST="true")
            cpu = time.process_time() - started
            assert response.status_code == 200 and b'data-testid="saved"' in response.content, response.status_code
            state["version"] = version_in(response, prefix)
            return cpu

        save()  # warm-up: templates compiled, caches filled
        with CaptureQueriesContext(connection) as queries:
            save()
        save_queries = len(queries)  # now: the next request empties the query log
        if show_sql:
            log(f"--- the {save_queries} queries of one save, {code} {name} unit")
            for query in queries.captured_queries:
                log(f"{query['time']} {query['sql'][:300]}")
        samples = [save() for _ in range(repeat)]
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(save)
            Path(profile).mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(str(Path(profile) / f"save-{code}-{name}.pstats"))
            log(f"--- cProfile of one save, {code} {name} unit, top 25 by cumulative time")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        result[f"save_{name}"] = {
            "unit": unit.code,
            "unit_rows": len(rows),
            **cpu_ms(samples),
            "queries": save_queries,
        }
        if name == "largest":
            mine_url = f"/consuntivi/rilevazioni/{rnd.pk}/miei/"

            def mine(client=client, mine_url=mine_url) -> float:
                started = time.process_time()
                response = client.get(mine_url)
                cpu = time.process_time() - started
                assert response.status_code == 200, response.status_code
                return cpu

            mine()
            with CaptureQueriesContext(connection) as queries:
                mine()
            mine_queries = len(queries)
            samples = [mine() for _ in range(max(3, repeat // 10))]
            result["mine_largest"] = {"unit": unit.code, "unit_rows": len(rows), **cpu_ms(samples)}
            result["mine_largest"]["queries"] = mine_queries
            if profile:
                profiler = cProfile.Profile()
                profiler.runcall(mine)
                profiler.dump_stats(str(Path(profile) / f"mine-{code}-largest.pstats"))
        log(f"{code} {name}: {result[f'save_{name}']}")
    log(f"{code} mine (largest unit): {result['mine_largest']}")
    return result


def run(args: argparse.Namespace, workdir: Path) -> dict:
    db = setup_django(workdir, static=True)
    from django.conf import settings

    line = {"benchmark": "save", "db": db, "debug": settings.DEBUG, "repeat": args.repeat}
    if not args.large_only:
        line["load_plan"] = measure_plan(LOAD_SHAPE, "SVL", args.repeat, args.profile, args.sql)
    if not args.load_only:
        line["large_plan"] = measure_plan(DEFAULT_SHAPE, "SVX", args.repeat, args.profile, args.sql)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=100, help="timed saves per case (the page: a tenth, ≥ 3)")
    parser.add_argument("--profile", metavar="DIR", help="cProfile one request of each case, pstats written to DIR")
    parser.add_argument("--sql", action="store_true", help="print the queries of one save of each case on stderr")
    parser.add_argument("--load-only", action="store_true", help="only the load test's plan (474 indicators)")
    parser.add_argument("--large-only", action="store_true", help="only the large plan (≈ 10,000 indicators)")
    args = parser.parse_args()
    return run_benchmark(run, args)


if __name__ == "__main__":
    sys.exit(main())
