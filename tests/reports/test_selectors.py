import datetime as dt
import re
from decimal import Decimal

import pytest

from indicators.models import Indicator
from plans.models import Plan
from reports.models import BilancioLine, BudgetLine, BudgetVoce, KeyIndicator, PromoAmount
from reports.sections.front import printed_text
from reports.selectors import relazione_build
from reports.texts import placeholder_in
from tests.factories import FIXTURES
from tests.reports.conftest import YEAR
from workbook.plan_import import plan_import


def test_the_overview_carries_the_scores_of_the_ente_the_area_and_the_os(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    # F1: 382 ≥ 350 → 100; Tempo medio: 2900 / 100 = 29 gg against ≤ 25 → 25 / 29 × 100 = 86,21;
    # OS 101 = 50 % × 100 + 50 % × 86,21 = 93,105 → 93,11 (its OO has no consuntivo and the quota is 100 %).
    rows = {(row.kind, row.code): row for row in data.overview}
    assert data.ente_score == Decimal("93.11")
    assert rows[("ente", "")].score_text == "93,11 %"
    # The only area: its share is 100 %, the weight the Piano gives it; the Piano's weight is printed only when it
    # differs from the share.
    assert (rows[("area", "1")].weight_text, rows[("area", "1")].weight_adopted) == ("100,00 %", "")
    assert rows[("os", "101")].score_text == "93,11 %"
    # What the score is made of: the two own indicators (93,11), the OO (N/D) left out by the quota of 100 %.
    assert rows[("os", "101")].composition == (
        "da 2 indicatori propri (93,11 %); 1 obiettivo operativo (N/D) non concorre: quota indicatori 100 % "
        "· in tutto 1 OO, 2 indicatori dell'OS"
    )
    assert rows[("area", "1")].composition.startswith("da 1 obiettivo strategico (93,11 %)")
    assert rows[("os", "101")].band.word == "parziale" and rows[("os", "101")].band.symbol == "◐"


def test_indicator_rows_show_value_measures_target_and_rule(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    os_block = data.strategic[0].nodes[0]
    f1, tempo = os_block.indicators
    assert (f1.label, f1.value_text, f1.target_text, f1.score_text, f1.rule) == (
        "F1 - Pubblicazioni sul sito camerale",
        "382 N.",
        ">= 350",
        "100,00 %",
        "≥",
    )
    assert (tempo.measure_lines, tempo.value_text, tempo.score_text, tempo.rule) == (
        ["Numeratore: 2.900", "Denominatore: 100"],
        "29 gg",
        "86,21 %",
        "≤",
    )
    assert (f1.baseline_text, tempo.baseline_text) == ("baseline 2016: 382 N.", "baseline: 18 gg")
    assert [d["row"].label for d in data.deviations] == ["Tempo medio di pagamento"]
    assert data.deviations[0]["note"] == "Ritardi di fine anno"


def test_the_counts_leave_out_objectives_without_a_target_that_year(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    os_row, oo_row, indicator_row = data.counts
    assert (os_row.total, os_row.partial) == (1, 1)
    # OO 1011.01 has a deadline target and no consuntivo: N/D; the action has no target: not counted.
    assert (oo_row.total, oo_row.none) == (1, 1)
    assert (indicator_row.total, indicator_row.achieved, indicator_row.partial, indicator_row.none) == (3, 1, 1, 1)


def test_pre_flight_blocks_a_plan_without_act_and_a_missing_bilancio_year(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    messages = [c.message for c in data.blocking]
    assert "Il piano non ha l'atto di adozione." in messages
    assert "Tabella 2.1: mancano i dati di bilancio dell'anno 2017." in messages
    assert any("senza consuntivo" in w.message for w in data.warnings)


def test_resources_read_the_consuntivo_from_the_bilancio_and_round_the_ratio(relazione):
    ente = relazione.plan.ente
    BilancioLine.objects.bulk_create(
        [
            BilancioLine(ente=ente, year=YEAR, code="1", amount=9_000_000),
            BilancioLine(ente=ente, year=YEAR, code="2", amount=3_000_000),
            BilancioLine(ente=ente, year=YEAR, code="6", amount=4_000_000),
            BilancioLine(ente=ente, year=YEAR, code="8", amount=2_500_000),
        ]
    )
    BudgetLine.objects.create(relazione=relazione, voce=BudgetVoce.PROVENTI, preventivo=Decimal("11500000"))
    BudgetLine.objects.create(relazione=relazione, voce=BudgetVoce.PROMOZIONALI, preventivo=Decimal("3000000"))
    os_101 = relazione.plan.objectives.get(code="101")
    PromoAmount.objects.create(relazione=relazione, objective=os_101, amount=Decimal("2400000"))
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    proventi, promozionali, personale, _ = data.budget
    # 12.000.000 / 11.500.000 × 100 = 104,3478… → 104,35
    assert (proventi["consuntivo_text"], proventi["ratio_text"]) == ("€ 12.000.000,00", "104,35 %")
    # 2.500.000 / 3.000.000 × 100 = 83,333… → 83,33
    assert promozionali["ratio_text"] == "83,33 %"
    assert (personale["preventivo_text"], personale["ratio_text"]) == ("N/D", "N/D")
    total_a = next(b for b in data.bilancio if b["label"] == "Totale proventi correnti (A)")
    assert total_a["texts"] == ["N/D", "N/D", "N/D", "12.000.000"]
    assert not any("2.1" in c.message for c in data.blocking)
    # 2.2 total 2.400.000 differs from line 8 (2.500.000): a warning, not a block.
    assert any("Tabella 2.2" in w.message for w in data.warnings)


def test_key_indicators_are_grouped_with_their_values(relazione):
    f1 = Indicator.objects.get(objective__plan=relazione.plan, code="F1")
    deadline = Indicator.objects.get(objective__plan=relazione.plan, objective__code="1011.01")
    KeyIndicator.objects.create(relazione=relazione, indicator=f1, group="Indicatori di attività", order=1)
    KeyIndicator.objects.create(relazione=relazione, indicator=deadline, group="Indicatori di attività", order=2)
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    [group] = data.key_groups
    assert [(row.label, row.value_text) for row in group["rows"]] == [
        ("F1 - Pubblicazioni sul sito camerale", "382 N."),
        ("Report pubblicati entro la scadenza", "N/D"),
    ]
    assert any(w.message == "Indicatore significativo senza valore." for w in data.warnings)


def test_the_builder_runs_a_constant_number_of_queries(large_plan, django_assert_max_num_queries):
    assert Indicator.objects.filter(objective__plan=large_plan).count() > 800
    with django_assert_max_num_queries(18):  # 17, and the plan's data token (consuntivi.data_version)
        data = relazione_build(plan=large_plan, year=large_plan.start_year)
    assert len(data.operational) == 2 and data.ente_score is not None


@pytest.fixture
def modena(db) -> Plan:
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors[:3]
    return Plan.objects.select_related("ente").get(pk=report.plan_id)


def test_the_checks_speak_italian_and_do_not_contradict_the_coverage(modena):
    data = relazione_build(plan=modena, year=2017)
    messages = [c.message for c in [*data.blocking, *data.warnings]]
    assert not [m for m in messages if re.search(r"\b[A-Z]_[A-Z_]{3,}\b", m)]  # no internal code (W_…)
    # The stored warning code W_DEADLINE_BEFORE_YEAR, as a sentence with the target it is about.
    assert "Avviso sul target «<= 15/09/2016»: Scadenza anteriore all'anno del target." in messages
    # Modena's missing consuntivi sit under nodes scored by their own indicators (quota 100 %): the ente's
    # coverage stays 100 % and the message says why instead of contradicting it.
    missing = next(m for m in messages if "senza consuntivo" in m)
    assert "copertura dell'ente è 100,00 %" in missing and "nessuno concorre" in missing
    # The default instruction texts block the approval.
    assert sum("istruzione da sostituire" in c.message for c in data.blocking) == 4


def test_an_adoption_act_dated_after_the_plan_year_is_a_warning(small_plan):
    small_plan.act_date = dt.date(2018, 5, 10)  # e.g. the act approving the results, typed as the adoption act
    small_plan.save(update_fields=["act_date"])
    data = relazione_build(plan=small_plan, year=YEAR)
    assert any("datato 10/05/2018, dopo il primo anno del piano (2017)" in c.message for c in data.warnings)
    small_plan.act_date = dt.date(2017, 1, 30)
    small_plan.save(update_fields=["act_date"])
    assert not any(
        "atto di adozione del piano è datato" in c.message for c in relazione_build(plan=small_plan, year=YEAR).warnings
    )


def test_placeholders_are_found_in_the_texts_and_marked_when_printed():
    assert placeholder_in("<p>Descrivere il contesto esterno.</p>") == "Descrivere il contesto esterno."
    assert placeholder_in("<p>Il contesto è stabile. Indicare qui le novità</p>") == "Indicare qui le novità"
    assert placeholder_in("<p>[inserire il numero dei dipendenti]</p>").startswith("[inserire")
    assert placeholder_in("<p>Come indicato nel Piano, il contesto è stabile.</p>") == ""
    assert printed_text("<p>Indicare se il calendario è stato rispettato.</p>").startswith('<div class="placeholder">')
    assert printed_text("<p>Il calendario è stato rispettato.</p>") == "<p>Il calendario è stato rispettato.</p>"


def test_section_5_says_what_the_record_shows_and_prints_the_earlier_modifications(relazione, planner):
    from reports.services import relazione_update_texts

    html = relazione_html(relazione)
    assert "Nessuna rimodulazione del Piano registrata in perfplan per l'anno 2017." in html
    assert "non sono intervenute modifiche" not in html
    relazione_update_texts(
        relazione=relazione,
        texts={"modifiche_pregresse": "<p>Target 2017 di F1 ridotto con delibera n. 30 del 15/03/2017.</p>"},
        user=planner,
    )
    relazione.refresh_from_db()
    html = relazione_html(relazione)
    assert "Modifiche apportate prima del caricamento del Piano in perfplan" in html
    assert "ridotto con delibera n. 30 del 15/03/2017" in html


def relazione_html(relazione) -> str:
    from django.template.loader import render_to_string

    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    return render_to_string("reports/_body.html", {"r": data})


def test_table_2_2_prints_n_d_for_an_area_without_amounts_and_3_0_only_the_filled_columns(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    assert [a["text"] for a in data.promo] == ["N/D"] and data.promo_total_text == "N/D"
    # The small plan fills no Missione, Programma, Prospettiva or COFOG: the columns are left out and named.
    assert data.tree_columns == [] and data.tree_missing.startswith("Missione (ex D.M. 27/03/2013)")
    assert all(row["area"] for row in data.tree)  # every row names its area (a page may start inside it)
