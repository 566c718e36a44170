import hashlib
import re
import subprocess
from io import BytesIO

import pytest
from pypdf import PdfReader

from consuntivi.scores import plan_score
from indicators.models import Indicator
from perfplan.formats import percent_it
from plans.models import Plan
from reports.parts import body_parts, render_part
from reports.pdf import chunk_parts
from reports.selectors import relazione_build
from reports.services import relazione_render_pdf, relazione_validate
from tests.factories import FIXTURES
from tests.reports.conftest import YEAR, validation_input
from tests.reports.pdf_text import first_page_with_heading, flat, pdf_pages, sommario_entries
from workbook.plan_import import plan_import

SECTION_TITLES = [
    "Premessa",
    "1. I principali risultati raggiunti",
    "2. Analisi del contesto e delle risorse",
    "3. Misurazione e valutazione della performance organizzativa",
    "3.1 Rendicontazione degli obiettivi strategici triennali",
    "3.2 Rendicontazione degli obiettivi operativi annuali",
    "4. Rendicontazione degli obiettivi individuali",
    "5. Pari opportunità e bilancio di genere",
    "6. Il processo di misurazione e valutazione",
    "Allegato 1 – Validazione della Relazione",
    "Allegato 2 – Metodo di calcolo",
]


def assert_sommario_matches_pages(pages: list[str]) -> list[tuple[str, int]]:
    entries = sommario_entries(pages)
    assert len(entries) >= 18, entries
    for title, page in entries:
        assert first_page_with_heading(pages, title, after=2) == page, (title, page)
    return entries


def test_the_draft_of_the_small_plan_has_every_section_the_scores_and_the_watermark(small_plan):
    rendered = relazione_render_pdf(plan=small_plan, year=YEAR)
    pages = pdf_pages(rendered.content)
    assert len(pages) == rendered.pages
    text = "\n".join(pages)
    for title in SECTION_TITLES:
        assert title in text, title
    assert all("BOZZA" in page for page in pages)
    assert "BOZZA – non ancora approvata" in pages[0]
    # Ente score: hand calculation in test_selectors (93,11 %); sample rows of 3.1 with value, target and score.
    assert "Grado di raggiungimento complessivo della performance dell'ente: 93,11 %" in pages[0]
    # Each value with its unit and, beside it, the baseline; the operands of a ratio one per line.
    assert "F1 - Pubblicazioni sul sito camerale 382 N. baseline 2016: 382 N. >= 350" in flat(text)
    assert "Numeratore: 2.900 Denominatore: 100 29 gg baseline: 18 gg <= 25 50,00 % 86,21 % ◐ parziale ≤" in flat(text)
    assert_sommario_matches_pages(pages)
    reader = PdfReader(BytesIO(rendered.content))
    section_31 = first_page_with_heading(pages, "3.1 Rendicontazione", after=2)
    box = reader.pages[section_31 - 1].mediabox
    assert box.width > box.height  # wide tables on landscape pages
    assert reader.metadata.title == "Relazione sulla performance 2017 – Camera di commercio di Prova"
    assert f"Pagina 2 di {len(pages)}" in pages[1]


def test_an_approved_relazione_prints_no_instruction_placeholder(approved_relazione):
    # Approval was refused until the four instruction texts were written (conftest.write_texts).
    rendered = relazione_render_pdf(plan=approved_relazione.plan, year=YEAR, relazione=approved_relazione)
    text = flat("\n".join(pdf_pages(rendered.content)))
    for instruction in ("Descrivere il contesto", "Indicare quando e come", "Indicare se il calendario"):
        assert instruction not in text
    assert "Testo da completare" not in text
    assert "Il calendario del ciclo è stato rispettato." in text
    assert_archivable_and_tagged(rendered.content)


def test_the_validated_pdf_has_no_watermark_and_carries_the_oiv_validation(validated_relazione):
    artifact = validated_relazione.artifacts.get(kind="finale")
    pages = pdf_pages(artifact.file.open("rb").read())
    text = "\n".join(pages)
    assert "BOZZA" not in text
    assert "Approvata con delibera di Giunta n. 45 del 20/06/2018" in pages[0]
    assert "Mario Rossi (presidente), Anna Bianchi" in text
    assert "validato la Relazione sulla performance 2017 in data 28/06/2018" in text.replace("\n", " ")


