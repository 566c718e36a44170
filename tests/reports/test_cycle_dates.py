"""Section 6 prints the cycle as the records show it (acts, rounds, closing, approval, validation, against their
deadlines) and the ente's own calendario only: the standard phases are the editor's starting point, not printed."""

import datetime as dt
from io import BytesIO

from django.utils import timezone
from openpyxl import load_workbook

from consuntivi.models import RoundPeriod
from consuntivi.services import round_close, round_open
from plans.models import PlanYearEvent, YearState
from reports.export import relazione_xlsx
from reports.selectors import relazione_build
from reports.services import (
    ActivityInput,
    cycle_activities_replace,
    relazione_approve,
    relazione_close_year,
    relazione_get_or_create,
    relazione_render_pdf,
    relazione_validate,
)
from tests.reports.conftest import YEAR, add_bilancio, validation_input, write_texts
from tests.reports.pdf_text import pdftotext
from tests.reports.test_views import login, url

NO_CALENDAR = "L'ente non ha inserito in perfplan il proprio calendario programmato del ciclo"


def rows_of(data) -> dict[str, tuple[str, str, str]]:
    return {row["phase"]: (row["due_text"], row["date_text"], row["outcome"]) for row in data.cycle_dates}


def test_a_draft_says_what_is_not_done_yet(relazione):
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    rows = rows_of(data)
    assert rows["Adozione del Piano della performance 2017-2019"] == ("31/01/2017", "—", "non ancora")
    assert rows["Pubblicazione del Piano in «Amministrazione trasparente»"] == ("—", "—", "")
    assert rows["Chiusura dei consuntivi 2017"] == ("—", "—", "")
    assert rows["Approvazione della Relazione sulla performance 2017"] == ("30/06/2018", "—", "non ancora")
    assert rows["Validazione della Relazione da parte dell'OIV"] == ("30/06/2018", "—", "non ancora")
    # The same rows in the xlsx export, on their own sheet.
    sheet = load_workbook(BytesIO(relazione_xlsx(data=data)))["6 Date del ciclo"]
    assert [c.value for c in sheet[1]] == ["Fase", "Soggetto", "Termine", "Data", "Esito", "Atto o riferimento"]
    assert sheet.max_row == 1 + len(data.cycle_dates)


def test_the_validated_pdf_prints_the_dates_of_the_records_against_their_deadlines(small_plan, planner, oiv):
    # The act of adoption dated by the planning office; a semester round with its deadline, closed on its own.
    small_plan.act_organ, small_plan.act_number, small_plan.act_date = "Giunta", "12", dt.date(2017, 1, 30)
    small_plan.save(update_fields=["act_organ", "act_number", "act_date"])
    semester = round_open(
        plan=small_plan, year=YEAR, period=RoundPeriod.SEMESTER, user=planner, deadline=dt.date(2017, 7, 31)
    )
    round_close(data_round=semester, user=planner)

    relazione = relazione_get_or_create(plan=small_plan, year=YEAR)
    relazione_close_year(plan=small_plan, year=YEAR, user=planner, confirmed=True)
    add_bilancio(small_plan.ente, YEAR)
    write_texts(relazione, planner)
    relazione.refresh_from_db()
    relazione = relazione_approve(
        relazione=relazione, organ="delibera di Giunta", number="45", date=dt.date(2018, 7, 10), user=planner
    )
    relazione_validate(relazione=relazione, data=validation_input(date=dt.date(2018, 6, 28)), user=oiv)
    relazione.refresh_from_db()
    today = timezone.localdate().strftime("%d/%m/%Y")  # the round and the year were closed by this test, today
    closing = PlanYearEvent.objects.get(plan_year__plan=small_plan, to_state=YearState.CLOSED)
    assert timezone.localtime(closing.created_at).date() == timezone.localdate()

    rows = rows_of(relazione_build(plan=small_plan, year=YEAR, relazione=relazione))
    assert rows["Adozione del Piano della performance 2017-2019"] == ("31/01/2017", "30/01/2017", "nei termini")
    assert rows["Rilevazione «Monitoraggio semestrale 2017»: dati al 30/06/2017"] == ("31/07/2017", today, "")
    assert rows["Chiusura dei consuntivi 2017"] == ("—", today, "")
    # Approved on 10/07/2018, after 30/06; validated on 28/06/2018 (the OIV's date, before the act: as recorded).
    assert rows["Approvazione della Relazione sulla performance 2017"] == (
        "30/06/2018",
        "10/07/2018",
        "oltre il termine",
    )
    assert rows["Validazione della Relazione da parte dell'OIV"] == ("30/06/2018", "28/06/2018", "nei termini")

    pdf = relazione.artifacts.get(kind="finale").file.open("rb").read()
    text = pdftotext(pdf)
    assert "Il ciclo della performance 2017 nei fatti: le date registrate" in text
    assert (
        "Adozione del Piano della performance 2017-2019 Giunta 31/01/2017 30/01/2017 ✔ nei termini Giunta n. 12" in text
    )
    assert "30/06/2018 10/07/2018 ✖ oltre il termine Approvata con delibera di Giunta n. 45 del 10/07/2018" in text
    assert "30/06/2018 28/06/2018 ✔ nei termini Documento di validazione (Allegato 1)" in text
    assert NO_CALENDAR in text and "Calendario del ciclo programmato dall'ente" not in text
    assert "Relazione previsionale e programmatica" not in text  # a standard phase, not the ente's


def test_only_the_entes_own_calendario_is_printed_and_its_absence_is_a_warning(relazione, planner):
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert data.timeline == []
    assert any(c.where == "Editor › Calendario" for c in data.warnings)
    cycle_activities_replace(
        relazione=relazione,
        rows=[
            ActivityInput("Piano della performance 2017", "S.G.", "Giunta", "10/01", "30/01"),
            ActivityInput("Relazione sulla performance 2016", "ufficio pianificazione", "Giunta", "02/05", "20/06"),
        ],
        user=planner,
    )
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert not any(c.where == "Editor › Calendario" for c in data.warnings)
    assert [t["activity"] for t in data.timeline] == [
        "Piano della performance 2017",
        "Relazione sulla performance 2016",
    ]
    text = pdftotext(relazione_render_pdf(plan=relazione.plan, year=YEAR, relazione=relazione).content)
    assert "Calendario del ciclo programmato dall'ente (da settembre ad agosto)" in text
    assert "Relazione sulla performance 2016 (1) ufficio pianificazione (2) Giunta" in text
    assert NO_CALENDAR not in text


def test_the_editor_says_the_standard_rows_are_not_printed_until_saved(client, relazione, planner):
    login(client, planner)
    page = client.get(url("edit", relazione.plan)).content.decode()
    assert "non stampate</strong> finché non vengono salvate" in page
    assert 'value="Relazione previsionale e programmatica"' in page  # the standard phases, to adapt
    client.post(
        url("edit", relazione.plan),
        {
            "section": "calendario",
            "activity": ["Piano"],
            "prepares": ["S.G."],
            "adopts": ["Giunta"],
            "start": ["10/01"],
            "end": ["30/01"],
        },
    )
    page = client.get(url("edit", relazione.plan)).content.decode()
    assert "non stampate</strong>" not in page and 'value="Piano"' in page
