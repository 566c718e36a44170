"""The chunks of a long Relazione joined as a stream (reports.pdf_join): read back with pikepdf and pypdf."""

from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from reports.chunk_render import Chunk, PageInfo
from reports.parts import body_parts
from reports.pdf import _Renderer, chunk_parts, join_chunks
from reports.selectors import relazione_build
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdf_pages
from tests.reports.test_pdf import assert_archivable_and_tagged
from tests.reports.test_pdf_tags import elements, marked_content


def kids(element) -> list:
    value = element.get("/K")
    return list(value) if isinstance(value, pikepdf.Array) else [] if value is None else [value]


def number_tree(node) -> dict[int, object]:
    pairs = {}
    nums = node.get("/Nums")
    if nums is not None:
        pairs.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
    for kid in node.get("/Kids", ()):
        pairs.update(number_tree(kid))
    return pairs


def marked_content_of(content: bytes) -> list[tuple[int, int]]:
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        return marked_content(pdf)


@pytest.fixture
def joined(small_plan):
    """The small plan drawn one row a chunk (18 body chunks, tests/reports/test_pdf.py), as reports.pdf does, and
    joined: (chunks, their own PDFs' page texts, the joined file)."""
    data = relazione_build(plan=small_plan, year=YEAR)
    renderer = _Renderer(data, workers=1)
    body = renderer.bodies(chunk_parts(body_parts(data, max_rows=1), 1), lambda body: None)
    front = renderer.front(body, front_pages=2)
    chunks = [front, *body]
    assert len(front.pages) == 2 and len(chunks) == 19
    footers = renderer.footers([page.landscape for chunk in chunks for page in chunk.pages])
    return chunks, [text for chunk in chunks for text in pdf_pages(chunk.content)], join_chunks(chunks, footers)


def test_the_joined_file_has_every_page_with_its_text_and_its_footer(joined):
    chunks, chunk_texts, content = joined
    total = sum(len(chunk.pages) for chunk in chunks)
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        assert len(pdf.pages) == total > 19
        assert pdf.check_pdf_syntax() == []  # qpdf --check: structure, every stream decoded, every content parsed
        assert pdf.trailer.ID[0] and pdf.Root.Lang == "it"
        # Written in object streams indexed by a cross-reference stream: few top-level objects.
        assert b"/Type /ObjStm" in content and b"/Type /XRef" in content and b"\ntrailer" not in content
    pages = pdf_pages(content)
    assert len(pages) == total
    assert pages[0].rstrip("\n") == chunk_texts[0]  # the cover: no footer (its stamp is empty)
    for number, (text, alone) in enumerate(zip(pages[1:], chunk_texts[1:], strict=True), start=2):
        lines = text.splitlines()
        assert lines[-1] == f"Pagina {number} di {total}" and text.count("Pagina ") == 1, number
        assert "\n".join(lines[:-1]) == alone, number  # the page's own text, as in its chunk
    reader = PdfReader(BytesIO(content))
    for page, chunk_page in zip(reader.pages, [page for chunk in chunks for page in chunk.pages], strict=True):
        assert (page.mediabox.width > page.mediabox.height) == chunk_page.landscape
    assert reader.metadata.title == "Relazione sulla performance 2017 – Camera di commercio di Prova"
    assert_archivable_and_tagged(content)


