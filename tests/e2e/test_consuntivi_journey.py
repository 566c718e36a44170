"""The consuntivi journey in Chromium: a Responsabile enters and submits, the planner returns one value, the
Responsabile fixes it, the planner accepts, and the plan's score follows."""

import re

import pytest
from playwright.sync_api import expect

from tests.consuntivi.factories import entry_plan, indicator, open_round, people
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_responsabile_submits_the_planner_returns_one_value_and_accepts_the_fix(page, browser, live_server):
    plan = entry_plan()
    who = people(plan)
    rnd = open_round(plan, who["planner"])
    deadline = indicator(plan, "Report pubblicati entro la scadenza")
    liquidity = indicator(plan, "Indice di liquidità")
    ratio = indicator(plan, "Pratiche evase nei termini")

    # The Responsabile of U1 sees their three indicators and no other unit's.
    log_in(page, "resp_studi", PASSWORD)
    page.get_by_role("link", name="Consuntivi").first.click()
    page.get_by_role("link", name="I miei indicatori").click()
    expect(page.get_by_role("heading", name="U1 – Ufficio studi")).to_be_visible()
    assert page.locator("article.entry-row").count() == 3
    expect(page.get_by_text("Eventi organizzati")).to_have_count(0)

    # Values and measures; the achievements follow the typing (htmx preview of the scoring core).
    page.fill(f"#id_m{deadline.pk}-value", "2017-09-28")
    page.fill(f"#id_m{liquidity.pk}-var_Liq_Imm", "13.092.700")
    page.fill(f"#id_m{liquidity.pk}-var_PassCorr", "4.352.680")
    expect(page.get_by_test_id(f"ach-{liquidity.pk}").get_by_test_id("achievement")).to_have_text("100,00 %")
    page.fill(f"#id_m{ratio.pk}-numerator", "40")
    page.fill(f"#id_m{ratio.pk}-denominator", "50")
    ratio_live = page.get_by_test_id(f"ach-{ratio.pk}")
    expect(ratio_live.get_by_test_id("achievement")).to_have_text("88,89 %")  # 80 % / 90 % × 100
    expect(ratio_live.get_by_test_id("computed-value")).to_have_text("80")
    expect(ratio_live.get_by_test_id("note-required")).to_be_visible()
    page.screenshot(path="test-artifacts/consuntivi-entry.png", full_page=False)

    # A missed target cannot be submitted without explaining it.
    page.get_by_role("button", name="Salva e invia all'ufficio pianificazione").click()
    expect(page.locator(f"#id_m{ratio.pk}-note-err")).to_have_text(
        "Il target non è raggiunto: spiegare lo scostamento nella nota."
    )
    expect(page.get_by_test_id("error-summary").get_by_role("link")).to_have_attribute("href", f"#id_m{ratio.pk}-note")
    page.fill(f"#id_m{ratio.pk}-note", "Due colleghi in congedo nel secondo semestre")
    page.get_by_role("button", name="Salva e invia all'ufficio pianificazione").click()
    expect(page.get_by_text("Inviati 3 valori all'ufficio pianificazione.")).to_be_visible()

    # The planner sees the score with these values, then returns the ratio with a comment.
    planner_context = browser.new_context(base_url=live_server.url, locale="it-IT")
    planner = planner_context.new_page()
    log_in(planner, "pianificazione_en", PASSWORD)
    planner.goto(f"/consuntivi/rilevazioni/{rnd.pk}/")
    # OO 1011.01: 50 % × 100 (deadline, liquidity) + 50 % × 88,89 (its action) = 94,445 → 94,45; OS 101 and the
    # area take it whole (no own values, U2 missing).
    expect(planner.get_by_test_id("ente-score")).to_contain_text("94,45 %")
    planner.get_by_role("link", name="Verifica i valori di U1").click()
    row = planner.get_by_test_id(f"review-{ratio.pk}")
    row.get_by_text("Restituisci").first.click()
    row.get_by_label("Commento per l'unità (obbligatorio)").fill("Il registro riporta 46 pratiche nei termini")
    row.get_by_role("button", name="Restituisci con il commento").click()
    expect(planner.get_by_text("Valore restituito all'unità con il commento.")).to_be_visible()

    # The Responsabile reads the comment, fixes the value, sees it met, submits again.
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="Il registro riporta 46 pratiche nei termini")).to_be_visible()
    page.fill(f"#id_m{ratio.pk}-numerator", "46")
    expect(page.get_by_test_id(f"ach-{ratio.pk}").get_by_test_id("achievement")).to_have_text("100,00 %")
    page.get_by_role("button", name="Salva e invia all'ufficio pianificazione").click()
    expect(page.get_by_text("Inviato 1 valore all'ufficio pianificazione.")).to_be_visible()

    # The planner accepts everything; the plan's score follows the corrected value.
    planner.reload()
    planner.get_by_role("button", name=re.compile(r"Accetta tutti i valori inviati \(3\)")).click()
    expect(planner.get_by_text("Accettati 3 valori dell'unità U1.")).to_be_visible()
    planner.goto(f"/consuntivi/rilevazioni/{rnd.pk}/")
    expect(planner.get_by_test_id("ente-score")).to_contain_text("100,00 %")
    expect(planner.get_by_test_id("units-progress").locator("tr[data-unit=U1]")).to_contain_text("Verificato")
    planner.screenshot(path="test-artifacts/consuntivi-round.png", full_page=True)
    planner_context.close()
