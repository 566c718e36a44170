"""The Relazione PDF, rendered in chunks: a few parts at a time, each its own WeasyPrint document, joined into one
file written as a stream (reports.pdf_join).

WeasyPrint lays out every page of a document before it draws the first, so a 1,300-page Relazione held 2 GB. Here a
chunk of parts (reports.parts, at most `max_rows` table rows: about a hundred pages) is laid out, drawn and freed
before the next. The cover and the sommario are rendered last, when the pages of the headings are known. The footer
«Pagina X di Y» needs the total, so the chunks are drawn without it and it comes from one light document of empty
pages, stamped over the joined pages. Links, named destinations and the outline are rebuilt for the whole file.
A body that fits in one chunk stays one document, numbered by WeasyPrint itself as before. The body chunks are
drawn by worker processes at once (reports.chunk_render, RELAZIONE_PDF_WORKERS) and joined in print order.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from perfplan.internals import private_apis
from reports.chunk_render import (
    PDF_OPTIONS,
    Chunk,
    Style,
    draw_chunk,
    draw_footers,
    html_class,
    lighter_structure,
    parse,
    release_memory,
    render,
    start_worker,
)
from reports.parts import Part, body_parts, front_part, render_part
from reports.pdf_join import join_streaming
from reports.sections.data import RelazioneData

# progress(done, total, pages): `done` of `total` steps (one a body chunk, one the cover, sommario and joining),
# `pages` drawn so far. Called between chunks, never inside one: it changes nothing in the file.
Progress = Callable[[int, int, int], None]


def _no_progress(done: int, total: int, pages: int) -> None:
    return None


def relazione_pdf(
    data: RelazioneData, *, max_rows: int, progress: Progress | None = None, workers: int | None = None
) -> tuple[bytes, int]:
    """The whole Relazione as one PDF and its page count. A body that fits in one chunk is one document, numbered
    by WeasyPrint itself (`target-counter`, `counter(pages)`), as cheap as before chunks. Longer ones: the chunks
    drawn by `workers` processes at once (default: pdf_workers()), the same bytes as one at a time."""
    progress = progress or _no_progress
    with _few_collections():
        chunks = chunk_parts(body_parts(data, max_rows=max_rows), max_rows)
        renderer = _Renderer(data, workers=workers or pdf_workers())
        steps = len(chunks) + 1 if len(chunks) > 1 else 1
        progress(0, steps, 0)
        if len(chunks) == 1:
            content, pages = renderer.whole([front_part(), *chunks[0]])
            progress(steps, steps, pages)
            return content, pages
        body = renderer.bodies(chunks, lambda body: progress(len(body), steps, sum(len(chunk.pages) for chunk in body)))
        assumed = 2  # cover and sommario, as a rule
        front = renderer.front(body, front_pages=assumed)
        for _ in range(3):  # a longer sommario: render again with its own length until the numbers agree
            if len(front.pages) == assumed:
                break
            assumed = len(front.pages)
            front = renderer.front(body, front_pages=assumed)
        else:
            raise RuntimeError("Sommario della Relazione: il numero delle sue pagine non si stabilizza.")
        chunks = [front, *body]
        footers = renderer.footers([page.landscape for chunk in chunks for page in chunk.pages])
    content, pages = join_chunks(chunks, footers), sum(len(chunk.pages) for chunk in chunks)
    progress(steps, steps, pages)
    return content, pages


def chunk_parts(parts: list[Part], max_rows: int) -> list[list[Part]]:
    """Consecutive parts, at most `max_rows` rows a chunk (a longer part alone): sections start on a new page
    anyway, so a chunk boundary between them changes nothing on paper."""
    chunks: list[list[Part]] = []
    rows = 0
    for part in parts:
        if not chunks or rows + part.rows > max_rows:
            chunks.append([])
            rows = 0
        chunks[-1].append(part)
        rows += part.rows
    return chunks


class _Renderer:
    """Renders the documents of one Relazione with one stylesheet and one font configuration (parsed once per
    process); the body chunks in `workers` processes at a time, joined in print order."""

    def __init__(self, data: RelazioneData, *, workers: int = 1) -> None:
        stylesheet = finders.find("reports/print.css")
        self.data = data
        self.workers = workers
        self.style = Style(stylesheet=stylesheet, base_url=str(Path(stylesheet).parent), lean=private_apis())
        self.parsed = parse(stylesheet)

    def whole(self, parts: list[Part]) -> tuple[bytes, int]:
        document = render(self._html(parts, chunked=False), self.style, self.parsed)
        return lighter_structure(document.write_pdf(**PDF_OPTIONS)), len(document.pages)

    def bodies(self, chunks: list[list[Part]], done: Callable[[list[Chunk]], None]) -> list[Chunk]:
        """The body chunks drawn, in order; `done(body)` after each. With several workers the HTML of the next
        chunks is written here while the worker processes draw (at most two chunks a worker waiting)."""
        body: list[Chunk] = []
        pages = (self._html(parts) for parts in chunks)
        workers = min(self.workers, len(chunks))
        if workers <= 1:
            for html in pages:
                body.append(draw_chunk(html, self.style, parsed=self.parsed))
                done(body)
            return body
        with ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(), initializer=start_worker) as pool:
            waiting: deque = deque()
            for html in pages:
                waiting.append(pool.submit(draw_chunk, html, self.style))
                if len(waiting) >= 2 * workers:
                    body.append(waiting.popleft().result())
                    done(body)
            while waiting:
                body.append(waiting.popleft().result())
                done(body)
        return body

    def front(self, body: list[Chunk], *, front_pages: int) -> Chunk:
        """Cover and sommario, with the real page of each heading of the body chunks that follow."""
        toc_pages: dict[str, int] = {}
        first_page = front_pages + 1
        for chunk in body:
            for anchor, index in chunk.anchors.items():
                toc_pages.setdefault(anchor, first_page + index)
            first_page += len(chunk.pages)
        html = self._html([front_part()], toc_pages=toc_pages)
        return draw_chunk(html, self.style, frozenset(toc_pages), parsed=self.parsed)

    def footers(self, landscape: list[bool]) -> bytes:
        """Empty pages of the same sizes carrying only «Pagina X di Y» (none on the cover, the first page); drawn
        by a worker process like the chunks when there are workers, so that the main process stays small."""
        html = render_to_string("reports/pdf_footers.html", {"landscape": landscape})
        if self.workers <= 1:
            return render(html, self.style, self.parsed).write_pdf()
        with ProcessPoolExecutor(max_workers=1, mp_context=_worker_context(), initializer=start_worker) as pool:
            return pool.submit(draw_footers, html, self.style).result()

    def _html(self, parts: list[Part], *, chunked: bool = True, **extra) -> str:
        """pdf.html around the parts; a chunk leaves the footer to the stamp (reports/pdf_footers.html)."""
        body = mark_safe("".join(render_part(part, self.data, **extra) for part in parts))  # noqa: S308 - templates
        return render_to_string("reports/pdf.html", {"r": self.data, "body": body, "chunked": chunked})


def pdf_workers() -> int:
    """Processes drawing a long Relazione's chunks at once: RELAZIONE_PDF_WORKERS, or (0, the default) the cores
    this process may use, at most 4."""
    configured = settings.RELAZIONE_PDF_WORKERS
    if configured > 0:
        return configured
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _worker_context():
    """Worker processes forked from a clean server process that has imported WeasyPrint once (not from this one,
    which holds database connections and threads)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["reports.chunk_render", "weasyprint"])
    return context


