"""render_piao and reports.piao: the PIAO section 2 of the Ravenna-Ferrara seed plan as PDF and DOCX."""

from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from docx import Document

from perfplan.demo import DEMO_PUBLIC_VALUES, DEMO_RISK_MEASURES
from plans.models import PlanKind, RiskMeasureLink
from plans.public_value import public_values_sync
from plans.revisions import RevisionLog
from reports.piao.data import piao_data
from reports.piao.documents import piao_docx, piao_pdf
from tests.reports.pdf_text import first_page_with_heading, flat, pdf_pages, sommario_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def rf_piao(rf_plan):
    """The seed plan as the demo loads it: a PIAO with the invented impatti and two 2.3 references."""
    rf_plan.kind = PlanKind.PIAO
    rf_plan.save()
    public_values_sync(plan=rf_plan, items=DEMO_PUBLIC_VALUES, revisions=RevisionLog(rf_plan, None, "", adopted=False))
    for position, (code, title, link) in enumerate(DEMO_RISK_MEASURES):
        RiskMeasureLink.objects.create(plan=rf_plan, code=code, title=title, link=link, position=position)
    return rf_plan


def test_the_data_numbers_the_three_parts_of_section_2(rf_piao, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        data = piao_data(plan=rf_piao, year=2021)
    assert [h.text for h in data.headings if h.level <= 2] == [
        "2. Valore pubblico, performance e anticorruzione",
        "2.1 Valore pubblico",
        "2.2 Performance",
        "2.3 Rischi corruttivi e trasparenza",
    ]
    # RF: 3 areas (RF:1, 717, 984), each its own table.
    assert [a.heading.text for a in data.areas] == [
        "Area strategica 1 – Competitività delle imprese",
        "Area strategica 2 – Sviluppo e valorizzazione del territorio",
        "Area strategica 3 – Efficienza e trasparenza dell’amministrazione",
    ]
    dfp = next(line for area in data.areas for line in area.lines if line.code == "DFP 1.3")
    assert (dfp.unit, dfp.target) == ("%", ">= 50,00 %")  # the seed's target 2021 for DFP 1.3, RF:1113
    vp1 = data.impacts[0]
    assert vp1.dimensions == ["Semplificazione", "Digitalizzazione"]
    assert [code for code, _ in vp1.objectives] == ["1.2.D", "1.2.S"]
    served = next(line for area in data.areas for line in area.lines if line.code == "1.2.D")
    assert served.public_values == "VP1"


def test_the_pdf_has_cover_sommario_sections_an_impatto_and_a_target(rf_piao):
    content, pages = piao_pdf(piao_data(plan=rf_piao, year=2021))
    assert content.startswith(b"%PDF") and pages > 5
    texts = pdf_pages(content)
    assert "PIAO 2021-2023 – Sezione 2." in flat(texts[0]) and "Camera di commercio di Ravenna e Ferrara" in texts[0]
    entries = dict(sommario_entries(texts))
    for title in ("2.1 Valore pubblico", "2.2 Performance", "2.3 Rischi corruttivi e trasparenza"):
        assert first_page_with_heading(texts, title, after=2) == entries[title]
    body = flat(" ".join(texts))
    assert "VP1 – Imprese più digitali, adempimenti più semplici (esempio inventato)" in body
    assert "Dimensioni (DM 132/2022): Semplificazione, Digitalizzazione" in body
    assert "Grado di trasparenza dell’amministrazione" in body and ">= 90,00 %" in body  # DFP 4.3, target 2021
    assert "Rotazione del personale nei processi a rischio (esempio inventato)" in body


def test_the_docx_has_the_headings_and_the_tables_cells(rf_piao):
    doc = Document(BytesIO(piao_docx(piao_data(plan=rf_piao, year=2021))))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "2. Valore pubblico, performance e anticorruzione") in headings
    assert ("Heading 2", "2.2 Performance") in headings
    assert ("Heading 3", "VP3 – Pari opportunità nel fare impresa (esempio inventato)") in headings
    impact = doc.tables[0]
    assert [c.text for c in impact.rows[0].cells] == [
        "Codice",
        "Indicatore",
        "Unità",
        "Baseline",
        "Target 2021",
        "Target 2022",
        "Target 2023",
    ]
    assert [c.text for c in impact.rows[1].cells][2:] == ["%", "78 % (2020)", ">= 80 %", ">= 83 %", ">= 85 %"]
    rows = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    dfp = next(r for r in rows if r[0] == "DFP 2.5")
    assert dfp[3:6] == ["N.", "22,08 N. (2019)", "<= 22,50 N."]  # Efficienza degli spazi: unit, baseline, target 2021
    landscape = [s.page_width > s.page_height for s in doc.sections]
    assert landscape[0] is False and True in landscape  # cover portrait, the tables on landscape pages


