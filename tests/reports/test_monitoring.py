"""The monitoring report: the state at 30/06/2017 as PDF (looked at as PNG) and DOCX (read back), and its command.

The plan and the semester values are those of tests/consuntivi/test_monitoring.py: the ente at 65,72 %, OS 101 at
risk (F1 150 against the path 173,56), a flag by the Responsabile
of U2 on «Eventi organizzati», «Report pubblicati entro la scadenza» without a value.
"""

import datetime as dt
import subprocess
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from pypdf import PdfReader

from consuntivi.models import Measurement
from consuntivi.services import risk_flag_set
from reports.monitoring import monitoring_docx, monitoring_pdf, monitoring_report
from tests.consuntivi.factories import entry_plan, indicator, open_round, people
from tests.factories import plan_with_values

pytestmark = pytest.mark.django_db
TODAY = dt.date(2017, 7, 15)


@pytest.fixture
def plan(db):
    return entry_plan()


@pytest.fixture
def semester(plan):
    who = people(plan)
    rnd = open_round(plan, who["planner"], period="semester")
    for name, value in (
        ("Pubblicazioni sul sito camerale", "150"),
        ("Tempo medio di pagamento", "22"),
        ("Eventi organizzati", "6"),
    ):
        Measurement.objects.create(
            indicator=indicator(plan, name), round=rnd, year=2017, raw=value, value_number=Decimal(value)
        )
    events = indicator(plan, "Eventi organizzati")
    risk_flag_set(data_round=rnd, indicator_id=events.pk, user=who["head_u2"], reason="Sala convegni in restauro")
    return rnd


def test_the_report_holds_the_state_the_risks_and_the_missing_values(plan, semester):
    report = monitoring_report(plan=plan, year=2017, at=dt.date(2017, 6, 30), today=TODAY)
    assert (report.at, report.period_end, report.score) == ("30/06/2017", "30/06/2017", "65,72 %")
    assert report.elapsed == "49,6 %"  # 181 / 365
    assert [(row.code, row.score, row.at_risk) for row in report.state][:2] == [
        ("1", "65,72 %", 2),
        ("101", "65,72 %", 2),  # itself and OO 1011.02 (flagged) under it
    ]
    assert report.risky_objectives == 2
    reasons = [reason for risk in report.risks for reason in risk.reasons]
    assert "Segnalato dal Responsabile: Sala convegni in restauro" in reasons
    f1 = next(risk for risk in report.risks if risk.indicator.startswith("F1"))
    assert (f1.value, f1.expected) == ("150", "173,56")
    assert [m.indicator for m in report.missing][0] == "Report pubblicati entro la scadenza"


def test_the_pdf_reads_back_and_renders_as_png(plan, semester, tmp_path):
    report = monitoring_report(plan=plan, year=2017, at=dt.date(2017, 6, 30), today=TODAY)
    content, pages = monitoring_pdf(report)
    read = PdfReader(BytesIO(content)).pages
    assert len(read) == pages  # the count the job's message shows
    text = "".join(page.extract_text() for page in read)
    for expected in ("situazione al 30/06/2017", "65,72 %", "Obiettivi a rischio (2)", "Sala convegni in restauro"):
        assert expected in text
    (tmp_path / "m.pdf").write_bytes(content)  # pdftoppm: installed by `make browser` (poppler-utils)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "m.pdf"), str(tmp_path / "m")], check=True)
    images = sorted(tmp_path.glob("m*.png"))
    assert len(images) == pages and images[0].stat().st_size > 10_000


def test_the_docx_reads_back(plan, semester):
    report = monitoring_report(plan=plan, year=2017, at=dt.date(2017, 6, 30), today=TODAY)
    document = Document(BytesIO(monitoring_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Rapporto di monitoraggio – situazione al 30/06/2017" in text
    assert "Grado di raggiungimento dell'ente alla data: 65,72 %" in text
    state, risks, missing = document.tables
    assert [c.text for c in state.rows[1].cells][:3] == ["1", "Competitività delle imprese", "65,72 % (copertura 70 %)"]
    assert any("Sala convegni in restauro" in row.cells[4].text for row in risks.rows[1:])
    assert missing.rows[1].cells[1].text == "Report pubblicati entro la scadenza"
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape


def test_the_command_writes_pdf_and_docx(plan, semester, tmp_path):
    for name in ("m.pdf", "m.docx"):
        out = StringIO()
        target = tmp_path / name
        call_command(
            "render_monitoraggio", str(plan.pk), "--year", "2017", "--al", "30/06/2017", "-o", str(target), stdout=out
        )
        assert "2 obiettivi a rischio" in out.getvalue()
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
    assert Document(str(tmp_path / "m.docx")).tables


def test_the_command_refuses_a_date_before_any_round_and_an_unknown_format(plan, semester, tmp_path):
    with pytest.raises(CommandError, match="Nessuna rilevazione del 2017 ha un periodo concluso entro il 01/06/2017"):
        call_command(
            "render_monitoraggio", str(plan.pk), "--year", "2017", "--al", "01/06/2017", "-o", str(tmp_path / "m.pdf")
        )
    with pytest.raises(CommandError, match="usare .pdf o .docx"):
        call_command(
            "render_monitoraggio", str(plan.pk), "--year", "2017", "--al", "30/06/2017", "-o", str(tmp_path / "m.odt")
        )


def test_an_indicator_at_risk_shows_its_previous_years_in_the_report(plan, semester):
    """The ente's earlier plan (2014-2016) has F1 under the same objective 101: its 2016 result prints beside the
    value at 30/06/2017, in the report's data, the PDF and the DOCX."""
    plan_with_values(
        "Piano della performance 2014-2016",
        range(2014, 2017),
        [["101", "F1", "Pubblicazioni sul sito camerale", "N.", "crescente", "", "", ">= 300"]],
        [["101", "F1", "", 2016, "320", None, None]],
        ente=plan.ente.code,
    )
    report = monitoring_report(plan=plan, year=2017, at=dt.date(2017, 6, 30), today=TODAY)
    f1 = next(risk for risk in report.risks if risk.indicator.startswith("F1"))
    assert f1.previous == ("2016: 320 N. (100,00 %)",)  # 320 against >= 300: met, 100 %
    assert all(risk.previous == () for risk in report.risks if risk is not f1)
    text = " ".join(
        "".join(page.extract_text() for page in PdfReader(BytesIO(monitoring_pdf(report)[0])).pages).split()
    )
    assert "Anni precedenti: 2016: 320 N. (100,00 %)" in text
    cells = [c.text for t in Document(BytesIO(monitoring_docx(report))).tables for row in t.rows for c in row.cells]
    assert "150 (atteso 173,56)\nAnni precedenti:\n2016: 320 N. (100,00 %)" in cells
