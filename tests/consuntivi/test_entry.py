"""«I miei indicatori»: what a Responsabile sees, enters, previews, submits, and every refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from consuntivi.models import Evidence, Measurement, MeasurementChange
from consuntivi.services import measurements_save, round_close, unit_submit
from perfplan.roles import Role
from plans.models import OrgUnit, PlanYear, YearState
from tests.consuntivi.factories import client_for, entry, indicator, open_round, synthetic_round
from tests.factories import make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def rnd(plan, who):
    """The annual 2017 round, with a deadline the entry pages show (overrides conftest's)."""
    return open_round(plan, who["planner"], deadline=dt.date(2018, 2, 28))


@pytest.fixture
def u1(plan):
    """The three U1 indicators: a deadline, an Algoritmo with variables, a ratio of measures (in %)."""
    return {
        "deadline": indicator(plan, "Report pubblicati entro la scadenza"),
        "liquidity": indicator(plan, "Indice di liquidità"),
        "ratio": indicator(plan, "Pratiche evase nei termini"),
    }


def u1_post(u1, *, note: str = "Carenza di personale nel secondo semestre", versions=(0, 0, 0), **extra) -> dict:
    deadline, liquidity, ratio = u1["deadline"].pk, u1["liquidity"].pk, u1["ratio"].pk
    return {
        f"m{deadline}-version": versions[0],
        f"m{deadline}-value": "2017-09-28",
        f"m{liquidity}-version": versions[1],
        f"m{liquidity}-var_Liq_Imm": "13.092.700",
        f"m{liquidity}-var_PassCorr": "4.352.680",
        f"m{ratio}-version": versions[2],
        f"m{ratio}-numerator": "40",
        f"m{ratio}-denominator": "50",
        f"m{ratio}-note": note,
        **extra,
    }


def save_url(rnd, unit) -> str:
    return f"/consuntivi/rilevazioni/{rnd.pk}/unita/{unit.pk}/salva/"


# --- What a Responsabile sees -------------------------------------------------------------------------------


def test_a_responsabile_sees_exactly_the_indicators_of_their_units_grouped_by_objective(rnd, who, u1):
    response = client_for(who["head_u1"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/")
    assert response.status_code == 200
    [block] = response.context["data"].blocks
    assert block.unit.code == "U1"
    # 1011.0101 has no unit of its own: its indicator belongs to U1 through its parent 1011.01.
    assert [(objective.code, [r.indicator.name for r in rows]) for objective, rows in block.groups] == [
        ("1011.01", ["Report pubblicati entro la scadenza", "Indice di liquidità"]),
        ("1011.0101", ["Pratiche evase nei termini"]),
    ]
    html = response.content.decode()
    assert "Eventi organizzati" not in html and "Pubblicazioni sul sito camerale" not in html


def test_the_leader_of_an_area_also_sees_the_indicators_of_its_offices(plan, rnd, who):
    head_a1 = make_user("dirigente", Role.OFFICE_HEAD, plan.ente, units=[who["units"]["A1"]])
    response = client_for(head_a1).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/")
    assert [b.unit.code for b in response.context["data"].blocks] == ["A1", "U1", "U2"]


def test_each_row_shows_target_baseline_and_last_years_value(plan, who):
    rnd_2017 = open_round(plan, who["planner"])
    eventi = indicator(plan, "Eventi organizzati")
    measurements_save(data_round=rnd_2017, user=who["head_u2"], entries=[entry(eventi, "11")])
    rnd_2018 = open_round(plan, who["planner"], year=2018)
    html = client_for(who["head_u2"]).get(f"/consuntivi/rilevazioni/{rnd_2018.pk}/miei/").content.decode()
    assert "≥ 12" in html  # target 2018
    assert 'Anno precedente</dt><dd class="col-sm-4">11</dd>' in html
    assert 'Baseline</dt><dd class="col-sm-4">8</dd>' in html


def test_the_page_says_so_when_the_responsabile_has_nothing_to_enter(plan, rnd):
    lonely = make_user("senzaunita", Role.OFFICE_HEAD, plan.ente)
    html = client_for(lonely).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").content.decode()
    assert "Nessun indicatore da inserire" in html


# --- Entering values and measures ---------------------------------------------------------------------------


def test_values_and_measures_are_saved_as_a_draft_and_the_value_is_computed(rnd, who, u1):
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), u1_post(u1))
    assert response.status_code == 302
    saved = {m.indicator_id: m for m in Measurement.objects.filter(round=rnd)}
    assert {m.status for m in saved.values()} == {"bozza"} and {m.version for m in saved.values()} == {1}
    assert saved[u1["deadline"].pk].value_date == dt.date(2017, 9, 28)
    assert saved[u1["liquidity"].pk].variables == {"Liq_Imm": "13092700", "PassCorr": "4352680"}
    ratio = saved[u1["ratio"].pk]
    assert (ratio.numerator, ratio.denominator, ratio.updated_by) == (40, 50, who["head_u1"])
    page = client_for(who["head_u1"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/")
    scores = {r.indicator.pk: r.score for r in page.context["data"].blocks[0].rows}
    # 40 / 50 × 100 = 80 % against ">= 90 %": 80 / 90 × 100 = 88,89; 13.092.700 / 4.352.680 = 3,008 ≥ 1,5 → 100.
    assert scores[u1["ratio"].pk].achievement == Decimal("88.89")
    assert scores[u1["liquidity"].pk].achievement == Decimal("100.00")
    assert scores[u1["deadline"].pk].achievement == Decimal("100.00")


def test_the_live_preview_shows_the_achievement_and_asks_for_a_note(rnd, who, u1):
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{u1['ratio'].pk}/anteprima/"
    response = client_for(who["head_u1"]).post(url, u1_post(u1, note=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert "88,89 %" in html and "80" in html and "la nota sullo scostamento è obbligatoria" in html
    assert not Measurement.objects.exists()  # a preview writes nothing
    met = u1_post(u1)
    met[f"m{u1['ratio'].pk}-numerator"] = "48"  # 48 / 50 = 96 % ≥ 90 %
    html = client_for(who["head_u1"]).post(url, met).content.decode()
    assert "100,00 %" in html and "Target raggiunto" in html


def test_the_preview_reports_a_value_it_cannot_read(rnd, who, u1):
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{u1['ratio'].pk}/anteprima/"
    html = client_for(who["head_u1"]).post(url, u1_post(u1, **{f"m{u1['ratio'].pk}-numerator": "quaranta"}))
    assert "«quaranta» non è un numero" in html.content.decode()


def test_a_missed_target_without_a_note_saves_the_other_rows_and_marks_that_one(rnd, who, u1):
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), u1_post(u1, note=""))
    assert response.status_code == 200
    # the other two rows were valid: saved; the third keeps its input, its error and a link from the summary
    assert set(Measurement.objects.values_list("indicator_id", flat=True)) == {u1["deadline"].pk, u1["liquidity"].pk}
    form = response.context["forms"][u1["ratio"].pk]
    assert form.errors["note"] == ["Il target non è raggiunto: spiegare lo scostamento nella nota."]
    html = response.content.decode()
    note_id = f"id_m{u1['ratio'].pk}-note"
    assert f'href="#{note_id}"' in html and "1 valore non salvato" in html and "Salvati 2 valori" in html
    assert f'aria-describedby="{note_id}-err"' in html and f'id="{note_id}-err"' in html
    assert 'aria-invalid="true"' in html and 'value="40"' in html
    # the live panel shows the typed values' achievement, not «Consuntivo non inserito»
    row_html = html[html.index(f'id="ind-{u1["ratio"].pk}"') :]
    row_html = row_html[: row_html.index("</article>")]
    assert "non ancora salvato" in row_html and "Consuntivo non inserito" not in row_html


def test_an_unreadable_number_is_refused_with_the_field_named(rnd, who, u1):
    data = u1_post(u1, **{f"m{u1['ratio'].pk}-denominator": "50 pratiche?"})
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), data)
    assert response.status_code == 200
    assert not Measurement.objects.filter(indicator=u1["ratio"]).exists() and Measurement.objects.count() == 2
    assert response.context["forms"][u1["ratio"].pk].errors["denominator"] == [
        "«50 pratiche?» non è un numero (esempi: 1.250 oppure 33,34)."
    ]


def test_a_deadline_not_met_is_explained_and_not_done_is_a_choice(rnd, who, u1, plan):
    data = u1_post(u1, **{f"m{u1['deadline'].pk}-value": "", f"m{u1['deadline'].pk}-not_done": "on"})
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), data)
    assert response.status_code == 200
    assert "note" in response.context["forms"][u1["deadline"].pk].errors
    data[f"m{u1['deadline'].pk}-note"] = "Rinviato per il cambio del sistema informativo"
    assert client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), data).status_code == 302
    m = Measurement.objects.get(indicator=u1["deadline"])
    assert (m.not_done, m.raw, m.value_date) == (True, "NO", None)