@pytest.fixture
def modena_plan(db) -> Plan:
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors[:3]
    return Plan.objects.select_related("ente").get(pk=report.plan_id)


def test_the_modena_demo_renders_a_complete_pdf_whose_sommario_matches_its_pages(modena_plan):
    rendered = relazione_render_pdf(plan=modena_plan, year=2017)
    pages = pdf_pages(rendered.content)
    text = "\n".join(pages)
    for title in SECTION_TITLES:
        assert title in text, title
    entries = assert_sommario_matches_pages(pages)
    assert entries[-1][0] == "Allegato 2 – Metodo di calcolo"
    assert entries[-1][1] in (len(pages), len(pages) - 1)
    score = plan_score(plan=modena_plan, year=2017).result.score
    assert f"Grado di raggiungimento complessivo della performance dell'ente: {percent_it(score)}" in pages[0]
    # A sample of rows from the workbook: OS 101 and its first indicator (target ">= 350", MO:39).
    assert "101 – Incrementare la disponibilità dell'informazione economica" in text
    assert "Pubblicazioni e aggiornamenti" in text and ">= 350" in text
    assert f"Pagina {len(pages)} di {len(pages)}" in pages[-1]
    section_31 = first_page_with_heading(pages, "3.1 Rendicontazione", after=2)
    section_32 = first_page_with_heading(pages, "3.2 Rendicontazione", after=2)
    strategic = flat("\n".join(pages[section_31 - 1 : section_32 - 1]))
    # The 11 area indicators of Modena (3 + 2 + 6, workbook sheet Indicatori, Codice obiettivo 1, 2, 3) score
    # their areas (quota indicatori 100 %): each is printed in 3.1 under its area, before the area's first OS.
    area_indicators = Indicator.objects.filter(objective__plan=modena_plan, objective__parent__isnull=True)
    assert area_indicators.count() == 11
    for indicator in area_indicators:
        area_at = strategic.index(f"Ambito {indicator.objective.code} – ")
        first_os = min(strategic.index(f"{os.code} – ", area_at) for os in indicator.objective.children.all())
        assert area_at < strategic.index(flat(indicator.label), area_at) < first_os, indicator.label
    # Area 1's row says what its score is made of: its 3 indicators, the OS left out by the quota (one is N/D).
    assert (
        "Ambito 1 – COMPETITIVITA' DELLE IMPRESE Punteggio: da 3 indicatori propri (100,00 %); "
        "5 obiettivi strategici (100,00 %, di cui 1 N/D) non concorrono: quota indicatori 100 % 33,33 % Piano: — "
        "100,00 % ✔ raggiunto"
    ) in strategic
    # Both weights: OS 802's four indicators weigh 20 each in the Piano (sum 80), normalised to 25 % each.
    os_802 = strategic[strategic.index("802 – ") : strategic.index("803 – ")]
    assert os_802.count("25,00 % Piano: 20") == 4
    # The operands apart, with the result in one format (two decimals for a percentage) and the baseline beside it.
    assert "Numeratore: 4.166 Denominatore: 65.812 6,33 % baseline: 6,68 % <= 7,5 %" in strategic
    assert "12.773.636.372 € baseline: 11.774.058.127 €" in strategic
    assert "Nessuna rimodulazione del Piano registrata in perfplan per l'anno 2017." in text
    # A draft keeps the default instructions, marked: never printed as if they were the Relazione's text.
    assert flat(text).count("Testo da completare") == 4  # contesto, misurazione, genere, processo
    assert not SPLIT_NUMBER.findall(text), SPLIT_NUMBER.findall(text)[:5]
    assert text.count("\u2010\n") > 50  # words hyphenated in Italian (lang="it", hyphens: auto, pyphen)
    # No group row (area, OS, OO: the rows with «Punteggio:») alone at the foot of a page of 3.1 or 3.2: after the
    # last one on a page comes at least one more row with its band (23 pages had one without `break-after: avoid`).
    section_33 = first_page_with_heading(pages, "3.3 Valutazione", after=2)
    for number in range(section_31, section_33):
        body = pages[number - 1].rsplit("Camera di commercio di Modena", 1)[0]
        assert len(BAND.findall(body[body.rfind("Punteggio:") :])) >= 2, number
        assert not body.strip().splitlines()[-1].startswith("Ambito "), number  # nor an area table's caption
    assert_archivable_and_tagged(rendered.content)


