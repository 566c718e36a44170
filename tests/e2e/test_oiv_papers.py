"""The working papers in Chromium: the OIV asks for clarification on a node of the plan, the planning office answers
in the app, the OIV reads the answer and closes the request; and the planning office writes a Relazione text in the
rich-text editor (bold text typed, saved, printed in the page). No Content-Security-Policy violation on the way."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Objective, Plan
from reports.models import ClarificationRequest, ClarificationState, Relazione
from reports.services import relazione_get_or_create
from tests.e2e.conftest import log_in
from tests.e2e.test_csp_pages import RECORD_VIOLATIONS
from tests.factories import PASSWORD, make_user, workbook_bytes
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan(transactional_db) -> Plan:
    report = plan_import(source=workbook_bytes())
    plan = Plan.objects.get(pk=report.plan_id)
    relazione_get_or_create(plan=plan, year=2017)
    make_user("pianificatore", Role.PLANNER, plan.ente)
    make_user("oiv", Role.OIV, plan.ente)
    return plan


def _session(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, locale="it-IT")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    log_in(page, username, PASSWORD)
    return context, page, problems


def _violations(page) -> list[str]:
    page.wait_for_load_state("load")
    return page.evaluate("window.__csp || []")


def test_the_oiv_asks_on_a_node_the_planning_office_answers_the_oiv_closes(browser, live_server, plan):
    node = Objective.objects.filter(plan=plan).order_by("code").first()
    oiv_context, oiv, oiv_problems = _session(browser, live_server, "oiv")
    oiv.goto(reverse("plans:objective", args=[plan.pk, node.pk]))
    oiv.get_by_test_id("node-ask").click()
    expect(oiv.get_by_test_id("clarification-objective")).to_have_value(str(node.pk))
    oiv.get_by_test_id("clarification-subject").fill("Fonte dei dati dell'obiettivo")
    oiv.get_by_test_id("clarification-text").fill("Da quale banca dati vengono i valori 2017?")
    oiv.get_by_test_id("clarification-send").click()
    request = ClarificationRequest.objects.get()
    thread = oiv.get_by_test_id(f"clarification-{request.pk}")
    expect(thread.get_by_test_id("clarification-state")).to_have_text("Aperta")
    expect(oiv.get_by_test_id("papers-open-count")).to_have_text("1 aperta")
    assert _violations(oiv) == []

    planner_context, planner, planner_problems = _session(browser, live_server, "pianificatore")
    expect(planner.get_by_test_id("planner-clarifications")).to_contain_text("1 sulla Relazione 2017")
    planner.get_by_test_id("planner-clarifications").get_by_role("link").click()
    answer = planner.get_by_test_id(f"clarification-{request.pk}")
    expect(answer).to_contain_text("Da quale banca dati vengono i valori 2017?")
    expect(answer.get_by_test_id("close-clarification")).to_have_count(0)  # only the OIV closes
    answer.get_by_test_id("answer-text").fill("Dal registro delle imprese, estrazione del 15/01/2018.")
    answer.get_by_test_id("answer").click()
    expect(planner.get_by_test_id(f"clarification-{request.pk}").get_by_test_id("clarification-state")).to_have_text(
        "Risposta"
    )
    assert _violations(planner) == []

    oiv.goto("/")
    expect(oiv.get_by_test_id("oiv-clarifications")).to_contain_text("1 con risposta da leggere")
    oiv.goto(reverse("plans:objective", args=[plan.pk, node.pk]))
    listed = oiv.get_by_test_id("node-clarifications")
    expect(listed).to_contain_text("Fonte dei dati dell'obiettivo")
    expect(listed).to_contain_text("Risposta")
    listed.get_by_role("link", name="Fonte dei dati dell'obiettivo").click()
    thread = oiv.get_by_test_id(f"clarification-{request.pk}")
    expect(thread.get_by_test_id("message")).to_have_count(2)
    expect(thread.get_by_test_id("message").nth(1)).to_contain_text("Ufficio pianificazione · pianificatore")
    oiv.screenshot(path="test-artifacts/oiv-papers-thread.png", full_page=True)
    thread.get_by_test_id("close-clarification").click()
    expect(oiv.get_by_test_id(f"clarification-{request.pk}").get_by_test_id("clarification-state")).to_have_text(
        "Chiusa"
    )
    expect(oiv.get_by_test_id("papers-open-count")).to_have_count(0)
    request.refresh_from_db()
    assert request.state == ClarificationState.CLOSED
    assert _violations(oiv) == []

    # The criteria panel: a note on a criterion, kept for the OIV.
    oiv.goto(reverse("reports:detail", args=[plan.pk, 2017]))
    criterion = oiv.get_by_test_id("criterion-punteggio")
    criterion.get_by_text("Nota e chiarimenti").click()
    criterion.get_by_test_id("nota-criterio-punteggio").fill("Media ponderata ricalcolata a mano: torna.")
    criterion.get_by_role("button", name="Salva la nota").click()
    expect(oiv.get_by_test_id("nota-criterio-punteggio")).to_have_value("Media ponderata ricalcolata a mano: torna.")
    assert _violations(oiv) == []
    oiv_context.close()
    planner_context.close()
    assert oiv_problems == [] and planner_problems == []


def test_the_planning_office_writes_bold_text_in_the_editor_and_sees_it_in_the_relazione(browser, live_server, plan):
    context, page, problems = _session(browser, live_server, "pianificatore")
    page.goto(reverse("reports:edit", args=[plan.pk, 2017]))
    editor = page.get_by_test_id("editor-text-premessa")
    expect(editor).to_be_visible()
    expect(page.locator("#text-premessa")).to_be_hidden()  # the raw-HTML box is gone
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Control+B")
    page.keyboard.type("Anno di ripresa")
    page.keyboard.press("Control+B")
    page.keyboard.type(" per il sistema camerale.")
    expect(editor.locator("strong")).to_have_text("Anno di ripresa")
    page.keyboard.press("Enter")
    page.get_by_title("Elenco puntato").first.click()
    page.keyboard.type("servizi digitali")
    page.screenshot(path="test-artifacts/relazione-editor.png", full_page=False)
    page.get_by_role("button", name="Salva i testi").click()
    expect(page.get_by_text("Modifiche salvate.")).to_be_visible()
    stored = Relazione.objects.get(plan=plan, year=2017).texts["premessa"]
    assert stored.startswith("<p><strong>Anno di ripresa</strong> per il sistema camerale.</p>"), stored
    assert "<ul><li>servizi digitali</li></ul>" in stored, stored
    expect(page.get_by_test_id("editor-text-premessa").locator("strong")).to_have_text("Anno di ripresa")
    assert _violations(page) == []

    page.goto(reverse("reports:detail", args=[plan.pk, 2017]))
    preview = page.get_by_test_id("relazione-preview")
    expect(preview.locator("#premessa strong")).to_have_text("Anno di ripresa")
    expect(preview.locator("#premessa li")).to_have_text("servizi digitali")
    assert _violations(page) == []
    context.close()
    assert problems == []
