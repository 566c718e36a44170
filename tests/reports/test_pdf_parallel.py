"""The chunks of a long Relazione drawn by worker processes at once (reports.pdf, reports.chunk_render)."""

import re
import tempfile
from io import BytesIO
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
    rb"/ID \[ ?<[0-9a-fA-F]+> ?<[0-9a-fA-F]+> ?\]",
]


def stable(content: bytes) -> bytes:
    """The file written out plainly (no object streams, streams uncompressed: qpdf's QDF form), without what
    changes between two renders."""
    import pikepdf

    plain = BytesIO()
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        pdf.save(plain, qdf=True, static_id=True)
    content = plain.getvalue()
    for pattern in VOLATILE:
        content = re.sub(pattern, b"", content)
    return content


def test_a_worker_removes_its_fonts_folder_when_it_stops(tmp_path, monkeypatch):
    # What a worker process does between start_worker() and the pool's end, here in this process: WeasyPrint puts the
    # @font-face fonts in a temporary folder, kept while the worker draws chunks, removed when it stops.
    from django.contrib.staticfiles import finders

    from reports.chunk_render import Style, draw_chunk, stop_worker

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stylesheet = finders.find("reports/print.css")
    style = Style(stylesheet=stylesheet, base_url=str(Path(stylesheet).parent), lean=True)
    for text in ("primo", "secondo"):
        chunk = draw_chunk(f"<html lang='it'><body><h1 id='t'>{text}</h1></body></html>", style)
        assert chunk.content.startswith(b"%PDF") and len(chunk.pages) == 1
        assert len(list(tmp_path.glob("weasyprint-*"))) == 1  # one folder for the worker's chunks
    stop_worker()
    assert list(tmp_path.glob("weasyprint-*")) == []


def test_chunks_drawn_by_two_worker_processes_make_the_same_file_as_one_after_the_other(small_plan, settings):
    settings.RELAZIONE_PDF_WORKERS = 1
    one = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)  # 17 chunks (tests/reports/test_pdf.py)
    settings.RELAZIONE_PDF_WORKERS = 2
    parallel = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)
    assert parallel.pages == one.pages > 17
    assert pdf_pages(parallel.content) == pdf_pages(one.content)
    assert stable(parallel.content) == stable(one.content)  # the same bytes, apart from dates and file id


def test_the_number_of_workers_is_the_setting_or_the_cores_available_up_to_four(settings):
    import os

    settings.RELAZIONE_PDF_WORKERS = 3
    assert pdf_workers() == 3
    settings.RELAZIONE_PDF_WORKERS = 0
    assert pdf_workers() == min(4, len(os.sched_getaffinity(0)))
