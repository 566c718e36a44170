"""The Relazione PDF, rendered in chunks: a few parts at a time, each its own WeasyPrint document, joined by pikepdf.

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
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from perfplan.internals import private_apis
from reports.chunk_render import (
    PDF_OPTIONS,
    Chunk,
    PageInfo,
    Style,
    draw_chunk,
    html_class,
    kids_of,
    lighter_structure,
    parse,
    release_memory,
    render,
    start_worker,
)
from reports.parts import Part, body_parts, front_part, render_part
from reports.sections.data import RelazioneData

FOOTER = "/PerfplanFooter"


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
        """Empty pages of the same sizes carrying only «Pagina X di Y» (none on the cover, the first page)."""
        html = render_to_string("reports/pdf_footers.html", {"landscape": landscape})
        return render(html, self.style, self.parsed).write_pdf()

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

    Joined with pikepdf (qpdf), one chunk open at a time: its pages, destinations and structure are copied, the data
    of its streams taken over, and it is closed before the next. pypdf held every chunk's objects (one per table
    cell, tagged PDF) as Python objects and wrote each on its own: a 10.000-indicator Relazione took 3,6 GB and 91 MB.
    """
    import pikepdf

    out = pikepdf.Pdf.new()
    destinations: dict[str, object] = {}
    structure = _Structure(out)
    version = "1.7"
    for index, chunk in enumerate(chunks):
        with pikepdf.Pdf.open(BytesIO(chunk.content)) as source:
            first = len(out.pages)
            out.pages.extend(source.pages)
            _take_destinations(out, source, destinations)
            structure.take(source, out.pages[first:])
            if index == 0:  # the chunks' document properties are all alike: the first one's
                version = source.pdf_version
                _take_document_properties(out, source)
            _own_streams(out.pages[first:])
    tree = pikepdf.NameTree.new(out)
    for name in sorted(destinations):
        tree[name] = destinations[name]
    out.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
    structure.finish()
    pages = [page for chunk in chunks for page in chunk.pages]
    _add_links(out, pages)
    _add_outline(out, pages)
    buffer = BytesIO()
    with pikepdf.Pdf.open(BytesIO(footers)) as stamps:  # open until written: the stamps' data is read then
        _stamp(out, stamps)
        out.save(
            buffer,
            min_version=version,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            fix_metadata_version=False,
        )
    return buffer.getvalue()


def _take_destinations(out, source, destinations: dict[str, object]) -> None:
    """The chunk's named destinations (every id of its HTML), the first of a name in print order kept: the links
    inside a chunk and the sommario's (_add_links) point at them by name."""
    import pikepdf

    names = source.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return
    for name, destination in pikepdf.NameTree(names.Dests).items():
        if name not in destinations:
            destinations[name] = _copy(out, source, destination)


def _take_document_properties(out, source) -> None:
    """Information, language, viewer preferences and PDF/A's XMP identification and output intent."""
    import pikepdf

    out.docinfo = _copy(out, source, source.docinfo)
    out.Root.Lang = pikepdf.String(str(source.Root.Lang))
    for key in ("/ViewerPreferences", "/Metadata", "/OutputIntents"):
        if key in source.Root:
            out.Root[key] = _copy(out, source, source.Root[key])
    _own_streams([out.Root[key] for key in ("/Metadata", "/OutputIntents") if key in out.Root])


# Where _own_streams does not go: up the page tree, into the structure tree (no streams there) or to other pages.
_NOT_TO_STREAMS = frozenset({"/Parent", "/P", "/Pg", "/StructTreeRoot", "/Pages", "/Names", "/Outlines", "/Dest", "/D"})


