"""plan_import: the workbook contract (spec/workbook.md), all-or-nothing, re-import in place."""

from decimal import Decimal

import pytest
from openpyxl import Workbook

from consuntivi.models import Measurement, Round
from indicators.models import Baseline, Indicator, Target
from perfplan.roles import Role
from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision, PlanState
from tests.factories import BASE_SHEETS, FIXTURES, make_user, sheets, workbook_bytes
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db

MODELS = [Ente, OrgUnit, Plan, Objective, Indicator, Baseline, Target, Round, Measurement, PlanRevision]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


def test_it_imports_the_small_plan_with_every_field():
    report = plan_import(source=workbook_bytes())
    assert report.ok, messages(report)
    plan = Plan.objects.get(pk=report.plan_id)
    assert (plan.ente.code, plan.start_year, plan.end_year, plan.state) == ("PR", 2017, 2019, PlanState.DRAFT)
    action = Objective.objects.get(code="1011.0101")
    assert action.parent.code == "1011.01" and action.level == "action"
    assert Objective.objects.get(code="101").org_unit.code == "A1"
    assert OrgUnit.objects.get(code="U1").parent.code == "A1"
    f1 = Indicator.objects.get(code="F1")
    assert (f1.unit, f1.polarity, f1.weight) == ("count", "higher_better", Decimal("50.00"))
    assert (f1.baselines.get().year, f1.baselines.get().value) == (2016, Decimal("382"))
    target = f1.targets.get(year=2017)
    assert (target.kind, target.comparator, target.number) == ("NUMBER", ">=", Decimal("350"))
    # "---" is "no target that year", kept as its text (targets.md D10), not a target of 0.
    assert f1.targets.get(year=2019).kind == "NONE"
    deadline = Indicator.objects.get(name="Report pubblicati entro la scadenza")
    assert deadline.unit == "date"  # inferred from the target
    assert str(deadline.targets.get(year=2017).deadline) == "2017-09-30"
    assert not deadline.targets.filter(year=2018).exists()  # empty cell: no target row
    paid = Measurement.objects.get(indicator__name="Tempo medio di pagamento")
    assert (paid.numerator, paid.denominator, paid.note) == (Decimal("2900"), Decimal("100"), "Ritardi di fine anno")
    assert paid.round.final and paid.round.year == 2017


def test_it_imports_the_ravenna_ferrara_fixture_with_its_30_70_split():
    report = plan_import(source=FIXTURES / "ravenna_ferrara_2021_2023.xlsx")
    assert report.ok, messages(report)
    plan = Plan.objects.get(pk=report.plan_id)
    levels = {lvl: plan.objectives.filter(level=lvl).count() for lvl in ("area", "strategic", "operational")}
    # RF: 3 areas (RF:1, 717, 984), 11 strategic objectives, 31 operational objectives (seeds/README.md)
    assert levels == {"area": 3, "strategic": 11, "operational": 31}
    assert set(plan.objectives.filter(level="strategic").values_list("indicator_share", flat=True)) == {Decimal(30)}
    assert plan.default_indicator_share == Decimal(30)
    assert plan.state == PlanState.ADOPTED and plan.act_number == "53" and str(plan.act_date) == "2021-07-21"
    weights = sorted(plan.objectives.filter(level="area").values_list("weight", flat=True))
    assert weights == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_it_reads_percent_formatted_cells_as_percent():
    wb_rows = sheets()
    buffer = workbook_bytes(wb_rows)
    from openpyxl import load_workbook

    wb = load_workbook(buffer)
    ws = wb["Obiettivi"]
    ws["E2"] = 0.3334  # Peso of area 1
    ws["E2"].number_format = "0.00%"
    patched = __import__("io").BytesIO()
    wb.save(patched)
    patched.seek(0)
    report = plan_import(source=patched)
    assert report.ok, messages(report)
    assert Objective.objects.get(code="1").weight == Decimal("33.34")


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing():
    before = row_counts()
    report = plan_import(source=workbook_bytes(), dry_run=True)
    assert report.ok and report.plan_id is None
    assert report.created["obiettivi"] == 4 and report.created["indicatori"] == 3
    assert row_counts() == before


def test_reimporting_updates_in_place_and_reports_rows_that_disappeared():
    first = plan_import(source=workbook_bytes())
    changed = sheets()
    changed["Obiettivi"][2][3] = "Informazione economica e statistica"  # new title for 101
    del changed["Obiettivi"][4]  # the action is gone from the file
    second = plan_import(source=workbook_bytes(changed))
    assert second.ok, messages(second)
    assert second.plan_id == first.plan_id
    assert Objective.objects.count() == 4  # nothing duplicated, nothing silently deleted
    assert Objective.objects.get(code="101").title == "Informazione economica e statistica"
    assert second.updated["obiettivi"] == 1
    assert second.missing == ["Obiettivo 1011.0101"]
    assert second.unchanged["indicatori"] == 3