# --- Submitting ---------------------------------------------------------------------------------------------


def test_submitting_needs_every_value_then_sends_the_whole_unit(rnd, who, u1):
    client = client_for(who["head_u1"])
    partial = u1_post(u1)
    for key in [k for k in partial if k.startswith(f"m{u1['liquidity'].pk}-var")]:
        del partial[key]
    response = client.post(save_url(rnd, who["units"]["U1"]), {**partial, "invia": "1"}, follow=True)
    assert "Invio non effettuato: LIQ - Indice di liquidità: manca il valore" in response.content.decode()
    assert set(Measurement.objects.values_list("status", flat=True)) == {"bozza"}
    client.post(save_url(rnd, who["units"]["U1"]), {**u1_post(u1, versions=(1, 0, 1)), "invia": "1"})
    assert list(Measurement.objects.values_list("status", flat=True).distinct()) == ["inviato"]
    submitted = MeasurementChange.objects.filter(action="submit")
    assert submitted.count() == 3 and {c.user for c in submitted} == {who["head_u1"]}


def test_a_submitted_value_can_no_longer_be_changed_by_the_unit(rnd, who, plan):
    eventi = indicator(plan, "Eventi organizzati")
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "12")])
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    result = measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "15", version=2)])
    assert (
        "si può modificare solo dopo che l'ufficio pianificazione lo restituisce" in result.errors[eventi.pk]["value"]
    )
    assert Measurement.objects.get(indicator=eventi).value_number == 12