def test_a_plan_not_flagged_piao_prints_as_the_plain_piano_della_performance(rf_plan):
    data = piao_data(plan=rf_plan, year=2022)
    assert data.title == "Piano della performance 2021-2023" and not data.is_piao
    assert [h.text for h in data.headings if h.level == 1] == ["1. Performance"]
    doc = Document(BytesIO(piao_docx(data)))
    assert "Rischi corruttivi" not in " ".join(p.text for p in doc.paragraphs)
    assert [c.text for c in doc.tables[0].rows[0].cells][5] == "Target 2022"


def test_render_piao_writes_pdf_or_docx_by_extension(rf_piao, tmp_path, capsys):
    call_command("render_piao", rf_piao.pk, "--year", "2021", "-o", str(tmp_path / "s2.docx"))
    assert (tmp_path / "s2.docx").read_bytes().startswith(b"PK")
    call_command("render_piao", rf_piao.pk, "--year", "2021", "-o", str(tmp_path / "s2.pdf"))
    assert (tmp_path / "s2.pdf").read_bytes().startswith(b"%PDF")
    assert "pagine" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("year", "output", "message"),
    [
        (2021, "s2.odt", "Formato non supportato: «.odt» (usare .pdf o .docx)."),
        (2020, "s2.pdf", "L'anno 2020 non rientra nel piano (2021-2023)."),
    ],
)
def test_render_piao_refuses_a_bad_format_or_year(rf_plan, tmp_path, year, output, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call_command("render_piao", rf_plan.pk, "--year", str(year), "-o", str(tmp_path / output))
    assert not (tmp_path / output).exists()


def test_render_piao_refuses_an_unknown_plan(db, tmp_path):
    with pytest.raises(CommandError, match="Piano 999 non trovato"):
        call_command("render_piao", 999, "--year", "2021", "-o", str(tmp_path / "x.pdf"))


def test_the_piano_prints_each_indicators_previous_years_beside_its_baseline(small_plan):
    """Year 2018 of the small plan: 2017's final results under the baseline, in the PDF and in the DOCX."""
    data = piao_data(plan=small_plan, year=2018)
    lines = {line.text: line.previous for area in data.areas for line in area.lines if line.kind == "indicator"}
    # 2017, hand calculation: F1 382 against >= 350 → 100,00 %; Tempo medio 2900 / 100 = 29 gg against <= 25 →
    # 25 / 29 = 86,21 %; the deadline indicator has no 2017 value.
    assert lines == {
        "Pubblicazioni sul sito camerale": ("2017: 382 N. (100,00 %)",),
        "Tempo medio di pagamento": ("2017: 29 gg (86,21 %)",),
        "Report pubblicati entro la scadenza": (),
    }
    text = flat("\n".join(pdf_pages(piao_pdf(data)[0])))
    assert "382 (2016) Anni precedenti: 2017: 382 N. (100,00 %)" in text
    cells = [
        cell.text for table in Document(BytesIO(piao_docx(data))).tables for row in table.rows for cell in row.cells
    ]
    assert "18\nAnni precedenti:\n2017: 29 gg (86,21 %)" in cells
