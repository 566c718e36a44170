"""The OIV's working papers (carte di lavoro): notes, requests for clarification and documents — who may write what,
the thread's states, the ente's scope, and what a validated Relazione still accepts."""

import hashlib
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consuntivi.models import Measurement
from perfplan.roles import Role
from plans.models import Objective
from reports.models import ClarificationMessage, ClarificationRequest, ClarificationState, PaperDocument, PaperNote
from reports.selectors import PAPER_TOPICS, clarifications_pending, objective_clarifications, papers_for
from reports.services import (
    clarification_answer,
    clarification_close,
    clarification_follow_up,
    clarification_open,
    paper_document_add,
    paper_note_save,
)
from tests.factories import make_user
from tests.reports.conftest import YEAR
from tests.reports.test_views import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(name: str, plan, *extra) -> str:
    return reverse(f"reports:{name}", args=[plan.pk, YEAR, *extra])


def ask(relazione, oiv, **kwargs) -> ClarificationRequest:
    values = {"subject": "Fonte del valore", "text": "Da quale banca dati viene il valore 2017?"} | kwargs
    return clarification_open(relazione=relazione, user=oiv, **values)


@pytest.fixture
def node(small_plan) -> Objective:
    return Objective.objects.filter(plan=small_plan).order_by("code").first()


# --- the thread ----------------------------------------------------------------------------------------------------


def test_a_request_goes_open_answered_asked_again_answered_closed_with_who_and_when(relazione, oiv, planner, node):
    request = ask(relazione, oiv, objective_id=node.pk, topic="criterio:obiettivi")
    assert request.state == ClarificationState.OPEN and request.objective == node
    clarification_answer(request=request, text="Dal registro delle imprese al 31/12.", user=planner)
    request.refresh_from_db()
    assert request.state == ClarificationState.ANSWERED
    clarification_follow_up(request=request, text="Con quale estrazione?", user=oiv)
    request.refresh_from_db()
    assert request.state == ClarificationState.OPEN
    clarification_answer(request=request, text="Quella del 15/01/2018.", user=planner)
    clarification_close(request=request, user=oiv)
    request.refresh_from_db()
    assert request.state == ClarificationState.CLOSED and request.closed_by == oiv and request.closed_at
    thread = list(request.messages.values_list("side", "author__username"))
    assert thread == [
        ("oiv", "oiv"),
        ("pianificazione", "pianificatore"),
        ("oiv", "oiv"),
        ("pianificazione", "pianificatore"),
    ]
    assert all(m.created_at for m in request.messages.all())
    # Every step is in the audit history, scoped to the ente (perfplan.audit).
    history = ClarificationRequest.history.filter(id=request.pk)
    assert history.count() >= 3 and set(history.values_list("audit_ente", flat=True)) == {relazione.plan.ente_id}


def test_a_request_may_be_about_a_value_of_the_year_or_the_relazione_in_general(relazione, oiv):
    value = Measurement.objects.filter(indicator__objective__plan=relazione.plan, year=YEAR).first()
    assert value is not None
    about_value = ask(relazione, oiv, measurement_id=value.pk)
    general = ask(relazione, oiv, subject="Calendario del ciclo")
    assert about_value.measurement == value and about_value.objective is None
    assert general.objective is None and general.measurement is None
    assert objective_clarifications(objective=value.indicator.objective, user=oiv) == [about_value]


def test_a_closed_request_takes_no_more_messages_and_is_closed_once(relazione, oiv, planner):
    request = ask(relazione, oiv)
    clarification_close(request=request, user=oiv)
    with pytest.raises(ValidationError, match="chiusa"):
        clarification_answer(request=request, text="Tardi", user=planner)
    with pytest.raises(ValidationError, match="già chiusa"):
        clarification_close(request=request, user=oiv)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": " "}, "subject"),
        ({"text": ""}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"topic": "criterio:inventato"}, "topic"),
    ],
)
def test_a_request_without_subject_or_text_or_with_an_unknown_topic_is_refused(relazione, oiv, changes, field):
    with pytest.raises(ValidationError) as error:
        ask(relazione, oiv, **changes)
    assert field in error.value.message_dict
    assert not ClarificationRequest.objects.exists()


