"""The planning office's journeys in Chromium: build, edit, import with errors, adopt and revise, export and back."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from indicators.models import Indicator, Target
from perfplan.roles import Role
from plans import editing
from plans.models import Objective, Plan, PlanRevision
from tests.e2e.conftest import log_in
from tests.factories import BASE_SHEETS, PASSWORD, make_user, sheets, workbook_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """The groups come from a data migration; a transactional test flushes them after each test."""
    from django.contrib.auth.models import Group

    for name in Role.ALL:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def ufficio(role_groups, small_plan):
    return make_user("ufficio", Role.PLANNER, small_plan.ente)


def fill_node(page, code, level, title, weight=""):
    page.get_by_label("Codice").fill(code)
    page.get_by_label("Tipo").select_option(label=level)
    page.get_by_label("Titolo").fill(title)
    if weight:
        page.get_by_label("Peso (%)").fill(weight)
    page.get_by_role("button", name="Salva").click()


def test_the_planner_builds_a_plan_from_nothing_down_to_an_action_with_two_indicators(page, ufficio):
    log_in(page, ufficio.username, PASSWORD)
    page.get_by_role("link", name="Nuovo piano").first.click()
    page.get_by_label("Titolo").fill("Piano della performance 2025-2027")
    page.get_by_label("Anno di inizio").fill("2025")
    page.get_by_label("Anno di fine").fill("2027")
    page.get_by_role("button", name="Crea il piano").click()
    page.get_by_role("link", name="Aggiungi area").first.click()
    fill_node(page, "1", "Area strategica", "Competitività delle imprese", "100")
    for parent, code, level, title in (
        ("1", "1.1", "Obiettivo strategico", "Digitalizzazione"),
        ("1.1", "1.1.1", "Obiettivo operativo", "Servizi online"),
        ("1.1.1", "1.1.1.1", "Azione", "Sportello digitale"),
    ):
        page.locator("[data-testid=plan-tree]").get_by_role("link", name=parent, exact=True).click()
        page.get_by_role("link", name="Aggiungi obiettivo figlio").click()
        # The live sum of the sibling weights: alone at its level, 100 is 100 %.
        page.get_by_label("Peso (%)").fill("100")
        assert "100 %" in page.locator("[data-weight-sum]").inner_text()
        fill_node(page, code, level, title)
    plan = Plan.objects.get(title="Piano della performance 2025-2027")
    action = Objective.objects.get(plan=plan, code="1.1.1.1")
    for name, target in (("Pratiche digitali", ">= 500"), ("Tempo di evasione", "<= 5")):
        page.goto(f"/piani/{plan.pk}/obiettivi/{action.pk}/indicatori/nuovo/")
        page.get_by_label("Nome").fill(name)
        page.get_by_label("Target 2025").fill(target)
        # The preview under the field shows the target as it will be read, while typing.
        preview = page.locator("#id_target_2025_preview")
        expected = "≥ 500" if target.startswith(">") else "≤ 5"
        preview.get_by_text(expected).wait_for()
        page.get_by_role("button", name="Salva l'indicatore").click()
    assert Indicator.objects.filter(objective=action).count() == 2
    tree = page.locator("[data-testid=plan-tree]")
    assert tree.get_by_text("Pratiche digitali").count() == 1 and tree.get_by_text("≥ 500").count() == 1


def test_the_planner_edits_a_target_in_place_and_sees_it_parsed(page, ufficio, small_plan):
    log_in(page, ufficio.username, PASSWORD)
    page.goto(small_plan.get_absolute_url())
    page.get_by_role("link", name="Modifica il target 2018").first.click()
    field = page.get_by_label(re.compile("Target 2018 di F1"))
    field.fill("3140 3140")
    page.get_by_text("più target").first.wait_for()
    field.fill("entro 30/09/2018")
    page.get_by_text("entro il 30/09/2018").wait_for()
    page.get_by_role("button", name="Salva").click()
    page.locator("[data-testid=target-cell]").get_by_text("entro il 30/09/2018").wait_for()
    f1 = Indicator.objects.get(objective__plan=small_plan, code="F1")
    assert Target.objects.get(indicator=f1, year=2018, is_current=True).kind == "DEADLINE"


def test_the_planner_uploads_a_workbook_with_errors_sees_them_then_imports_the_fixed_one(page, ufficio, tmp_path):
    bad_rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    bad_rows[2][4] = "tanto"  # Obiettivi, row 3, Peso
    bad_ind = [list(r) for r in BASE_SHEETS["Indicatori"]]
    bad_ind[1][10] = "3140 3140 3140"  # Indicatori, row 2, Target 2018
    bad = tmp_path / "piano-con-errori.xlsx"
    bad.write_bytes(workbook_bytes(sheets(Obiettivi=bad_rows, Indicatori=bad_ind)).getvalue())
    good = tmp_path / "piano.xlsx"
    good.write_bytes(
        workbook_bytes(
            sheets(Piano=[*BASE_SHEETS["Piano"][:3], ["Titolo", "Piano nuovo 2017-2019"], *BASE_SHEETS["Piano"][4:]])
        ).getvalue()
    )

    log_in(page, ufficio.username, PASSWORD)
    page.get_by_role("link", name="Importa").first.click()
    page.get_by_label("Cartella di lavoro (.xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Carica e analizza").click()
    errors = page.locator("[data-testid=import-error-table]")
    errors.wait_for()
    text = errors.inner_text()
    assert "Obiettivi\t3\tPeso" in text and "Indicatori\t2\tTarget 2018" in text
    assert page.get_by_role("button", name="Conferma l'importazione").count() == 0
    page.screenshot(path="test-artifacts/import-preview-errors.png", full_page=True)
    page.get_by_role("button", name="Annulla e carica un altro file").click()
    page.get_by_label("Cartella di lavoro (.xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Carica e analizza").click()
    page.locator("[data-testid=import-counts]").wait_for()
    page.screenshot(path="test-artifacts/import-preview-ok.png", full_page=True)
    page.get_by_role("button", name="Conferma l'importazione").click()
    page.get_by_role("heading", name="Piano nuovo 2017-2019").wait_for()
    expect(page.get_by_role("alert").first).to_have_text(re.compile(r"^\s*Importazione completata"))


def test_the_planner_adopts_the_plan_then_revises_a_target_with_a_reason(page, ufficio, small_plan):
    log_in(page, ufficio.username, PASSWORD)
    page.goto(small_plan.get_absolute_url())
    page.get_by_role("link", name="Adotta il piano").click()
    page.get_by_label("Numero dell'atto").fill("12")
    page.get_by_label("Data dell'atto").fill("30/01/2017")
    page.get_by_role("button", name="Adotta il piano").click()
    # expect() retries until the new page is there: the old page has a state badge too («Bozza»).
    expect(page.locator("[data-testid=plan-state]")).to_have_text("Adottato")
    page.get_by_role("link", name="Modifica il target 2019").first.click()
    page.get_by_label(re.compile("Target 2019 di F1")).fill(">= 380")
    page.get_by_role("button", name="Salva").click()
    page.get_by_text("Indicare la motivazione").wait_for()
    # The re-rendered form puts the focus on the field in error (htmx honours autofocus after the swap): wait for
    # it, or the typing races the swap's focus and lands in the target box.
    expect(page.get_by_label("Motivazione")).to_be_focused()
    page.get_by_label("Motivazione").fill("Risorse aggiuntive dal fondo perequativo")
    page.get_by_role("button", name="Salva").click()
    # The save renders the page again with the revision: on a loaded CI machine that can take longer than 30 s.
    expect(page.locator("[data-testid=target-cell]").get_by_text("≥ 380")).to_be_visible(timeout=90_000)
    page.reload()
    history = page.locator("[data-testid=revisions]")
    assert "Risorse aggiuntive dal fondo perequativo" in history.inner_text()
    assert "target 2019" in history.inner_text() and ">= 380" in history.inner_text()
    assert PlanRevision.objects.get().old_value == "---"  # 2019 had no target, written "---" in the seed


def test_the_planner_exports_the_plan_and_imports_it_back_unchanged(page, ufficio, small_plan, tmp_path):
    editing.plan_adopt(plan=small_plan, organ="Giunta", number="1", date=dt.date(2017, 1, 30), user=ufficio)
    log_in(page, ufficio.username, PASSWORD)
    page.goto(small_plan.get_absolute_url())
    with page.expect_download() as download:
        page.get_by_role("link", name="Esporta in .xlsx").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    page.goto("/piani/importa/")
    page.get_by_label("Cartella di lavoro (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Carica e analizza").click()
    counts = page.locator("[data-testid=import-counts]")
    counts.wait_for()
    assert "Obiettivi\t0\t0\t4" in counts.inner_text()
    page.get_by_label("Motivazione").fill("Riallineamento dal file esportato")
    page.get_by_role("button", name="Conferma l'importazione").click()
    page.get_by_role("heading", name=small_plan.title).wait_for()
    assert Plan.objects.count() == 1 and not PlanRevision.objects.exists()


def test_the_checklist_blocks_adoption_until_a_mistyped_target_is_fixed_then_asks_to_confirm_a_warning(
    page, ufficio, small_plan
):
    f1 = Indicator.objects.get(objective__plan=small_plan, code="F1")
    # Saved before the strict reading, as the parser read it then: 3 with the «qualifier» "x0".
    Target.objects.filter(indicator=f1, year=2018, is_current=True).update(raw=">= 3x0", number=3, qualifier="x0")
    Indicator.objects.filter(pk=f1.pk).update(weight=30)  # 30 + 50 under OS 101: a warning
    log_in(page, ufficio.username, PASSWORD)
    page.goto(f"/piani/{small_plan.pk}/adotta/")
    blocking = page.locator("[data-testid=checklist-blocking]")
    expect(blocking).to_contain_text("1 punto bloccante")
    expect(blocking).to_contain_text('"3x0" non è un numero')
    expect(page.get_by_role("button", name="Adotta il piano")).to_be_disabled()
    page.screenshot(path="test-artifacts/adopt-checklist-blocking.png", full_page=True)
    blocking.get_by_role("link", name="Modifica l'indicatore").click()
    box = page.get_by_label("Target 2018", exact=True)
    preview = page.locator("#id_target_2018_preview")
    box.fill(">=35O")
    expect(preview).to_contain_text("✖")
    expect(preview).to_contain_text('"35O" non è un numero')
    preview.scroll_into_view_if_needed()
    page.screenshot(path="test-artifacts/target-preview-not-a-number.png")
    box.fill(">= 350")
    expect(preview).to_contain_text("Letto come: ≥ 350")
    page.get_by_role("button", name="Salva").click()
    page.wait_for_url(re.compile(r"/piani/\d+/(obiettivi|#|$)"))
    assert Target.objects.get(indicator=f1, year=2018, is_current=True).raw == ">= 350"
    page.goto(f"/piani/{small_plan.pk}/adotta/")
    expect(page.locator("[data-testid=checklist-warnings]")).to_contain_text("sommano a 80 invece di 100")
    expect(page.locator("[data-testid=checklist-blocking]")).to_have_count(0)
    page.get_by_label("Numero dell'atto").fill("12")
    page.get_by_label("Data dell'atto").fill("30/01/2017")
    page.get_by_role("button", name="Adotta il piano").click()
    expect(page.get_by_text("Confermare di aver letto l'avviso della lista di controllo")).to_be_visible()
    page.get_by_text("Ho letto l'avviso della lista di controllo").click()
    page.get_by_label("Data dell'atto").fill("30/01/2017")
    page.get_by_role("button", name="Adotta il piano").click()
    expect(page.locator("[data-testid=plan-state]")).to_have_text("Adottato")
