"""The tagged PDF made lighter (reports.chunk_render.lighter_structure): fewer objects, the same structure."""

from collections import Counter
from io import BytesIO

import pikepdf
from weasyprint import HTML

from reports.chunk_render import PDF_OPTIONS, lighter_structure
from tests.reports.pdf_text import pdf_pages

HTML_TEXT = """<html lang="it"><head><title>Prova</title></head><body>
<h2 id="uno">1. Obiettivi</h2>
<p>Testo <b>in grassetto</b> e <a href="#due">un collegamento</a>.</p>
<ul><li>primo punto</li><li>secondo <i>punto</i></li></ul>
<table><thead><tr><th>Indicatore</th><th>Valore</th></tr></thead>
<tbody><tr><td>Imprese assistite <small>(N.)</small></td><td>382</td></tr>
<tr><td>Tempo medio</td><td>29 gg</td></tr></tbody></table>
<h2 id="due" style="break-before: page">2. Risultati</h2><p>Fine.</p>
</body></html>"""


def elements(pdf) -> list:
    """The structure elements reachable from the root, depth first."""
    found, stack = [], list(pdf.Root.StructTreeRoot.K if isinstance(pdf.Root.StructTreeRoot.K, pikepdf.Array) else [])
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            kids = node.get("/K")
            stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
    return found


def marked_content(pdf) -> list[tuple[int, int]]:
    """(page index, mcid) of every marked-content sequence in the pages' content streams."""
    marks = []
    for index, page in enumerate(pdf.pages):
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                marks.append((index, int(operands[1].MCID)))
    return marks


def test_the_lighter_structure_keeps_every_marked_content_owned_by_a_reachable_element_in_fewer_objects():
    tagged = HTML(string=HTML_TEXT).write_pdf(**PDF_OPTIONS)
    lighter = lighter_structure(tagged)
    with pikepdf.Pdf.open(BytesIO(tagged)) as before, pikepdf.Pdf.open(BytesIO(lighter)) as after:
        kinds_before = Counter(str(element.S) for element in elements(before))
        kinds_after = Counter(str(element.S) for element in elements(after))
        # The text runs' Span elements are gone; headings, paragraphs, lists, table cells and the link stay.
        assert kinds_before["/Span"] > 5 and kinds_after["/Span"] == 0
        for kind in ("/H2", "/P", "/L", "/LI", "/Table", "/TR", "/TH", "/TD", "/Link"):
            assert kinds_after[kind] == kinds_before[kind] > 0, kind
        assert len(after.objects) < len(before.objects)

        # Every marked content of every page is owned, in the parent tree, by an element of the tree that lists it
        # among its kids on that page: what a screen reader walks.
        reachable = {element.objgen for element in elements(after)}
        nums = after.Root.StructTreeRoot.ParentTree.Nums
        parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        marks = marked_content(after)
        assert len(marks) == len(marked_content(before)) > 10
        for page_index, mcid in marks:
            page = after.pages[page_index].obj
            owner = parent_tree[int(page.StructParents)][mcid]
            assert owner.objgen in reachable, (page_index, mcid)
            kids = owner.K if isinstance(owner.K, pikepdf.Array) else [owner.K]
            assert mcid in [kid for kid in kids if isinstance(kid, int)], (page_index, mcid, str(owner.S))
            assert owner.Pg.objgen == page.objgen
        # Each element's parent is the element that lists it.
        for element in elements(after):
            for kid in element.K if isinstance(element.K, pikepdf.Array) else [element.K]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    assert kid.P.objgen == element.objgen
    assert pdf_pages(lighter) == pdf_pages(tagged)


def test_an_untagged_pdf_is_left_as_it_is():
    plain = HTML(string=HTML_TEXT).write_pdf()
    assert lighter_structure(plain) == plain
