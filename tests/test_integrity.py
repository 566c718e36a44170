"""Integrity of the record (issue 10): one lifecycle guard and one write path, whatever the way in.

A validated year is frozen for every write service and every path (browser import, command line, round import);
a command-line re-import signs its changes and leaves every page working; the import and the forms store the
same values and write the same revision for the same change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from consuntivi import services as entry_services
from consuntivi.models import Measurement, MeasurementChange, Round
from consuntivi.scores import plan_score
from indicators.models import Indicator, Target
from perfplan.actors import SYSTEM_LABEL
from perfplan.roles import Role
from plans import editing
from plans.models import Objective, Plan, PlanRevision, PlanYear, YearState
from reports import services as report_services
from reports.models import (
    ArtifactKind,
    BilancioLine,
    BudgetLine,
    CycleActivity,
    KeyIndicator,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
)
from tests.consuntivi.factories import entry
from tests.factories import FIXTURES, PASSWORD, make_user, sheets, workbook_bytes
from tests.reports.conftest import (  # noqa: F401 - fixtures
    YEAR,
    approved_relazione,
    closed_relazione,
    relazione,
    validated_relazione,
)
from workbook import round_sheet
from workbook.plan_import import plan_import
from workbook.writer import plan_export

FROZEN_MODELS = [
    Plan,
    PlanYear,
    Objective,
    Indicator,
    Target,
    Round,
    Measurement,
    MeasurementChange,
    PlanRevision,
    Relazione,
    BudgetLine,
    BilancioLine,
    PromoAmount,
    KeyIndicator,
    CycleActivity,
    RelazioneArtifact,
]


def fingerprint() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in FROZEN_MODELS}


def frozen_record(signed: Relazione) -> tuple:
    """What the OIV signed: the year's ente score, every node score, and the stored PDF's bytes."""
    scoring = plan_score(plan=signed.plan, year=YEAR)
    artifact = RelazioneArtifact.objects.get(relazione=signed, kind=ArtifactKind.FINAL, superseded_at=None)
    nodes = {pk: node.score for pk, node in scoring.result.nodes.items()}
    return scoring.result.score, nodes, hashlib.sha256(artifact.file.open("rb").read()).hexdigest()


def edited_export(plan: Plan, *, targets=None, values=None) -> BytesIO:
    """The plan's own export with some cells changed: targets {(objective, indicator, year): text},
    consuntivi {(objective, indicator): value}; an indicator is its code or, when uncoded, its name."""
    book = load_workbook(BytesIO(plan_export(plan=plan)))
    sheet = book["Indicatori"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        key = (row[0].value, row[1].value or row[2].value)
        for (objective, indicator, year), text in (targets or {}).items():
            if key == (objective, indicator):
                row[header.index(f"Target {year}")].value = text
    sheet = book["Consuntivi"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        key = (row[0].value, row[1].value or row[2].value)
        if key in (values or {}):
            row[header.index("Valore")].value = values[key]
            row[header.index("Numeratore")].value = None
            row[header.index("Denominatore")].value = None
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.fixture
def frozen(validated_relazione, planner, office_head, admin_user, oiv):  # noqa: F811 - fixture from tests.reports
    plan = validated_relazione.plan
    return {
        "relazione": validated_relazione,
        "plan": plan,
        "planner": planner,
        "admin": admin_user,
        "head": office_head,
        "oiv": oiv,
        "round": Round.objects.get(plan=plan, year=YEAR, final=True),
        "area": Objective.objects.get(plan=plan, code="1"),
        "os": Objective.objects.get(plan=plan, code="101"),
        "action": Objective.objects.get(plan=plan, code="1011.0101"),
        "f1": Indicator.objects.get(objective__plan=plan, code="F1"),
        "report": Indicator.objects.get(objective__plan=plan, name="Report pubblicati entro la scadenza"),
    }


def _reimport_changing_2017(c):
    source = edited_export(c["plan"], targets={("101", "F1", 2017): ">= 100"})
    report = plan_import(source=source, reason="Correzione", user=c["planner"], ente=c["plan"].ente)
    if not report.ok:
        raise ValidationError([str(e) for e in report.errors])


# Every write service, called by a role that could otherwise make it, on the validated year 2017.
WRITES = {
    "objective_create": lambda c: editing.objective_create(
        plan=c["plan"], parent=None, user=c["planner"], reason="x", code="9", level="area", title="Nuova area"
    ),
    "objective_update": lambda c: editing.objective_update(
        objective=c["os"], user=c["planner"], reason="x", title="Altro titolo"
    ),
    "objective_move": lambda c: editing.objective_move(
        objective=c["action"], parent=c["os"], position=0, user=c["planner"], reason="x"
    ),
    "objective_delete": lambda c: editing.objective_delete(objective=c["action"], user=c["planner"], reason="x"),
    "weights_set": lambda c: editing.weights_set(
        plan=c["plan"], items=[c["area"]], weights=[Decimal(60)], user=c["planner"], reason="x"
    ),
    "indicator_create": lambda c: editing.indicator_create(
        objective=c["os"], user=c["planner"], reason="x", name="Nuovo indicatore"
    ),
    "indicator_update": lambda c: editing.indicator_update(
        indicator=c["f1"], user=c["planner"], reason="x", name="Altro nome"
    ),
    "indicator_delete": lambda c: editing.indicator_delete(indicator=c["f1"], user=c["planner"], reason="x"),
    "target_set": lambda c: editing.target_set(
        indicator=c["f1"], year=YEAR, raw=">= 100", reason="x", user=c["planner"]
    ),
    "plan_rules_update": lambda c: editing.plan_rules_update(plan=c["plan"], user=c["planner"], reason="x", cap=False),
    "measurements_save": lambda c: entry_services.measurements_save(
        data_round=c["round"], user=c["head"], entries=[entry(c["report"], "30/09/2017")]
    ),
    "unit_submit": lambda c: entry_services.unit_submit(
        data_round=c["round"], unit_id=c["head"].led_units.get().pk, user=c["head"]
    ),
    "measurement_accept": lambda c: entry_services.measurement_accept(
        data_round=c["round"], indicator_ids=[c["f1"].pk], user=c["planner"]
    ),
    "measurement_return": lambda c: entry_services.measurement_return(
        data_round=c["round"], indicator_id=c["f1"].pk, user=c["planner"], comment="Rivedere"
    ),
    "measurement_set_manual": lambda c: entry_services.measurement_set_manual(
        data_round=c["round"],
        indicator_id=c["f1"].pk,
        user=c["planner"],
        achievement=Decimal(50),
        reason="x",
        version=1,
    ),
    "round_open": lambda c: entry_services.round_open(plan=c["plan"], year=YEAR, period="semester", user=c["planner"]),
    "round_reopen": lambda c: entry_services.round_reopen(data_round=c["round"], user=c["planner"], reason="x"),
    "round_import": lambda c: round_sheet.round_import(
        data_round=c["round"],
        source=workbook_bytes(
            {"Consuntivi": [sheets()["Consuntivi"][0], ["101", "F1", "", YEAR, "100", None, None, "Corretto"]]}
        ),
        user=c["planner"],
    ),
    "year_close": lambda c: entry_services.year_close(plan=c["plan"], year=YEAR, user=c["planner"], confirmed=True),
    "relazione_update_texts": lambda c: report_services.relazione_update_texts(
        relazione=c["relazione"], texts={"premessa": "Cambiata"}, user=c["planner"]
    ),
    "relazione_update_budget": lambda c: report_services.relazione_update_budget(
        relazione=c["relazione"], values={"proventi": "1.000"}, user=c["planner"]
    ),
    "relazione_update_bilancio": lambda c: report_services.relazione_update_bilancio(
        relazione=c["relazione"], values={(YEAR, "1"): "1"}, user=c["planner"]
    ),
    "relazione_update_promo": lambda c: report_services.relazione_update_promo(
        relazione=c["relazione"], values={c["os"].pk: "1.000"}, user=c["planner"]
    ),
    "relazione_add_key_indicator": lambda c: report_services.relazione_add_key_indicator(
        relazione=c["relazione"], indicator_id=c["f1"].pk, group="Indici", order=1, user=c["planner"]
    ),
    "cycle_activities_replace": lambda c: report_services.cycle_activities_replace(
        relazione=c["relazione"],
        rows=[report_services.ActivityInput("Piano", "Segretario", "Giunta", "01/09", "31/01")],
        user=c["planner"],
    ),
    "relazione_approve": lambda c: report_services.relazione_approve(
        relazione=c["relazione"], organ="Giunta", number="1", date=dt.date(2018, 6, 1), user=c["planner"]
    ),
    "plan_import": _reimport_changing_2017,
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_service_refuses_the_validated_year(frozen, write):
    before, signed = fingerprint(), frozen_record(frozen["relazione"])
    with pytest.raises((ValidationError, PermissionDenied)):
        WRITES[write](frozen)
    assert fingerprint() == before
    assert frozen_record(frozen["relazione"]) == signed


def test_the_guard_names_the_year_and_the_rule(frozen):
    with pytest.raises(ValidationError, match="L'anno 2017 è validato dall'OIV: i suoi target"):
        WRITES["target_set"](frozen)
    with pytest.raises(ValidationError, match="L'anno 2017 è validato dall'OIV: obiettivi, indicatori e pesi"):
        WRITES["weights_set"](frozen)


# --- every path into a frozen year ------------------------------------------------------------------------------


def _edited_2017(plan: Plan) -> BytesIO:
    """The issue's scenario: a 2017 target and the 2017 consuntivi changed in the exported workbook."""
    return edited_export(
        plan,
        targets={("101", "F1", 2017): ">= 100"},
        values={("101", "F1"): 50, ("101", "Tempo medio di pagamento"): 99},
    )