def test_the_named_destinations_the_links_and_the_outline_lead_to_their_pages(joined):
    chunks, _, content = joined
    expected: dict[str, int] = {}  # every id of a chunk → its page in the file, the first one in print order
    first = 0
    for chunk in chunks:
        for anchor, index in chunk.anchors.items():
            expected.setdefault(anchor, first + index)
        first += len(chunk.pages)
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        page_index = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        destinations = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        assert len(destinations) == len(expected) > 20
        assert {name: page_index[dest[0].objgen] for name, dest in destinations.items()} == expected
    reader = PdfReader(BytesIO(content))
    named = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    assert named == expected

    # Every link that names a destination finds it: those inside a chunk and the sommario's to other chunks.
    links = [
        (number, str(annotation.get_object()["/Dest"]))
        for number, page in enumerate(reader.pages)
        for annotation in page.get("/Annots", []) or []
        if "/Dest" in annotation.get_object()
    ]
    assert all(name in named for _, name in links)
    sommario = {name for number, name in links if number == 1}
    assert len(sommario) == 19 and all(named[name] >= 2 for name in sommario)  # to the body's chunks

    # The outline: every heading of the chunks, in order, on its page.
    bookmarks = [
        (bookmark.label, number)
        for number, page in enumerate(page for chunk in chunks for page in chunk.pages)
        for bookmark in page.bookmarks
    ]
    outline = []

    def walk(nodes):
        for node in nodes:
            if isinstance(node, list):
                walk(node)
            else:
                outline.append((node.title, reader.get_destination_page_number(node)))

    walk(reader.outline)
    assert outline == bookmarks and len(outline) > 15
    assert "3.1 Rendicontazione degli obiettivi strategici triennali" in [title for title, _ in outline]


def orphans(content: bytes, first_page: int = 0) -> set[tuple[int, int]]:
    """(page index + `first_page`, mcid) of the marked content whose owner in the parent tree is not reachable from
    the structure tree's root: WeasyPrint's running headers (page margin boxes) are NonStruct elements whose parent,
    the Document element, does not list them: so in every chunk, before any join."""
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        reachable = {element.objgen for element in elements(pdf)}
        parent_tree = number_tree(pdf.Root.StructTreeRoot.ParentTree)
        return {
            (first_page + page, mcid)
            for page, mcid in marked_content(pdf)
            if parent_tree[int(pdf.pages[page].obj.StructParents)][mcid].objgen not in reachable
        }


def assert_structure(chunks, content: bytes) -> int:
    """One structure tree whose Document element holds the chunks' elements: every marked content of every page owned,
    in the parent tree, by an element reachable from the root that lists it on that page (what a screen reader
    walks; tests/reports/test_pdf_tags.py), apart from what each chunk already left unowned; every element's parent
    the element that lists it; each annotation of the tree owned by the element that refers to it. The number of
    such annotations."""
    unowned: set[tuple[int, int]] = set()
    first = 0
    for chunk in chunks:
        unowned |= orphans(chunk.content, first)
        first += len(chunk.pages)
    assert len(unowned) <= 2 * first  # the two running headers of a page at most
    assert orphans(content) == unowned  # the join loses no owner and adds no orphan
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        assert len(root.K) == 1 and str(document.S) == "/Document" and document.P.objgen == root.objgen
        assert bool(pdf.Root.MarkInfo.Marked)
        found = elements(pdf)
        reachable = {element.objgen for element in found}
        pages = {page.obj.objgen for page in pdf.pages}
        parent_tree = number_tree(root.ParentTree)
        assert int(root.ParentTreeNextKey) == max(parent_tree) + 1
        marks = marked_content(pdf)
        assert len(marks) == sum(len(marked_content_of(chunk.content)) for chunk in chunks)
        for page_index, mcid in marks:
            page = pdf.pages[page_index].obj
            owner = parent_tree[int(page.StructParents)][mcid]
            assert owner.objgen in reachable or (page_index, mcid) in unowned, (page_index, mcid)
            assert mcid in [kid for kid in kids(owner) if isinstance(kid, int)], (page_index, mcid)
            assert owner.Pg.objgen == page.objgen
        for element in found:
            if "/Pg" in element:
                assert element.Pg.objgen in pages
            for kid in kids(element):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    assert kid.P.objgen == element.objgen
        # The chunks' keys were shifted: each page its own, each annotation of the tree its own.
        keys = [int(page.obj.StructParents) for page in pdf.pages]
        owned = []
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    owner = parent_tree[int(annotation.StructParent)]
                    assert owner.objgen in reachable
                    assert annotation.objgen in [
                        kid.Obj.objgen for kid in kids(owner) if isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid
                    ]
                    owned.append(int(annotation.StructParent))
        assert len(set(keys + owned)) == len(keys) + len(owned)
        # The footer stamps are artifacts, outside the tree: the marked content above is the chunks' own.
        for page in pdf.pages:
            operations = pikepdf.parse_content_stream(page)
            stamp = [(str(operator), [str(operand) for operand in operands]) for operands, operator in operations[-5:]]
            assert stamp == [("BMC", ["/Artifact"]), ("q", []), ("Do", ["/PerfplanFooter"]), ("Q", []), ("EMC", [])]
            assert str(operations[0][1]) == "q"  # the page's own content wrapped: the stamp starts from the default
    return len(owned)


