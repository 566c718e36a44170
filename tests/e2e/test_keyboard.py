"""Keyboard only (issue 15, item 8): a Responsabile logs in, reaches «I miei indicatori», types a value and a note and
saves them with Tab, Shift+Tab, Enter and Space, no mouse; the skip link is the first stop of every page and each
focused control shows a visible focus indicator (an outline or a box-shadow)."""

import pytest
from playwright.sync_api import expect

from consuntivi.models import Measurement
from tests.consuntivi.factories import entry_plan, indicator, open_round, people
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80  # a bound, so that a control the keyboard cannot reach fails instead of looping

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, id: el.id, name: el.getAttribute("name") || "", text: (el.innerText || "").trim(),
          href: el.getAttribute("href") || "", testid: el.dataset ? el.dataset.testid || "" : "",
          indicator: outline || shadow, visible: box.width > 1 && box.height > 1};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches; each stop must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        now = focused(page)
        assert now["indicator"], f"nessun indicatore di focus visibile su {now}"
        if matches(now):
            return now
    raise AssertionError(f"non raggiungibile con {key} in {MAX_TABS} passi; ultimo elemento: {now}")


def test_a_responsabile_enters_a_value_and_a_note_with_the_keyboard_only(browser, live_server):
    plan = entry_plan()
    who = people(plan)
    rnd = open_round(plan, who["planner"])
    events = indicator(plan, "Eventi organizzati")
    context = browser.new_context(base_url=live_server.url, locale="it-IT", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The login page opens with the cursor in «Nome utente» (autofocus): type, Tab to the password, Enter.
    page.goto("/accounts/login/")
    assert focused(page)["name"] == "username"
    page.keyboard.type("resp_eventi")
    tab_to(page, lambda f: f["name"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("current-user")).to_be_visible()

    # The home page: the skip link is the first stop, shown when focused; Enter jumps past the header and the menu,
    # then on to «I miei indicatori» of the open round.
    skip = tab_to(page, lambda f: True)
    assert skip["text"] == "Vai al contenuto principale" and skip["href"] == "#main" and skip["visible"], skip
    page.keyboard.press("Enter")
    tab_to(page, lambda f: f["href"].endswith(f"/rilevazioni/{rnd.pk}/miei/"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="I miei indicatori")).to_be_visible()

    # The value, the note, back to the value with Shift+Tab to correct it, then «Salva questo valore» with Space.
    prefix = f"id_m{events.pk}"
    tab_to(page, lambda f: f["id"] == f"{prefix}-value")
    page.keyboard.type("9")
    tab_to(page, lambda f: f["id"] == f"{prefix}-note")
    page.keyboard.type("Due eventi rinviati al 2018 per la chiusura della sala")
    tab_to(page, lambda f: f["id"] == f"{prefix}-value", key="Shift+Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("10")
    save = tab_to(page, lambda f: f["testid"] == "save-row" and "Eventi organizzati" in f["text"])
    assert save["tag"] == "BUTTON", save
    page.keyboard.press("Space")
    row = page.get_by_test_id(f"row-{events.pk}")
    expect(row.get_by_test_id("saved")).to_be_visible()
    # The row is drawn again: the focus is back on its save button, with its indicator, not lost on the page.
    expect(row.get_by_test_id("save-row")).to_be_focused()
    assert focused(page)["indicator"]

    stored = Measurement.objects.get(indicator=events, round=rnd)
    assert stored.raw == "10" and stored.note == "Due eventi rinviati al 2018 per la chiusura della sala"
    page.screenshot(path="test-artifacts/keyboard-saved.png")
    context.close()
    assert errors == []
