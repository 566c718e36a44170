"""The Relazione's last mile: the planner approves, the OIV validates and downloads the PDF whose SHA-256 is shown."""

import hashlib

import pytest
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Plan
from reports.services import relazione_get_or_create
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user, workbook_bytes
from tests.reports.conftest import add_bilancio, write_texts
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_planner_approves_and_the_oiv_validates_and_downloads(page):
    report = plan_import(source=workbook_bytes())
    plan = Plan.objects.get(pk=report.plan_id)
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, 2017)
    planner = make_user("pianificatore", Role.PLANNER, plan.ente)
    write_texts(relazione_get_or_create(plan=plan, year=2017), planner)  # no instruction left: approval allowed
    make_user("oiv", Role.OIV, plan.ente)

    log_in(page, "pianificatore", PASSWORD)
    page.get_by_role("link", name="Relazioni").click()
    page.get_by_role("link", name="Relazione 2017").click()
    page.get_by_test_id("close-year").click()
    expect(page.get_by_test_id("pending")).to_contain_text("1 unità non ha inviato, 1 valore mancante")  # U1: no value
    page.get_by_text("Ho controllato quanto è in sospeso").click()  # Bootstrap Italia draws the box on the label
    expect(page.get_by_label("Ho controllato quanto è in sospeso")).to_be_checked()
    page.get_by_test_id("confirm-close-year").click()
    page.get_by_label("Numero").fill("45")
    page.get_by_label("Data").fill("2018-06-20")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("relazione-state")).to_have_text("Approvata")  # retries until the page has moved on
    page.get_by_role("button", name="Esci").click()

    log_in(page, "oiv", PASSWORD)
    page.get_by_role("link", name="Relazioni").click()
    page.get_by_test_id("to-validate").get_by_role("link").click()
    page.get_by_label("Componenti dell'OIV").fill("Mario Rossi, Anna Bianchi")
    page.get_by_label("Conclusioni", exact=True).fill("La Relazione è conforme e attendibile.")
    page.get_by_test_id("section-conclusions").get_by_text("Conclusioni per sezione").click()  # opens the details
    page.get_by_label("3. Misurazione e valutazione della performance organizzativa").fill("Misure verificate.")
    page.get_by_test_id("validate").click()
    page.wait_for_selector("[data-testid=validated-box]")
    shown = page.get_by_test_id("sha256").inner_text().strip()
    page.screenshot(path="test-artifacts/relazione-validated.png")
    with page.expect_download() as info:
        page.get_by_test_id("download-validated").click()
    with open(info.value.path(), "rb") as downloaded:
        content = downloaded.read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == shown
    allegato = page.locator("#a1")
    expect(allegato.get_by_role("heading", name="Conclusioni per sezione")).to_be_visible()
    expect(allegato).to_contain_text("Misure verificate.")