def test_the_joined_structure_tree_owns_every_marked_content(joined):
    chunks, _, content = joined
    assert assert_structure(chunks, content) == 0  # the Relazione's chunks have no link of their own
    assert sum(len(marked_content_of(chunk.content)) for chunk in chunks) > 500


CHAPTER = """<html lang="it"><head><title>Prova</title></head><body>
<h1 id="c{n}">Capitolo {n}</h1>
<p id="doppio">Testo con <a href="#c{n}-fine">un collegamento alla fine</a> e uno
<a href="#c{next}">al capitolo {next}</a>.</p>
<h2 id="c{n}-fine" style="break-before: page">Fine del capitolo {n}</h2><p>Fine.</p>
</body></html>"""


def test_links_inside_a_chunk_and_to_other_chunks_keep_their_destinations_and_owners():
    from django.contrib.staticfiles import finders
    from weasyprint import HTML

    from reports.chunk_render import Style, draw_chunk, parse

    stylesheet = finders.find("reports/print.css")
    style = Style(stylesheet=stylesheet, base_url=str(Path(stylesheet).parent), lean=True)
    parsed = parse(stylesheet)
    chunks = [
        draw_chunk(CHAPTER.format(n=n, next=(n + 1) % 3), style, frozenset({f"c{(n + 1) % 3}"}), parsed=parsed)
        for n in range(3)
    ]
    assert [len(chunk.pages) for chunk in chunks] == [2, 2, 2]
    footers = HTML(string="".join(f"<p style='break-after: page'>Pagina {n} di 6</p>" for n in range(1, 7))).write_pdf()
    content = join_chunks(chunks, footers)

    pages = pdf_pages(content)
    assert [text.splitlines()[-1] for text in pages] == [f"Pagina {n} di 6" for n in range(1, 7)]
    reader = PdfReader(BytesIO(content))
    named = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    assert named == {"c0": 0, "c0-fine": 1, "c1": 2, "c1-fine": 3, "c2": 4, "c2-fine": 5, "doppio": 0}
    links = [
        [str(annotation.get_object()["/Dest"]) for annotation in page.get("/Annots", []) or []] for page in reader.pages
    ]
    # Its own link first (WeasyPrint's, tagged), then the one to the next chunk (the join's).
    assert links == [["c0-fine", "c1"], [], ["c1-fine", "c2"], [], ["c2-fine", "c0"], []]
    # Every link printable (/F 4: PDF/A asks it of every annotation), the join's as WeasyPrint's.
    flags = [annotation.get_object().get("/F") for page in reader.pages for annotation in page.get("/Annots", []) or []]
    assert flags == [4] * 6
    assert assert_structure(chunks, content) == 3  # the chunks' own links, one each, in the tree
    outline = [
        (item.title, reader.get_destination_page_number(item)) for item in reader.outline if not isinstance(item, list)
    ]
    assert outline == [("Capitolo 0", 0), ("Capitolo 1", 2), ("Capitolo 2", 4)]
    assert [[child.title for child in item] for item in reader.outline if isinstance(item, list)] == [
        [f"Fine del capitolo {n}"] for n in range(3)
    ]


