"""The Relazione PDF, rendered in chunks: a few parts at a time, each its own WeasyPrint document, joined by pypdf.

WeasyPrint lays out every page of a document before it draws the first, so a 1,300-page Relazione held 2 GB. Here a
chunk of parts (reports.parts, at most `max_rows` table rows: about a hundred pages) is laid out, drawn and freed
before the next. The cover and the sommario are rendered last, when the pages of the headings are known. The footer
«Pagina X di Y» needs the total, so the chunks are drawn without it and it comes from one light document of empty
pages, stamped over the joined pages. Links, named destinations and the outline are rebuilt for the whole file.
A body that fits in one chunk stays one document, numbered by WeasyPrint itself as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from reports.parts import Part, body_parts, front_part, render_part
from reports.sections.data import RelazioneData

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject

LOGGER = logging.getLogger("weasyprint")

PX_TO_PT = 0.75  # WeasyPrint's CSS pixels to PDF points
FOOTER = "/PerfplanFooter"
# Archivable and accessible: PDF/A-3b (XMP identification, embedded fonts, an sRGB output intent) with a structure
# tree (tagged PDF: headings, tables with their header cells, lists, the reading order).
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}


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


# progress(done, total, pages): `done` of `total` steps (one a body chunk, one the cover, sommario and joining),
# `pages` drawn so far. Called between chunks, never inside one: it changes nothing in the file.
Progress = Callable[[int, int, int], None]


def _no_progress(done: int, total: int, pages: int) -> None:
    return None


def relazione_pdf(data: RelazioneData, *, max_rows: int, progress: Progress | None = None) -> tuple[bytes, int]:
    """The whole Relazione as one PDF and its page count. A body that fits in one chunk is one document, numbered
    by WeasyPrint itself (`target-counter`, `counter(pages)`), as cheap as before chunks."""
    progress = progress or _no_progress
    with _few_collections():
        renderer = _Renderer(data)
        chunks = chunk_parts(body_parts(data, max_rows=max_rows), max_rows)
        steps = len(chunks) + 1 if len(chunks) > 1 else 1
        progress(0, steps, 0)
        if len(chunks) == 1:
            content, pages = renderer.whole([front_part(), *chunks[0]])
            progress(steps, steps, pages)
            return content, pages
        body = []
        for parts in chunks:
            body.append(renderer.body(parts))
            progress(len(body), steps, sum(len(chunk.pages) for chunk in body))
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
    """Renders the documents of one Relazione with one stylesheet and one font configuration (parsed once)."""

    def __init__(self, data: RelazioneData) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.data = data
        stylesheet = finders.find("reports/print.css")
        self.base_url = str(Path(stylesheet).parent)
        self.fonts = FontConfiguration()
        self.stylesheets = [CSS(filename=stylesheet, font_config=self.fonts)]

    def whole(self, parts: list[Part]) -> tuple[bytes, int]:
        document = self._render(self._html(parts, chunked=False))
        return document.write_pdf(**PDF_OPTIONS), len(document.pages)

    def body(self, parts: list[Part]) -> Chunk:
        return self._chunk(self._html(parts))

    def front(self, body: list[Chunk], *, front_pages: int) -> Chunk:
        """Cover and sommario, with the real page of each heading of the body chunks that follow."""
        toc_pages: dict[str, int] = {}
        first_page = front_pages + 1
        for chunk in body:
            for anchor, index in chunk.anchors.items():
                toc_pages.setdefault(anchor, first_page + index)
            first_page += len(chunk.pages)
        return self._chunk(self._html([front_part()], toc_pages=toc_pages), elsewhere=set(toc_pages))

    def footers(self, landscape: list[bool]) -> bytes:
        """Empty pages of the same sizes carrying only «Pagina X di Y» (none on the cover, the first page)."""
        html = render_to_string("reports/pdf_footers.html", {"landscape": landscape})
        return self._render(html).write_pdf()

    def _html(self, parts: list[Part], *, chunked: bool = True, **extra) -> str:
        """pdf.html around the parts; a chunk leaves the footer to the stamp (reports/pdf_footers.html)."""
        body = mark_safe("".join(render_part(part, self.data, **extra) for part in parts))  # noqa: S308 - templates
        return render_to_string("reports/pdf.html", {"r": self.data, "body": body, "chunked": chunked})

    def _chunk(self, html: str, *, elsewhere: frozenset[str] | set[str] = frozenset()) -> Chunk:
        """Lay out and draw one document; `elsewhere`: anchors of other chunks that its links point to."""
        document = self._render(html)
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
        _release_memory()
        return chunk

    def _render(self, html: str):
        document = _html_class()(string=html, base_url=self.base_url)
        return document.render(stylesheets=self.stylesheets, font_config=self.fonts)


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


def join_chunks(chunks: list[Chunk], footers: bytes) -> bytes:
    """One PDF from the chunks in print order (the first one is the cover and sommario), with its footers."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    front, *body = chunks
    writer = PdfWriter()
    readers = [PdfReader(BytesIO(chunk.content)) for chunk in body]
    for reader in readers:
        writer.append(reader, import_outline=False)
    # Last, so that the named destinations of the sommario's links are already there and the links are kept.
    front_reader = PdfReader(BytesIO(front.content))
    writer.merge(0, front_reader, import_outline=False)
    pages = [page for chunk in chunks for page in chunk.pages]
    _join_structure(writer, [front_reader, *readers])
    _stamp(writer, PdfReader(BytesIO(footers)))
    _add_links(writer, pages)
    _add_outline(writer, pages)
    writer.add_metadata(front_reader.metadata)
    root = front_reader.root_object
    writer.root_object[NameObject("/Lang")] = root["/Lang"]
    # PDF/A: the XMP identification and the output intent of the chunks (all alike), and a file identifier.
    for key in ("/Metadata", "/OutputIntents"):
        if key in root:
            writer.root_object[NameObject(key)] = root.raw_get(key).clone(writer)
    writer.generate_file_identifiers()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _join_structure(writer: PdfWriter, readers: list[PdfReader]) -> None:
    """One structure tree (tagged PDF) from the chunks' trees, in print order (`readers` as the pages are): the
    elements under each chunk's Document element go under one Document element, and each chunk's keys of the parent
    tree (its pages' /StructParents, its annotations' /StructParent) are shifted past the previous chunks'. The
    pages are already in the writer: cloning an element maps its /Pg to the page taken from the same reader."""
    from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, NameObject, NumberObject

    if not all("/StructTreeRoot" in reader.root_object for reader in readers):
        return
    document = DictionaryObject(
        {NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document")}
    )
    document_ref = writer._add_object(document)  # pypdf has no public way to add a bare dictionary
    kids, nums = ArrayObject(), ArrayObject()
    offset, first_page = 0, 0
    for reader in readers:
        tree = reader.root_object["/StructTreeRoot"].get_object()
        for top in _as_list(tree.get("/K")):
            element = top.get_object()
            children = _as_list(element.get("/K")) if element.get("/S") == "/Document" else [top]
            for child in children:
                cloned = child.clone(writer)
                cloned.get_object()[NameObject("/P")] = document_ref
                kids.append(cloned)
        parent_tree = _number_tree(tree["/ParentTree"].get_object())
        for key, value in parent_tree:
            nums.append(NumberObject(key + offset))
            nums.append(value.clone(writer))
        for page, original in zip(writer.pages[first_page : first_page + len(reader.pages)], reader.pages, strict=True):
            if "/StructParents" in original:  # pypdf leaves it out of the pages it copies
                page[NameObject("/StructParents")] = NumberObject(original["/StructParents"] + offset)
            for annotation in page.get("/Annots", ArrayObject()):
                annotation = annotation.get_object()
                if "/StructParent" in annotation:
                    annotation[NameObject("/StructParent")] = NumberObject(annotation["/StructParent"] + offset)
        first_page += len(reader.pages)
        offset += max((key for key, _ in parent_tree), default=-1) + 1
    document[NameObject("/K")] = kids
    writer.root_object[NameObject("/StructTreeRoot")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructTreeRoot"),
                NameObject("/K"): ArrayObject([document_ref]),
                NameObject("/ParentTree"): writer._add_object(DictionaryObject({NameObject("/Nums"): nums})),
                NameObject("/ParentTreeNextKey"): NumberObject(offset),
            }
        )
    )
    document[NameObject("/P")] = writer.root_object.raw_get("/StructTreeRoot")
    writer.root_object[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})