# --- Refusals: other units, other enti, closed rounds, validated years, other roles --------------------------


def test_a_responsabile_cannot_write_another_units_values(rnd, who, plan):
    eventi = indicator(plan, "Eventi organizzati")  # U2's
    response = client_for(who["head_u1"]).post(
        save_url(rnd, who["units"]["U2"]), {f"m{eventi.pk}-version": 0, f"m{eventi.pk}-value": "99"}
    )
    assert response.status_code == 403 and not Measurement.objects.exists()
    with pytest.raises(PermissionDenied):
        measurements_save(data_round=rnd, user=who["head_u1"], entries=[entry(eventi, "99")])
    assert not Measurement.objects.exists()


def test_a_responsabile_cannot_preview_or_submit_another_units_indicators(rnd, who, plan):
    eventi = indicator(plan, "Eventi organizzati")
    client = client_for(who["head_u1"])
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/anteprima/"
    assert client.post(url, {f"m{eventi.pk}-version": 0}).status_code == 403
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "12")])
    with pytest.raises(PermissionDenied):
        unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u1"])
    assert Measurement.objects.get(indicator=eventi).status == "bozza"


def test_a_responsabile_of_another_ente_does_not_even_find_the_round(rnd, who, other_ente):
    unit = OrgUnit.objects.create(ente=other_ente, code="U1", name="Ufficio studi di un altro ente")
    stranger = make_user("resp_altrove", Role.OFFICE_HEAD, other_ente, units=[unit])
    client = client_for(stranger)
    assert client.get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").status_code == 404
    response = client.post(save_url(rnd, who["units"]["U1"]), {"anything": "1"})
    assert response.status_code == 404 and not Measurement.objects.exists()


