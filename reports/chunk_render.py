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
from io import BytesIO

import pikepdf

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


def _parsed_here(style: Style) -> tuple[list, object]:
    """A worker process's stylesheet, parsed once (start_worker frees it)."""
    if style.stylesheet not in _worker_parsed:
        _worker_parsed[style.stylesheet] = parse(style.stylesheet)
    return _worker_parsed[style.stylesheet]


def draw_footers(html: str, style: Style) -> bytes:
    """The footers document (reports.pdf, «Pagina X di Y» on empty pages) drawn in a worker process: laying out
    every page of a long Relazione at once (1.452 for 10.000 indicators) took the main process from 254 to 377 MB,
    its peak, while the join now needs about 30 MB."""
    content = render(html, style, _parsed_here(style)).write_pdf()
    gc.collect()
    release_memory()
    return content


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
    document = render(html, style, parsed or _parsed_here(style))
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, index)
    chunk = Chunk(b"", [_page_info(page, anchors) for page in document.pages], anchors)
    quiet = _OtherChunkAnchors(elsewhere - anchors.keys())
    LOGGER.addFilter(quiet)
    try:
        content = document.write_pdf(**PDF_OPTIONS)
    finally:
        LOGGER.removeFilter(quiet)
    del document
    gc.collect()  # the laid-out pages are cyclic garbage: free them before the next chunk
    release_memory()
    chunk.content = lighter_structure(content)
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


def lighter_structure(content: bytes) -> bytes:
    """The tagged PDF `content` with the same structure in fewer objects. WeasyPrint gives every run of text a Span
    element of its own (a single marked-content id, no attribute) and anonymous boxes a NonStruct element: more than
    half of a Relazione's objects, each held in memory by the join (reports.pdf). A Span holding only its content is
    replaced by that content in its parent; a NonStruct (no meaning of its own: its kids count as the parent's, ISO
    32000-1 14.8.4.2) by its kids. What a reader hears and the reading order stay the same."""
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        tree = pdf.Root.get("/StructTreeRoot")
        if tree is None:
            return content
        owners: dict[tuple[int, int], pikepdf.Dictionary] = {}  # (page object number, mcid) → its new element
        for top in kids_of(tree):
            if isinstance(top, pikepdf.Dictionary):
                _flatten(top, owners)
        if not owners:
            return content
        keys = {int(page.obj.StructParents): page.obj.objgen[0] for page in pdf.pages if "/StructParents" in page.obj}
        nums = tree.ParentTree.Nums
        for index in range(0, len(nums), 2):
            page = keys.get(int(nums[index]))
            marks = nums[index + 1]
            if page is None or not isinstance(marks, pikepdf.Array):
                continue
            for mcid in range(len(marks)):
                owner = owners.get((page, mcid))
                if owner is not None:
                    marks[mcid] = owner
        out = BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, fix_metadata_version=False)
        return out.getvalue()


def kids_of(element) -> list:
    """A structure element's (or the tree root's) /K entry as a list: one kid, an array of kids, or none."""
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


_PLAIN_KEYS = {"/Type", "/S", "/K", "/P", "/Pg"}  # an element with anything else (attributes, alt text) is kept


def _flatten(element, owners: dict) -> None:
    """Flatten `element`'s subtree (iteratively: trees are deep) and record which element owns each mcid moved."""
    stack = [(element, False)]
    while stack:
        node, done = stack.pop()
        kids = kids_of(node)
        if not done:
            stack.append((node, True))
            stack.extend((kid, False) for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
            continue
        page = node.get("/Pg")
        new_kids, changed = [], False
        for kid in kids:
            lifted = _lift(kid, page)
            if lifted is None:
                new_kids.append(kid)
                continue
            changed = True
            for item in lifted:
                if isinstance(item, int):
                    owners[(page.objgen[0], item)] = node
                elif "/S" in item:
                    item.P = node
                new_kids.append(item)
        if changed:
            node.K = pikepdf.Array(new_kids)


def _lift(kid, page) -> list | None:
    """What replaces `kid` in its parent (on page `page`): a plain Span's or NonStruct's own kids; None: kept."""
    kind = kid.get("/S") if isinstance(kid, pikepdf.Dictionary) else None
    if kind not in (pikepdf.Name.Span, pikepdf.Name.NonStruct) or set(kid.keys()) - _PLAIN_KEYS:
        return None
    if page is None or "/Pg" not in kid or kid.Pg.objgen != page.objgen:
        return None
    kids = kids_of(kid)
    marks = [item for item in kids if isinstance(item, int)]
    elements = [item for item in kids if isinstance(item, pikepdf.Dictionary) and "/S" in item]
    if len(marks) + len(elements) != len(kids):
        return None  # an annotation's reference (/OBJR) stays where the annotation's parent tree key points
    if kind == pikepdf.Name.Span and (len(kids) != 1 or not marks):
        return None
    return kids
