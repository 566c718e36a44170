"""The optional ValorePubblico sheet (PIAO section 2.1): import, refusals with their position, round trip."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from perfplan.roles import Role
from plans.lifecycle import plan_year_get
from plans.models import Plan, PlanKind, PlanRevision, PublicValue, PublicValueIndicator, YearState
from tests.factories import BASE_SHEETS, make_user, sheets, workbook_bytes
from workbook.plan_import import plan_import
from workbook.writer import plan_export, plan_template

pytestmark = pytest.mark.django_db

HEADER = [
    "Codice impatto",
    "Titolo",
    "Descrizione",
    "Dimensioni",
    "Obiettivi collegati",
    "Codice indicatore",
    "Indicatore",
    "Unità",
    "Fonte",
    "Baseline anno",
    "Baseline",
    "Target 2017",
    "Target 2018",
    "Target 2019",
]
ROWS = [
    # VP1: two indicators on two rows, the impatto's columns left empty on the second one.
    ["VP1", "Imprese più digitali", "Servizi in rete", "Digitalizzazione; Semplificazione", "101"]
    + ["VP1.1", "Pratiche presentate online", "%", "Registro imprese", 2016, "80 %", ">= 85 %", ">= 90 %", ""],
    ["VP1", "", "", "", "", "", "Imprese che usano il cassetto digitale", "N.", "", None, "1.200", ">= 1.500", "", ""],
    # VP2: no indicators yet.
    ["VP2", "Parità di genere nelle imprese", "", "pari opportunità", "101", "", "", "", "", None, "", "", "", ""],
]
PIANO_PIAO = [*BASE_SHEETS["Piano"], ["Documento", "PIAO"]]


def import_with(rows, piano=PIANO_PIAO, **kwargs):
    return plan_import(source=workbook_bytes(sheets(Piano=piano, ValorePubblico=[HEADER, *rows])), **kwargs)


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


def test_it_imports_impatti_with_dimensions_links_indicators_and_targets():
    report = import_with(ROWS)
    assert report.ok, messages(report)
    plan = Plan.objects.get(pk=report.plan_id)
    assert plan.kind == PlanKind.PIAO
    vp1, vp2 = PublicValue.objects.filter(plan=plan).order_by("code")
    assert vp1.dimensions == ["semplificazione", "digitalizzazione"]  # DM 132/2022's order, not the cell's
    assert [o.code for o in vp1.objectives.all()] == ["101"]
    assert vp2.dimensions == ["pari_opportunita"] and vp2.indicators.count() == 0
    first, second = vp1.indicators.order_by("position")
    assert (first.code, first.unit, first.baseline_year, first.baseline) == ("VP1.1", "percent", 2016, "80 %")
    assert {t.year: t.raw for t in first.targets.all()} == {2017: ">= 85 %", 2018: ">= 90 %"}
    assert (second.name, {t.year: t.raw for t in second.targets.all()}) == (
        "Imprese che usano il cassetto digitale",
        {2017: ">= 1.500"},
    )
    assert report.as_dict()["created"]["impatti"] == 2


def test_a_plan_without_the_sheet_is_a_piano_della_performance_with_no_impatti():
    report = plan_import(source=workbook_bytes())
    assert report.ok
    plan = Plan.objects.get(pk=report.plan_id)
    assert plan.kind == PlanKind.PERFORMANCE and not plan.public_values.exists()


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["VP9", "", "", "", "", "", "", "", "", None, "", "", "", ""], "Titolo", "Titolo mancante"),
        (
            ["VP9", "T", "", "Sostenibilità", "", "", "", "", "", None, "", "", "", ""],
            "Dimensioni",
            "Dimensione «Sostenibilità» sconosciuta",
        ),
        (
            ["VP9", "T", "", "", "999", "", "", "", "", None, "", "", "", ""],
            "Obiettivi collegati",
            "L'obiettivo «999» non è nel foglio «Obiettivi»",
        ),
        (
            ["VP9", "T", "", "", "1011.01", "", "", "", "", None, "", "", "", ""],
            "Obiettivi collegati",
            "non è un obiettivo strategico",
        ),
        (
            ["VP9", "T", "", "", "", "", "Indicatore X", "", "", None, "", "3140 3140 3140", "", ""],
            "Target 2017",
            "",
        ),
        (["VP9", "T", "", "", "", "X1", "", "", "", None, "", ">= 3", "", ""], "Indicatore", "Nome dell'indicatore"),
        (["VP9", "T", "", "", "", "", "Ind", "metri", "", None, "", "", "", ""], "Unità", "Unità «metri»"),
    ],
)
def test_a_bad_row_is_refused_with_sheet_row_and_column_and_nothing_is_written(row, column, words):
    report = import_with([ROWS[0], row])
    assert not report.ok
    error = next(e for e in report.errors if e.sheet == "ValorePubblico")
    assert (error.row, error.column) == (3, column), messages(report)
    assert words in error.message
    assert str(error).startswith("foglio «ValorePubblico», riga 3, colonna «")
    assert not Plan.objects.exists() and not PublicValue.objects.exists()  # one transaction: nothing at all


def test_a_repeated_impatto_row_that_contradicts_the_first_is_refused():
    row = ["VP1", "Un altro titolo", "", "", "", "", "Altro indicatore", "", "", None, "", "", "", ""]
    report = import_with([ROWS[0], row])
    assert messages(report) == [
        "foglio «ValorePubblico», riga 3, colonna «Titolo»: L'impatto «VP1» ha già un valore diverso alla riga 2: "
        "lasciare la cella vuota o ripetere lo stesso valore."
    ]


def test_an_unknown_document_is_refused_on_the_piano_sheet():
    report = import_with(ROWS, piano=[*BASE_SHEETS["Piano"], ["Documento", "Bilancio"]])
    assert messages(report) == [
        "foglio «Piano», riga 9, colonna «B»: Documento «Bilancio» sconosciuto: usare PIAO o Piano della performance."
    ]


def test_export_then_import_into_an_empty_database_gives_the_same_impatti():
    first = import_with(ROWS)
    assert first.ok
    plan = Plan.objects.get(pk=first.plan_id)
    data = plan_export(plan=plan)
    sheet = load_workbook(BytesIO(data), read_only=True)["ValorePubblico"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:11] == HEADER[:11] and rows[0][11:] == ["Target 2017", "Target 2018", "Target 2019"]
    assert rows[1][:5] == ["VP1", "Imprese più digitali", "Servizi in rete", "Semplificazione; Digitalizzazione", "101"]

    def snapshot():
        return [
            (
                pv.code,
                pv.title,
                pv.description,
                pv.dimensions,
                sorted(o.code for o in pv.objectives.all()),
                [
                    (
                        i.code,
                        i.name,
                        i.unit,
                        i.source,
                        i.baseline_year,
                        i.baseline,
                        sorted((t.year, t.raw) for t in i.targets.all()),
                    )
                    for i in pv.indicators.order_by("position")
                ],
            )
            for pv in PublicValue.objects.order_by("code")
        ]

    before = snapshot()
    Plan.objects.all().delete()
    assert not PublicValueIndicator.objects.exists()
    again = plan_import(source=BytesIO(data))
    assert again.ok, messages(again)
    assert Plan.objects.get(pk=again.plan_id).kind == PlanKind.PIAO
    assert snapshot() == before
    # Re-importing the same export changes nothing.
    third = plan_import(source=BytesIO(data))
    assert third.as_dict()["unchanged"]["impatti"] == 2 and third.as_dict()["created"]["impatti"] == 0


def test_reimport_after_adoption_records_the_changes_as_revisions():
    assert import_with(ROWS).ok
    plan = Plan.objects.get()
    plan.state = "adottato"
    plan.save()
    user = make_user("pianificatore", Role.PLANNER, plan.ente)
    changed = [list(ROWS[0]), *ROWS[1:]]
    changed[0][12] = ">= 95 %"
    report = import_with(changed, reason="Nuovo obiettivo regionale", user=user)
    assert report.ok, messages(report)
    revision = PlanRevision.objects.get(subject_type="valore pubblico")
    assert (revision.subject_code, revision.field, revision.old_value, revision.new_value) == (
        "VP1 / VP1.1",
        "target 2018",
        ">= 90 %",
        ">= 95 %",
    )


def test_a_validated_year_freezes_the_impatti_against_a_reimport():
    assert import_with(ROWS).ok
    plan = Plan.objects.get()
    plan_year = plan_year_get(plan=plan, year=2017)
    plan_year.state = YearState.VALIDATED
    plan_year.save()
    changed = [list(ROWS[0]), *ROWS[1:]]
    changed[0][1] = "Imprese molto più digitali"
    report = import_with(changed)
    assert any(e.sheet == "ValorePubblico" and "validato" in e.message for e in report.errors), messages(report)
    assert PublicValue.objects.get(code="VP1").title == "Imprese più digitali"


def test_the_blank_template_has_the_sheet_with_example_rows_that_import():
    wb = load_workbook(BytesIO(plan_template()), read_only=True)
    rows = [list(r) for r in wb["ValorePubblico"].iter_rows(values_only=True)]
    assert rows[0][:5] == HEADER[:5] and len(rows) == 3
    report = plan_import(source=BytesIO(plan_template()))
    assert report.ok, messages(report)
    assert PublicValue.objects.get().indicators.count() == 2