def test_a_node_or_value_of_another_plan_is_refused(relazione, oiv, rf_plan):
    other_node = Objective.objects.filter(plan=rf_plan).first()
    with pytest.raises(ValidationError) as error:
        ask(relazione, oiv, objective_id=other_node.pk)
    assert "objective" in error.value.message_dict
    with pytest.raises(ValidationError):
        ask(relazione, oiv, objective_id=other_node.pk, measurement_id=1)


# --- who may do what ---------------------------------------------------------------------------------------------


def test_the_planning_office_answers_but_cannot_open_close_or_write_the_oiv_notes(relazione, oiv, planner):
    request = ask(relazione, oiv)
    with pytest.raises(PermissionDenied):
        ask(relazione, planner)
    with pytest.raises(PermissionDenied):
        clarification_close(request=request, user=planner)
    with pytest.raises(PermissionDenied):
        clarification_follow_up(request=request, text="Io", user=planner)
    with pytest.raises(PermissionDenied):
        paper_note_save(relazione=relazione, topic="sezione:s1", text="Nota", user=planner)
    with pytest.raises(PermissionDenied):
        paper_document_add(relazione=relazione, title="x", upload=SimpleUploadedFile("a.pdf", PDF), user=planner)
    request.refresh_from_db()
    assert request.state == ClarificationState.OPEN


def test_the_oiv_cannot_answer_its_own_request(relazione, oiv):
    request = ask(relazione, oiv)
    with pytest.raises(PermissionDenied):
        clarification_answer(request=request, text="Risposta", user=oiv)
    assert request.messages.count() == 1


def test_a_responsabile_and_an_administrator_are_refused_everything(relazione, oiv, office_head, admin_user):
    request = ask(relazione, oiv)
    for user in (office_head, admin_user):
        with pytest.raises(PermissionDenied):
            ask(relazione, user)
        with pytest.raises(PermissionDenied):
            clarification_answer(request=request, text="x", user=user)
        with pytest.raises(PermissionDenied):
            papers_for(relazione=relazione, user=user)
    assert ClarificationMessage.objects.count() == 1


def test_the_planning_office_reads_the_threads_but_not_the_oiv_notes_and_documents(relazione, oiv, planner):
    ask(relazione, oiv)
    paper_note_save(relazione=relazione, topic="sezione:s3", text="Verificare la 3.1", user=oiv)
    paper_document_add(relazione=relazione, title="Verbale", upload=SimpleUploadedFile("v.pdf", PDF), user=oiv)
    mine = papers_for(relazione=relazione, user=oiv)
    theirs = papers_for(relazione=relazione, user=planner)
    assert len(mine.requests) == len(theirs.requests) == 1
    assert mine.notes["sezione:s3"].text == "Verificare la 3.1" and len(mine.documents) == 1
    assert theirs.notes == {} and theirs.documents == []


# --- notes and documents -----------------------------------------------------------------------------------------


def test_a_note_is_one_per_topic_and_its_text_stays_out_of_the_history(relazione, oiv):
    paper_note_save(relazione=relazione, topic="criterio:target", text="Prima", user=oiv)
    paper_note_save(relazione=relazione, topic="criterio:target", text="Seconda", user=oiv)
    assert PaperNote.objects.get().text == "Seconda"
    history = PaperNote.history.all()
    assert history.count() == 2 and not hasattr(history.first(), "text")
    with pytest.raises(ValidationError):
        paper_note_save(relazione=relazione, topic="sezione:s9", text="x", user=oiv)
    assert set(PAPER_TOPICS) >= {"criterio:obiettivi", "criterio:scostamenti", "sezione:s1", "sezione:s5"}