def test_the_browser_import_refuses_a_workbook_that_changes_the_validated_year(frozen):
    before, signed = fingerprint(), frozen_record(frozen["relazione"])
    client = Client()
    client.login(username=frozen["planner"].username, password=PASSWORD)
    upload = _edited_2017(frozen["plan"])
    upload.name = "piano.xlsx"
    preview = client.post("/piani/importa/", {"file": upload})
    token = preview["Location"].rstrip("/").split("/")[-1]
    response = client.post(f"/piani/importa/{token}/conferma/", {"reason": "Correzione dei dati"})
    page = response.content.decode()
    assert "L&#x27;anno 2017 è validato dall&#x27;OIV: i suoi target" in page
    assert '<td>Indicatori</td><td class="num">2</td><td>Target 2017</td>' in page  # sheet, row, column
    assert "nel file «&gt;= 100», nel piano «&gt;= 350»" in page
    assert "i consuntivi sono in sola lettura" in page  # the two values, on the Consuntivi sheet
    assert fingerprint() == before and frozen_record(frozen["relazione"]) == signed


def test_the_command_line_import_refuses_it_naming_the_year_and_the_rows(frozen, tmp_path):
    before, signed = fingerprint(), frozen_record(frozen["relazione"])
    path = tmp_path / "piano.xlsx"
    path.write_bytes(_edited_2017(frozen["plan"]).getvalue())
    err = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("import_plan", str(path), "--motivo", "x", "--utente", frozen["planner"].username, stderr=err)
    assert exit_code.value.code == 1
    lines = err.getvalue().splitlines()
    assert any("foglio «Indicatori», riga 2, colonna «Target 2017»: L'anno 2017 è validato" in li for li in lines)
    assert sum("foglio «Consuntivi»" in li and "i consuntivi sono in sola lettura" in li for li in lines) == 2
    assert fingerprint() == before and frozen_record(frozen["relazione"]) == signed