def test_a_closed_round_refuses_values_and_shows_them_read_only(rnd, who, u1):
    client = client_for(who["head_u1"])
    client.post(save_url(rnd, who["units"]["U1"]), u1_post(u1))
    round_close(data_round=rnd, user=who["planner"], confirmed=True)
    before = list(Measurement.objects.values_list("pk", "version", "numerator"))
    response = client.post(save_url(rnd, who["units"]["U1"]), u1_post(u1, versions=(1, 1, 1), note="altro"))
    assert response.status_code == 403
    assert list(Measurement.objects.values_list("pk", "version", "numerator")) == before
    html = client.get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").content.decode()
    assert "La rilevazione è chiusa" in html and 'name="m' not in html
    html = client_for(who["head_u2"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").content.decode()
    assert "Mancante" in html  # a value never entered, shown read-only


def test_values_of_a_validated_year_are_read_only_for_everyone(rnd, who, u1, plan):
    client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), u1_post(u1))
    PlanYear.objects.filter(plan=plan, year=2017).update(state=YearState.VALIDATED)
    before = list(Measurement.objects.values_list("pk", "version", "status", "manual_achievement"))
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), u1_post(u1, versions=(1, 1, 1)))
    assert response.status_code == 403
    ratio = u1["ratio"].pk
    for user in (who["planner"], who["admin"]):
        response = client_for(user).post(
            f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{ratio}/manuale/",
            {"achievement": "95", "reason": "Dati del sistema di protocollo", "version": 1},
        )
        assert response.status_code == 403
    assert list(Measurement.objects.values_list("pk", "version", "status", "manual_achievement")) == before
    html = client_for(who["head_u1"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").content.decode()
    assert "validato dall'OIV" in html


@pytest.mark.parametrize("role", ["planner", "oiv"])
def test_only_responsabili_enter_values(rnd, who, u1, role):
    response = client_for(who[role]).post(save_url(rnd, who["units"]["U1"]), u1_post(u1))
    assert response.status_code == 403 and not Measurement.objects.exists()


# --- Concurrent edits and the history -----------------------------------------------------------------------


def test_the_second_of_two_saves_from_the_same_version_is_refused_and_shows_the_current_value(rnd, who, u1, plan):
    colleague = make_user("vice_studi", Role.OFFICE_HEAD, plan.ente, units=[who["units"]["U1"]])
    first, second = client_for(who["head_u1"]), client_for(colleague)
    first.post(save_url(rnd, who["units"]["U1"]), u1_post(u1))  # everyone starts from version 1
    mine = u1_post(u1, versions=(1, 1, 1), **{f"m{u1['ratio'].pk}-numerator": "44"})
    theirs = u1_post(u1, versions=(1, 1, 1), **{f"m{u1['ratio'].pk}-numerator": "45"})
    assert first.post(save_url(rnd, who["units"]["U1"]), mine).status_code == 302
    response = second.post(save_url(rnd, who["units"]["U1"]), theirs)
    assert response.status_code == 409
    html = response.content.decode()
    assert "1 valore non salvato" in html
    assert "modificato da resp_studi" in html and "(misure 44 / 50)" in html
    ratio = Measurement.objects.get(indicator=u1["ratio"])
    assert (ratio.numerator, ratio.version, ratio.updated_by) == (44, 2, who["head_u1"])
    # The refused form now carries the current version: saving again is a conscious overwrite.
    assert response.context["forms"][u1["ratio"].pk].data[f"m{u1['ratio'].pk}-version"] == "2"


def test_every_change_is_in_the_history_seen_by_the_planning_office_and_the_oiv(rnd, who, u1):
    client = client_for(who["head_u1"])
    client.post(save_url(rnd, who["units"]["U1"]), u1_post(u1))
    client.post(
        save_url(rnd, who["units"]["U1"]), u1_post(u1, versions=(1, 1, 1), **{f"m{u1['ratio'].pk}-numerator": "46"})
    )
    changes = MeasurementChange.objects.filter(measurement__indicator=u1["ratio"], field="Numeratore").order_by("id")
    assert [(c.old_value, c.new_value, c.user) for c in changes] == [
        ("", "40", who["head_u1"]),
        ("40", "46", who["head_u1"]),
    ]
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{u1['ratio'].pk}/storico/"
    for reader in (who["planner"], who["oiv"]):
        response = client_for(reader).get(url)
        assert response.status_code == 200 and "46" in response.content.decode()
    assert client.get(url).status_code == 403


# --- Evidence -----------------------------------------------------------------------------------------------


def test_a_pdf_is_attached_and_downloaded_by_the_planning_office(rnd, who, u1):
    data = u1_post(u1, **{f"m{u1['ratio'].pk}-evidence": SimpleUploadedFile("registro.pdf", PDF)})
    assert client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), data).status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.original_name, evidence.content_type, evidence.size) == (
        "registro.pdf",
        "application/pdf",
        len(PDF),
    )
    response = client_for(who["planner"]).get(f"/consuntivi/allegati/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert client_for(who["head_u2"]).get(f"/consuntivi/allegati/{evidence.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("programma.exe", b"MZ\x90\x00", "tipo di file non ammesso"),
        ("finto.pdf", b"<html>non un pdf</html>", "il contenuto non corrisponde a un file PDF"),
        ("foto.png", PDF, "il contenuto non corrisponde a un file PNG"),
    ],
)
def test_an_attachment_of_the_wrong_type_is_refused_and_nothing_is_saved(rnd, who, u1, name, content, message):
    data = u1_post(u1, **{f"m{u1['ratio'].pk}-evidence": SimpleUploadedFile(name, content)})
    response = client_for(who["head_u1"]).post(save_url(rnd, who["units"]["U1"]), data)
    assert response.status_code == 200
    assert message in response.context["forms"][u1["ratio"].pk].errors["evidence"][0]
    assert not Evidence.objects.exists() and not Measurement.objects.filter(indicator=u1["ratio"]).exists()


