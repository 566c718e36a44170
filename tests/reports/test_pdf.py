from io import BytesIO

import pytest
from pypdf import PdfReader

from indicators.selectors import plan_score
from perfplan.formats import percent_it
from plans.models import Plan
from plans.services import plan_import
from reports.services import relazione_render_pdf
from tests.factories import FIXTURES
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import first_page_with_heading, pdf_pages, sommario_entries

SECTION_TITLES = [
    "Premessa",
    "1. I principali risultati raggiunti",
    "2. Analisi del contesto e delle risorse",
    "3. Misurazione e valutazione della performance organizzativa",
    "3.1 Rendicontazione degli obiettivi strategici triennali",
    "3.2 Rendicontazione degli obiettivi operativi annuali",
    "4. Rendicontazione degli obiettivi individuali",
    "5. Il processo di misurazione e valutazione",
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
    assert "F1 - Pubblicazioni sul sito camerale" in text and "382 N. >= 350" in text
    assert "29 gg <= 25 50,00 % 86,21 % ◐ parziale ≤" in text
    assert_sommario_matches_pages(pages)
    reader = PdfReader(BytesIO(rendered.content))
    section_31 = first_page_with_heading(pages, "3.1 Rendicontazione", after=2)
    box = reader.pages[section_31 - 1].mediabox
    assert box.width > box.height  # wide tables on landscape pages
    assert reader.metadata.title == "Relazione sulla performance 2017 – Camera di commercio di Prova"
    assert f"Pagina 2 di {len(pages)}" in pages[1]


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


def test_the_lean_user_agent_stylesheet_keeps_list_markers_and_the_render_restores_the_collector(small_plan):
    import gc

    from weasyprint import HTML

    from reports.pdf import _html_class

    html = "<html lang='it'><body><ul><li>primo punto</li></ul><ol><li>seconda nota</li></ol></body></html>"
    text = pdf_pages(_html_class()(string=html).write_pdf())[0]
    assert _html_class() is not HTML and "• " in text and "1. " in text
    assert text == pdf_pages(HTML(string=html).write_pdf())[0]
    threshold = gc.get_threshold()
    relazione_render_pdf(plan=small_plan, year=YEAR)
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