def test_the_round_import_page_refuses_it(frozen):
    before, signed = fingerprint(), frozen_record(frozen["relazione"])
    client = Client()
    client.login(username=frozen["planner"].username, password=PASSWORD)
    upload = workbook_bytes(
        {"Consuntivi": [sheets()["Consuntivi"][0], ["101", "F1", "", YEAR, "100", None, None, "Corretto"]]}
    )
    upload.name = "consuntivi.xlsx"
    response = client.post(f"/consuntivi/rilevazioni/{frozen['round'].pk}/importa/", {"file": upload})
    assert response.status_code == 403
    assert fingerprint() == before and frozen_record(frozen["relazione"]) == signed


def test_a_reimport_that_leaves_the_validated_year_identical_goes_through(frozen):
    source = edited_export(frozen["plan"], targets={("101", "F1", 2018): ">= 400"})
    signed = frozen_record(frozen["relazione"])
    report = plan_import(source=source, reason="Nuovo target 2018", user=frozen["planner"], ente=frozen["plan"].ente)
    assert report.ok, [str(e) for e in report.errors]
    assert report.updated["target"] == 1 and report.updated["consuntivi"] == 0
    assert Target.objects.get(indicator=frozen["f1"], year=2018, is_current=True).raw == ">= 400"
    assert frozen_record(frozen["relazione"]) == signed


def test_only_the_admin_reopens_the_year_and_then_the_import_goes_through(frozen):
    with pytest.raises(PermissionDenied):
        report_services.relazione_reopen(relazione=frozen["relazione"], reason="Errore", user=frozen["planner"])
    report_services.relazione_reopen(relazione=frozen["relazione"], reason="Errore nei dati F1", user=frozen["admin"])
    # Reopened to «consuntivo chiuso»: targets and values wait until the monitoring is reopened too.
    report = plan_import(
        source=_edited_2017(frozen["plan"]), reason="Correzione", user=frozen["planner"], ente=frozen["plan"].ente
    )
    assert not report.ok and "il consuntivo 2017 è chiuso" in str(report.errors[0]).lower()
    entry_services.round_reopen(data_round=frozen["round"], user=frozen["planner"], reason="Correzione F1")
    report = plan_import(
        source=_edited_2017(frozen["plan"]), reason="Correzione", user=frozen["planner"], ente=frozen["plan"].ente
    )
    assert report.ok, [str(e) for e in report.errors]
    # Every changed consuntivo has its history, signed by who imported, with old → new.
    change = MeasurementChange.objects.filter(measurement__indicator=frozen["f1"], action="import", field="Valore")
    assert (change.latest("id").old_value, change.latest("id").new_value) == ("382", "50")
    assert change.latest("id").user == frozen["planner"]


