"""The audit history: every change made through the app shows up in /storico/ with who, old → new and why."""

import datetime as dt
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from consuntivi.models import MeasurementChange
from indicators.models import Indicator, Target
from perfplan.audit import audit_context, delete_with_history, record_bulk
from perfplan.audit_selectors import AuditFilters, audit_export_rows
from perfplan.roles import Role
from plans import editing
from plans.models import Objective, OrgUnit, Plan
from reports.models import BilancioLine
from tests.factories import make_user

pytestmark = pytest.mark.django_db

YEAR = 2017


def login(client, user):
    client.force_login(user)


def audit_rows(client, **params) -> list[list[str]]:
    """The page's table as text cells, one list per line."""
    response = client.get(reverse("audit:index"), params)
    assert response.status_code == 200
    html = response.content.decode()
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell, self.inside = [], None, False

        def handle_starttag(self, tag, attrs):
            if tag == "table" and ("data-testid", "audit") in attrs:
                self.inside = True
            elif self.inside and tag == "tr":
                self.rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = False
            elif self.inside and tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(" ".join(" ".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows[1:]  # without the header


def line(rows, *needles) -> list[str]:
    """The first line whose cells contain every needle."""
    for row in rows:
        text = " | ".join(row)
        if all(needle in text for needle in needles):
            return row
    raise AssertionError(f"no line with {needles} in:\n" + "\n".join(" | ".join(r) for r in rows[:40]))


def adopt(plan, user):
    return editing.plan_adopt(plan=plan, organ="Giunta", number="12", date=dt.date(2017, 1, 30), user=user)


# --- changes made through the app ------------------------------------------------------------------------------


def test_a_form_edit_after_adoption_shows_who_old_new_and_why(client, small_plan, planner):
    adopt(small_plan, planner)
    objective = Objective.objects.get(plan=small_plan, code="101")
    login(client, planner)
    response = client.post(
        reverse("plans:objective_edit", args=[small_plan.pk, objective.pk]),
        {
            "code": "101",
            "level": "strategic",
            "title": "Informazione economica e statistica",
            "weight": "100",
            "kind": "organizational",
            "reason": "Delibera 7/2017: titolo aggiornato",
        },
    )
    assert response.status_code == 302
    row = line(audit_rows(client), "Obiettivo · 101", "Titolo")
    when, who, what, action, field, old, new, why = row
    assert who == "pianificatore" and action == "Modifica"
    assert old == "Informazione economica" and new == "Informazione economica e statistica"
    assert why == "Delibera 7/2017: titolo aggiornato"


def test_a_target_revision_reads_as_target_year_and_indicator(client, small_plan, planner):
    adopt(small_plan, planner)
    indicator = Indicator.objects.get(objective__plan=small_plan, code="F1")
    editing.target_set(indicator=indicator, year=2018, raw=">= 400", reason="Nuovo obiettivo di giunta", user=planner)
    login(client, planner)
    rows = audit_rows(client, q="Target 2018")
    created = line(rows, "Target 2018 · 101 / F1", "Creazione")
    assert created[6] == ">= 400" and "Nuovo obiettivo di giunta" in created[-1]  # a creation shows what it holds
    replaced = line(rows, "Target 2018 · 101 / F1", "In vigore")
    assert replaced[5:7] == ["SI", "NO"]


def test_relazione_texts_and_bilancio_lines_are_audited(client, small_plan, planner):
    login(client, planner)
    edit = reverse("reports:edit", args=[small_plan.pk, YEAR])
    client.post(edit, {"section": "testi", "text-premessa": "<p>Prima versione</p>"})
    client.post(edit, {"section": "testi", "text-premessa": "<p>Seconda versione</p>"})
    client.post(edit, {"section": "bilancio", f"bilancio-{YEAR}-1": "9.000.000"})
    client.post(edit, {"section": "bilancio", f"bilancio-{YEAR}-1": "9.500.000"})
    rows = audit_rows(client)
    text = line(rows, f"Relazione {YEAR}", "premessa")
    assert text[1] == "pianificatore" and text[5:7] == ["Prima versione", "Seconda versione"]
    amount = line(rows, f"Bilancio {YEAR} · voce 1", "Modifica")
    assert amount[5:7] == ["9000000", "9500000"]
    assert line(rows, f"Bilancio {YEAR} · voce 1", "Creazione")[1] == "pianificatore"


def test_a_unit_edit_in_the_admin_is_audited_with_its_leaders(client, small_plan, admin_user, office_head):
    admin_user.is_staff = True
    admin_user.save()
    unit = OrgUnit.objects.get(ente=small_plan.ente, code="U1")
    login(client, admin_user)
    response = client.post(
        reverse("admin:plans_orgunit_change", args=[unit.pk]),
        {"ente": small_plan.ente.pk, "code": "U1", "name": "Ufficio studi e statistica", "head": "", "leaders": []},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = audit_rows(client, tipo="plans.orgunit")
    assert line(rows, "Unità · U1", "Nome")[5:7] == ["Ufficio studi", "Ufficio studi e statistica"]
    assert line(rows, "Unità · U1", "Utenti responsabili")[5:7] == ["responsabile", "—"]
    assert line(rows, "Unità · U1", "Nome")[1] == "amministratore"


def test_a_role_change_in_the_admin_is_one_audited_change(client, small_plan, admin_user, planner):
    admin_user.is_staff = True
    admin_user.save()
    login(client, admin_user)
    response = client.post(
        reverse("admin:auth_user_change", args=[planner.pk]),
        {
            "username": "pianificatore",
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "groups": [Group.objects.get(name=Role.OIV).pk],
            "date_joined_0": "2017-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = audit_rows(client, tipo="auth.user")
    change = [r for r in rows if "Utente · pianificatore" in r[2] and r[4] == "Gruppi"]
    assert len(change) == 1
    assert change[0][5:7] == ["Pianificazione", "OIV"] and change[0][1] == "amministratore"


def test_measurement_changes_are_listed_with_their_comment(client, small_plan, planner):
    from consuntivi.models import Measurement

    measurement = Measurement.objects.filter(indicator__objective__plan=small_plan).first()
    MeasurementChange.objects.create(
        measurement=measurement, user=planner, action="return", field="Stato", old_value="Inviato",
        new_value="Da rivedere", comment="Manca la fonte",
    )  # fmt: skip
    login(client, planner)
    row = line(audit_rows(client, tipo="indicators.measurementchange"), "Consuntivo 2017", "Stato")
    assert row[1] == "pianificatore" and row[5:8] == ["Inviato", "Da rivedere", "Manca la fonte"]


def test_a_write_without_a_user_reads_sistema(client, small_plan, planner):
    with audit_context(user=None, reason="Caricamento notturno"):
        BilancioLine.objects.create(ente=small_plan.ente, year=2016, code="1", amount=1)
    login(client, planner)
    row = line(audit_rows(client), "Bilancio 2016 · voce 1")
    assert row[1] == "Sistema" and row[-1] == "Caricamento notturno"


# --- bulk writes -----------------------------------------------------------------------------------------------


def test_a_plan_copy_records_every_copied_row_in_bulk(small_plan, planner, django_assert_max_num_queries):
    copy = editing.plan_copy_to_next_cycle(plan=small_plan, user=planner)
    objectives = Objective.history.filter(plan_id=copy.pk, history_type="+")
    assert objectives.count() == Objective.objects.filter(plan=copy).count() == 4
    assert {h.history_user_id for h in objectives} == {planner.pk}
    assert {h.audit_ente for h in objectives} == {small_plan.ente_id}
    assert (
        Target.history.filter(audit_plan=copy.pk).count()
        == Target.objects.filter(indicator__objective__plan=copy).count()
    )
    assert Indicator.history.filter(audit_plan=copy.pk, history_type="+").count() == 3


def test_weights_and_renumbering_are_recorded_with_the_reason(small_plan, planner):
    adopt(small_plan, planner)
    indicators = list(Indicator.objects.filter(objective__code="101", objective__plan=small_plan).order_by("position"))
    editing.weights_set(plan=small_plan, items=indicators, weights=[70, 30], user=planner, reason="Riequilibrio")
    rows = Indicator.history.filter(history_type="~", audit_plan=small_plan.pk)
    assert rows.count() == 2
    assert {(r.history_change_reason, r.history_user_id) for r in rows} == {("Riequilibrio", planner.pk)}


def test_record_bulk_writes_one_insert_and_needs_primary_keys(small_plan, planner, django_assert_num_queries):
    targets = list(Target.objects.filter(indicator__objective__plan=small_plan))
    with audit_context(user=planner, reason="Correzione massiva"), django_assert_num_queries(3):
        # one insert, plus the indicators' plan/ente/label (two queries)
        assert record_bulk(Target, targets, history_type="~") == len(targets)
    assert Target.history.filter(history_change_reason="Correzione massiva").count() == len(targets)
    with pytest.raises(ValueError, match="primary key"):
        record_bulk(Target, [Target(indicator=targets[0].indicator, year=2030, raw="x")], history_type="+")
    with pytest.raises(ValueError, match="history_type"):
        record_bulk(Target, targets, history_type="?")


def test_a_subtree_delete_records_the_cascade_in_bulk(small_plan, planner):
    area = Objective.objects.get(plan=small_plan, code="1")
    count = Objective.objects.filter(plan=small_plan).count()
    with audit_context(user=planner, reason="Area soppressa"):
        delete_with_history(area)
    deleted = Objective.history.filter(history_type="-", audit_plan=small_plan.pk)
    assert deleted.count() == count
    assert Target.history.filter(history_type="-", audit_plan=small_plan.pk).exists()
    assert {r.history_change_reason for r in deleted} == {"Area soppressa"}


# --- the page --------------------------------------------------------------------------------------------------


def test_the_xlsx_export_has_the_same_rows_and_never_a_formula(client, small_plan, planner):
    adopt(small_plan, planner)
    objective = Objective.objects.get(plan=small_plan, code="101")
    editing.objective_update(objective=objective, user=planner, reason="=1+1", title='=HYPERLINK("x")')
    login(client, planner)
    page = audit_rows(client)
    response = client.get(reverse("audit:export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [[c.value or "" for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(page)
    merged = [[row[1], f"{row[2]} {row[3]}", *row[4:]] for row in cells]  # the page shows type and label in one cell
    assert merged == [[c.replace("—", "") for c in row[1:]] for row in page]
    formula = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert formula and all(c.data_type == "s" for c in formula)


def test_the_oiv_reads_it_and_changes_nothing(client, small_plan, oiv, planner):
    adopt(small_plan, planner)
    login(client, oiv)
    response = client.get(reverse("audit:index"))
    assert response.status_code == 200
    assert 'method="post"' not in response.content.decode().replace('method="post" action="/accounts/logout/"', "")
    assert client.get(reverse("audit:export")).status_code == 200
    assert client.post(reverse("audit:index")).status_code in (200, 405)
    assert Plan.history.filter(id=small_plan.pk).count() == 2  # the import and the adoption, nothing more


def test_a_responsabile_gets_403(client, small_plan, office_head):
    login(client, office_head)
    assert client.get(reverse("audit:index")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_another_entes_changes_are_not_shown(client, small_plan, planner, outsider, other_ente):
    with audit_context(user=outsider):
        OrgUnit.objects.create(ente=other_ente, code="SEGRETA", name="Unità dell'altro ente")
    with audit_context(user=planner):
        OrgUnit.objects.create(ente=small_plan.ente, code="NUOVA", name="Unità nostra")
    login(client, planner)
    text = " ".join(" ".join(r) for r in audit_rows(client))
    assert "NUOVA" in text and "SEGRETA" not in text
    login(client, outsider)
    text = " ".join(" ".join(r) for r in audit_rows(client))
    assert "SEGRETA" in text and "NUOVA" not in text


def test_the_filters_narrow_the_list(client, small_plan, planner, admin_user):
    adopt(small_plan, planner)
    with audit_context(user=admin_user, reason="Ricodifica"):
        OrgUnit.objects.create(ente=small_plan.ente, code="Z9", name="Nuova unità")
    login(client, planner)
    assert all("Unità" in r[2] for r in audit_rows(client, tipo="plans.orgunit"))
    assert all(r[1] == "amministratore" for r in audit_rows(client, utente=admin_user.pk))
    assert [r[2] for r in audit_rows(client, q="Ricodifica")] == ["Unità organizzativa Unità · Z9"]
    assert audit_rows(client, dal="2000-01-01", al="2000-01-02") == []
    assert (
        "Nessuna modifica con questi filtri"
        in client.get(reverse("audit:index"), {"q": "inesistente"}).content.decode()
    )


def test_the_empty_history_explains_itself(client, other_ente, outsider):
    from perfplan.audit_selectors import audited_models

    for model in audited_models().values():  # as on the day the history starts
        model.history.model.objects.all().delete()
    login(client, outsider)
    assert "Lo storico è ancora vuoto" in client.get(reverse("audit:index")).content.decode()


def test_the_nav_links_the_page_for_the_roles_that_read_it(client, small_plan, planner, office_head):
    login(client, planner)
    assert reverse("audit:index") in client.get(reverse("home")).content.decode()
    login(client, office_head)
    assert reverse("audit:index") not in client.get(reverse("home")).content.decode()


def test_the_page_runs_a_constant_number_of_queries(client, small_plan, planner, django_assert_max_num_queries):
    from consuntivi.models import Measurement

    adopt(small_plan, planner)
    objectives = list(Objective.objects.filter(plan=small_plan))
    targets = list(Target.objects.filter(indicator__objective__plan=small_plan))
    units = list(OrgUnit.objects.filter(ente=small_plan.ente))
    measurement = Measurement.objects.filter(indicator__objective__plan=small_plan).first()
    login(client, planner)

    def grow(times: int) -> None:
        with audit_context(user=planner, reason="Carico di prova"):
            for i in range(times):
                for o in objectives:
                    o.title = f"Titolo {i}"
                record_bulk(Objective, objectives, history_type="~")
                for t in targets:
                    t.raw = f">= {i}"
                record_bulk(Target, targets, history_type="~")
                for u in units:
                    u.name = f"Unità {i}"
                record_bulk(OrgUnit, units, history_type="~")
        MeasurementChange.objects.bulk_create(
            MeasurementChange(measurement=measurement, user=planner, action="save", field="Valore", new_value=str(i))
            for i in range(times * 3)
        )

    grow(10)
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse("audit:index")).status_code == 200
    grow(300)  # some 3,000 more historical rows and 900 changes of a consuntivo
    total = sum(model.history.model.objects.count() for model in (Objective, Target, OrgUnit))
    assert total > 3000
    with django_assert_max_num_queries(40) as large:
        response = client.get(reverse("audit:index"), {"pagina": 20})
        assert response.status_code == 200
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
    print(f"queries: {len(small.captured_queries)} on a short history, {len(large.captured_queries)} on {total} rows")
    assert len(audit_rows(client, pagina=3)) >= 50  # 50 changes a page, one line per changed field


def test_the_export_reads_the_history_in_chunks(small_plan, planner):
    adopt(small_plan, planner)
    rows = list(audit_export_rows(user=planner, filters=AuditFilters(plan_id=small_plan.pk)))
    assert rows and all(r.label for r in rows)
    assert get_user_model().objects.filter(username="pianificatore").exists()
    assert make_user  # the factory builds the personas used above