def test_a_document_is_stored_with_its_sha256_and_a_disguised_file_is_refused(relazione, oiv):
    document = paper_document_add(
        relazione=relazione, title="Verbale OIV", upload=SimpleUploadedFile("verbale.pdf", PDF), user=oiv
    )
    assert document.sha256 == hashlib.sha256(PDF).hexdigest() and document.size == len(PDF)
    assert document.file.read() == PDF and document.content_type == "application/pdf"
    for name, content in (("finto.pdf", b"MZ\x90\x00 eseguibile"), ("script.html", b"<script>x</script>")):
        with pytest.raises(ValidationError) as error:
            paper_document_add(relazione=relazione, title="x", upload=SimpleUploadedFile(name, content), user=oiv)
        assert "file" in error.value.message_dict
    assert PaperDocument.objects.count() == 1


# --- a validated Relazione -----------------------------------------------------------------------------------------


def test_after_validation_the_papers_are_read_only_but_an_open_request_can_be_closed(approved_relazione, oiv, planner):
    from reports.services import relazione_validate
    from tests.reports.conftest import validation_input

    request = ask(approved_relazione, oiv)
    paper_note_save(relazione=approved_relazione, topic="sezione:s1", text="Letta", user=oiv)
    relazione_validate(relazione=approved_relazione, data=validation_input(), user=oiv)
    approved_relazione.refresh_from_db()
    for write in (
        lambda: ask(approved_relazione, oiv),
        lambda: clarification_answer(request=request, text="Tardi", user=planner),
        lambda: clarification_follow_up(request=request, text="Ancora", user=oiv),
        lambda: paper_note_save(relazione=approved_relazione, topic="sezione:s1", text="Cambiata", user=oiv),
        lambda: paper_document_add(
            relazione=approved_relazione, title="x", upload=SimpleUploadedFile("a.pdf", PDF), user=oiv
        ),
    ):
        with pytest.raises(ValidationError, match="validata"):
            write()
    assert papers_for(relazione=approved_relazione, user=oiv).notes["sezione:s1"].text == "Letta"
    clarification_close(request=request, user=oiv)
    assert ClarificationRequest.objects.get().state == ClarificationState.CLOSED


# --- the pages -----------------------------------------------------------------------------------------------------


def test_the_oiv_asks_from_the_page_and_the_planner_answers_there(client, relazione, oiv, planner, node):
    login(client, oiv)
    response = client.post(
        url("clarification_open", relazione.plan),
        {"subject": "Peso dell'area", "text": "Perché il peso è 40?", "objective": node.pk},
    )
    assert response.status_code == 302 and response["Location"] == url("papers", relazione.plan)
    request = ClarificationRequest.objects.get()
    login(client, planner)
    page = unescape(client.get(url("papers", relazione.plan)).content.decode())
    assert "Peso dell'area" in page and "Perché il peso è 40?" in page and "Invia la risposta" in page
    assert "Chiudi la richiesta" not in page and "Note dell'OIV" not in page
    client.post(url("clarification_answer", relazione.plan, request.pk), {"text": "Deciso dalla Giunta."})
    request.refresh_from_db()
    assert request.state == ClarificationState.ANSWERED
    # The planner's attempt to close it is refused and changes nothing.
    assert client.post(url("clarification_close", relazione.plan, request.pk)).status_code == 403
    login(client, oiv)
    page = unescape(client.get(url("papers", relazione.plan)).content.decode())
    assert "Deciso dalla Giunta." in page and "Invia la risposta" not in page
    node_page = unescape(client.get(reverse("plans:objective", args=[relazione.plan.pk, node.pk])).content.decode())
    assert "Richieste di chiarimento" in node_page and "Peso dell'area" in node_page
    client.post(url("clarification_close", relazione.plan, request.pk))
    request.refresh_from_db()
    assert request.state == ClarificationState.CLOSED