@override_settings(MAX_EVIDENCE_BYTES=1024)
def test_an_attachment_over_the_size_limit_is_refused(rnd, who, u1):
    big = SimpleUploadedFile("grande.pdf", PDF + b"0" * 2048)
    response = client_for(who["head_u1"]).post(
        save_url(rnd, who["units"]["U1"]), u1_post(u1, **{f"m{u1['ratio'].pk}-evidence": big})
    )
    assert response.status_code == 200 and not Evidence.objects.exists()
    assert "è troppo grande" in response.context["forms"][u1["ratio"].pk].errors["evidence"][0]


# --- Query counts -------------------------------------------------------------------------------------------


def test_my_indicators_runs_the_same_queries_for_a_small_and_a_six_times_larger_plan(db, django_assert_max_num_queries):
    counts, rows = [], []
    for operational, code in ((2, "SY1"), (12, "SY2")):
        rnd, head = synthetic_round(operational, code)
        client = client_for(head)
        client.get("/consuntivi/")  # warm the session and the user's roles, as in real use
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(20):
            response = client.get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/")
        counts.append(len(queries))
        rows.append(sum(b.total for b in response.context["data"].blocks))  # the units' rows, not only the page's
    assert rows[1] > 5 * rows[0]
    assert counts[0] == counts[1]