def test_reimporting_an_adopted_plan_needs_a_reason_and_records_revisions():
    adopted = sheets()
    adopted["Piano"][6] = ["Delibera", "Delibera di Giunta n. 12 del 30/01/2017"]
    plan_import(source=workbook_bytes(adopted))
    changed = sheets(Piano=adopted["Piano"])
    changed["Indicatori"][1][9] = ">= 300"  # F1, Target 2017 was ">= 350"
    before = row_counts()

    refused = plan_import(source=workbook_bytes(changed))
    assert not refused.ok and "motivazione" in messages(refused)[0]
    assert row_counts() == before

    unsigned = plan_import(source=workbook_bytes(changed), reason="Rimodulazione di luglio")
    assert not unsigned.ok and "--utente" in messages(unsigned)[0]  # a change to an adopted plan has an author
    assert row_counts() == before

    planner = make_user("pianificazione_pr", Role.PLANNER, Ente.objects.get(code="PR"))
    accepted = plan_import(source=workbook_bytes(changed), reason="Rimodulazione di luglio", user=planner)
    assert accepted.ok, messages(accepted)
    versions = Target.objects.filter(indicator__code="F1", year=2017).order_by("version")
    assert [(t.raw, t.version, t.is_current) for t in versions] == [(">= 350", 1, False), (">= 300", 2, True)]
    revision = PlanRevision.objects.get()
    assert (revision.old_value, revision.new_value, revision.reason) == (">= 350", ">= 300", "Rimodulazione di luglio")
    assert revision.user == planner


def _rows_with_twenty_mistakes():
    bad = sheets()
    bad["Piano"][4] = ["Anno inizio", "duemila"]  # 1: year is not a number
    bad["Piano"][4] = ["Anno inizio", 2017]
    bad["Piano"][3] = ["Titolo", ""]  # 1: missing title
    bad["Unita organizzative"].append(["U9", "", "ZZ", ""])  # 2: unit without name, 3: unknown parent unit
    bad["Unita organizzative"].append(["U1", "Doppione", "", ""])  # 4: duplicate unit code
    bad["Obiettivi"] += [
        ["9", "Area tematica", "", "Tipo sbagliato", None, None, ""],  # 5: unknown Tipo
        ["102", "Obiettivo strategico", "7", "Padre inesistente", None, None, ""],  # 6: parent does not exist
        ["X1", "Obiettivo operativo", "X2", "Ciclo A", None, None, ""],  # 7: cycle in parents
        ["X2", "Obiettivo operativo", "X1", "Ciclo B", None, None, ""],  # 8: (the other half of the cycle)
        ["101", "Obiettivo strategico", "1", "Codice ripetuto", None, None, ""],  # 9: duplicate code
        ["103", "Obiettivo strategico", "1", "Peso testuale", "molto", None, ""],  # 10: text in a weight
        ["104", "Obiettivo strategico", "1", "Peso negativo", -5, None, ""],  # 11: negative weight
        ["105", "Obiettivo strategico", "", "Senza padre", None, None, ""],  # 12: missing parent
        ["106", "Obiettivo strategico", "1", "Quota fuori scala", None, 130, ""],  # 13: share above 100
    ]
    bad["Indicatori"] += [
        ["999", "", "Obiettivo inesistente", "", "", "", None, None, "", ">= 1", "", ""],  # 14: unknown objective
        ["101", "", "Unità strana", "", "litri", "", None, None, "", ">= 1", "", ""],  # 15: unknown unit
        ["101", "", "Polarità strana", "", "", "a volte", None, None, "", ">= 1", "", ""],  # 16: unknown polarity
        ["101", "", "Tre target in una cella", "", "", "", None, None, "", "3140 3140 3140", "", ""],  # 17: E_MULTI
    ]
    bad["Consuntivi"] += [
        ["101", "F1", "", 2025, "10", None, None, ""],  # 18: year outside the plan
        ["101", "", "Tempo medio di pagamento", 2018, "circa venti", None, None, ""],  # 19: unreadable value
        ["101", "F1", "", 2018, "", None, None, ""],  # 20: no value, no measures
    ]
    return bad