def test_untagged_chunks_make_an_untagged_file_with_every_page():
    from weasyprint import HTML

    from reports.chunk_render import Chunk, PageInfo

    def chunk(title: str) -> Chunk:
        content = HTML(string=f"<h1 id='{title}'>{title}</h1><p style='break-before: page'>Fine</p>").write_pdf()
        return Chunk(content, [PageInfo(False, (), ()), PageInfo(False, (), ())], {title: 0})

    footers = HTML(string="".join(f"<p style='break-after: page'>Pagina {n} di 4</p>" for n in range(1, 5))).write_pdf()
    content = join_chunks([chunk("primo"), chunk("secondo")], footers)
    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root and "/Outlines" not in pdf.Root
        assert dict(pikepdf.NameTree(pdf.Root.Names.Dests).items()).keys() == {"primo", "secondo"}
    assert [text.splitlines() for text in pdf_pages(content)] == [
        ["primo", "Pagina 1 di 4"],
        ["Fine", "Pagina 2 di 4"],
        ["secondo", "Pagina 3 di 4"],
        ["Fine", "Pagina 4 di 4"],
    ]


def test_many_destinations_make_a_name_tree_of_several_levels_that_readers_search():
    from reports.pdf_join import NAMES_PER_NODE, _Output, _write_name_tree

    output = _Output("1.7")
    targets = [output.add_new(b"[ %d ]" % n) for n in range(3)]
    entries = {f"id-{n:05d}": targets[n % 3] for n in range(NAMES_PER_NODE**2 + 10)}  # three levels
    tree = _write_name_tree(output, entries)
    pages = output.add_new(b"<< /Type /Pages /Kids [ ] /Count 0 >>")
    catalog = output.add_new(b"<< /Type /Catalog /Pages %d 0 R /Names << /Dests %d 0 R >> >>" % (pages, tree))
    with pikepdf.Pdf.open(BytesIO(output.finish(catalog, None))) as pdf:
        assert pdf.check_pdf_syntax() == ["ERROR: file does not contain any pages"]  # the only problem
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        assert "/Limits" not in dests.obj and "/Kids" in dests.obj.Kids[0] and "/Names" in dests.obj.Kids[0].Kids[0]
        assert list(dests.keys()) == sorted(entries)
        for name in ("id-00000", "id-02048", f"id-{NAMES_PER_NODE**2 + 9:05d}"):  # found through the /Limits
            assert int(dests[name][0]) == int(name[3:]) % 3
        assert "id-99999" not in dests and "a" not in dests


def test_an_annotation_two_pages_share_gets_one_parent_tree_key_that_exists():
    from weasyprint import HTML

    page = '<html lang="it"><body><h1 id="a">A</h1><a href="#a">vai</a></body></html>'
    first = HTML(string=page).render().write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)
    with pikepdf.Pdf.open(BytesIO(first)) as pdf:  # a second page listing the first one's annotation
        pdf.pages.append(pdf.pages[0])
        pdf.pages[1].Annots = pdf.pages[0].Annots
        buffer = BytesIO()
        pdf.save(buffer)
    shared = buffer.getvalue()
    blank = [PageInfo(False, (), ()) for _ in range(3)]
    footers = HTML(string="".join(f"<p style='break-after: page'>Pagina {n} di 3</p>" for n in (1, 2, 3))).write_pdf()
    content = join_chunks([Chunk(first, blank[:1], {}), Chunk(shared, blank[1:], {})], footers)

    with pikepdf.Pdf.open(BytesIO(content)) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        keys = {int(nums[i]) for i in range(0, len(nums), 2)}
        used = [int(annotation.StructParent) for page in pdf.pages for annotation in page.get("/Annots", ())]
    # The first chunk's keys are its page's and its link's (0, 1); the second chunk's shared link is its key 1,
    # shifted once past them: 3, on both of its pages.
    assert used == [1, 3, 3]
    assert set(used) <= keys