def _as_list(value) -> list:
    from pypdf.generic import ArrayObject

    if value is None:
        return []
    value_object = value.get_object() if hasattr(value, "get_object") else value
    return list(value_object) if isinstance(value_object, ArrayObject) else [value]


def _number_tree(node) -> list[tuple[int, object]]:
    """The (key, value) pairs of a PDF number tree, leaves in order."""
    pairs = []
    nums = node.get("/Nums")
    if nums is not None:
        nums = nums.get_object()
        pairs += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in node.get("/Kids", ()):
        pairs += _number_tree(kid.get_object())
    return pairs


def _stamp(writer: PdfWriter, stamps: PdfReader) -> None:
    """Draw page i of `stamps` over page i, as a form XObject: the page's own (compressed) content is kept as it is,
    wrapped in q … Q so that the stamp starts from the default coordinates."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    save = writer._add_object(_stream(b"q\n"))  # pypdf has no public way to add a bare stream
    # The footer is a pagination artifact, outside the structure tree (tagged PDF).
    restore_and_draw = writer._add_object(_stream(b"Q\n/Artifact BMC q " + FOOTER.encode() + b" Do Q EMC\n"))
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        form = _stream(stamp.get_contents().get_data())
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = stamp.mediabox
        form[NameObject("/Resources")] = stamp["/Resources"].clone(writer)
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject(FOOTER)] = writer._add_object(form)
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page.raw_get("/Contents").get_object()
        own = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
        page[NameObject("/Contents")] = ArrayObject([save, *own, restore_and_draw])


def _stream(data: bytes) -> DecodedStreamObject:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _add_links(writer: PdfWriter, pages: list[PageInfo]) -> None:
    """The links between chunks (the sommario's), to the named destinations that every chunk's ids became."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

    names = set(writer.named_destinations)
    for page, info in zip(writer.pages, pages, strict=True):
        for link in info.links:
            if link.anchor not in names:
                continue
            annotation = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject(FloatObject(value) for value in link.rect),
                    NameObject("/BS"): DictionaryObject({NameObject("/W"): NumberObject(0)}),
                    NameObject("/Dest"): TextStringObject(link.anchor),
                }
            )
            annotations = page.get("/Annots", ArrayObject()).get_object()
            annotations.append(writer._add_object(annotation))
            page[NameObject("/Annots")] = annotations


