"""Benchmark: hostile workbooks (issue 11) through plan_import: each refused fast, memory bounded (< 300 MB).

    .venv/bin/python benchmarks/bench_hostile_import.py              # every scenario, SQLite
    .venv/bin/python benchmarks/bench_hostile_import.py bomb rows_1m # some of them

Scenarios (files written straight as XML, so a million rows take seconds to build):
- bomb: a 1 MB .xlsx whose one shared string inflates to 1 GB;
- rows_400k, rows_1m: 400.000 / 1.000.000 valid objective rows (the limits are 100.000 per sheet, 75.000 in all);
- bad_rows_1m: 1.000.000 rows, each one an error;
- bad_rows_100k: 100.000 bad rows, inside the per-sheet limit but past the total one: refused at the 75.001st;
- valid_100k: 100.000 valid objectives, at the per-sheet limit: refused by the total one;
- valid_total_plan: the largest workbook accepted, at the total row limit (IMPORT_MAX_ROWS_TOTAL, 75.000): the
  Piano's 5 rows, an area, then objectives and indicators with three targets each, half and half: imported;
- valid_total_indicators: at the total row limit too, all indicators (three targets each) under one area: imported;
- valid_total_consuntivi: at the total row limit too, a third indicators under one area, two thirds consuntivi
  (two years of each indicator): imported;
- total_plus_one: valid_total_plan with one indicator more: refused by the total row limit;
- valid_100k_plan (only when named): 100.000 objectives and 100.000 indicators with three targets each, which the
  total row limit now refuses; with IMPORT_MAX_ROWS_TOTAL=200005 in the environment it is imported (about 440 MB).

Each scenario runs in its own process (a fresh temporary SQLite database, as bench_import.py), so its peak
resident memory (ru_maxrss) is its own. Prints one JSON line: per scenario the seconds of plan_import, the peak
resident memory of the process (Django and the migrated database included) and the first error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_import import maxrss_mb, setup_django  # noqa: E402

MB = 1_048_576
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SCENARIOS = [
    "bomb",
    "rows_400k",
    "rows_1m",
    "bad_rows_1m",
    "bad_rows_100k",
    "valid_100k",
    "valid_total_plan",
    "valid_total_indicators",
    "valid_total_consuntivi",
    "total_plus_one",
]
EXTRA = ["valid_100k_plan"]  # only when named: 100.000 objectives and 100.000 indicators, about 2 minutes
# The setting's default (perfplan/settings.py); the child process reads the same environment.
ROWS_TOTAL = int(os.environ.get("IMPORT_MAX_ROWS_TOTAL", "75000"))
PLAN_ROWS = 5  # data rows of the Piano sheet of base_workbook
LIMIT_MB = 300


def base_workbook(*, consuntivi: bool = False) -> bytes:
    """A valid small plan: Piano, one area in Obiettivi, an empty Indicatori (and an empty Consuntivi)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    plan = wb.create_sheet("Piano")
    for row in [
        ["Voce", "Valore"],
        ["Ente", "Camera di commercio ostile"],
        ["Codice ente", "HOST"],
        ["Titolo", "Piano ostile"],
        ["Anno inizio", 2025],
        ["Anno fine", 2027],
    ]:
        plan.append(row)
    objectives = wb.create_sheet("Obiettivi")
    objectives.append(["Codice", "Tipo", "Codice padre", "Titolo"])
    objectives.append(["1", "Area strategica", "", "Area"])
    indicators = wb.create_sheet("Indicatori")
    indicators.append(["Codice obiettivo", "Nome", "Target 2025", "Target 2026", "Target 2027"])
    if consuntivi:
        wb.create_sheet("Consuntivi").append(["Codice obiettivo", "Nome", "Anno", "Valore"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def with_part(base: bytes, part: str, chunks, path: Path) -> None:
    """Write the base workbook to `path` with one part replaced by streamed chunks."""
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as handle:
            for chunk in chunks:
                handle.write(chunk)


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def objective_rows(count: int, *, valid: bool):
    """The Obiettivi sheet: header, the area, then `count` strategic objectives under it (or rows of a bad type)."""
    yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    head = ["Codice", "Tipo", "Codice padre", "Titolo"]
    yield ('<row r="1">' + "".join(inline(f"{c}1", t) for c, t in zip("ABCD", head, strict=True)) + "</row>").encode()
    area = ["1", "Area strategica", "", "Area"]
    yield ('<row r="2">' + "".join(inline(f"{c}2", t) for c, t in zip("ABCD", area, strict=True)) + "</row>").encode()
    kind = "Obiettivo strategico" if valid else "Nessun tipo"
    batch = []
    for n in range(3, count + 3):
        batch.append(
            f'<row r="{n}">{inline(f"A{n}", f"S{n}")}{inline(f"B{n}", kind)}{inline(f"C{n}", "1")}'
            f"{inline(f'D{n}', f'Obiettivo {n}')}</row>"
        )
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def indicator_rows(count: int, *, objective: str | None = None):
    """The Indicatori sheet: one indicator for each objective of objective_rows (or `count` of `objective`), with
    three targets."""
    yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    head = ["Codice obiettivo", "Nome", "Target 2025", "Target 2026", "Target 2027"]
    yield ('<row r="1">' + "".join(inline(f"{c}1", t) for c, t in zip("ABCDE", head, strict=True)) + "</row>").encode()
    batch = []
    for n in range(3, count + 3):
        cells = [objective or f"S{n}", f"Indicatore {n}", ">= 350", ">= 360", ">= 370"]
        batch.append(f'<row r="{n}">' + "".join(inline(f"{c}{n}", t) for c, t in zip("ABCDE", cells, strict=True)))
        batch.append("</row>")
        if len(batch) >= 20_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def measurement_rows(count: int, indicators: int):
    """The Consuntivi sheet: `count` consuntivi of the indicators of indicator_rows(indicators, objective="1"), a
    year after the other (2025, 2026, 2027)."""
    yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    head = ["Codice obiettivo", "Nome", "Anno", "Valore"]
    yield ('<row r="1">' + "".join(inline(f"{c}1", t) for c, t in zip("ABCD", head, strict=True)) + "</row>").encode()
    batch = []
    for n in range(2, count + 2):
        year, indicator = divmod(n - 2, indicators)
        cells = ["1", f"Indicatore {indicator + 3}", str(2025 + year), "360"]
        batch.append(f'<row r="{n}">' + "".join(inline(f"{c}{n}", t) for c, t in zip("ABCD", cells, strict=True)))
        batch.append("</row>")
        if len(batch) >= 20_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def bomb_strings(size: int):
    yield f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    block = b"A" * MB
    for _ in range(size // MB):
        yield block
    yield b"</t></si></sst>"


def build(scenario: str, path: Path) -> None:
    base = base_workbook()
    if scenario == "valid_total_consuntivi":
        indicators = (ROWS_TOTAL - PLAN_ROWS - 1) // 3
        measurements = ROWS_TOTAL - PLAN_ROWS - 1 - indicators
        half = path.with_suffix(".part")
        with_part(
            base_workbook(consuntivi=True), "xl/worksheets/sheet3.xml", indicator_rows(indicators, objective="1"), half
        )
        with_part(half.read_bytes(), "xl/worksheets/sheet4.xml", measurement_rows(measurements, indicators), path)
        half.unlink()
        return
    if scenario == "bomb":
        with_part(base, "xl/sharedStrings.xml", bomb_strings(1024 * MB), path)
        return
    if scenario in ("valid_100k_plan", "valid_total_plan", "total_plus_one", "valid_total_indicators"):
        # data rows: the Piano's, the area, the objectives under it, the indicators
        free = ROWS_TOTAL - PLAN_ROWS - 1
        objectives, indicators = {
            "valid_100k_plan": (99_999, 99_999),
            "valid_total_plan": (free - free // 2, free // 2),
            "total_plus_one": (free - free // 2, free // 2 + 1),
            "valid_total_indicators": (0, free),
        }[scenario]
        half = path.with_suffix(".part")
        with_part(base, "xl/worksheets/sheet2.xml", objective_rows(objectives, valid=True), half)
        rows = indicator_rows(indicators, objective="1" if not objectives else None)
        with_part(half.read_bytes(), "xl/worksheets/sheet3.xml", rows, path)
        half.unlink()
        return
    count, valid = {
        "rows_400k": (400_000, True),
        "rows_1m": (1_000_000, True),
        "bad_rows_1m": (1_000_000, False),
        "bad_rows_100k": (99_999, False),  # + header and area: 100.000 data rows
        "valid_100k": (99_999, True),
    }[scenario]
    with_part(base, "xl/worksheets/sheet2.xml", objective_rows(count, valid=valid), path)


def child(scenario: str, path: Path, workdir: Path) -> dict:
    """One scenario, in this process: the import of the file, timed, and this process's peak memory."""
    setup_django(workdir)
    from workbook.plan_import import plan_import

    setup_mb = maxrss_mb()
    started = time.perf_counter()
    report = plan_import(source=str(path))
    seconds = time.perf_counter() - started
    return {
        "file_mb": round(path.stat().st_size / MB, 2),
        "seconds": round(seconds, 2),
        "maxrss_mb": round(maxrss_mb(), 1),
        "setup_maxrss_mb": round(setup_mb, 1),
        "ok": report.ok,
        "error_count": report.error_count,
        "errors_listed": len(report.errors),
        "first_error": str(report.errors[0]) if report.errors else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile workbooks through plan_import.")
    parser.add_argument("scenarios", nargs="*", help=f"some of: {', '.join(SCENARIOS + EXTRA)} (default: {SCENARIOS})")
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        with tempfile.TemporaryDirectory(prefix="perfplan-bench-") as workdir:
            sys.stdout, real = sys.stderr, sys.stdout
            result = child(args.child[0], Path(args.child[1]), Path(workdir))
            sys.stdout = real
        print(json.dumps(result))
        return 0
    results = {}
    with tempfile.TemporaryDirectory(prefix="perfplan-bench-") as folder:
        for scenario in args.scenarios or SCENARIOS:
            path = Path(folder) / f"{scenario}.xlsx"
            started = time.perf_counter()
            build(scenario, path)
            print(f"{scenario}: built in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
            proc = subprocess.run(
                [sys.executable, __file__, "--child", scenario, str(path)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            results[scenario] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{scenario}: {results[scenario]}", file=sys.stderr, flush=True)
            path.unlink()
    peak = max(r["maxrss_mb"] for r in results.values())
    print(
        json.dumps({"benchmark": "hostile_import", "peak_maxrss_mb": peak, "under_300_mb": peak < LIMIT_MB, **results})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