def join_chunks(chunks: list[Chunk], footers: bytes) -> bytes:
    """One PDF from the chunks in print order (the first one is the cover and sommario), with its footers.

    Written as a stream (reports.pdf_join): one chunk open at a time, its objects renumbered and written at once,
    only their new numbers kept. pypdf held every chunk's objects (one per table cell, tagged PDF) as Python objects:
    a 10.000-indicator Relazione took 3,6 GB; qpdf held the joined file's objects until it wrote it: 759 MB.
    """
    return join_streaming(chunks, footers)


def _html_class():
    """WeasyPrint's HTML class for perfplan's documents: the lean one, or WeasyPrint's own without internals."""
    return html_class(lean=private_apis())


_renders = {"running": 0, "threshold": gc.get_threshold()}
_renders_lock = threading.Lock()


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """WeasyPrint builds millions of long-lived objects (DOM, styles, boxes) and frees few of them while rendering:
    the cyclic collector's full passes rescan the whole growing heap again and again (about a fifth of the CPU time
    of a 250-page render, more on longer ones). Collect rarely while rendering, once after each chunk. Renders
    running at the same time in other threads share the setting; the last one to finish restores it. With
    PERFPLAN_PRIVATE_APIS off (perfplan.internals) the collector is left alone."""
    if not private_apis():
        yield
        return
    with _renders_lock:
        if not _renders["running"]:
            _renders["threshold"] = gc.get_threshold()
            gc.collect()
            gc.freeze()
            gc.set_threshold(100_000, 50, 100)
        _renders["running"] += 1
    try:
        yield
    finally:
        with _renders_lock:
            _renders["running"] -= 1
            if not _renders["running"]:
                gc.set_threshold(*_renders["threshold"])
                gc.unfreeze()
                gc.collect()
                release_memory()


def document_pdf(*, template: str, context: dict, stylesheet: str) -> tuple[bytes, int]:
    """A short document from its template, rendered whole (html_document_pdf). `stylesheet`: a static path under
    reports/ (its @import and fonts resolve beside it). (content, pages)."""
    return html_document_pdf(render_to_string(template, context), stylesheets=[stylesheet])


def html_document_pdf(html: str, *, stylesheets: list[str]) -> tuple[bytes, int]:
    """One short document (the Documento di validazione, a PIAO section, the rapporto di monitoraggio) rendered
    whole with the Relazione's renderer: the same user-agent stylesheet, fonts and PDF/A-3b, tagged. `stylesheets`:
    static paths, the first one's folder is the base URL (fonts/). (content, pages)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    files = [finders.find(name) for name in stylesheets]
    fonts = FontConfiguration()  # the @font-face rules (Titillium Web, DejaVu Sans) need it on both sides
    with _few_collections():
        document = _html_class()(string=html, base_url=str(Path(files[0]).parent)).render(
            stylesheets=[CSS(filename=file, font_config=fonts) for file in files], font_config=fonts
        )
        content = document.write_pdf(**PDF_OPTIONS)
    return content, len(document.pages)


def validation_document_pdf(context: dict) -> tuple[bytes, int]:
    """The Documento di validazione (reports/documento.html): the same renderer and PDF/A-3b, tagged, as the
    Relazione; one short document, rendered whole. (content, pages)."""
    return document_pdf(template="reports/documento.html", context=context, stylesheet="reports/documento.css")