def _own_streams(objects: list) -> None:
    """Give the streams reachable from `objects` (pages, the catalog) their data, which qpdf otherwise reads from
    the chunk they were copied from when the file is written: the chunk can then be closed and freed."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    stack = [item.obj if isinstance(item, pikepdf.Page) else item for item in objects]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
            continue
        if not isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Stream):
            item.write(item.read_raw_bytes(), filter=item.get("/Filter"), decode_parms=item.get("/DecodeParms"))
        stack.extend(value for key, value in item.items() if key not in _NOT_TO_STREAMS)


class _Structure:
    """One structure tree (tagged PDF) from the chunks' trees, in print order: the elements under each chunk's
    Document element go under one Document element, and each chunk's keys of the parent tree (its pages'
    /StructParents, its annotations' /StructParent) are shifted past the previous chunks'. A chunk's pages are
    already in `out`: qpdf maps a copied element's /Pg to the page copied from the same chunk."""

    def __init__(self, out) -> None:
        from pikepdf import Array, Dictionary, Name

        self.out = out
        self.document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
        self.kids, self.nums = Array(), Array()
        self.offset = 0
        self.tagged = True

    def take(self, source, pages) -> None:
        from pikepdf import Name

        if "/StructTreeRoot" not in source.Root:
            self.tagged = False
        if not self.tagged:
            return
        tree = source.Root.StructTreeRoot
        for top in kids_of(tree):
            children = kids_of(top) if top.get("/S") == Name.Document else [top]
            for child in children:
                cloned = _copy(self.out, source, child)
                cloned.P = self.document
                self.kids.append(cloned)
        parent_tree = _number_tree(tree.ParentTree)
        for key, value in parent_tree:
            self.nums.append(key + self.offset)
            self.nums.append(_copy(self.out, source, value))
        for page in pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + self.offset
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + self.offset
        self.offset += max((key for key, _ in parent_tree), default=-1) + 1

    def finish(self) -> None:
        """The tree's root in the catalog, when every chunk was tagged."""
        from pikepdf import Array, Dictionary, Name

        if not self.tagged:
            return
        self.document.K = self.kids
        root = self.out.make_indirect(
            Dictionary(
                Type=Name.StructTreeRoot,
                K=Array([self.document]),
                ParentTree=self.out.make_indirect(Dictionary(Nums=self.nums)),
                ParentTreeNextKey=self.offset,
            )
        )
        self.document.P = root
        self.out.Root.StructTreeRoot = root
        self.out.Root.MarkInfo = Dictionary(Marked=True)


def _copy(out, source, value):
    """`value` of `source` copied into `out` (qpdf copies only indirect objects: a direct one is made indirect
    first), with what it refers to; a page already copied is the same page."""
    return out.copy_foreign(value if value.is_indirect else source.make_indirect(value))


def _number_tree(node) -> list[tuple[int, object]]:
    """The (key, value) pairs of a PDF number tree, leaves in order."""
    pairs = []
    nums = node.get("/Nums")
    if nums is not None:
        pairs += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in node.get("/Kids", ()):
        pairs += _number_tree(kid)
    return pairs


def _stamp(out, stamps) -> None:
    """Draw page i of `stamps` over page i, as a form XObject: the page's own content is kept as it is, wrapped in
    q … Q so that the stamp starts from the default coordinates; the stamp is a pagination artifact, outside the
    structure tree (tagged PDF)."""
    from pikepdf import Dictionary, Name

    for page, stamp in zip(out.pages, stamps.pages, strict=True):
        # The pages of a chunk share one resources dictionary: each page gets its own, naming its own stamp.
        resources = Dictionary(page.obj.get("/Resources", Dictionary()))
        resources.XObject = Dictionary(resources.get("/XObject", Dictionary()))
        page.obj.Resources = resources
        form = out.copy_foreign(stamp.as_form_xobject())
        name = page.add_resource(form, Name.XObject, Name(FOOTER))
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"Q\n/Artifact BMC q " + str(name).encode() + b" Do Q EMC\n")


def _add_links(out, pages: list[PageInfo]) -> None:
    """The links between chunks (the sommario's), to the named destinations that every chunk's ids became."""
    from pikepdf import Array, Dictionary, Name, NameTree, String

    names = NameTree(out.Root.Names.Dests)
    for page, info in zip(out.pages, pages, strict=True):
        for link in info.links:
            if link.anchor not in names:
                continue
            annotation = Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array(link.rect),
                BS=Dictionary(W=0),
                Dest=String(link.anchor),
            )
            if "/Annots" not in page.obj:
                page.obj.Annots = Array()
            page.obj.Annots.append(out.make_indirect(annotation))


def _add_outline(out, pages: list[PageInfo]) -> None:
    """The outline of h1–h4 as WeasyPrint builds it for one document: a heading nests under the last one of a
    higher level, whichever chunk it came from."""
    from pikepdf import OutlineItem, PageLocation

    with out.open_outline() as outline:
        open_items: list[tuple[int, OutlineItem]] = []
        for number, page in enumerate(pages):
            for bookmark in page.bookmarks:
                while open_items and open_items[-1][0] >= bookmark.level:
                    open_items.pop()
                item = OutlineItem(bookmark.label, number, PageLocation.XYZ, left=bookmark.x, top=bookmark.y, zoom=0)
                item.is_closed = not bookmark.is_open
                (open_items[-1][1].children if open_items else outline.root).append(item)
                open_items.append((bookmark.level, item))


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