# A number or a date broken across two lines in the extracted text: cut at a separator (`12.773.` / `636`,
# `31/12/` / `2017`, `94,` / `23`), a decimal or a group cut short (`94,2` / `3`, `12.77` / `3`), a year cut
# (`31/12/201` / `7`), or a hyphen inside a number.
SPLIT_NUMBER = re.compile(r"\d[,/\u2010-]\n\d|\d\n[.,/]\d|[,/]\d{1,2}\n\d(?!\d* [–)])|\.\d{1,2}\n\d|/\d{3}\n\d")


BAND = re.compile(r"✔ raggiunto|◐ parziale|✖ non\s*raggiunto|– N/D")


def assert_archivable_and_tagged(content: bytes) -> None:
    """PDF/A-3b identified in the XMP metadata (pdfaid part 3, conformance B), an output intent, and a structure
    tree (tagged PDF) whose elements point at the file's own pages."""
    reader = PdfReader(BytesIO(content))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert bool(root["/MarkInfo"]["/Marked"])
    document = root["/StructTreeRoot"]["/K"][0].get_object()
    assert document["/S"] == "/Document" and len(document["/K"]) > 10
    pages = {page.indirect_reference.idnum for page in reader.pages}
    assert all(page["/StructParents"] is not None for page in reader.pages)
    first = document["/K"][0].get_object()
    assert first.raw_get("/Pg").idnum in pages
    nums = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    keys = {int(nums[i]) for i in range(0, len(nums), 2)}
    assert {page["/StructParents"] for page in reader.pages} <= keys
    headings = [e.get_object() for e in document["/K"] if e.get_object()["/S"] in ("/H2", "/H3")]
    assert headings or any(e.get_object()["/S"] in ("/Sect", "/Div", "/Part") for e in document["/K"])


def test_the_lean_user_agent_stylesheet_keeps_list_markers_and_the_render_restores_the_collector(small_plan, settings):
    import gc

    settings.PERFPLAN_PRIVATE_APIS = True  # the lean stylesheet and the collector's pause are the internals' path

    from weasyprint import HTML

    from reports.pdf import _html_class

    html = "<html lang='it'><body><ul><li>primo punto</li></ul><ol><li>seconda nota</li></ol></body></html>"
    text = pdf_pages(_html_class()(string=html).write_pdf())[0]
    assert _html_class() is not HTML and "• " in text and "1. " in text
    assert text == pdf_pages(HTML(string=html).write_pdf())[0]
    threshold = gc.get_threshold()
    relazione_render_pdf(plan=small_plan, year=YEAR)
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