# --- closing a year ---------------------------------------------------------------------------------------------


def test_a_closed_year_takes_no_value_even_from_a_round_left_open(small_plan, planner, office_head):
    rnd = entry_services.round_open(plan=small_plan, year=YEAR, period="semester", user=planner)
    entry_services.year_close(plan=small_plan, year=YEAR, user=planner, confirmed=True)
    rnd.refresh_from_db()
    assert rnd.state == "closed" and not Round.objects.filter(plan=small_plan, year=YEAR, state="open").exists()
    report = Indicator.objects.get(objective__plan=small_plan, name="Report pubblicati entro la scadenza")
    for call in (
        lambda: entry_services.measurements_save(
            data_round=rnd, user=office_head, entries=[entry(report, "30/09/2017")]
        ),
        lambda: entry_services.unit_submit(data_round=rnd, unit_id=office_head.led_units.get().pk, user=office_head),
    ):
        with pytest.raises(PermissionDenied, match="il consuntivo 2017 è chiuso|è chiuso"):
            call()
    with pytest.raises(ValidationError, match="riaprire prima la rilevazione finale"):
        entry_services.round_reopen(data_round=rnd, user=planner, reason="Un valore in ritardo")


def test_closing_with_pending_units_needs_the_confirmation(small_plan, planner):
    with pytest.raises(ValidationError, match="1 unità non ha inviato, 1 valore mancante"):
        entry_services.year_close(plan=small_plan, year=YEAR, user=planner)
    assert PlanYear.objects.get(plan=small_plan, year=YEAR).state == YearState.PLANNED


# --- the command line signs its writes --------------------------------------------------------------------------


def _modena_with_2018_target(tmp_path, plan: Plan) -> str:
    name = (
        "Pubblicazioni e aggiornamenti di dati e notizie economiche e/o di interesse per le imprese divulgate "
        "mediante sito camerale"
    )
    source = edited_export(plan, targets={("101", name, 2018): ">= 360"})
    path = tmp_path / "modena.xlsx"
    path.write_bytes(source.getvalue())
    return str(path)


@pytest.fixture
def modena(db) -> Plan:
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok
    return Plan.objects.get(pk=report.plan_id)


def test_a_command_line_reimport_of_an_adopted_plan_needs_a_user_and_every_page_still_works(modena, tmp_path):
    path = _modena_with_2018_target(tmp_path, modena)
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_plan", path, "--motivo", "Rimodulazione", stderr=err)
    assert "--utente" in err.getvalue() and not PlanRevision.objects.exists()

    planner = make_user("pianificazione", Role.PLANNER, modena.ente)
    out = StringIO()
    call_command("import_plan", path, "--motivo", "Rimodulazione", "--utente", "pianificazione", stdout=out, stderr=err)
    revision = PlanRevision.objects.get()
    assert (revision.user, revision.field, revision.old_value, revision.new_value) == (
        planner,
        "target 2018",
        ">= 350",
        ">= 360",
    )
    # The audit history has the import's writes too: the retired version and the new one, signed and explained.
    history = Target.history.filter(history_user=planner, history_change_reason="Rimodulazione")
    assert sorted((h.history_type, h.raw, h.is_current) for h in history) == [
        ("+", ">= 360", True),
        ("~", ">= 350", False),
    ]
    unit = modena.ente.org_units.order_by("code").first()
    people = {
        "pianificazione": planner,
        "responsabile": make_user("responsabile", Role.OFFICE_HEAD, modena.ente, units=[unit]),
        "oiv": make_user("oiv", Role.OIV, modena.ente),
        "amministratore": make_user("amministratore", Role.ADMIN, modena.ente),
    }
    revision.user.delete()  # a revision whose author was deleted reads «utente eliminato», never a 500
    pages = [
        f"/piani/{modena.pk}/",
        f"/piani/{modena.pk}/revisioni/",
        f"/piani/{modena.pk}/stampa/",
        f"/punteggi/{modena.pk}/unita/",
        f"/relazioni/{modena.pk}/2017/",
        f"/piani/{modena.pk}/obiettivi/{modena.objectives.get(code='101').pk}/",
    ]
    for name, user in people.items():
        if name == "pianificazione":
            continue  # deleted with its revision's link
        client = Client()
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
        assert "utente eliminato" in client.get(f"/piani/{modena.pk}/revisioni/").content.decode()


