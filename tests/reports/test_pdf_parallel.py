"""The chunks of a long Relazione drawn by worker processes at once (reports.pdf, reports.chunk_render)."""

import re
import tempfile
from pathlib import Path

from reports.pdf import pdf_workers
from reports.services import relazione_render_pdf
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdf_pages

# What changes between two renders of the same document: dates and the file identifier.
VOLATILE = [
    rb"/CreationDate \([^)]*\)",
    rb"/ModDate \([^)]*\)",
    rb"<xmp:(CreateDate|ModifyDate|MetadataDate)>[^<]*</xmp:\1>",
    rb"/ID \[ ?<[0-9a-fA-F]+> <[0-9a-fA-F]+> ?\]",
]


def stable(content: bytes) -> bytes:
    for pattern in VOLATILE:
        content = re.sub(pattern, b"", content)
    return content


def font_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("weasyprint-*"))


def test_chunks_drawn_by_two_worker_processes_make_the_same_file_as_one_after_the_other(small_plan, settings):
    settings.PERFPLAN_PRIVATE_APIS = True  # chunks are the internals' path (perfplan.internals)
    folders = font_folders()
    settings.RELAZIONE_PDF_WORKERS = 1
    one = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)  # 17 chunks (tests/reports/test_pdf.py)
    settings.RELAZIONE_PDF_WORKERS = 2
    parallel = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)
    assert parallel.pages == one.pages > 17
    assert pdf_pages(parallel.content) == pdf_pages(one.content)
    assert stable(parallel.content) == stable(one.content)  # the same bytes, apart from dates and file id
    import gc

    gc.collect()  # this process's own font configuration is freed with the renderer's reference cycles
    assert font_folders() == folders  # each worker's fonts folder removed when the pool closes


def test_the_number_of_workers_is_the_setting_or_the_cores_available_up_to_four(settings):
    import os

    settings.RELAZIONE_PDF_WORKERS = 3
    assert pdf_workers() == 3
    settings.RELAZIONE_PDF_WORKERS = 0
    assert pdf_workers() == min(4, len(os.sched_getaffinity(0)))
