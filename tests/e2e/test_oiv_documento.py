"""The OIV's journey through the criteria: it opens the approved Relazione, reads each criterion with its outcome and
the link to its exception, validates, downloads the Documento di validazione and uploads the signed copy."""

import datetime as dt
import hashlib

import pytest
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Plan
from reports.services import relazione_approve, relazione_close_year, relazione_get_or_create
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user, workbook_bytes
from tests.reports.conftest import add_bilancio, write_texts
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGNED = b"%PDF-1.7\n% firmato digitalmente dall'OIV\n%%EOF\n"


def test_the_oiv_reads_the_criteria_validates_and_downloads_the_documento(page, tmp_path):
    report = plan_import(source=workbook_bytes())
    plan = Plan.objects.get(pk=report.plan_id)
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"  # a text without a date: the «atto» criterion says so
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, 2017)
    planner = make_user("pianificatore", Role.PLANNER, plan.ente)
    relazione = relazione_get_or_create(plan=plan, year=2017)
    relazione_close_year(plan=plan, year=2017, user=planner, confirmed=True)
    write_texts(relazione, planner)
    relazione.refresh_from_db()
    relazione_approve(
        relazione=relazione, organ="delibera di Giunta", number="45", date=dt.date(2018, 6, 20), user=planner
    )
    make_user("oiv", Role.OIV, plan.ente)

    log_in(page, "oiv", PASSWORD)
    page.get_by_role("link", name="Relazioni").click()
    page.get_by_test_id("to-validate").get_by_role("link").click()
    criteria = page.get_by_test_id("criteria")
    expect(criteria.get_by_test_id("criterion-scostamenti")).to_contain_text("✔ Rispettato")
    expect(criteria.get_by_test_id("criterion-scostamenti")).to_contain_text("1 indicatore non raggiunto")
    expect(criteria.get_by_test_id("criterion-segnaposto")).to_contain_text("✔ Rispettato")
    atto = criteria.get_by_test_id("criterion-atto")
    expect(atto).to_contain_text("✖ 1 eccezione")
    atto.get_by_text("Eccezioni").click()
    expect(atto.get_by_role("link", name="Atto di adozione senza data")).to_have_attribute("href", f"/piani/{plan.pk}/")
    expect(page.get_by_test_id("validate-criteria")).to_contain_text(
        "Ogni target non raggiunto ha la nota sullo scostamento: rispettato"
    )
    page.screenshot(path="test-artifacts/oiv-criteria.png", full_page=True)

    page.get_by_label("Componenti dell'OIV").fill("Mario Rossi, Anna Bianchi")
    page.get_by_label("Conclusioni", exact=True).fill("La Relazione è conforme e attendibile.")
    page.get_by_test_id("validate").click()
    page.wait_for_selector("[data-testid=document-box]")
    shown = page.get_by_test_id("document-sha256").inner_text().strip()
    with page.expect_download() as info:
        page.get_by_test_id("download-document").click()
    with open(info.value.path(), "rb") as downloaded:
        content = downloaded.read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == shown

    signed = tmp_path / "documento-firmato.pdf"
    signed.write_bytes(SIGNED)
    page.get_by_label("Copia firmata del Documento (PDF)").set_input_files(str(signed))
    page.get_by_test_id("upload-signed").click()
    expect(page.get_by_test_id("signed-sha256")).to_have_text(hashlib.sha256(SIGNED).hexdigest())
    page.screenshot(path="test-artifacts/oiv-documento.png", full_page=True)
