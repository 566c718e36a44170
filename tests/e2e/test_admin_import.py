"""The Amministratore loads units and then users from spreadsheets in the admin: dry run, then confirm (issue 15
item 7, «Done when»)."""

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook

from perfplan.roles import Role, user_roles
from plans.models import Ente, OrgUnit
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sheet(rows) -> dict:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return {
        "name": "foglio.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": buffer.getvalue(),
    }


def import_with_dry_run(page, model_url: str, rows, shot: str) -> None:
    page.goto(model_url)
    page.get_by_role("link", name="Importa").click()
    page.get_by_label("File da importare").set_input_files(sheet(rows))
    page.get_by_label("Formato").select_option(label="xlsx")
    page.get_by_role("button", name="Invia").click()
    page.get_by_role("heading", name="Anteprima").wait_for()
    page.screenshot(path=f"test-artifacts/{shot}", full_page=True)
    page.get_by_role("button", name="Conferma importazione").click()
    page.locator(".messagelist").get_by_text("Importazione terminata").wait_for()


def test_the_admin_imports_units_and_users_with_a_dry_run(page):
    ente = Ente.objects.create(code="PR", name="Camera di commercio di Prova")
    OrgUnit.objects.create(ente=ente, code="A1", name="Area promozione")
    admin = make_user("amministratore", Role.ADMIN, ente)
    admin.is_staff = True
    admin.save()
    log_in(page, admin.username, PASSWORD)
    page.goto("/admin/auth/user/add/")  # the one screen: roles, ente and led units beside the user's own fields
    page.get_by_role("heading", name="Ruoli, ente e unità guidate").wait_for()
    page.screenshot(path="test-artifacts/admin-user-add.png", full_page=True)

    units = [
        ["Ente", "Codice", "Nome", "Codice padre", "Responsabile"],
        ["PR", "U1", "Ufficio studi", "A1", "M. Rossi"],
    ]
    import_with_dry_run(page, "/admin/plans/orgunit/", units, "admin-import-units-preview.png")
    assert page.get_by_role("link", name="U1").count() == 1  # the unit list shows the new unit
    assert OrgUnit.objects.get(code="U1").parent.code == "A1"

    users = [
        ["Utente", "Nome", "Cognome", "Email", "Ente", "Ruoli", "Unità guidate"],
        ["mrossi", "Mario", "Rossi", "mario.rossi@example.org", "PR", "Responsabile", "U1"],
    ]
    # A wrong row first: the dry run names its row and column, and nothing is saved.
    page.goto("/admin/auth/user/import/")
    page.get_by_label("File da importare").set_input_files(sheet([users[0], ["gverdi", "", "", "", "PR", "Capo", ""]]))
    page.get_by_label("Formato").select_option(label="xlsx")
    page.get_by_role("button", name="Invia").click()
    page.get_by_role("heading", name="Alcune righe non sono valide").wait_for()
    assert "Riga 2: ruolo sconosciuto «Capo»" in page.locator(".validation-error-list").inner_text()
    page.screenshot(path="test-artifacts/admin-import-users-errors.png", full_page=True)

    import_with_dry_run(page, "/admin/auth/user/", users, "admin-import-users-preview.png")
    mario = get_user_model().objects.get(username="mrossi")
    assert user_roles(mario) == {Role.OFFICE_HEAD} and [u.code for u in mario.led_units.all()] == ["U1"]
    assert not get_user_model().objects.filter(username="gverdi").exists()

    # The export page: its field choices and the download, with no script refused by the site's CSP.
    page.goto("/admin/auth/user/")
    page.get_by_role("link", name="Esporta").click()
    page.get_by_label("Formato").select_option(label="xlsx")
    with page.expect_download() as download:
        page.get_by_role("button", name="Invia").click()
    assert download.value.suggested_filename.endswith(".xlsx")