def test_a_workbook_with_twenty_mistakes_is_refused_with_one_message_each_and_nothing_written():
    plan_import(source=workbook_bytes())  # something already there, which must stay as it is
    before = row_counts()
    report = plan_import(source=workbook_bytes(_rows_with_twenty_mistakes()))
    assert not report.ok
    assert row_counts() == before
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    expected = {
        ("Piano", 4, "B"),
        ("Unita organizzative", 4, "Nome"),
        ("Unita organizzative", 4, "Codice padre"),
        ("Unita organizzative", 5, "Codice"),
        ("Obiettivi", 6, "Tipo"),
        ("Obiettivi", 7, "Codice padre"),
        ("Obiettivi", 8, "Codice padre"),
        ("Obiettivi", 9, "Codice padre"),
        ("Obiettivi", 10, "Codice"),
        ("Obiettivi", 11, "Peso"),
        ("Obiettivi", 12, "Peso"),
        ("Obiettivi", 13, "Codice padre"),
        ("Obiettivi", 14, "Quota indicatori"),
        ("Indicatori", 5, "Codice obiettivo"),
        ("Indicatori", 6, "Unità"),
        ("Indicatori", 7, "Polarità"),
        ("Indicatori", 8, "Target 2017"),
        ("Consuntivi", 4, "Anno"),
        ("Consuntivi", 5, "Valore"),
        ("Consuntivi", 6, "Valore"),
    }
    assert expected <= found, sorted(expected - found)
    assert len(report.errors) == len(expected), messages(report)
    # Every message says where, in Italian.
    text = "\n".join(messages(report))
    assert "foglio «Obiettivi», riga 10, colonna «Codice»: Codice «101» duplicato (già alla riga 3)." in text
    assert "La cella contiene più target (3)" in text


def test_a_missing_sheet_is_named():
    report = plan_import(source=workbook_bytes(sheets(Obiettivi=None)))
    assert messages(report) == ["foglio «Obiettivi»: Manca il foglio «Obiettivi»."]


def test_free_text_targets_are_kept_with_a_warning_not_refused():
    rows = sheets()
    rows["Indicatori"][3][9] = "Redazione di una relazione tecnica"  # FE:2250
    report = plan_import(source=workbook_bytes(rows))
    assert report.ok
    target = Target.objects.get(indicator__name="Report pubblicati entro la scadenza", year=2017)
    assert (target.kind, target.raw) == ("TEXT", "Redazione di una relazione tecnica")
    assert any(w.row == 4 and w.column == "Target 2017" and "manualmente" in w.message for w in report.warnings)


@pytest.mark.parametrize(
    ("cell", "token"), [(">= 3x0", "3x0"), (">=35O", "35O"), ("1,2,3", "1,2,3"), (">= 1e32", "1e32")]
)
def test_a_mistyped_number_in_a_target_cell_is_an_error_with_sheet_row_and_column(cell, token):
    rows = sheets()
    rows["Indicatori"][3][9] = cell
    report = plan_import(source=workbook_bytes(rows))
    assert not report.ok
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("Indicatori", 4, "Target 2017")]
    assert f'"{token}" non è un numero' in messages(report)[0]
    assert row_counts()["Target"] == 0


def test_headers_match_ignoring_case_accents_spaces_and_asterisks():
    rows = sheets()
    rows["Obiettivi"][0] = [
        " codice* ",
        "TIPO",
        "codice padre",
        "Titolo *",
        "peso",
        "quota indicatori",
        "UNITA ORGANIZZATIVA",
    ]
    report = plan_import(source=workbook_bytes(rows))
    assert report.ok, messages(report)
    assert Objective.objects.get(code="101").org_unit.code == "A1"


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    fake = tmp_path / "piano.xlsx"
    fake.write_text("Codice;Tipo\n1;Area strategica\n")
    assert messages(plan_import(source=fake)) == ["foglio «file»: Il file non è una cartella di lavoro Excel (.xlsx)."]


def test_a_password_protected_workbook_is_refused(tmp_path):
    protected = tmp_path / "protetto.xlsx"
    # Excel stores an encrypted xlsx in an OLE compound file, which starts with this signature.
    protected.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert "protetto da password" in messages(plan_import(source=protected))[0]


def test_an_oversized_workbook_is_refused(settings):
    settings.MAX_WORKBOOK_BYTES = 1000
    assert "troppo grande" in messages(plan_import(source=workbook_bytes()))[0]


def test_the_base_fixture_rows_are_what_the_tests_expect():
    # Guards the builder above: the base plan is valid and has the rows the tests index into.
    assert BASE_SHEETS["Indicatori"][1][1] == "F1" and BASE_SHEETS["Obiettivi"][2][0] == "101"
    assert isinstance(Workbook(), Workbook)
