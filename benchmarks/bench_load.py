"""Load test of the production stack (issue 13 item 7): office heads saving values one at a time, planners reading.

    .venv/bin/python benchmarks/bench_load.py                       # 200 heads + 5 planners, 300 s (make bench)
    .venv/bin/python benchmarks/bench_load.py --users 25 --time 20s # a short run while developing

What it does, all on loopback:
1. a throwaway PostgreSQL database (createdb on 127.0.0.1:5432 as postgres; or DATABASE_URL when given, left in place),
   migrated, static files collected into a temporary folder;
2. a synthetic plan (benchmarks/synthetic.py, no consuntivi), its annual round opened for entry (round_open), the
   office heads (Responsabile) spread over the office units — several per unit, so true races happen — and the
   planners (Pianificazione); each head gets a few numeric indicators of its unit to work on (overlapping: a value
   may be saved by two heads);
3. gunicorn started as `make serve` starts it (deploy/gunicorn.conf.py, DEBUG off, PERFPLAN_HTTPS=false, a strong
   SECRET_KEY) on a free port; no job worker: the load test starts no job;
4. locust, headless, benchmarks/locustfile.py, for the given time;
5. gunicorn stopped; the lost-update check: for each indicator, the accepted saves ordered by the version the
   server returned must be one per version, and the database must hold the value of the last one; a 409 is a true
   race when the server's version was newer than the one the client sent;
6. the database dropped (when we created it); ONE JSON line on stdout.

JSON: `requests` (per request type: count, failures, p50/p95/p99/max ms, rps), `errors` (locust failures),
`conflicts_409`, `false_409` (a 409 without a newer stored version), `accepted_saves`, `lost_updates`,
`aims` (p95 < 300 ms for saves and pages, 0 errors, 0 lost updates, no false 409), `loadavg_before`/`loadavg_after`
(the machine's 1/5/15-minute load: the test shares the cores with locust and PostgreSQL), `cpus`, `workers`.
Exit status 1 on a lost update or a false 409 (a correctness failure), 0 otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PASSWORD = "carico-" + secrets.token_urlsafe(12)
SHAPE = {"areas": 3, "strategic": 3, "operational": 5, "actions": 4, "indicators": 2}  # 474 indicators
PAGES = {"login", "mine", "mine (reload)", "save", "plan", "scores", "round"}  # the aim: p95 < 300 ms


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=205, help="simulated users in all (planners included)")
    parser.add_argument("--planners", type=int, default=5)
    # A login costs about 0,36 s of CPU by design (Django's PBKDF2, 1.000.000 iterations): 200 heads logging in at
    # 20 a second would need 7 cores for 10 s, and every other request would wait behind them. Offices do not all log
    # in within the same ten seconds: 2 a second starts the 205 users in about 100 s, then they work for 200 s.
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second")
    parser.add_argument("--time", default="300s", help="locust's --run-time (300s, 5m)")
    parser.add_argument("--per-head", type=int, default=4, help="indicators each head works on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="DIR", help="cProfile one request of each type: pstats in DIR")
    parser.add_argument("--keep", metavar="DIR", help="keep locust's CSV files and the records in DIR")
    return parser.parse_args(argv)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-qAt", "-c", sql],
        check=True,
        stdout=sys.stderr,
    )


def build_load_plan(args: argparse.Namespace) -> dict:
    """The plan, its open round and the people (call after setup_django): what the locustfile needs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from benchmarks.synthetic import synthetic_workbook
    from consuntivi.selectors import round_data
    from consuntivi.services import round_open
    from perfplan.roles import Role
    from plans.models import Level, Objective, OrgUnit, Plan, Profile
    from workbook.plan_import import plan_import

    title = f"Piano del test di carico {time.time()}"
    content = synthetic_workbook(**SHAPE, with_measurements=False, seed=args.seed, ente_code="LOAD", title=title)
    report = plan_import(source=io.BytesIO(content))
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    plan = Plan.objects.get(pk=report.plan_id)
    year = plan.start_year
    User = get_user_model()
    tag = secrets.token_hex(3)  # user names of their own: a DATABASE_URL given may hold an earlier run
    hashed = make_password(PASSWORD)  # one hash for all: 205 PBKDF2 hashes would take a minute
    heads_n = max(1, args.users - args.planners)
    users = User.objects.bulk_create(
        [User(username=f"pian{i:02d}-{tag}", password=hashed) for i in range(args.planners)]
        + [User(username=f"resp{i:03d}-{tag}", password=hashed) for i in range(heads_n)]
    )
    Profile.objects.bulk_create([Profile(user=u, ente=plan.ente) for u in users])
    planners, heads = users[: args.planners], users[args.planners :]
    Group.objects.get(name=Role.PLANNER).user_set.add(*planners)
    Group.objects.get(name=Role.OFFICE_HEAD).user_set.add(*heads)
    # The synthetic plan leaves some operational objectives without a unit (a checklist item that blocks a round):
    # give each one an office unit, in turn, as a planner would before opening the round.
    offices = list(OrgUnit.objects.filter(ente=plan.ente, code__startswith="U").order_by("code"))
    by_id = {o.pk: o for o in Objective.objects.filter(plan=plan)}

    def has_unit(node) -> bool:
        while node is not None:
            if node.org_unit_id:
                return True
            node = by_id.get(node.parent_id)
        return False

    orphans = [o for o in by_id.values() if o.level == Level.OPERATIONAL and not has_unit(o)]
    for i, objective in enumerate(sorted(orphans, key=lambda o: o.pk)):
        objective.org_unit = offices[i % len(offices)]
    Objective.objects.bulk_update(orphans, ["org_unit"])
    rnd = round_open(plan=plan, year=year, period="annual", user=planners[0])

    # Units with numeric, single-value rows (no ratio, no variables): what a head types a number into.
    usable: dict[int, list[int]] = {}
    for unit in offices:
        data = round_data(data_round=rnd, unit_ids={unit.pk})
        ids = [
            r.indicator.pk
            for b in data.blocks
            if b.unit.pk == unit.pk
            for r in b.rows
            if r.input_kind == "number" and not r.ratio and not r.variables
        ]
        if ids:
            usable[unit.pk] = ids
    units = OrgUnit.objects.in_bulk(list(usable))
    rng = random.Random(args.seed)
    unit_ids = list(usable)
    head_plans = []
    for i, head in enumerate(heads):
        unit_id = unit_ids[i % len(unit_ids)]
        units[unit_id].leaders.add(head)
        mine = rng.sample(usable[unit_id], min(args.per_head, len(usable[unit_id])))
        head_plans.append({"username": head.username, "number": i + 1, "unit": unit_id, "indicators": mine})
    log(
        f"plan {plan.pk}: {sum(len(v) for v in usable.values())} numeric rows in {len(usable)} units, "
        f"{len(heads)} heads (≈{len(heads) // len(usable)} per unit), {len(planners)} planners, round {rnd.pk}"
    )
    return {
        "plan_id": plan.pk,
        "round_id": rnd.pk,
        "password": PASSWORD,
        "heads": head_plans,
        "planners": [u.username for u in planners],
    }