def _add_outline(writer: PdfWriter, pages: list[PageInfo]) -> None:
    """The outline of h1–h4 as WeasyPrint builds it for one document: a heading nests under the last one of a
    higher level, whichever chunk it came from."""
    from pypdf.generic import Fit

    open_items: list[tuple[int, object]] = []
    for number, page in enumerate(pages):
        for bookmark in page.bookmarks:
            while open_items and open_items[-1][0] >= bookmark.level:
                open_items.pop()
            item = writer.add_outline_item(
                title=bookmark.label,
                page_number=number,
                parent=open_items[-1][1] if open_items else None,
                fit=Fit.xyz(bookmark.x, bookmark.y, 0),
                is_open=bookmark.is_open,
            )
            open_items.append((bookmark.level, item))


UA_PSEUDO_ELEMENTS = re.compile(r"^::(footnote-call|footnote-marker|note-call|note-marker|note-callback) \{.*\}$", re.M)


@functools.cache
def _html_class():
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


def _release_memory() -> None:
    """Give the C heap freed after a render (Pango layouts, fonts, big strings) back to the system (glibc only)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


_renders = {"running": 0, "threshold": gc.get_threshold()}
_renders_lock = threading.Lock()


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """WeasyPrint builds millions of long-lived objects (DOM, styles, boxes) and frees few of them while rendering:
    the cyclic collector's full passes rescan the whole growing heap again and again (about a fifth of the CPU time
    of a 250-page render, more on longer ones). Collect rarely while rendering, once after each chunk. Renders
    running at the same time in other threads share the setting; the last one to finish restores it."""
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
                _release_memory()


def document_pdf(*, template: str, context: dict, stylesheet: str) -> tuple[bytes, int]:
    """A short document rendered whole with the Relazione's renderer: PDF/A-3b, tagged, the project's fonts.
    `stylesheet`: a static path under reports/ (its @import and fonts resolve beside it). (content, pages)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    path = finders.find(stylesheet)
    fonts = FontConfiguration()  # the @font-face rules (Titillium Web, DejaVu Sans) need it on both sides
    html = render_to_string(template, context)
    document = _html_class()(string=html, base_url=str(Path(path).parent)).render(
        stylesheets=[CSS(filename=path, font_config=fonts)], font_config=fonts
    )
    return document.write_pdf(**PDF_OPTIONS), len(document.pages)


def validation_document_pdf(context: dict) -> tuple[bytes, int]:
    """The Documento di validazione (reports/documento.html): the same renderer and PDF/A-3b, tagged, as the
    Relazione; one short document, rendered whole. (content, pages)."""
    return document_pdf(template="reports/documento.html", context=context, stylesheet="reports/documento.css")