def _png(width: int, height: int, colour: tuple[int, int, int], alpha: int | None = None) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    if alpha is None:
        Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    else:
        Image.new("RGBA", (width, height), (*colour, alpha)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_ente_logo_is_printed_on_the_cover_only_when_configured(small_plan, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path

    def cover_images(chunk_rows: int | None = None) -> list[tuple[int, int]]:
        content = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=chunk_rows).content
        return [(image.image.width, image.image.height) for image in PdfReader(BytesIO(content)).pages[0].images]

    assert cover_images() == []
    small_plan.ente.logo.save("logo.png", ContentFile(_png(120, 40, (0, 51, 102))))
    assert cover_images() == [(120, 40)]  # the very image, unscaled in the file
    # In chunks too (reports.pdf.join_chunks takes the image's data over before closing the cover's chunk), with a
    # transparent logo: its alpha is a second image (/SMask) that must come along.
    small_plan.ente.logo.save("logo-trasparente.png", ContentFile(_png(90, 30, (0, 51, 102), alpha=128)))
    assert cover_images(chunk_rows=1) == [(90, 30)]
    html = relazione_html_for(small_plan)
    assert 'class="cover-logo" src="data:image/png;base64,' in html and 'alt="Logo: ' in html


def relazione_html_for(plan: Plan) -> str:
    from django.template.loader import render_to_string

    from reports.selectors import relazione_build

    return render_to_string("reports/_body.html", {"r": relazione_build(plan=plan, year=YEAR)})


def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_by_the_admin_form(small_plan):
    from django.contrib.admin.sites import site
    from django.core.files.uploadedfile import SimpleUploadedFile

    from plans.models import Ente

    form_class = site._registry[Ente].get_form(request=None, obj=small_plan.ente)
    data = {"code": small_plan.ente.code, "name": small_plan.ente.name, "legal_name": ""}
    gif = SimpleUploadedFile("logo.gif", b"GIF89a" + bytes(20), content_type="image/gif")
    form = form_class(data=data, files={"logo": gif}, instance=small_plan.ente)
    assert not form.is_valid() and "logo" in form.errors
    huge = SimpleUploadedFile("logo.png", _png(4100, 10, (1, 2, 3)), content_type="image/png")  # a few KB
    form = form_class(data=data, files={"logo": huge}, instance=small_plan.ente)
    assert not form.is_valid() and form.errors["logo"] == [
        "Il logo supera 4000 × 4000 pixel: usare un'immagine più piccola."
    ]
    big = SimpleUploadedFile("logo.png", _png(1800, 1800, (1, 2, 3)) + bytes(1024 * 1024), content_type="image/png")
    form = form_class(data=data, files={"logo": big}, instance=small_plan.ente)
    assert not form.is_valid() and form.errors["logo"] == ["Il logo supera 1 MB: usare un'immagine più leggera."]


def outline_of(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every outline item, in order."""
    items = []

    def walk(nodes, depth):
        for node in nodes:
            if isinstance(node, list):
                walk(node, depth + 1)
            else:
                items.append((depth, node.title, reader.get_destination_page_number(node) + 1))

    walk(reader.outline, 0)
    return items


def pages_of_chunk_alone(data, parts) -> int:
    """The pages of one chunk rendered as its own document, straight with WeasyPrint."""
    from django.contrib.staticfiles import finders
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from weasyprint import CSS, HTML

    body = mark_safe("".join(render_part(part, data) for part in parts))  # noqa: S308 - our templates
    html = render_to_string("reports/pdf.html", {"r": data, "body": body})
    stylesheet = finders.find("reports/print.css")
    document = HTML(string=html, base_url=stylesheet).render(stylesheets=[CSS(filename=stylesheet)])
    return len(document.pages)


def test_a_pdf_of_many_chunks_numbers_every_page_and_its_sommario_like_one_document(small_plan, settings):
    # One row a chunk: every part alone. The small plan gives 18 parts: premessa, 1, 2, 3 (3.0), 3.1, 3.2 in 2
    # pieces (the OS row, then its OO with its indicator: 1 + 2 rows; the action has no target in 2017 and is
    # omitted), 3.3, the unit table in 4 pieces (A1, its OS 101, U1, its OO 1011.01), the deviations, 4, 5, 6, A1, A2.
    data = relazione_build(plan=small_plan, year=YEAR)
    chunks = chunk_parts(body_parts(data, max_rows=1), 1)
    assert len(chunks) == 18
    rendered = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)
    whole = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=100_000)
    pages = pdf_pages(rendered.content)
    total = len(pages)
    assert total == rendered.pages == 2 + sum(pages_of_chunk_alone(data, parts) for parts in chunks)
    assert total > len(pdf_pages(whole.content))  # each piece of a cut table starts a page

    assert "Pagina" not in pages[0]  # the cover
    for number, text in enumerate(pages[1:], start=2):
        assert text.splitlines()[-1] == f"Pagina {number} di {total}" and text.count("Pagina ") == 1, number
    assert all("BOZZA" in text for text in pages)
    entries = assert_sommario_matches_pages(pages)
    assert [title for title, _ in entries] == [title for title, _ in sommario_entries(pdf_pages(whole.content))]

    # Cut tables say so; their pages stay landscape.
    reader = PdfReader(BytesIO(rendered.content))
    continued_32 = [
        i for i, text in enumerate(pages) if "Ambito 1 – Competitività delle imprese" in text and "(segue)" in text
    ]
    assert len(continued_32) == 1
    assert all(reader.pages[i].mediabox.width > reader.pages[i].mediabox.height for i in continued_32)
    assert sum("Performance per unità organizzativa" in text and "(segue)" in text for text in pages) == 3

    # Nothing lost: every line of the one-document PDF is in the chunked one (footers and sommario aside).
    def lines(texts):
        return {line.replace(" (segue)", "") for text in texts[2:] for line in text.splitlines()[:-1]}

    assert lines(pdf_pages(whole.content)) == lines(pages)

    # The sommario's links lead to the pages it prints, through the named destinations of the other chunks.
    destinations = {name: reader.get_destination_page_number(d) + 1 for name, d in reader.named_destinations.items()}
    links = [a.get_object() for a in reader.pages[1].get("/Annots", [])]
    targets = {str(link["/Dest"]) for link in links}
    assert len(targets) == len(entries) == 19
    assert {destinations[name] for name in targets} == {page for _, page in entries}
    assert destinations["s3-2"] == first_page_with_heading(pages, "3.2 Rendicontazione", after=2)

    # The outline nests as in one document and points at the headings.
    outline = outline_of(reader)
    assert [(depth, title) for depth, title, _ in outline] == [
        (depth, title) for depth, title, _ in outline_of(PdfReader(BytesIO(whole.content)))
    ]
    for _, title, page in outline:
        if title in SECTION_TITLES:
            assert first_page_with_heading(pages, title, after=2) == page, title
    assert reader.metadata.title == "Relazione sulla performance 2017 – Camera di commercio di Prova"
    assert reader.trailer["/Root"]["/Lang"] == "it"
    # PDF/A and tags survive the join: one structure tree made of the chunks' trees (reports.pdf._join_structure).
    assert_archivable_and_tagged(rendered.content)


def test_the_validated_pdf_rendered_in_chunks_is_stored_once_and_numbered_throughout(approved_relazione, oiv, settings):
    settings.RELAZIONE_PDF_CHUNK_ROWS = 3
    relazione_validate(relazione=approved_relazione, data=validation_input(), user=oiv)
    artifact = approved_relazione.artifacts.get(kind="finale")
    content = artifact.file.open("rb").read()
    assert hashlib.sha256(content).hexdigest() == artifact.sha256
    pages = pdf_pages(content)
    assert len(pages) == artifact.pages
    assert pages[-1].splitlines()[-1] == f"Pagina {len(pages)} di {len(pages)}"
    assert "validato la Relazione sulla performance 2017 in data 28/06/2018" in " ".join(pages).replace("\n", " ")
    assert_sommario_matches_pages(pages)
    assert_archivable_and_tagged(content)


def test_the_relazione_prints_each_indicators_previous_years_beside_the_result(small_plan, tmp_path):
    """Year 2018 of the small plan has no consuntivi yet; 2017's final results are printed under each value."""
    rendered = relazione_render_pdf(plan=small_plan, year=2018)
    path = tmp_path / "relazione-2018.pdf"
    path.write_bytes(rendered.content)
    text = flat(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout.decode())
    # 2017, hand calculation: F1 382 against >= 350 → 100,00 %; Tempo medio 2900 / 100 = 29 gg against <= 25 →
    # 25 / 29 = 86,21 %. The deadline indicator has no 2017 value: no line.
    assert "Anni precedenti: 2017: 382 N. (100,00 %)" in text
    assert "Anni precedenti: 2017: 29 gg (86,21 %)" in text
    assert text.count("Anni precedenti:") == 2  # in 3.1; 3.2 has the deadline indicator only, with no 2017 value