def cpu_costs(load_plan: dict, repeat: int = 7, profile: str | None = None) -> tuple[dict, dict]:
    """Server CPU per request type, one request at a time in this process (Django's test client, no network): the
    median of `repeat` after a warm-up. Steadier than the load test's times on a shared machine, and what the
    sizing of a server is made of."""
    import cProfile
    import pstats
    import re
    import statistics

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    User = get_user_model()
    head = User.objects.get(username=load_plan["heads"][0]["username"])
    planner = User.objects.get(username=load_plan["planners"][0])
    rnd, plan_id = load_plan["round_id"], load_plan["plan_id"]
    indicator = load_plan["heads"][0]["indicators"][0]
    heads, planners = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    heads.force_login(head)
    planners.force_login(planner)
    counter = iter(range(10_000_000, 20_000_000))

    def save():
        page = heads.get(f"/consuntivi/rilevazioni/{rnd}/indicatori/{indicator}/salva/", HTTP_HX_REQUEST="true")
        html = page.content.decode()
        version = re.search(rf'name="m{indicator}-version" value="(\d+)"', html).group(1)
        seen = re.search(rf'name="m{indicator}-seen" value="([^"]*)"', html).group(1)
        started = time.process_time()
        response = heads.post(
            f"/consuntivi/rilevazioni/{rnd}/indicatori/{indicator}/salva/",
            {f"m{indicator}-version": version, f"m{indicator}-seen": seen, f"m{indicator}-value": str(next(counter))},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and b'data-testid="saved"' in response.content, response.status_code
        return time.process_time() - started

    def get(client, url):
        def one():
            started = time.process_time()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return time.process_time() - started

        return one

    cases = {
        "mine": get(heads, f"/consuntivi/rilevazioni/{rnd}/miei/"),
        "save": save,
        "plan": get(planners, f"/piani/{plan_id}/"),
        "scores": get(planners, f"/punteggi/{plan_id}/unita/"),
        "round": get(planners, f"/consuntivi/rilevazioni/{rnd}/"),
    }
    costs, queries = {}, {}
    for name, case in cases.items():
        case()  # warm-up: templates, caches
        costs[name] = round(statistics.median(case() for _ in range(repeat)) * 1000, 1)
        with CaptureQueriesContext(connection) as captured:
            case()
        queries[name] = len(captured.captured_queries)
        if profile:
            Path(profile).mkdir(parents=True, exist_ok=True)
            profiler = cProfile.Profile()
            profiler.runcall(case)
            profiler.dump_stats(str(Path(profile) / f"{name}.pstats"))
            log(f"--- cProfile of one «{name}» request, top 25 by cumulative time")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    log(f"server CPU per request, ms (median of {repeat}, one at a time): {costs}; queries: {queries}")
    return costs, queries


def start_server(port: int, env: dict, workdir: Path) -> subprocess.Popen:
    """gunicorn as deploy/serve.sh starts it (migrate and collectstatic are done already)."""
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}  # request log on, as in production
    out = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        cwd=ROOT,
        env=server_env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {(workdir / 'gunicorn.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/salute/", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /salute/ within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def read_stats(path: Path, seconds: float) -> dict:
    """Per request type, from locust's final JSON (its response-time histogram, rounded as locust rounds: 2
    significant digits above 100 ms): the CSV files are written on a timer and may miss the last requests."""

    def percentile(times: dict[float, int], total: int, fraction: float) -> float | None:
        if not total:
            return None
        wanted, seen = math.ceil(total * fraction), 0
        for ms in sorted(times):
            seen += times[ms]
            if seen >= wanted:
                return round(ms, 1)
        return None

    def summary(times: dict[float, int], count: int, failures: int, max_ms: float | None) -> dict:
        return {
            "count": count,
            "failures": failures,
            "p50_ms": percentile(times, count, 0.50),
            "p95_ms": percentile(times, count, 0.95),
            "p99_ms": percentile(times, count, 0.99),
            "max_ms": None if max_ms is None else round(max_ms, 1),
        }

    stats, merged = {}, {}
    for entry in json.loads(path.read_text()):
        times = {float(ms): count for ms, count in entry["response_times"].items()}
        for ms, count in times.items():
            merged[ms] = merged.get(ms, 0) + count
        stats[entry["name"]] = summary(times, entry["num_requests"], entry["num_failures"], entry["max_response_time"])
    total = sum(s["count"] for s in stats.values())
    stats["all"] = summary(
        merged,
        total,
        sum(s["failures"] for s in stats.values()),
        max((s["max_ms"] for s in stats.values()), default=None),
    )
    for value in stats.values():
        value["rps"] = round(value["count"] / seconds, 2) if seconds else None
    return stats


def check_updates(records: dict) -> dict:
    """Every accepted save has its own version, and the database holds the value of the highest one — or, when its
    version is higher still, the value of a save whose answer never came back (in flight when locust stopped, or
    its connection broken): that one was written, the client just never learnt it."""
    from decimal import Decimal

    from consuntivi.models import Measurement

    saves: dict[int, list[dict]] = {}
    for save in records["saves"]:
        saves.setdefault(save["indicator"], []).append(save)
    unanswered: dict[int, set[Decimal]] = {}
    for attempt in records["unanswered"]:
        unanswered.setdefault(attempt["indicator"], set()).add(Decimal(attempt["value"]))
    stored = {
        m.indicator_id: m
        for m in Measurement.objects.filter(round_id=records["round_id"], indicator_id__in=list(saves))
    }
    lost, late = [], 0
    for indicator_id, accepted in saves.items():
        accepted.sort(key=lambda s: s["version"])
        versions = [s["version"] for s in accepted]
        last = accepted[-1]
        m = stored.get(indicator_id)
        ok = m is not None and len(set(versions)) == len(versions)
        if ok and m.version == last["version"]:
            ok = m.value_number == Decimal(last["value"])
        elif ok and m.version > last["version"] and m.value_number in unanswered.get(indicator_id, ()):
            late += 1
        else:
            ok = False
        if not ok:
            lost.append(
                {
                    "indicator": indicator_id,
                    "versions": versions,
                    "last": last,
                    "stored": None if m is None else [str(m.value_number), m.version],
                }
            )
    false_409 = [c for c in records["conflicts"] if not c["stored_version"] > c["sent_version"]]
    return {
        "accepted_saves": len(records["saves"]),
        "indicators_saved": len(saves),
        "unanswered_saves": len(records["unanswered"]),
        "stored_from_unanswered": late,
        "conflicts_409": len(records["conflicts"]),
        "false_409": len(false_409),
        "lost_updates": len(lost),
        "lost_examples": lost[:5],
        "false_409_examples": false_409[:5],
    }


def run(args: argparse.Namespace, workdir: Path) -> dict:
    from benchmarks.bench_import import setup_django

    created = None
    if not os.environ.get("DATABASE_URL") or os.environ["DATABASE_URL"].startswith("sqlite"):
        created = f"bench_load_{os.getpid()}_{int(time.time())}"
        psql(f"CREATE DATABASE {created}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{created}"
    server = None
    try:
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        os.environ["DEBUG"] = "false"
        os.environ["PERFPLAN_HTTPS"] = "false"
        db = setup_django(workdir, static=True)
        if db != "postgresql":
            raise SystemExit(f"the load test needs PostgreSQL, not {db}")
        load_plan = build_load_plan(args)
        costs, queries = cpu_costs(load_plan, profile=args.profile)
        plan_file = workdir / "load-plan.json"
        plan_file.write_text(json.dumps(load_plan))
        records_file = workdir / "records.json"

        from django.db import connections

        connections.close_all()
        port = free_port()
        env = dict(os.environ)
        server = start_server(port, env, workdir)
        workers = len(subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split())
        log(f"gunicorn on 127.0.0.1:{port}, {workers} workers; locust: {args.users} users, {args.time}")
        loadavg_before = [round(x, 2) for x in os.getloadavg()]
        started = time.monotonic()
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                args.time,
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(workdir / "locust"),
                "--json-file",
                str(workdir / "locust"),
                "--only-summary",
                "--stop-timeout",
                "60",  # users finish their task (a save in flight is answered): gunicorn's own timeout
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**env, "LOAD_PLAN": str(plan_file), "LOAD_RECORDS": str(records_file)},
            stdout=sys.stderr,
            check=False,
        )
        seconds = time.monotonic() - started
        loadavg_after = [round(x, 2) for x in os.getloadavg()]
        stop(server)
        stats = read_stats(workdir / "locust.json", seconds)
        records = json.loads(records_file.read_text())
        checks = check_updates(records)
        connections.close_all()
        page_p95 = {n: s["p95_ms"] for n, s in stats.items() if n in PAGES and n != "login"}
        errors = stats.get("all", {}).get("failures", 0)
        result = {
            "benchmark": "load",
            "db": db,
            "users": args.users,
            "office_heads": len(load_plan["heads"]),
            "planners": len(load_plan["planners"]),
            "run_time": args.time,
            "seconds": round(seconds, 1),
            "cpus": len(os.sched_getaffinity(0)),
            "workers": workers,
            "requests": stats,
            "server_cpu_ms": costs,
            "queries": queries,
            "errors": errors,
            **{k: v for k, v in checks.items() if not k.endswith("examples") or v},
            "aims": {
                "p95_under_300ms": all(v is not None and v < 300 for v in page_p95.values()),
                "no_errors": errors == 0,
                "no_lost_updates": checks["lost_updates"] == 0,
                "only_true_409": checks["false_409"] == 0,
            },
            "loadavg_before": loadavg_before,
            "loadavg_after": loadavg_after,
        }
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            for f in [*workdir.glob("locust*.csv"), workdir / "locust.json"]:
                (keep / f.name).write_bytes(f.read_bytes())
            (keep / "records.json").write_text(records_file.read_text())
            (keep / "gunicorn.log").write_bytes((workdir / "gunicorn.log").read_bytes())
        return result
    finally:
        if server is not None:
            stop(server)
        if created:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 - Django may not be set up yet
                pass
            psql(f"DROP DATABASE IF EXISTS {created} WITH (FORCE)")


def missing() -> str | None:
    """Why the load test cannot run here (it is then skipped, saying so), or None."""
    if not (VENV_BIN / "locust").exists():
        return "locust is not installed: `make bench` installs requirements-bench.txt"
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return None
    if not shutil.which("psql"):
        return "psql not found and no DATABASE_URL: the load test needs PostgreSQL"
    probe = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-qAtc", "select 1"],
        capture_output=True,
        check=False,
    )
    return None if probe.returncode == 0 else "no PostgreSQL on 127.0.0.1:5432 (user postgres) and no DATABASE_URL"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reason = missing()
    if reason:
        log(f"load test skipped: {reason}")
        print(json.dumps({"benchmark": "load", "skipped": reason}), flush=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        result = run(args, Path(tmp))
    print(json.dumps(result), flush=True)
    return 1 if result["lost_updates"] or result["false_409"] else 0


if __name__ == "__main__":
    sys.exit(main())
