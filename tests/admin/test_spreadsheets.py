"""The admin's spreadsheets (django-import-export): units, users and the indicator catalogue, dry run then confirm,
scoped to the administrator's ente, never a password, the whole file or nothing."""

import pytest
import tablib
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse

from indicators.models import CatalogueIndicator
from perfplan.roles import Role, user_roles
from plans.models import OrgUnit, Profile
from plans.resources import UserResource
from tests.admin.conftest import XLSX, confirm, dry_run, exported_rows
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

UNITS_URL = "/admin/plans/orgunit/import/"
USERS_URL = "/admin/auth/user/import/"
CATALOGUE_URL = "/admin/indicators/catalogueindicator/import/"
UNIT_HEADER = ["Ente", "Codice", "Nome", "Codice padre", "Responsabile"]
USER_HEADER = ["Utente", "Nome", "Cognome", "Email", "Ente", "Ruoli", "Unità guidate"]
CATALOGUE_HEADER = ["Ente", "Codice", "Nome", "Descrizione", "Algoritmo", "Unità", "Polarità", "Fonte"]


def test_units_then_users_are_previewed_then_saved(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    units = [UNIT_HEADER, ["PR", "U2", "Ufficio nuovo", "A1", "Mario Rossi"], ["PR", "U3", "Sportello", "U2", ""]]
    preview = dry_run(client, UNITS_URL, units)
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert "Anteprima" in preview.content.decode() and "Ufficio nuovo" in preview.content.decode()
    assert not OrgUnit.objects.filter(code__in=["U2", "U3"]).exists()  # the dry run wrote nothing
    assert confirm(client, UNITS_URL, preview).status_code == 302
    assert OrgUnit.objects.get(code="U3").parent == OrgUnit.objects.get(code="U2", parent__code="A1")

    users = [
        USER_HEADER,
        ["mrossi", "Mario", "Rossi", "mario.rossi@example.org", "PR", "Responsabile", "U2, U3"],
        ["lbianchi", "Laura", "Bianchi", "", "PR", "Pianificazione, OIV", ""],
    ]
    preview = dry_run(client, USERS_URL, users)
    assert preview.context["confirm_form"] is not None and not User.objects.filter(username="mrossi").exists()
    preview_rows = [[cell.strip() for cell in row.diff] for row in preview.context["result"].valid_rows()]
    assert ["mrossi", "Mario", "Rossi", "mario.rossi@example.org", "PR", "Responsabile", "U2, U3", "SI"] in preview_rows
    assert ["lbianchi", "Laura", "Bianchi", "", "PR", "Pianificazione, OIV", "", "SI"] in preview_rows  # assigned
    assert confirm(client, USERS_URL, preview).status_code == 302
    mario, laura = User.objects.get(username="mrossi"), User.objects.get(username="lbianchi")
    assert Profile.objects.get(user=mario).ente == small_plan.ente
    assert user_roles(mario) == {Role.OFFICE_HEAD} and user_roles(laura) == {Role.PLANNER, Role.OIV}
    assert sorted(mario.led_units.values_list("code", flat=True)) == ["U2", "U3"]
    assert not mario.has_usable_password() and not laura.has_usable_password()  # a reset, or the admin, sets it


def test_an_existing_user_is_updated_and_keeps_their_password(client, staff_admin, small_plan, office_head):
    client.force_login(staff_admin)
    preview = dry_run(client, USERS_URL, [USER_HEADER, ["responsabile", "", "Verdi", "", "PR", "Responsabile", "A1"]])
    confirm(client, USERS_URL, preview)
    office_head.refresh_from_db()
    assert office_head.last_name == "Verdi" and office_head.has_usable_password()
    assert list(office_head.led_units.values_list("code", flat=True)) == ["A1"]


@pytest.mark.parametrize(
    "row, column, message",
    [
        (["gverdi", "", "", "", "ALTRO", "Responsabile", ""], "Ente", "l'ente «ALTRO» non è il tuo (PR)"),
        (["gverdi", "", "", "", "PR", "Capo ufficio", ""], "Ruoli", "ruolo sconosciuto «Capo ufficio»"),
        (["gverdi", "", "", "", "PR", "Responsabile", "U1, ZZ"], "Unità guidate", "unità sconosciuta nell'ente PR: ZZ"),
    ],
)
def test_a_bad_user_row_is_refused_with_its_row_and_column(client, staff_admin, small_plan, row, column, message):
    client.force_login(staff_admin)
    good = ["gbianchi", "", "", "", "PR", "OIV", ""]
    response = dry_run(client, USERS_URL, [USER_HEADER, good, row])
    page = response.content.decode()
    assert response.context.get("confirm_form") is None
    assert "Alcune righe non sono valide" in page and f"<strong>{column}</strong>: Riga 3: " in page
    assert message in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert not User.objects.filter(username__in=["gverdi", "gbianchi"]).exists()


def test_a_missing_column_stops_the_file(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    response = dry_run(client, USERS_URL, [["Utente", "Ente"], ["gverdi", "PR"]])
    page = response.content.decode().replace("&#x27;", "'")
    assert "Nel foglio mancano le colonne: «Ruoli»" in page and "Traceback" not in page
    assert response.context.get("confirm_form") is None and not User.objects.filter(username="gverdi").exists()


def test_a_unit_of_another_ente_or_with_an_unknown_parent_is_refused(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    rows = [UNIT_HEADER, ["ALTRO", "Z1", "Altrove", "", ""], ["PR", "U9", "Nuovo", "NONCE", ""]]
    page = dry_run(client, UNITS_URL, rows).content.decode().replace("&#x27;", "'")
    assert "Riga 2: l'ente «ALTRO» non è il tuo (PR)" in page
    assert "Riga 3: unità padre «NONCE» sconosciuta nell'ente PR" in page
    assert not OrgUnit.objects.filter(code__in=["Z1", "U9"]).exists()


def test_a_user_of_another_ente_is_never_taken_over(client, staff_admin, small_plan, outsider):
    client.force_login(staff_admin)
    page = dry_run(client, USERS_URL, [USER_HEADER, ["estraneo", "", "", "", "PR", "Responsabile", ""]])
    text = page.content.decode().replace("&#x27;", "'")
    assert "L'utente «estraneo» appartiene a un altro ente (ALTRO)" in text
    assert Profile.objects.get(user=outsider).ente.code == "ALTRO"


def test_a_bad_row_leaves_the_whole_file_unwritten(staff_admin, small_plan):
    # The confirmed import itself, not only its preview: one transaction, rolled back by any row's error.
    dataset = tablib.Dataset(
        ["gbianchi", "", "", "", "PR", "OIV", ""], ["gverdi", "", "", "", "PR", "Capo", ""], headers=USER_HEADER
    )
    result = UserResource(user=staff_admin).import_data(dataset, dry_run=False, rollback_on_validation_errors=True)
    assert result.has_validation_errors() and not User.objects.filter(username="gbianchi").exists()


def _export(client, model_url: str):
    form = client.get(model_url + "export/").context["form"]
    data = {"format": XLSX, "resource": "0"}
    data.update({name: "on" for name, field in form.fields.items() if isinstance(field, forms.BooleanField)})
    response = client.post(model_url + "export/", data)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    return exported_rows(response)


def test_exports_hold_only_the_own_ente_and_never_a_password(client, staff_admin, small_plan, outsider, other_ente):
    OrgUnit.objects.create(ente=other_ente, code="X9", name="Ufficio altrove")
    make_user("responsabile", Role.OFFICE_HEAD, small_plan.ente, units=[small_plan.ente.org_units.get(code="U1")])
    client.force_login(staff_admin)
    units = _export(client, "/admin/plans/orgunit/")
    assert units[0] == UNIT_HEADER and {row[1] for row in units[1:]} == {"A1", "U1"}
    users = _export(client, "/admin/auth/user/")
    assert users[0] == [*USER_HEADER, "Attivo"] and not any("password" in str(cell).lower() for cell in users[0])
    by_name = {row[0]: row for row in users[1:]}
    assert "estraneo" not in by_name
    assert by_name["responsabile"][4:7] == ["PR", "Responsabile", "U1"]


def test_only_the_amministratore_reaches_import_and_export(client, small_plan):
    planner = make_user("pianificatore_staff", Role.PLANNER, small_plan.ente)
    planner.is_staff = True
    planner.save()
    client.force_login(planner)
    for url in (UNITS_URL, USERS_URL, CATALOGUE_URL, "/admin/plans/orgunit/export/"):
        response = client.get(url)  # the admin site itself sends a staff user without ADMIN_SITE to its login
        assert response.status_code == 302 and "/admin/login/" in response.url, url


def test_the_changelists_offer_import_and_export(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    page = client.get(reverse("admin:plans_orgunit_changelist")).content.decode()
    assert UNITS_URL in page and "/admin/plans/orgunit/export/" in page and "Importa" in page


# --- the indicator catalogue ----------------------------------------------------------------------------------------


def test_the_ente_imports_its_own_catalogue_entries(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    rows = [
        CATALOGUE_HEADER,
        ["PR", "PR-01", "Tempo medio di rilascio", "", "Giorni_Totali / Pratiche", "gg", "decrescente", "Ente"],
    ]
    preview = dry_run(client, CATALOGUE_URL, rows)
    assert preview.context["confirm_form"] is not None
    confirm(client, CATALOGUE_URL, preview)
    entry = CatalogueIndicator.objects.get(code="PR-01")
    assert entry.ente == small_plan.ente and entry.unit == "days" and entry.polarity == "lower_better"


@pytest.mark.parametrize(
    "row, message",
    [
        (["PR", "PR-02", "Rotto", "", "(A / ", "%", "", ""], "Riga 2: "),
        (["PR", "DFP 1.3", "Copia", "", "A / B", "%", "", ""], "«DFP 1.3» è il codice di un indicatore comune"),
        (["ALTRO", "X-1", "Altrove", "", "A / B", "%", "", ""], "l'ente «ALTRO» non è il tuo (PR)"),
        (["PR", "PR-03", "Unità strana", "", "A / B", "kg", "", ""], "unità «kg» sconosciuta"),
    ],
)
def test_a_bad_catalogue_row_is_refused(client, staff_admin, small_plan, row, message):
    client.force_login(staff_admin)
    response = dry_run(client, CATALOGUE_URL, [CATALOGUE_HEADER, row])
    assert response.context.get("confirm_form") is None
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not CatalogueIndicator.objects.filter(ente__isnull=False).exists()


def test_the_catalogue_export_has_the_common_entries_and_only_the_own_ente(client, staff_admin, small_plan, other_ente):
    CatalogueIndicator.objects.create(ente=other_ente, code="ALT-1", name="Altrove")
    CatalogueIndicator.objects.create(ente=small_plan.ente, code="PR-1", name="Nostro")
    client.force_login(staff_admin)
    rows = _export(client, "/admin/indicators/catalogueindicator/")
    codes = {row[1] for row in rows[1:]}
    assert {"DFP 1.3", "DFP 2.5", "DFP 4.3", "PR-1"} <= codes and "ALT-1" not in codes
    dfp = next(row for row in rows if row[1] == "DFP 1.3")
    assert dfp[0] is None and dfp[4] == "Dip_Formati / Dip_Totali" and dfp[5] == "%"
    # given back as they are, the common rows are skipped, not refused
    preview = dry_run(client, CATALOGUE_URL, [rows[0], dfp])
    assert preview.context["confirm_form"] is not None


def test_the_export_page_names_the_columns_in_italian(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    page = client.get("/admin/plans/orgunit/export/").content.decode()
    assert "Il file conterrà queste colonne" in page and "This exporter" not in page
    for column in ("Ente", "Codice", "Nome", "Codice padre", "Responsabile"):
        assert f">{column}</label>" in page or f"> {column}</label>" in page, column
    assert "Code (Codice)" not in page and "Parent (" not in page
