"""One chunk of the Relazione laid out and drawn by WeasyPrint, from its HTML: no Django here, so that worker
processes (reports.pdf renders the chunks of a long Relazione in parallel) start without settings or a database.

A worker keeps its stylesheet and font configuration between the chunks it draws (parsed once per process).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import re
from dataclasses import dataclass

LOGGER = logging.getLogger("weasyprint")

PX_TO_PT = 0.75  # WeasyPrint's CSS pixels to PDF points
# Archivable and accessible: PDF/A-3b (XMP identification, embedded fonts, an sRGB output intent) with a structure
# tree (tagged PDF: headings, tables with their header cells, lists, the reading order).
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}
UA_PSEUDO_ELEMENTS = re.compile(r"^::(footnote-call|footnote-marker|note-call|note-marker|note-callback) \{.*\}$", re.M)


@dataclass(frozen=True)
class Bookmark:
    level: int
    label: str
    x: float  # PDF points from the bottom-left corner
    y: float
    is_open: bool


@dataclass(frozen=True)
class Link:
    anchor: str
    rect: tuple[float, float, float, float]  # PDF points: left, bottom, right, top


@dataclass(frozen=True)
class PageInfo:
    landscape: bool
    bookmarks: tuple[Bookmark, ...]  # in order
    links: tuple[Link, ...]  # to anchors in other chunks, which WeasyPrint leaves out


@dataclass
class Chunk:
    """One drawn WeasyPrint document and what the joined file needs to know about its pages."""

    content: bytes
    pages: list[PageInfo]
    anchors: dict[str, int]  # element id → index of its page in the chunk


@dataclass(frozen=True)
class Style:
    """What every document of one Relazione is drawn with: picklable, so a worker process can build its own."""

    stylesheet: str  # path of the print stylesheet
    base_url: str
    lean: bool  # the leaner user-agent stylesheet (WeasyPrint's internals: perfplan.internals)


def html_class(*, lean: bool):
    """WeasyPrint's HTML class: the lean one below, or WeasyPrint's own."""
    from weasyprint import HTML

    return _lean_html_class() if lean else HTML


@functools.cache
def _lean_html_class():
    """WeasyPrint's HTML with a leaner user-agent stylesheet. The stock one gives every element (every table cell)
    six pseudo-elements with rules of their own (::marker, ::footnote-call, ::footnote-marker, ::note-*) whose
    styles are all computed; the Relazione has no footnote or note floats, and markers only on list items."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    text, markers = re.subn(r"^::marker \{", "li::marker, summary::marker {", UA, flags=re.M)
    text, notes = UA_PSEUDO_ELEMENTS.subn("", text)
    if (markers, notes) != (1, 5):  # another WeasyPrint: keep its stylesheet
        return HTML
    # Its @counter-style rules are already in WeasyPrint's UA_COUNTER_STYLE, which every document copies.
    stylesheet = CSS(string=text, counter_style=CounterStyle())

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [stylesheet]

    return LeanHTML


def parse(stylesheet: str) -> tuple[list, object]:
    """The stylesheet and its font configuration (the @font-face rules need both). The configuration owns a
    temporary folder of fonts, removed when it is freed: keep it for one Relazione, not for the process."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return [CSS(filename=stylesheet, font_config=fonts)], fonts


_worker_parsed: dict[str, tuple[list, object]] = {}


def start_worker() -> None:
    """A worker process's initializer: its parsed stylesheet, kept between the chunks it draws, is freed (its fonts
    folder removed) when the pool shuts the worker down."""
    from multiprocessing.util import Finalize

    Finalize(None, stop_worker, exitpriority=10)


def stop_worker() -> None:
    """Free the worker's parsed stylesheet and fonts (their temporary folder removed)."""
    _worker_parsed.clear()
    gc.collect()  # a font configuration sits in reference cycles: freed (and its folder removed) only by a collection


def render(html: str, style: Style, parsed: tuple[list, object]):
    """The laid-out WeasyPrint document."""
    stylesheets, fonts = parsed
    document = html_class(lean=style.lean)(string=html, base_url=style.base_url)
    return document.render(stylesheets=stylesheets, font_config=fonts)


def draw_chunk(
    html: str, style: Style, elsewhere: frozenset[str] = frozenset(), parsed: tuple[list, object] | None = None
) -> Chunk:
    """Lay out and draw one document; `elsewhere`: anchors of other chunks that its links point to. `parsed`: the
    caller's stylesheet (reports.pdf, in its own process); a worker process parses its own once (start_worker)."""
    if parsed is None:
        if style.stylesheet not in _worker_parsed:
            _worker_parsed[style.stylesheet] = parse(style.stylesheet)
        parsed = _worker_parsed[style.stylesheet]
    document = render(html, style, parsed)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, index)
    chunk = Chunk(b"", [_page_info(page, anchors) for page in document.pages], anchors)
    quiet = _OtherChunkAnchors(elsewhere - anchors.keys())
    LOGGER.addFilter(quiet)
    try:
        chunk.content = document.write_pdf(**PDF_OPTIONS)
    finally:
        LOGGER.removeFilter(quiet)
    del document
    gc.collect()  # the laid-out pages are cyclic garbage: free them before the next chunk
    release_memory()
    return chunk


def release_memory() -> None:
    """Give the C heap freed after a render (Pango layouts, fonts, big strings) back to the system (glibc only)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def _page_info(page, anchors: dict[str, int]) -> PageInfo:
    """What the joined file needs of a laid-out WeasyPrint page, in PDF points from the bottom-left corner."""

    def point(x: float, y: float) -> tuple[float, float]:
        return x * PX_TO_PT, (page.height - y) * PX_TO_PT

    links = []
    for kind, anchor, (x1, y1, x2, y2), _box in page.links:
        if kind == "internal" and anchor not in anchors:
            (left, bottom), (right, top) = point(x1, y2), point(x2, y1)
            links.append(Link(anchor, (left, bottom, right, top)))
    return PageInfo(
        landscape=page.width > page.height,
        bookmarks=tuple(
            Bookmark(level, label, *point(x, y), is_open=state != "closed")
            for level, label, (x, y), state in page.bookmarks
        ),
        links=tuple(links),
    )


class _OtherChunkAnchors(logging.Filter):
    """WeasyPrint logs an error for each link to an anchor missing from its document, and leaves the link out: the
    sommario's point to other chunks, and join_chunks adds them."""

    def __init__(self, anchors: set[str]) -> None:
        super().__init__()
        self.anchors = anchors

    def filter(self, record: logging.LogRecord) -> bool:
        missing = record.msg == "No anchor #%s for internal URI reference" and record.args
        return not (missing and record.args[0] in self.anchors)