def test_an_unsigned_command_line_import_is_signed_by_the_system_actor(tmp_path, db):
    path = tmp_path / "piano.xlsx"
    path.write_bytes(workbook_bytes().getvalue())
    call_command("import_plan", str(path), stdout=StringIO(), stderr=StringIO())
    change = MeasurementChange.objects.filter(action="import").first()
    assert change is not None and change.user.username == "sistema" and not change.user.is_active
    client = Client()
    viewer = make_user("oiv", Role.OIV, Plan.objects.get().ente)
    client.force_login(viewer)
    rnd = Round.objects.get()
    page = client.get(f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{change.measurement.indicator_id}/storico/")
    assert page.status_code == 200 and SYSTEM_LABEL in page.content.decode()


def test_the_command_line_checks_the_named_user_against_the_permissions_table(tmp_path, small_plan, oiv):
    path = tmp_path / "piano.xlsx"
    path.write_bytes(workbook_bytes().getvalue())
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Il tuo ruolo non consente di importare"):
        call_command("import_plan", str(path), "--utente", oiv.username, stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="inesistente"):
        call_command("import_plan", str(path), "--utente", "nessuno", stdout=StringIO(), stderr=StringIO())


# --- the same change, by form and by import ---------------------------------------------------------------------


def test_import_and_form_store_the_same_values_and_write_the_same_revisions(db):
    adopted = sheets()
    adopted["Piano"][6] = ["Delibera", "Delibera di Giunta n. 12 del 30/01/2017"]
    plans = {}
    for code in ("FORM", "XLSX"):
        adopted["Piano"][2] = ["Codice ente", code]
        report = plan_import(source=workbook_bytes(adopted))
        plans[code] = Plan.objects.get(pk=report.plan_id)
    by_form, by_import = plans["FORM"], plans["XLSX"]
    planner_f = make_user("pian_form", Role.PLANNER, by_form.ente)
    planner_x = make_user("pian_xlsx", Role.PLANNER, by_import.ente)
    reason = "Rimodulazione di luglio"

    # The form: weight 33,345 on OS 101, its unit A1 → U1; the 2018 target of F1; the baseline of F1.
    os_form = by_form.objectives.get(code="101")
    editing.objective_update(
        objective=os_form,
        user=planner_f,
        reason=reason,
        weight=Decimal("33.345"),
        org_unit=by_form.ente.org_units.get(code="U1"),
    )
    f1 = Indicator.objects.get(objective__plan=by_form, code="F1")
    editing.target_set(indicator=f1, year=2018, raw=">= 360", reason=reason, user=planner_f)
    editing.indicator_update(indicator=f1, user=planner_f, reason=reason, baseline_year=2016, baseline_raw="390")

    # The import: the same three changes in the workbook.
    changed = sheets(Piano=[row[:] for row in adopted["Piano"]])
    changed["Piano"][2] = ["Codice ente", "XLSX"]
    changed["Obiettivi"][2] = ["101", "Obiettivo strategico", "1", "Informazione economica", 33.345, None, "U1"]
    changed["Indicatori"][1][8] = "390"  # Baseline
    changed["Indicatori"][1][10] = ">= 360"  # Target 2018
    report = plan_import(source=workbook_bytes(changed), reason=reason, user=planner_x, ente=by_import.ente)
    assert report.ok, [str(e) for e in report.errors]

    # 33,345 is rounded half up on both paths (half-even would give 33,34).
    assert os_form.weight == by_import.objectives.get(code="101").weight == Decimal("33.35")

    def revisions(plan):
        return sorted(
            PlanRevision.objects.filter(plan=plan).values_list(
                "subject_type", "subject_code", "field", "old_value", "new_value", "reason"
            )
        )

    assert (
        revisions(by_form)
        == revisions(by_import)
        == [
            ("indicator", "101 / F1", "baseline", "382", "390", reason),
            ("objective", "101", "org_unit", "A1", "U1", reason),
            ("target", "101 / F1", "target 2018", ">= 350", ">= 360", reason),
            ("weight", "101", "weight", "100", "33,35", reason),
        ]
    )
    assert set(PlanRevision.objects.values_list("user__username", flat=True)) == {"pian_form", "pian_xlsx"}