def test_the_oiv_home_counts_the_requests_not_closed(client, relazione, oiv, planner):
    first, second = ask(relazione, oiv), ask(relazione, oiv, subject="Seconda")
    ask(relazione, oiv, subject="Terza")
    clarification_answer(request=first, text="Risposta", user=planner)
    clarification_close(request=second, user=oiv)
    [pending] = clarifications_pending(plans=[relazione.plan])
    assert (pending.waiting_answer, pending.answered, pending.total) == (1, 1, 2)
    login(client, oiv)
    home = unescape(client.get(reverse("home")).content.decode())
    assert "Richieste di chiarimento aperte" in home and "2 richieste aperte, 1 con risposta da leggere" in home


def test_a_thread_of_another_ente_is_not_found(client, relazione, oiv, other_ente):
    request = ask(relazione, oiv)
    stranger = make_user("oiv_altrove", Role.OIV, other_ente)
    login(client, stranger)
    assert client.get(url("papers", relazione.plan)).status_code == 404
    assert client.post(url("clarification_close", relazione.plan, request.pk)).status_code == 404
    request.refresh_from_db()
    assert request.state == ClarificationState.OPEN


def test_a_request_id_of_another_relazione_is_not_found(client, relazione, oiv, small_plan):
    from reports.services import relazione_get_or_create

    request = ask(relazione, oiv)
    other_year = relazione_get_or_create(plan=small_plan, year=YEAR + 1)
    login(client, oiv)
    wrong = reverse("reports:clarification_close", args=[small_plan.pk, other_year.year, request.pk])
    assert client.post(wrong).status_code == 404


def test_the_oiv_writes_a_criterion_note_from_the_relazione_page(client, relazione, oiv, planner):
    login(client, oiv)
    page = unescape(client.get(url("detail", relazione.plan)).content.decode())
    assert "Nota e chiarimenti" in page and "Chiedi chiarimenti" in page and "Carte di lavoro" in page
    response = client.post(
        url("paper_note", relazione.plan),
        {"topic": "criterio:punteggio", "text": "Ricalcolato: torna.", "next": "relazione"},
    )
    assert response["Location"] == f"{url('detail', relazione.plan)}#nota-criterio-punteggio"
    assert "Ricalcolato: torna." in unescape(client.get(url("detail", relazione.plan)).content.decode())
    login(client, planner)
    page = unescape(client.get(url("detail", relazione.plan)).content.decode())
    assert "Ricalcolato: torna." not in page and "Nota e chiarimenti" not in page and "Carte di lavoro" in page


def test_the_oiv_asks_about_a_value_from_its_history_page(client, relazione, oiv):
    value = (
        Measurement.objects.filter(indicator__objective__plan=relazione.plan, year=YEAR)
        .select_related("round", "indicator")
        .first()
    )
    login(client, oiv)
    history = client.get(reverse("consuntivi:history", args=[value.round_id, value.indicator_id])).content.decode()
    ask_url = f"{url('papers', relazione.plan)}?consuntivo={value.pk}#nuova-richiesta"
    assert unescape(history).count(ask_url) == 1
    form = unescape(client.get(ask_url.split("#")[0]).content.decode())
    assert 'data-testid="clarification-measurement"' in form and f'name="measurement" value="{value.pk}"' in form
    client.post(
        url("clarification_open", relazione.plan), {"subject": "Valore", "text": "Fonte?", "measurement": value.pk}
    )
    assert ClarificationRequest.objects.get().measurement == value


def test_the_papers_page_runs_the_same_number_of_queries_whatever_the_threads(client, relazione, oiv, planner, node):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("papers", relazione.plan)).status_code == 200
        return len(captured)

    login(client, oiv)
    first = ask(relazione, oiv, objective_id=node.pk)
    clarification_answer(request=first, text="Risposta", user=planner)
    one = queries()
    for n in range(6):
        request = ask(relazione, oiv, subject=f"Richiesta {n}", objective_id=node.pk)
        clarification_answer(request=request, text="Risposta", user=planner)
        clarification_follow_up(request=request, text="Ancora", user=oiv)
    paper_note_save(relazione=relazione, topic="sezione:s2", text="Nota", user=oiv)
    assert queries() == one
