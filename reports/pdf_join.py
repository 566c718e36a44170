"""The Relazione's chunk PDFs joined into one file written as a stream: each chunk is opened in turn (pikepdf reads
it), the objects its pages, structure elements and destinations reach are given the output's numbers and written at
once, and the chunk is closed before the next. Kept from one chunk to the next: where each object went (the
cross-reference), and the few numbers the objects written at the end need (pages, the structure tree's top elements
and parent tree keys, the named destinations, the footer stamps). qpdf held the whole joined object graph (≈ 227,000
objects for a 10.000-indicator plan, 759 MB) until it wrote the file.

The objects are copied as qpdf writes them (`unparse`), their references renumbered; all but the streams go into
compressed object streams, indexed by a cross-reference stream (PDF 1.5, allowed by PDF/A-2 and -3).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zlib
from array import array
from dataclasses import dataclass, field
from io import BytesIO

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from reports.chunk_render import Chunk, PageInfo, kids_of, release_memory

FOOTER = "/PerfplanFooter"
# A page's content is wrapped in q … Q so that the stamp starts from the default coordinates; the stamp is a
# pagination artifact, outside the structure tree (tagged PDF).
BEGIN_CONTENT = b"q\n"
END_CONTENT = b"Q\n/Artifact BMC q " + FOOTER.encode() + b" Do Q EMC\n"
OBJECTS_PER_STREAM = 100  # as qpdf
NAMES_PER_NODE = 64  # entries of a name tree node (the Dests)
# qpdf's unparse of a literal string escapes its parentheses and backslashes: a string is skipped whole, so that a
# text like «3 0 R» inside one is never taken for a reference. Names escape delimiters and spaces (#xx).
REFERENCE = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![\w.#/+-])(\d+) (\d+) R(?!\w)", re.S)
# The keys of a page that it may inherit from the page tree's nodes, which are not copied (ISO 32000-1 7.7.3.4).
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class _Output:
    """The file being written: objects numbered in the order asked, non-stream objects gathered into object
    streams of OBJECTS_PER_STREAM, and where each one went for the cross-reference stream."""

    def __init__(self, version: str) -> None:
        # On disk until the end: a chunk open in qpdf and the file written so far are not in memory at once.
        self.buffer = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        self.position = 0
        self.digest = hashlib.md5(usedforsecurity=False)
        self.count = 0  # the highest object number given
        # Per object number: 1 at an offset, 2 in an object stream (field = its number, index = its place there).
        self.kinds = array("B", [0])
        self.fields = array("Q", [0])
        self.indexes = array("H", [65535])
        self.pending: list[tuple[int, bytes]] = []
        self._write(b"%PDF-" + version.encode() + b"\n%\xe2\xe3\xcf\xd3\n")

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc) -> None:
        self.buffer.close()

    def reserve(self) -> int:
        self.count += 1
        self.kinds.append(0)
        self.fields.append(0)
        self.indexes.append(0)
        return self.count

    def add(self, number: int, body: bytes) -> None:
        """A non-stream object, written with the next object stream."""
        self.pending.append((number, body))
        if len(self.pending) >= OBJECTS_PER_STREAM:
            self._flush()

    def add_new(self, body: bytes) -> int:
        number = self.reserve()
        self.add(number, body)
        return number

    def add_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """A stream, written now: `dictionary` with its /Length and filters, `data` as filtered."""
        self._place(number)
        self._write(b"%d 0 obj\n%s\nstream\n" % (number, dictionary))
        self._write(data)
        self._write(b"\nendstream\nendobj\n")

    def add_new_stream(self, data: bytes) -> int:
        number = self.reserve()
        compressed = zlib.compress(data)
        self.add_stream(number, b"<< /Filter /FlateDecode /Length %d >>" % len(compressed), compressed)
        return number

    def finish(self, root: int, info: int | None) -> bytes:
        """The last object stream, the cross-reference stream and the trailer; the whole file."""
        self._flush()
        unwritten = [number for number in range(1, self.count + 1) if not self.kinds[number]]
        if unwritten:
            raise RuntimeError(f"Unione dei PDF: oggetti riservati e mai scritti: {unwritten[:10]}")
        identifier = self.digest.hexdigest().encode()
        number = self.reserve()
        self._place(number)
        width = max(1, (max(self.fields).bit_length() + 7) // 8)
        rows = bytearray()
        for kind, position, index in zip(self.kinds, self.fields, self.indexes, strict=True):
            rows.append(kind)
            rows += position.to_bytes(width, "big")
            rows += index.to_bytes(2, "big")
        data = zlib.compress(rows)
        del rows
        trailer = b"/Root %d 0 R " % root + (b"/Info %d 0 R " % info if info else b"")
        dictionary = b"<< /Type /XRef /Size %d /W [ 1 %d 2 ] %s/ID [ <%s> <%s> ] /Filter /FlateDecode /Length %d >>" % (
            self.count + 1,
            width,
            trailer,
            identifier,
            identifier,
            len(data),
        )
        start = self.fields[number]
        self._write(b"%d 0 obj\n%s\nstream\n" % (number, dictionary) + data + b"\nendstream\nendobj\n")
        self._write(b"startxref\n%d\n%%%%EOF\n" % start)
        self.buffer.seek(0)
        return self.buffer.read()

    def _flush(self) -> None:
        if not self.pending:
            return
        number = self.reserve()
        offsets, bodies, position = [], [], 0
        for index, (member, body) in enumerate(self.pending):
            self.kinds[member], self.fields[member], self.indexes[member] = 2, number, index
            offsets.append(b"%d %d" % (member, position))
            bodies.append(body)
            position += len(body) + 1
        header = b" ".join(offsets) + b"\n"
        data = zlib.compress(header + b"\n".join(bodies) + b"\n")
        dictionary = b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" % (
            len(self.pending),
            len(header),
            len(data),
        )
        self.pending = []
        self.add_stream(number, dictionary, data)

    def _place(self, number: int) -> None:
        self.kinds[number], self.fields[number], self.indexes[number] = 1, self.position, 0

    def _write(self, data: bytes) -> None:
        self.buffer.write(data)
        self.position += len(data)
        self.digest.update(data)


class _Source:
    """One open PDF whose objects are copied into the output: its object numbers mapped to the output's. An object
    is copied when a copied object refers to it, unless it was bound to an object of the output (the page tree's
    nodes to the new page tree, the structure tree's root to the new Document element…)."""

    def __init__(self, output: _Output, pdf: pikepdf.Pdf) -> None:
        self.output = output
        self.pdf = pdf
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: list[tuple[int, int]] = []
        self.shifted: set[tuple[int, int]] = set()  # annotations whose /StructParent was shifted (once, if shared)

    def bind(self, obj, number: int, *, copy: bool = False) -> None:
        """`obj` (indirect) is output object `number`: copied there when `copy`, else written by the caller."""
        self.numbers[obj.objgen] = number
        if copy:
            self.queue.append(obj.objgen)

    def placeholder(self, number: int) -> pikepdf.Object:
        """An object of this PDF standing for output object `number`, to refer to it from objects copied."""
        stand_in = self.pdf.make_indirect(Dictionary())
        self.bind(stand_in, number)
        return stand_in

    def ref(self, obj) -> int:
        """The output number of `obj`: an indirect object copied with the rest, a direct one written now."""
        if obj.is_indirect:
            return self._number(obj.objgen)
        return self.output.add_new(self._renumber(obj.unparse()))

    def inline(self, obj) -> bytes:
        """`obj` as written in another object: a reference, or a direct value with its references renumbered."""
        if obj.is_indirect:
            return b"%d 0 R" % self._number(obj.objgen)
        return self._renumber(obj.unparse())

    def copy(self) -> None:
        """Write every object referred to so far, and those they refer to."""
        while self.queue:
            objgen = self.queue.pop()
            number = self.numbers[objgen]
            obj = self.pdf.get_object(objgen)
            if not isinstance(obj, pikepdf.Stream):
                self.output.add(number, self._renumber(obj.unparse(resolved=True)))
                continue
            data = obj.read_raw_bytes()
            dictionary = Dictionary(obj.stream_dict)
            if "/Filter" not in dictionary and dictionary.get("/Type") != Name.Metadata:  # PDF/A: XMP stays plain
                data = zlib.compress(data)
                dictionary.Filter = Name.FlateDecode
            dictionary.Length = len(data)
            self.output.add_stream(number, self._renumber(dictionary.unparse()), data)

    def _number(self, objgen: tuple[int, int]) -> int:
        number = self.numbers.get(objgen)
        if number is None:
            number = self.numbers[objgen] = self.output.reserve()
            self.queue.append(objgen)
        return number

    def _renumber(self, text: bytes) -> bytes:
        def replace(match: re.Match) -> bytes:
            if match.group(1) is None:
                return match.group(0)  # a string
            return b"%d 0 R" % self._number((int(match.group(1)), int(match.group(2))))

        return REFERENCE.sub(replace, text)


@dataclass
class _Joined:
    """What the objects written at the end need, kept across chunks: numbers, never objects."""

    pages: list[int] = field(default_factory=list)  # the page objects, in print order
    stamps: list[int] = field(default_factory=list)  # each page's footer stamp (a form XObject), written last
    annotations: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (array, page index, annotations)
    destinations: dict[str, int] = field(default_factory=dict)
    document_kids: list[int] = field(default_factory=list)
    parent_tree: list[tuple[int, int]] = field(default_factory=list)
    next_key: int = 0  # the next chunk's parent tree keys start here
    tagged: bool = True
    catalog_entries: dict[str, bytes] = field(default_factory=dict)  # the first chunk's document properties
    info: int | None = None
    wrap: tuple[int, int] = (0, 0)  # the streams around each page's content: q, and Q with the stamp


def join_streaming(chunks: list[Chunk], footers: bytes) -> bytes:
    """One PDF from the chunks in print order (the first one is the cover and sommario), with its footers."""
    with _Output(_version(chunks[0].content)) as output:
        return _join(output, chunks, footers)


def _join(output: _Output, chunks: list[Chunk], footers: bytes) -> bytes:
    page_tree, catalog, document = output.reserve(), output.reserve(), output.reserve()
    joined = _Joined(wrap=(output.add_new_stream(BEGIN_CONTENT), output.add_new_stream(END_CONTENT)))
    infos = [page for chunk in chunks for page in chunk.pages]
    for index, chunk in enumerate(chunks):
        _take_chunk(output, joined, chunk.content, infos, first=index == 0, numbers=(catalog, page_tree, document))
        release_memory()  # the chunk's objects, freed with it: the heap given back before the next one
    _take_stamps(output, joined, footers)
    release_memory()
    _write_links(output, joined, infos)
    entries = dict(joined.catalog_entries)
    entries["/Names"] = b"<< /Dests %d 0 R >>" % _write_name_tree(output, joined.destinations)
    outline = _write_outline(output, joined.pages, infos)
    if outline:
        entries["/Outlines"] = b"%d 0 R" % outline
    tree = _write_structure(output, joined, document)
    if joined.tagged:
        entries["/StructTreeRoot"] = b"%d 0 R" % tree
        entries["/MarkInfo"] = b"<< /Marked true >>"
    kids = b" ".join(b"%d 0 R" % number for number in joined.pages)
    output.add(page_tree, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (len(joined.pages), kids))
    body = b" ".join(key.encode() + b" " + value for key, value in sorted(entries.items()))
    output.add(catalog, b"<< /Type /Catalog /Pages %d 0 R %s >>" % (page_tree, body))
    return output.finish(catalog, joined.info)


def _take_chunk(
    output: _Output, joined: _Joined, content: bytes, infos: list[PageInfo], *, first: bool, numbers: tuple[int, ...]
) -> None:
    """Copy one chunk: its pages, structure and destinations; the first one's document properties too. Nothing of
    it is referred to once this returns: qpdf frees it."""
    catalog, page_tree, document = numbers
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        source = _Source(output, pdf)
        source.bind(pdf.Root, catalog)
        _bind_page_tree(source, pdf.Root.Pages, page_tree)
        start = len(joined.pages)
        pages = [page.obj for page in pdf.pages]
        for page in pages:
            number = output.reserve()
            source.bind(page, number, copy=True)
            joined.pages.append(number)
        for index, page in enumerate(pages, start=start):
            _prepare_page(source, joined, page, index, infos[index])
        _take_structure(source, joined, document)
        _take_destinations(source, joined)
        if first:  # the chunks' document properties are all alike: the first one's
            _take_document_properties(source, joined)
        source.copy()


def _take_stamps(output: _Output, joined: _Joined, footers: bytes) -> None:
    """Page i of `footers` as a form XObject, the stamp that page i names."""
    with pikepdf.Pdf.open(BytesIO(footers)) as pdf:
        source = _Source(output, pdf)
        for page, number in zip(pdf.pages, joined.stamps, strict=True):
            source.bind(page.as_form_xobject(), number, copy=True)
        source.copy()


def _version(content: bytes) -> str:
    """The first chunk's PDF version, at least 1.5 (object and cross-reference streams)."""
    match = re.match(rb"%PDF-(\d)\.(\d)", content)
    major, minor = max((int(match.group(1)), int(match.group(2))) if match else (1, 7), (1, 5))
    return f"{major}.{minor}"


def _bind_page_tree(source: _Source, node, page_tree: int) -> None:
    """Every node of the chunk's page tree is the output's one page tree: a page's /Parent points there."""
    stack = [node]
    while stack:
        node = stack.pop()
        if node.get("/Type") == Name.Pages:
            source.bind(node, page_tree)
            stack.extend(node.get("/Kids", ()))


def _prepare_page(source: _Source, joined: _Joined, page, index: int, info: PageInfo) -> None:
    """The chunk's page as the output needs it, changed in the open chunk before it is copied: inherited keys on the
    page itself, its parent tree keys shifted past the previous chunks', its content wrapped and its footer stamp
    named in resources of its own (the pages of a chunk share theirs), its annotations to be completed at the end
    when links to other chunks are added there."""
    for key in INHERITED:
        node = page
        while key not in node and "/Parent" in node:
            node = node.Parent
            if key in node:
                page[key] = node[key]
    if joined.tagged:
        if "/StructParents" in page:
            page.StructParents = int(page.StructParents) + joined.next_key
        for annotation in page.get("/Annots", ()):
            if "/StructParent" not in annotation:
                continue
            if annotation.is_indirect:
                if annotation.objgen in source.shifted:  # an annotation two pages list: shifted once
                    continue
                source.shifted.add(annotation.objgen)
            annotation.StructParent = int(annotation.StructParent) + joined.next_key
    stamp = source.output.reserve()
    joined.stamps.append(stamp)
    resources = Dictionary(page.get("/Resources", Dictionary()))
    xobjects = Dictionary(resources.get("/XObject", Dictionary()))
    xobjects[FOOTER] = source.placeholder(stamp)
    resources.XObject = xobjects
    page.Resources = resources
    contents = page.get("/Contents")
    contents = list(contents) if isinstance(contents, Array) else [] if contents is None else [contents]
    page.Contents = Array([source.placeholder(joined.wrap[0]), *contents, source.placeholder(joined.wrap[1])])
    if info.links:
        number = source.output.reserve()
        joined.annotations.append((number, index, [source.ref(annotation) for annotation in page.get("/Annots", ())]))
        page.Annots = source.placeholder(number)


def _take_structure(source: _Source, joined: _Joined, document: int) -> None:
    """The chunk's structure tree under the output's one Document element: the elements under its own Document
    element (or at its top) become the Document's kids, its parent tree keys are shifted past the previous
    chunks'. One chunk untagged: no structure tree (the elements of the others are copied all the same)."""
    tree = source.pdf.Root.get("/StructTreeRoot")
    if tree is None:
        joined.tagged = False
    if not joined.tagged:
        return
    source.bind(tree, document)
    for top in kids_of(tree):
        if top.get("/S") == Name.Document:
            source.bind(top, document)
            joined.document_kids += [source.ref(child) for child in kids_of(top)]
        else:
            joined.document_kids.append(source.ref(top))
    pairs = _number_tree(tree.ParentTree) if "/ParentTree" in tree else []
    joined.parent_tree += [(key + joined.next_key, source.ref(value)) for key, value in pairs]
    joined.next_key += max((key for key, _ in pairs), default=-1) + 1


def _take_destinations(source: _Source, joined: _Joined) -> None:
    """The chunk's named destinations (every id of its HTML), the first of a name in print order kept: the links
    inside a chunk and the sommario's (_write_links) point at them by name."""
    names = source.pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return
    for name, destination in pikepdf.NameTree(names.Dests).items():
        if name not in joined.destinations:
            joined.destinations[name] = source.ref(destination)


def _take_document_properties(source: _Source, joined: _Joined) -> None:
    """Information, language, viewer preferences and PDF/A's XMP identification and output intent."""
    pdf = source.pdf
    if "/Info" in pdf.trailer:
        joined.info = source.ref(pdf.trailer.Info)
    if "/Lang" in pdf.Root:
        joined.catalog_entries["/Lang"] = String(str(pdf.Root.Lang)).unparse()
    for key in ("/ViewerPreferences", "/Metadata", "/OutputIntents"):
        if key in pdf.Root:
            joined.catalog_entries[key] = source.inline(pdf.Root[key])


def _number_tree(node) -> list[tuple[int, object]]:
    """The (key, value) pairs of a PDF number tree, leaves in order."""
    pairs = []
    nums = node.get("/Nums")
    if nums is not None:
        pairs += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in node.get("/Kids", ()):
        pairs += _number_tree(kid)
    return pairs


def _write_structure(output: _Output, joined: _Joined, document: int) -> int:
    """The Document element, the parent tree and the tree's root (written even when a chunk was untagged: the
    copied elements point at the Document)."""
    root = output.reserve()
    kids = b" ".join(b"%d 0 R" % number for number in joined.document_kids)
    output.add(document, b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>" % (root, kids))
    nums = b" ".join(b"%d %d 0 R" % pair for pair in joined.parent_tree)
    parent_tree = output.add_new(b"<< /Nums [ %s ] >>" % nums)
    output.add(
        root,
        b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d >>"
        % (document, parent_tree, joined.next_key),
    )
    return root


def _write_links(output: _Output, joined: _Joined, infos: list[PageInfo]) -> None:
    """The links between chunks (the sommario's), to the named destinations that every chunk's ids became, after
    the page's own annotations."""
    for array_number, index, own in joined.annotations:
        numbers = list(own)
        for link in infos[index].links:
            if link.anchor in joined.destinations:
                rect = b" ".join(_real(value) for value in link.rect)
                numbers.append(  # /F 4: printed (PDF/A asks it of every annotation), as WeasyPrint's own links
                    output.add_new(
                        b"<< /Type /Annot /Subtype /Link /F 4 /Rect [ %s ] /BS << /W 0 >> /Dest %s >>"
                        % (rect, String(link.anchor).unparse())
                    )
                )
        output.add(array_number, b"[ %s ]" % b" ".join(b"%d 0 R" % number for number in numbers))


def _write_name_tree(output: _Output, entries: dict[str, int]) -> int:
    """A name tree of `entries` (sorted), NAMES_PER_NODE a node."""
    names = sorted(entries)
    level = []  # (first, last, number) of the nodes of the level being built
    for start in range(0, len(names), NAMES_PER_NODE):
        part = names[start : start + NAMES_PER_NODE]
        pairs = b" ".join(String(name).unparse() + b" %d 0 R" % entries[name] for name in part)
        limits = _limits(part[0], part[-1])
        level.append((part[0], part[-1], output.add_new(b"<< /Names [ %s ] /Limits %s >>" % (pairs, limits))))
    while len(level) > NAMES_PER_NODE:
        upper = []
        for start in range(0, len(level), NAMES_PER_NODE):
            part = level[start : start + NAMES_PER_NODE]
            kids = b" ".join(b"%d 0 R" % number for _, _, number in part)
            body = b"<< /Kids [ %s ] /Limits %s >>" % (kids, _limits(part[0][0], part[-1][1]))
            upper.append((part[0][0], part[-1][1], output.add_new(body)))
        level = upper
    return output.add_new(b"<< /Kids [ %s ] >>" % b" ".join(b"%d 0 R" % number for _, _, number in level))


def _limits(first: str, last: str) -> bytes:
    return b"[ %s %s ]" % (String(first).unparse(), String(last).unparse())


@dataclass
class _Item:
    title: str
    page: int  # output object number
    x: float
    y: float
    is_open: bool
    children: list[_Item] = field(default_factory=list)
    number: int = 0


def _write_outline(output: _Output, pages: list[int], infos: list[PageInfo]) -> int | None:
    """The outline of h1–h4 as WeasyPrint builds it for one document: a heading nests under the last one of a
    higher level, whichever chunk it came from. None without headings."""
    top: list[_Item] = []
    open_items: list[tuple[int, _Item]] = []
    for page, info in zip(pages, infos, strict=True):
        for bookmark in info.bookmarks:
            while open_items and open_items[-1][0] >= bookmark.level:
                open_items.pop()
            item = _Item(bookmark.label, page, bookmark.x, bookmark.y, bookmark.is_open)
            (open_items[-1][1].children if open_items else top).append(item)
            open_items.append((bookmark.level, item))
    if not top:
        return None
    root = output.reserve()
    count = _write_items(output, top, root)
    first, last = top[0].number, top[-1].number
    output.add(root, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (first, last, count))
    return root


def _write_items(output: _Output, items: list[_Item], parent: int) -> int:
    """Write `items` (siblings) and their descendants; the number of items visible under `parent` (ISO 32000-1
    12.3.3: an open item's visible descendants count, a closed one's Count is negative)."""
    for item in items:
        item.number = output.reserve()
    visible = 0
    for position, item in enumerate(items):
        entries = [b"/Title " + String(item.title).unparse(), b"/Parent %d 0 R" % parent]
        if position:
            entries.append(b"/Prev %d 0 R" % items[position - 1].number)
        if position + 1 < len(items):
            entries.append(b"/Next %d 0 R" % items[position + 1].number)
        visible += 1
        if item.children:
            below = _write_items(output, item.children, item.number)
            entries.append(b"/First %d 0 R /Last %d 0 R" % (item.children[0].number, item.children[-1].number))
            entries.append(b"/Count %d" % (below if item.is_open else -below))
            if item.is_open:
                visible += below
        entries.append(b"/Dest [ %d 0 R /XYZ %s %s 0 ]" % (item.page, _real(item.x), _real(item.y)))
        output.add(item.number, b"<< %s >>" % b" ".join(entries))
    return visible


def _real(value: float) -> bytes:
    """A PDF real: no exponent, at most 6 decimals (as qpdf writes them)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()
