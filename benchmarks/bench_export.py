"""Benchmark: the downloads of a ≈10,000-indicator synthetic plan (the same plan as bench_import).

    .venv/bin/python benchmarks/bench_export.py                 # all: the workbooks, the PIAO section 2, monitoring
    .venv/bin/python benchmarks/bench_export.py --no-pdf        # without the two PDFs (about two minutes less)

Prints one JSON line (fields in benchmarks/README.md): for each download, the seconds it takes (the domain
function, as the job or the view calls it), the size of the file and, for a PDF, its pages; `max_rss_mb` is the
process's peak after all of them (ru_maxrss only grows: the PDFs set it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_import import import_synthetic_plan, run_benchmark, setup_django  # noqa: E402


def timed(function, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - started, 2)


def run(args: argparse.Namespace, workdir: Path) -> dict:
    db = setup_django(workdir)
    from consuntivi.models import Round
    from indicators.models import Indicator
    from reports.export import relazione_xlsx
    from reports.monitoring import monitoring_docx, monitoring_pdf, monitoring_report
    from reports.piao.data import piao_data
    from reports.piao.documents import piao_docx, piao_pdf
    from reports.selectors import relazione_build
    from workbook.writer import plan_export

    plan = import_synthetic_plan("Download")
    year = plan.years[0]
    indicators = Indicator.objects.filter(objective__plan=plan).count()
    line: dict = {"benchmark": "export", "db": db, "indicators": indicators}

    content, line["plan_xlsx_seconds"] = timed(plan_export, plan=plan)
    line["plan_xlsx_kb"] = len(content) // 1024
    data, build = timed(relazione_build, plan=plan, year=year, relazione=None)
    content, write = timed(relazione_xlsx, data=data)
    line["relazione_xlsx_seconds"], line["relazione_xlsx_kb"] = round(build + write, 2), len(content) // 1024

    data, build = timed(piao_data, plan=plan, year=year)
    content, write = timed(piao_docx, data)
    line["piao_docx_seconds"], line["piao_docx_kb"] = round(build + write, 2), len(content) // 1024
    if not args.no_pdf:
        (content, pages), write = timed(piao_pdf, data)
        line["piao_pdf"] = {"seconds": round(build + write, 2), "pages": pages, "kb": len(content) // 1024}

    data_round = Round.objects.filter(plan=plan, year=year, final=True).first()  # the import's
    today = dt.date(year, 12, 31)
    if data_round is not None:
        report, build = timed(monitoring_report, plan=plan, year=year, today=today, data_round=data_round)
        content, write = timed(monitoring_docx, report)
        line["monitoring_docx_seconds"], line["monitoring_docx_kb"] = round(build + write, 2), len(content) // 1024
        if not args.no_pdf:
            (content, pages), write = timed(monitoring_pdf, report)
            line["monitoring_pdf"] = {"seconds": round(build + write, 2), "pages": pages, "kb": len(content) // 1024}
    line["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PIAO and monitoring PDFs")
    return run_benchmark(run, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
