"""The pure scoring core (spec/scoring.md): hand-built inputs, hand-calculated results, no database.

Every hand calculation is written next to its assertion: a reader can check it with a pencil.
"""

import copy
import datetime
import pickle
from decimal import Decimal

import pytest

from indicators.notation import Kind, ParsedTarget, Unit
from indicators.scoring import (
    WARN_DERIVED_LEAF,
    WARN_WEIGHT_BLANK,
    WARN_WEIGHT_SUM,
    IndicatorInput,
    IndicatorScore,
    MeasurementInput,
    NodeInput,
    ScoringRules,
    UnitInput,
    WeightUse,
    band,
    count_by_band,
    objectives_mean,
    score_indicator,
    score_tree,
    score_units,
)

D = Decimal
RULES = ScoringRules()


# --- Builders: parsed targets and inputs written by hand (the parser is tested in test_notation.py) -----------


def number(comparator: str | None, value: str, unit: Unit | None = None) -> ParsedTarget:
    raw = f"{comparator} {value}" if comparator else value
    return ParsedTarget(Kind.NUMBER, raw, comparator, D(value), unit)


def deadline(day: datetime.date, comparator: str = "<=") -> ParsedTarget:
    return ParsedTarget(Kind.DEADLINE, f"entro {day:%d/%m/%Y}", comparator, None, Unit.DATE, deadline=day)


def yes_no(value: bool = True) -> ParsedTarget:
    return ParsedTarget(Kind.BOOL, "SI" if value else "NO", "=", value, Unit.BOOLEAN)


def delta(points: str, absolute: str | None = None, unit: Unit | None = None) -> ParsedTarget:
    comparator = "<=" if points.startswith("-") else ">="
    raw = f"{points}%" + (f" ({absolute})" if absolute else "")
    return ParsedTarget(
        Kind.DELTA_PCT, raw, comparator, D(points), unit, absolute=D(absolute) if absolute is not None else None
    )


def maintain() -> ParsedTarget:
    return ParsedTarget(Kind.MAINTAIN, "mantenimento")


def ordinal(level: str) -> ParsedTarget:
    return ParsedTarget(Kind.ORDINAL, level, ">=", level.lower())


def text(raw: str) -> ParsedTarget:
    return ParsedTarget(Kind.TEXT, raw)


def none() -> ParsedTarget:
    return ParsedTarget(Kind.NONE, "N/D")


def measured(value: str) -> MeasurementInput:
    return MeasurementInput(value_number=D(value))


def indicator(
    target: ParsedTarget | None,
    value: str | None = None,
    *,
    id: int = 1,
    weight: str | None = None,
    measurement: MeasurementInput | None = None,
    **fields,
) -> IndicatorInput:
    if measurement is None and value is not None:
        measurement = measured(value)
    return IndicatorInput(
        id=id,
        code=f"I{id}",
        name=f"Indicatore {id}",
        weight=D(weight) if weight is not None else None,
        target=target,
        measurement=measurement,
        **fields,
    )


def node(
    id: int,
    *,
    weight: str | None = None,
    indicators: tuple[IndicatorInput, ...] = (),
    children: tuple[NodeInput, ...] = (),
    level: str = "operational",
    share: str | None = None,
    unit: int | None = None,
) -> NodeInput:
    return NodeInput(
        id=id,
        code=f"N{id}",
        level=level,
        title=f"Obiettivo {id}",
        weight=D(weight) if weight is not None else None,
        indicator_share=D(share) if share is not None else None,
        org_unit_id=unit,
        indicators=indicators,
        children=children,
    )


def scored(id: int, achievement: str | None, weight: str | None = None) -> IndicatorInput:
    """An indicator that scores exactly `achievement` (>= 100 with that value), or is missing when None."""
    return indicator(number(">=", "100"), achievement, id=id, weight=weight)


def leaf(id: int, score: str | None, weight: str | None = None, **kw) -> NodeInput:
    """A node whose score is exactly `score`, through one indicator (id 1000 + node id)."""
    return node(id, weight=weight, indicators=(scored(1000 + id, score),), **kw)


def achievement(target: ParsedTarget | None, value: str | None, rules: ScoringRules = RULES, **fields) -> Decimal:
    result = score_indicator(indicator(target, value, **fields), rules)
    assert result.achievement is not None, result.reason
    return result.achievement


# --- scoring.md §7: every hand-checked example -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "value", "fields", "expected"),
    [
        pytest.param(number(">=", "350"), "382", {}, "100.00", id=">= 350 with 382 is 100,00"),
        pytest.param(number(">=", "15"), "14", {}, "93.33", id=">= 15 with 14 is 93,33"),  # 14 / 15 = 93,333…
        pytest.param(number("<=", "4"), "1.15", {}, "100.00", id="<= 4 with 1,15 is 100,00"),
        pytest.param(number("<=", "4"), "5", {}, "80.00", id="<= 4 with 5 is 80,00"),  # 4 / 5 = 80
        pytest.param(
            number("<=", "-3.5", Unit.PERCENT), "-7.72", {}, "100.00", id="<= -3,5 % with -7,72 is 100,00"
        ),  # -7,72 ≤ -3,5
        pytest.param(
            number(">=", "1.2", Unit.PERCENT), "-0.5", {}, "0.00", id=">= +1,2 % with -0,5 is 0,00"
        ),  # -0,5 / 1,2 < 0 → floored at 0
        pytest.param(
            number(None, "4"), "6", {"polarity": "lower_better"}, "66.67", id="4 lower_better with 6 is 66,67"
        ),  # ≤ 4 from polarity: 4 / 6 = 66,666…
        pytest.param(
            delta("+1", "380"), "381", {"baseline": D(376)}, "100.00", id="+1% (380) baseline 376 with 381 is 100,00"
        ),  # absolute 380 wins: 381 ≥ 380
        pytest.param(
            delta("-1", "31310", Unit.EURO), "31800", {}, "98.46", id="-1% (31310 €) with 31800 is 98,46"
        ),  # 31.310 / 31.800 = 98,459…
    ],
)
def test_it_reproduces_the_hand_checked_number_examples(target, value, fields, expected):
    assert achievement(target, value, **fields) == D(expected)


def test_it_reproduces_the_derived_example_97_5_against_95():
    # ">= 95 (derived) with 97,5 → 100,00": the value comes from the children
    result = score_indicator(indicator(number(">=", "95"), derived=True), RULES, derived_value=D("97.5"))

    assert (result.achievement, result.rule, result.value) == (D("100.00"), "DER", D("97.5"))


def test_it_reproduces_the_deadline_example_done_two_days_late():
    target = deadline(datetime.date(2017, 9, 30))
    result = score_indicator(
        indicator(target, measurement=MeasurementInput(value_date=datetime.date(2017, 10, 2))), RULES
    )

    assert (result.achievement, result.rule) == (D("0.00"), "SCAD")  # 02/10/2017 is after 30/09/2017


def test_it_reproduces_the_yes_example():
    result = score_indicator(indicator(yes_no(True), measurement=MeasurementInput(value_bool=True)), RULES)

    assert (result.achievement, result.rule) == (D("100.00"), "SI/NO")


def test_it_reproduces_the_node_example_indicators_100_and_80_children_ignored():
    tree = score_tree(
        [
            node(
                1,
                indicators=(scored(1, "100", weight="50"), scored(2, "80", weight="50")),
                children=(leaf(2, "0"),),  # ignored: the default share is 100 %
            )
        ],
        RULES,
    )

    # (100 × 50 + 80 × 50) / 100 = 90,00
    assert tree.nodes[1].score == D("90.00")
    assert tree.nodes[1].share == D(100)


def test_it_reproduces_the_node_example_with_share_30_percent():
    tree = score_tree(
        [
            node(
                1,
                share="30",
                indicators=(scored(1, "90"),),
                children=(leaf(2, "100", weight="50"), leaf(3, "70", weight="50")),
            )
        ],
        RULES,
    )

    # children: (100 × 50 + 70 × 50) / 100 = 85,00; node: 30 % × 90 + 70 % × 85 = 27 + 59,5 = 86,50
    assert tree.nodes[1].children_part == D("85.00")
    assert tree.nodes[1].indicators_part == D("90.00")
    assert tree.nodes[1].score == D("86.50")


# --- §1 NUMBER comparators -------------------------------------------------------------------------------------


def test_it_caps_over_achievement_at_100():
    result = score_indicator(indicator(number(">=", "350"), "382"), RULES)

    # 382 / 350 = 109,14 % → capped to 100
    assert result.achievement == D("100.00")
    assert result.capped is True
    assert result.met is True


def test_it_does_not_flag_an_exact_hit_as_capped():
    assert score_indicator(indicator(number(">=", "350"), "350"), RULES).capped is False


def test_it_scores_a_missed_higher_target_by_the_ratio_value_over_target():
    assert achievement(number(">=", "200"), "150") == D("75.00")  # 150 / 200 = 75


def test_it_treats_greater_than_like_greater_or_equal_when_clearly_met_or_missed():
    assert achievement(number(">", "30", Unit.PERCENT), "45") == D("100.00")
    assert achievement(number(">", "30", Unit.PERCENT), "15") == D("50.00")  # 15 / 30


def test_it_gives_zero_to_a_missed_higher_target_that_is_zero_or_negative():
    assert achievement(number(">=", "0"), "-3") == D("0.00")  # target ≤ 0 → 0
    assert achievement(number(">=", "-5"), "-10") == D("0.00")


def test_it_meets_a_negative_higher_target_with_a_larger_value():
    assert achievement(number(">=", "-5"), "-3") == D("100.00")  # -3 ≥ -5


def test_it_scores_a_missed_lower_target_by_the_ratio_target_over_value():
    assert achievement(number("<=", "55", Unit.EURO), "62") == D("88.71")  # 55 / 62 = 88,709…


def test_it_gives_zero_to_a_missed_lower_target_when_value_and_target_are_not_both_positive():
    assert achievement(number("<=", "0"), "2") == D("0.00")  # 0 non-conformities wanted, 2 found (RF:1113)
    assert achievement(number("<=", "-11", Unit.DAYS), "-9") == D("0.00")  # RF:1232: -9 gg is not ≤ -11 gg


def test_it_compares_negative_values_as_numbers():
    assert achievement(number("<=", "-11", Unit.DAYS), "-16.61") == D("100.00")  # -16,61 ≤ -11


def test_it_meets_a_lower_target_with_zero():
    assert achievement(number("<=", "0"), "0") == D("100.00")


def test_it_shows_99_99_for_a_value_equal_to_a_strict_greater_than_target():
    result = score_indicator(indicator(number(">", "60", Unit.PERCENT), "60"), RULES)

    # 60 > 60 is false: ratio 60 / 60 = 100 would hide the miss → 99,99
    assert result.achievement == D("99.99")
    assert result.met is False


def test_it_shows_99_99_for_a_value_equal_to_a_strict_less_than_target():
    assert achievement(number("<", "6"), "6") == D("99.99")  # 6 < 6 is false; 6 / 6 = 100 → 99,99
    assert achievement(number("<", "6"), "5") == D("100.00")


def test_it_shows_99_99_for_a_near_miss_that_rounds_to_100():
    # 99.999,5 / 100.000 = 99,9995 → rounds half up to 100,00, but the target is not met → 99,99
    assert achievement(number(">=", "100000"), "99999.5") == D("99.99")


def test_it_rounds_achievements_half_up_to_two_decimals():
    assert achievement(number(">=", "8"), "7.9996") == D("99.99")  # 99,995 → 100,00, not met → 99,99
    assert achievement(number(">=", "200"), "24.69") == D("12.35")  # 12,345 → 12,35 (half up, not half even)


def test_it_takes_the_comparator_from_a_higher_better_polarity():
    result = score_indicator(indicator(number(None, "500"), "450"), RULES)

    assert result.rule == "≥*"  # `*`: comparator from polarity
    assert result.achievement == D("90.00")  # ≥ 500: 450 / 500


def test_it_takes_the_comparator_from_a_lower_better_polarity():
    result = score_indicator(indicator(number(None, "4", Unit.COUNT), "5", polarity="lower_better"), RULES)

    assert result.rule == "≤*"
    assert result.achievement == D("80.00")  # ≤ 4: 4 / 5


def test_it_codes_the_rule_of_written_comparators():
    assert score_indicator(indicator(number(">", "1"), "2"), RULES).rule == "≥"
    assert score_indicator(indicator(number("<", "1"), "0"), RULES).rule == "≤"
    assert score_indicator(indicator(number("=", "1"), "1"), RULES).rule == "="


def test_it_meets_an_equality_target_with_the_same_value():
    assert achievement(number("=", "100", Unit.PERCENT), "100") == D("100.00")


def test_it_scores_a_missed_equality_target_by_polarity():
    assert achievement(number("=", "100", Unit.PERCENT), "95") == D("95.00")  # as ≥ 100: 95 / 100
    assert achievement(number("=", "10"), "12.5", polarity="lower_better") == D("80.00")  # as ≤ 10: 10 / 12,5


def test_it_accepts_an_equality_within_the_plans_tolerance():
    rules = ScoringRules(equality_tolerance=D("0.5"))

    assert achievement(number("=", "100"), "99.6", rules) == D("100.00")  # |99,6 - 100| = 0,4 ≤ 0,5
    assert achievement(number("=", "100"), "99.4", rules) == D("99.40")  # 0,6 > 0,5: as ≥ 100, 99,4 / 100


def test_it_shows_99_99_for_a_near_miss_of_an_equality_target():
    # |99,996 - 100| > 0: as ≥ 100, 99,996 / 100 = 99,996 → 100,00 → not met: 99,99
    assert achievement(number("=", "100"), "99.996") == D("99.99")


def test_it_refuses_a_number_target_without_a_value():
    result = score_indicator(indicator(ParsedTarget(Kind.NUMBER, ">=", ">="), "5"), RULES)

    assert result.status == "not_computable"


# --- §1 cap and threshold --------------------------------------------------------------------------------------


def test_it_scores_a_met_target_by_the_ratio_when_cap_is_off():
    rules = ScoringRules(cap=False)
    result = score_indicator(indicator(number(">=", "350"), "382"), rules)

    assert result.achievement == D("109.14")  # 382 / 350 = 109,142…
    assert result.capped is False


def test_it_scores_a_met_lower_target_by_the_inverse_ratio_when_cap_is_off():
    assert achievement(number("<=", "4"), "2", ScoringRules(cap=False)) == D("200.00")  # 4 / 2


def test_it_gives_100_to_a_met_target_that_is_not_positive_when_cap_is_off():
    assert achievement(number("<=", "4"), "0", ScoringRules(cap=False)) == D("100.00")  # value 0: no ratio
    assert achievement(number("<=", "-3.5"), "-7.72", ScoringRules(cap=False)) == D("100.00")


def test_it_never_exceeds_100_for_deadlines_even_when_cap_is_off():
    target = deadline(datetime.date(2018, 6, 30))
    m = MeasurementInput(value_date=datetime.date(2018, 1, 2))

    assert score_indicator(indicator(target, measurement=m), ScoringRules(cap=False)).achievement == D("100.00")


def test_it_counts_an_achievement_below_the_minimum_threshold_as_zero():
    rules = ScoringRules(min_threshold=D(60))

    assert achievement(number(">=", "100"), "59.99", rules) == D("0.00")  # 59,99 < 60 → 0
    assert achievement(number(">=", "100"), "60", rules) == D("60.00")  # at the threshold: kept
    assert achievement(number(">=", "100"), "90", rules) == D("90.00")


def test_it_keeps_the_threshold_off_by_default():
    assert achievement(number(">=", "100"), "10") == D("10.00")


# --- §1 other kinds --------------------------------------------------------------------------------------------


def test_it_meets_a_deadline_on_the_day():
    target = deadline(datetime.date(2017, 9, 30))
    m = MeasurementInput(value_date=datetime.date(2017, 9, 30))

    result = score_indicator(indicator(target, measurement=m), RULES)

    assert (result.achievement, result.value) == (D("100.00"), datetime.date(2017, 9, 30))


def test_it_misses_a_strict_deadline_on_the_day():
    target = deadline(datetime.date(2017, 9, 30), comparator="<")

    on_the_day = MeasurementInput(value_date=datetime.date(2017, 9, 30))
    the_day_before = MeasurementInput(value_date=datetime.date(2017, 9, 29))

    assert score_indicator(indicator(target, measurement=on_the_day), RULES).achievement == D("0.00")
    assert score_indicator(indicator(target, measurement=the_day_before), RULES).achievement == D("100.00")


def test_it_gives_zero_to_a_deadline_not_done():
    result = score_indicator(
        indicator(deadline(datetime.date(2017, 9, 30)), measurement=MeasurementInput(not_done=True)), RULES
    )

    assert (result.achievement, result.status, result.value) == (D("0.00"), "ok", False)


def test_it_reports_a_deadline_without_a_date_as_missing():
    result = score_indicator(indicator(deadline(datetime.date(2017, 9, 30)), measurement=MeasurementInput()), RULES)

    assert result.status == "missing"
    assert result.achievement is None


def test_it_gives_zero_to_a_yes_target_answered_no():
    result = score_indicator(indicator(yes_no(True), measurement=MeasurementInput(value_bool=False)), RULES)

    assert result.achievement == D("0.00")


def test_it_reads_one_and_zero_as_yes_and_no():
    assert score_indicator(indicator(yes_no(True), "1"), RULES).achievement == D("100.00")  # ON (1)
    assert score_indicator(indicator(yes_no(True), "0"), RULES).achievement == D("0.00")


def test_it_meets_a_no_target_with_no():
    result = score_indicator(indicator(yes_no(False), measurement=MeasurementInput(value_bool=False)), RULES)

    assert result.achievement == D("100.00")


def test_it_uses_the_absolute_value_of_a_change_over_the_baseline():
    result = score_indicator(indicator(delta("+2", "385"), "384", baseline=D(376)), RULES)

    # absolute 385 wins over 376 × 1,02 = 383,52 (FE:488-490): 384 / 385 = 99,740…
    assert result.target_value == D(385)
    assert result.achievement == D("99.74")
    assert result.rule == "Δ%"


def test_it_computes_a_change_target_from_the_baseline_without_an_absolute_value():
    result = score_indicator(indicator(delta("+2"), "305", baseline=D(302)), RULES)

    # 302 × (1 + 2 / 100) = 308,04; 305 / 308,04 = 99,013…
    assert result.target_value == D("308.04")
    assert result.achievement == D("99.01")


def test_it_compares_a_negative_change_as_lower_or_equal():
    result = score_indicator(indicator(delta("-2"), "10000", baseline=D(10000)), RULES)

    # 10.000 × (1 - 2 / 100) = 9.800; ≤ 9.800 with 10.000: 9.800 / 10.000 = 98
    assert result.target_value == D("9800")
    assert result.achievement == D("98.00")


def test_it_cannot_compute_a_change_without_absolute_value_or_baseline():
    result = score_indicator(indicator(delta("+2"), "305"), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Variazione percentuale senza valore assoluto né baseline: target non calcolabile."
    assert result.achievement is None


def test_it_maintains_the_baseline_with_the_comparator_from_polarity():
    # FE:3058: rank in a benchmark cluster, baseline 3, lower is better → ≤ 3
    assert achievement(maintain(), "2", baseline=D(3), polarity="lower_better") == D("100.00")
    assert achievement(maintain(), "4", baseline=D(3), polarity="lower_better") == D("75.00")  # 3 / 4
    assert achievement(maintain(), "2", baseline=D(3)) == D("66.67")  # ≥ 3: 2 / 3
    assert score_indicator(indicator(maintain(), "2", baseline=D(3)), RULES).rule == "MANT"


def test_it_cannot_compute_maintenance_without_a_baseline():
    result = score_indicator(indicator(maintain(), "3"), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Mantenimento senza baseline: target non calcolabile."


def test_it_meets_an_ordinal_target_at_or_above_the_level():
    def judge(level: str) -> Decimal | None:
        return score_indicator(
            indicator(ordinal("Buono"), measurement=MeasurementInput(value_level=level)), RULES
        ).achievement

    assert judge("buono") == D("100.00")
    assert judge("Ottimo") == D("100.00")
    assert judge("discreto") == D("0.00")


def test_it_cannot_score_an_unknown_ordinal_level():
    result = score_indicator(indicator(ordinal("buono"), measurement=MeasurementInput(value_level="benino")), RULES)

    assert result.status == "not_computable"
    assert result.rule == "N/D"


def test_it_needs_a_manual_achievement_for_a_text_target():
    result = score_indicator(indicator(text("Redazione di una relazione tecnica"), "1"), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Target testuale: serve il raggiungimento manuale."
    assert (result.achievement, result.rule) == (None, "N/D")


def test_it_scores_a_text_target_with_its_manual_achievement():
    m = MeasurementInput(manual_achievement=D(80), manual_reason="Relazione consegnata in bozza")
    result = score_indicator(indicator(text("Redazione di una relazione tecnica"), measurement=m), RULES)

    assert (result.status, result.achievement, result.computed, result.rule) == ("overridden", D("80.00"), None, "MAN")
    assert result.reason == "Relazione consegnata in bozza"


@pytest.mark.parametrize("target", [none(), None], ids=["N/D target", "no target row"])
def test_it_does_not_score_an_indicator_without_a_target_that_year(target):
    result = score_indicator(indicator(target, "5"), RULES)

    assert (result.status, result.achievement, result.rule) == ("no_target", None, "N/D")


# --- §1 manual achievement -------------------------------------------------------------------------------------


def test_it_replaces_the_computed_achievement_with_the_manual_one_and_keeps_the_computed_value():
    m = MeasurementInput(value_number=D(14), manual_achievement=D(100), manual_reason="Obiettivo ridefinito")
    result = score_indicator(indicator(number(">=", "15"), measurement=m), RULES)

    assert result.status == "overridden"
    assert result.rule == "MAN"
    assert result.achievement == D("100.00")
    assert result.computed == D("93.33")  # 14 / 15, still visible
    assert result.value == D(14)
    assert any("Raggiungimento manuale" in step for step in result.steps)


def test_it_applies_a_manual_achievement_even_without_a_consuntivo():
    m = MeasurementInput(manual_achievement=D("42.5"), manual_reason="Dato da piattaforma esterna")
    result = score_indicator(indicator(number(">=", "15"), measurement=m), RULES)

    assert (result.status, result.achievement, result.computed) == ("overridden", D("42.50"), None)


def test_it_limits_a_manual_achievement_to_100_when_cap_is_on_and_ignores_the_threshold():
    m = MeasurementInput(manual_achievement=D(120), manual_reason="x")
    assert score_indicator(indicator(text("t"), measurement=m), RULES).achievement == D("100.00")

    m = MeasurementInput(manual_achievement=D(30), manual_reason="x")
    rules = ScoringRules(min_threshold=D(50))
    assert score_indicator(indicator(text("t"), measurement=m), rules).achievement == D("30.00")


# --- §3 missing data on one indicator --------------------------------------------------------------------------


def test_it_reports_an_indicator_without_consuntivo_as_missing():
    result = score_indicator(indicator(number(">=", "15")), RULES)

    assert (result.status, result.achievement, result.rule) == ("missing", None, "N/D")
    assert result.reason == "Consuntivo non inserito."


def test_it_reports_an_empty_measurement_as_missing():
    assert score_indicator(indicator(number(">=", "15"), measurement=MeasurementInput()), RULES).status == "missing"


# --- §5 values computed from measures --------------------------------------------------------------------------


def test_it_multiplies_a_ratio_of_measures_by_100_for_a_percent_unit():
    m = MeasurementInput(numerator=D(340), denominator=D(400))
    result = score_indicator(indicator(number(">=", "90"), measurement=m, unit=Unit.PERCENT), RULES)

    # 340 / 400 × 100 = 85 %; 85 / 90 = 94,444…
    assert result.value == D(85)
    assert result.achievement == D("94.44")


def test_it_keeps_the_plain_ratio_of_measures_for_other_units():
    m = MeasurementInput(numerator=D(1600000), denominator=D(32000))  # costi / imprese
    result = score_indicator(indicator(number("<=", "55", Unit.EURO), measurement=m, unit=Unit.EURO), RULES)

    # 1.600.000 / 32.000 = 50 € ≤ 55 €
    assert result.value == D(50)
    assert result.achievement == D("100.00")


def test_it_takes_the_unit_from_the_target_when_the_indicator_has_none():
    m = MeasurementInput(numerator=D(45), denominator=D(50))
    result = score_indicator(indicator(number(">=", "90", Unit.PERCENT), measurement=m), RULES)

    assert result.value == D(90)  # 45 / 50 × 100 (the target says %)
    assert result.achievement == D("100.00")


def test_it_prefers_the_indicators_unit_over_the_targets():
    m = MeasurementInput(numerator=D(45), denominator=D(50))
    result = score_indicator(indicator(number(">=", "0.5", Unit.PERCENT), measurement=m, unit=Unit.COUNT), RULES)

    assert result.value == D("0.9")  # plain ratio: the indicator's unit is N.


def test_it_cannot_compute_a_ratio_with_a_zero_denominator():
    m = MeasurementInput(numerator=D(3), denominator=D(0))
    result = score_indicator(indicator(number(">=", "90", Unit.PERCENT), measurement=m), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Denominatore uguale a zero: non calcolabile."
    assert result.achievement is None


def test_it_reports_a_ratio_with_one_measure_as_missing():
    m = MeasurementInput(numerator=D(3))
    result = score_indicator(indicator(number(">=", "90"), measurement=m), RULES)

    assert (result.status, result.reason) == ("missing", "Misure incomplete: manca il denominatore.")


def test_it_prefers_a_typed_value_over_the_measures():
    m = MeasurementInput(value_number=D(70), numerator=D(1), denominator=D(2))

    assert score_indicator(indicator(number(">=", "70"), measurement=m), RULES).value == D(70)


def test_it_evaluates_an_algoritmo_with_variables_and_multiplies_by_100_for_percent():
    m = MeasurementInput(variables={"ProvStrut": D(1000), "OnStrut": D(800)})
    ind = indicator(number(">=", "25", Unit.PERCENT), measurement=m, formula="(ProvStrut - OnStrut) / ProvStrut")

    result = score_indicator(ind, RULES)

    # (1.000 - 800) / 1.000 = 0,2 × 100 = 20 %; 20 / 25 = 80
    assert result.value == D(20)
    assert result.achievement == D("80.00")


def test_it_does_not_multiply_again_an_algoritmo_that_multiplies_by_100():
    m = MeasurementInput(variables={"Positivi": D(45), "Totale": D(50)})
    ind = indicator(number(">=", "95", Unit.PERCENT), measurement=m, formula="Positivi / Totale * 100")

    result = score_indicator(ind, RULES)

    # 45 / 50 × 100 = 90 (not 9.000); 90 / 95 = 94,736…
    assert result.value == D(90)
    assert result.achievement == D("94.74")


def test_it_keeps_an_algoritmo_ratio_plain_for_a_non_percent_unit():
    m = MeasurementInput(variables={"Liq_Imm": D("13092700"), "PassCorr": D("4352680")})
    ind = indicator(number(">=", "2"), measurement=m, formula="Liq_Imm / PassCorr")

    result = score_indicator(ind, RULES)

    # 13.092.700 / 4.352.680 = 3,0079… ≥ 2
    assert result.value == D("13092700") / D("4352680")
    assert result.achievement == D("100.00")


def test_it_does_not_multiply_an_algoritmo_without_a_division():
    m = MeasurementInput(variables={"Quota_A": D(60), "Quota_B": D(15)})
    ind = indicator(number(">=", "50", Unit.PERCENT), measurement=m, formula="Quota_A - Quota_B")

    assert score_indicator(ind, RULES).value == D(45)  # already in points: 60 - 15


def test_it_reads_a_single_name_algoritmo_as_a_value_entered_directly():
    m = MeasurementInput(variables={"RitPagamenti": D(-3)})
    ind = indicator(number("<=", "0", Unit.DAYS), measurement=m, formula="RitPagamenti", unit=Unit.DAYS)

    result = score_indicator(ind, RULES)

    assert result.value == D(-3)  # -3 ≤ 0
    assert result.achievement == D("100.00")


def test_it_reports_a_missing_variable_as_missing():
    m = MeasurementInput(variables={"ProvStrut": D(1000)})
    ind = indicator(number(">=", "25"), measurement=m, formula="(ProvStrut - OnStrut) / ProvStrut")

    result = score_indicator(ind, RULES)

    assert (result.status, result.reason) == ("missing", "Variabile mancante: OnStrut")


def test_it_cannot_compute_an_algoritmo_dividing_by_zero():
    m = MeasurementInput(variables={"Liq_Imm": D(5), "PassCorr": D(0)})
    result = score_indicator(indicator(number(">=", "2"), measurement=m, formula="Liq_Imm / PassCorr"), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Divisione per zero nell'algoritmo: non calcolabile."


def test_it_cannot_compute_variables_for_a_prose_algoritmo():
    m = MeasurementInput(variables={"x": D(5)})
    result = score_indicator(indicator(number(">=", "2"), measurement=m, formula="vedi integra 20%"), RULES)

    assert result.status == "not_computable"


def test_it_cannot_compute_a_malformed_algoritmo():
    m = MeasurementInput(variables={"A": D(5), "B": D(1)})
    result = score_indicator(indicator(number(">=", "2"), measurement=m, formula="(A / B"), RULES)

    assert result.status == "not_computable"
    assert result.reason == "Algoritmo non valido: Parentesi aperta e mai chiusa."


# --- §5 derived indicators -------------------------------------------------------------------------------------


def test_it_gives_a_derived_indicator_the_score_of_its_nodes_children():
    derived = indicator(number(">=", "95"), id=1, derived=True)
    tree = score_tree(
        [node(1, indicators=(derived,), children=(leaf(2, "100", weight="50"), leaf(3, "90", weight="50")))], RULES
    )

    # children: (100 + 90) / 2 = 95 → derived value 95 ≥ 95 → 100; node from its indicator: 100
    result = tree.indicators[1]
    assert (result.value, result.rule, result.achievement) == (D("95.00"), "DER", D("100.00"))
    assert tree.nodes[1].score == D("100.00")


def test_it_scores_a_missed_derived_indicator_by_ratio():
    derived = indicator(number(">=", "95"), id=1, derived=True)
    tree = score_tree([node(1, indicators=(derived,), children=(leaf(2, "76"),))], RULES)

    assert tree.indicators[1].achievement == D("80.00")  # 76 / 95 = 80


def test_it_reports_a_derived_indicator_without_measured_children_as_missing():
    derived = indicator(number(">=", "95"), id=1, derived=True)
    tree = score_tree([node(1, indicators=(derived,), children=(leaf(2, None),))], RULES)

    assert tree.indicators[1].status == "missing"
    assert tree.nodes[1].score is None


# --- §2 nodes: weights -----------------------------------------------------------------------------------------


def test_it_normalises_weights_that_do_not_sum_to_100_and_warns():
    tree = score_tree([node(1, indicators=(scored(1, "100", weight="30"), scored(2, "40", weight="30")))], RULES)

    # weights 30 + 30 = 60 → 50 % each: (100 × 30 + 40 × 30) / 60 = 70,00
    assert tree.nodes[1].score == D("70.00")
    assert tree.nodes[1].weights == (
        WeightUse("indicator", 1, D("50.00"), True),
        WeightUse("indicator", 2, D("50.00"), True),
    )
    assert tree.nodes[1].warnings == ("I pesi degli indicatori sommano a 60 invece di 100: sono normalizzati",)


def test_it_accepts_weights_summing_to_100_within_the_tolerance():
    indicators = (scored(1, "90", weight="33.34"), scored(2, "60", weight="33.33"), scored(3, "30", weight="33.33"))
    tree = score_tree([node(1, indicators=indicators)], RULES)

    # (90 × 33,34 + 60 × 33,33 + 30 × 33,33) / 100 = (3.000,6 + 1.999,8 + 999,9) / 100 = 60,003 → 60,00
    assert tree.nodes[1].score == D("60.00")
    assert tree.nodes[1].warnings == ()


def test_it_gives_equal_shares_when_all_weights_are_blank():
    tree = score_tree([node(1, indicators=(scored(1, "100"), scored(2, "50"), scored(3, "0")))], RULES)

    # (100 + 50 + 0) / 3 = 50,00
    assert tree.nodes[1].score == D("50.00")
    assert [w.weight for w in tree.nodes[1].weights] == [D("33.33")] * 3
    assert tree.nodes[1].warnings == ()


def test_it_gives_equal_shares_when_all_weights_are_zero():
    tree = score_tree([node(1, indicators=(scored(1, "100", weight="0"), scored(2, "50", weight="0")))], RULES)

    assert tree.nodes[1].score == D("75.00")  # (100 + 50) / 2


def test_it_monitors_a_zero_weight_indicator_without_scoring_it():
    tree = score_tree(
        [node(1, indicators=(scored(1, "100", weight="50"), scored(2, "80", weight="50"), scored(3, "0", weight="0")))],
        RULES,
    )

    # indicator 3 (peso 0 %) is scored and shown, not counted: (100 × 50 + 80 × 50) / 100 = 90
    assert tree.nodes[1].score == D("90.00")
    assert tree.indicators[3].achievement == D("0.00")
    assert tree.nodes[1].weights[2] == WeightUse("indicator", 3, D("0.00"), False)
    assert tree.nodes[1].coverage == D("100.00")


def test_it_counts_a_blank_weight_among_weighted_siblings_as_zero_with_a_warning():
    tree = score_tree([node(1, indicators=(scored(1, "100", weight="100"), scored(2, "0")))], RULES)

    # indicator 2 has no weight beside a weighted one: weight 0 → node = 100
    assert tree.nodes[1].score == D("100.00")
    assert tree.nodes[1].weights[1] == WeightUse("indicator", 2, D("0.00"), False)
    assert tree.nodes[1].warnings == ("I2: peso non indicato mentre gli altri indicatori hanno un peso: conta 0",)


def test_it_gives_each_warning_a_kind_beside_its_unchanged_message():
    blank = score_tree([node(1, indicators=(scored(1, "100", weight="100"), scored(2, "0")))], RULES)
    off = score_tree([node(1, indicators=(scored(1, "100", weight="30"), scored(2, "40", weight="30")))], RULES)
    derived = indicator(number(">=", "100"), None, id=3, derived=True)
    leafless = score_tree([node(1, indicators=(derived,))], RULES)

    assert [(w, w.kind) for w in blank.nodes[1].warnings] == [
        ("I2: peso non indicato mentre gli altri indicatori hanno un peso: conta 0", WARN_WEIGHT_BLANK)
    ]
    assert [(w, w.kind) for w in off.nodes[1].warnings] == [
        ("I pesi degli indicatori sommano a 60 invece di 100: sono normalizzati", WARN_WEIGHT_SUM)
    ]
    assert [w.kind for w in leafless.nodes[1].warnings] == [WARN_DERIVED_LEAF]
    assert copy.deepcopy(off.nodes[1].warnings)[0].kind == WARN_WEIGHT_SUM
    assert pickle.loads(pickle.dumps(off.nodes[1].warnings))[0].kind == WARN_WEIGHT_SUM


def test_the_mean_of_some_objectives_counts_a_blank_weight_as_zero_beside_weighted_ones():
    # Three objectives of one person: 80 (peso 60), 50 (peso blank), 100 (peso 40); 4 has no target that year.
    roots = [
        node(
            1,
            level="area",
            children=(leaf(2, "80"), leaf(3, "50"), leaf(4, "100"), node(5, indicators=(indicator(none(), "7"),))),
        )
    ]
    tree = score_tree(roots, RULES)

    # The blank weight counts 0 beside weighted ones: (80 × 60 + 100 × 40) / 100 = 88,00 (not 8.850 / 101 = 87,62)
    assert objectives_mean(tree, [(2, D("60")), (3, None), (4, D("40")), (5, D("10"))]) == D("88.00")
    # All blank: equal shares, (80 + 50 + 100) / 3 = 76,666… → 76,67
    assert objectives_mean(tree, [(2, None), (3, None), (4, None)]) == D("76.67")
    # Only an objective with no target that year, or none at all: N/D
    assert objectives_mean(tree, [(5, D("10"))]) is None
    assert objectives_mean(tree, []) is None


def test_it_weights_child_objectives_the_same_way():
    tree = score_tree([node(1, children=(leaf(2, "100", weight="75"), leaf(3, "20", weight="25")))], RULES)

    # (100 × 75 + 20 × 25) / 100 = 80,00
    assert tree.nodes[1].score == D("80.00")
    assert tree.nodes[1].share == D(0)  # no indicators: the children make the score


# --- §2 nodes: indicators and children -------------------------------------------------------------------------


def test_it_scores_a_node_with_indicators_by_its_indicators_by_default():
    tree = score_tree([node(1, indicators=(scored(1, "60"),), children=(leaf(2, "100"),))], RULES)

    assert tree.nodes[1].score == D("60.00")
    assert tree.nodes[1].children_part == D("100.00")  # computed and shown, not used


def test_it_scores_a_node_without_indicators_by_its_children():
    tree = score_tree([node(1, children=(leaf(2, "60"), leaf(3, "90")))], RULES)

    assert tree.nodes[1].score == D("75.00")  # (60 + 90) / 2


def test_it_uses_the_plan_default_share():
    rules = ScoringRules(default_indicator_share=D(40))
    tree = score_tree([node(1, indicators=(scored(1, "50"),), children=(leaf(2, "100"),))], rules)

    # 40 % × 50 + 60 % × 100 = 20 + 60 = 80,00
    assert tree.nodes[1].score == D("80.00")
    assert tree.nodes[1].share == D(40)


def test_it_lets_the_node_share_override_the_plan_default():
    rules = ScoringRules(default_indicator_share=D(40))
    tree = score_tree([node(1, share="100", indicators=(scored(1, "50"),), children=(leaf(2, "100"),))], rules)

    assert tree.nodes[1].score == D("50.00")


def test_it_leaves_out_a_part_with_nothing_scored():
    tree = score_tree(
        [node(1, share="30", indicators=(scored(1, None),), children=(leaf(2, "80"), leaf(3, "70")))], RULES
    )

    # indicators part: nothing measured → left out; children (80 + 70) / 2 = 75 take its weight
    assert tree.nodes[1].indicators_part is None
    assert tree.nodes[1].score == D("75.00")
    assert tree.nodes[1].share == D(0)
    # coverage: 30 % × 0 + 70 % × 100 = 70
    assert tree.nodes[1].coverage == D("70.00")


def test_it_rounds_each_part_before_combining_them():
    indicators = (scored(1, "12.34"), scored(2, "12.35"))  # (12,34 + 12,35) / 2 = 12,345 → 12,35
    tree = score_tree([node(1, share="50", indicators=indicators, children=(leaf(2, "0"),))], RULES)

    assert tree.nodes[1].indicators_part == D("12.35")
    assert tree.nodes[1].children_part == D("0.00")
    # 50 % × 12,35 + 50 % × 0 = 6,175 → 6,18 (from the unrounded part 12,345 it would be 6,1725 → 6,17)
    assert tree.nodes[1].score == D("6.18")


def test_it_rounds_a_child_half_up_before_feeding_its_parent():
    # node 2 = (12,34 + 12,35) / 2 = 12,345 → 12,35; node 3 = 0
    child = node(2, weight="50", indicators=(scored(1, "12.34"), scored(2, "12.35")))
    tree = score_tree([node(1, children=(child, leaf(3, "0", weight="50")))], RULES)

    assert tree.nodes[2].score == D("12.35")
    # parent from the printed child: (12,35 + 0) / 2 = 6,175 → 6,18 (from the unrounded 12,345 it would be 6,17)
    assert tree.nodes[1].score == D("6.18")


# --- §2 the ente -----------------------------------------------------------------------------------------------


def test_it_scores_the_ente_as_the_weighted_mean_of_its_areas():
    areas = [
        leaf(1, "90", weight="60", level="area"),
        leaf(2, "40", weight="40", level="area"),
    ]
    tree = score_tree(areas, RULES)

    # 90 × 60 % + 40 × 40 % = 54 + 16 = 70,00
    assert tree.score == D("70.00")
    assert tree.coverage == D("100.00")
    assert tree.band == "parziale"


# --- §3 missing data in the tree -------------------------------------------------------------------------------


def test_it_excludes_a_missing_indicator_and_renormalises_by_default():
    indicators = (scored(1, "100", weight="40"), scored(2, "60", weight="40"), scored(3, None, weight="20"))
    tree = score_tree([node(1, indicators=indicators)], RULES)

    # indicator 3 missing: (100 × 40 + 60 × 40) / 80 = 80,00; copertura 80 %
    assert tree.nodes[1].score == D("80.00")
    assert tree.nodes[1].coverage == D("80.00")
    assert tree.nodes[1].weights[2] == WeightUse("indicator", 3, D("20.00"), False)


def test_it_counts_a_missing_indicator_as_zero_when_the_plan_says_so():
    rules = ScoringRules(missing="zero")
    indicators = (scored(1, "100", weight="40"), scored(2, "60", weight="40"), scored(3, None, weight="20"))
    tree = score_tree([node(1, indicators=indicators)], rules)

    # (100 × 40 + 60 × 40 + 0 × 20) / 100 = 64,00; copertura still 80 %
    assert tree.nodes[1].score == D("64.00")
    assert tree.nodes[1].coverage == D("80.00")
    assert tree.nodes[1].weights[2] == WeightUse("indicator", 3, D("20.00"), True)


def test_it_treats_a_not_computable_indicator_as_missing():
    indicators = (scored(1, "80"), indicator(text("Redazione della situazione contabile"), id=2))
    tree = score_tree([node(1, indicators=indicators)], RULES)

    assert tree.nodes[1].score == D("80.00")
    assert tree.nodes[1].coverage == D("50.00")


def test_it_gives_no_score_never_zero_to_a_node_with_nothing_measured():
    tree = score_tree([node(1, indicators=(scored(1, None), scored(2, None)))], RULES)

    assert tree.nodes[1].score is None
    assert tree.nodes[1].coverage == D("0.00")
    assert tree.nodes[1].band == "nd"
    assert tree.score is None


def test_it_gives_no_score_to_a_node_with_nothing_measured_even_when_missing_counts_as_zero():
    tree = score_tree([node(1, indicators=(scored(1, None),))], ScoringRules(missing="zero"))

    assert tree.nodes[1].score is None


def test_it_counts_an_unmeasured_child_as_zero_in_its_parent_when_missing_counts_as_zero():
    tree = score_tree(
        [node(1, children=(leaf(2, "80", weight="50"), leaf(3, None, weight="50")))], ScoringRules(missing="zero")
    )

    # child 3 shows N/D, and counts 0 in its parent: (80 × 50 + 0 × 50) / 100 = 40
    assert tree.nodes[3].score is None
    assert tree.nodes[1].score == D("40.00")


def test_it_excludes_an_unmeasured_child_by_default():
    tree = score_tree([node(1, children=(leaf(2, "80", weight="50"), leaf(3, None, weight="50")))], RULES)

    assert tree.nodes[1].score == D("80.00")
    assert tree.nodes[1].coverage == D("50.00")


def test_it_leaves_an_indicator_without_a_target_out_of_weights_and_coverage():
    indicators = (scored(1, "100", weight="50"), indicator(none(), "3", id=2, weight="50"))
    tree = score_tree([node(1, indicators=indicators)], ScoringRules(missing="zero"))

    # indicator 2 has no target this year: not 0, no weight → node = 100, copertura 100 %
    assert tree.nodes[1].score == D("100.00")
    assert tree.nodes[1].coverage == D("100.00")
    assert tree.nodes[1].weights[1] == WeightUse("indicator", 2, None, False)


def test_it_leaves_out_a_child_with_no_targets_that_year_even_when_missing_counts_as_zero():
    no_targets = node(3, weight="50", indicators=(indicator(none(), id=3),))
    tree = score_tree([node(1, children=(leaf(2, "80", weight="50"), no_targets))], ScoringRules(missing="zero"))

    assert tree.nodes[3].applicable is False
    assert tree.nodes[3].coverage is None
    assert tree.nodes[1].score == D("80.00")  # not (80 + 0) / 2


def test_it_propagates_coverage_up_the_tree():
    child_a = node(2, weight="50", indicators=(scored(1, "100"), scored(2, None)))  # copertura 50 %
    child_b = leaf(3, "100", weight="50")  # copertura 100 %
    tree = score_tree([node(1, children=(child_a, child_b))], RULES)

    # 50 % × 50 + 50 % × 100 = 75 % of the weight was measured
    assert tree.nodes[2].coverage == D("50.00")
    assert tree.nodes[1].coverage == D("75.00")
    assert tree.nodes[1].score == D("100.00")


# --- Hand-built trees ------------------------------------------------------------------------------------------


def test_it_scores_a_whole_plan_by_hand():
    """An ente with two areas; every level checked with a pencil."""
    # Area 1 (peso 60)
    #   OS 11 (peso 70), quota indicatori 30 %
    #     indicator 111: >= 350 with 382 → 100 (capped)
    #     OO 111 (peso 50): indicator 1111 <= 4 with 5 → 80; indicator 1112 entro 30/09 done 02/10 → 0
    #                       weights 75/25 → 80 × 0,75 + 0 × 0,25 = 60,00
    #     OO 112 (peso 50): indicator 1121 SI with SI → 100
    #     children part: (60 + 100) / 2 = 80,00; OS 11 = 30 % × 100 + 70 % × 80 = 30 + 56 = 86,00
    #   OS 12 (peso 30): indicator 121 <= -3,5 with -7,72 → 100; indicator 122 missing (excluded) → 100,00
    #   Area 1 = (86 × 70 + 100 × 30) / 100 = 60,2 + 30 = 90,20
    # Area 2 (peso 40)
    #   OS 21 (pesi vuoti): indicators 211 >= 15 with 14 → 93,33, 212 4 lower_better with 6 → 66,67
    #   OS 21 = (93,33 + 66,67) / 2 = 80,00; Area 2 = 80,00
    # Ente = 90,20 × 60 % + 80 × 40 % = 54,12 + 32 = 86,12
    oo_111 = node(
        111,
        weight="50",
        indicators=(
            indicator(number("<=", "4"), "5", id=1111, weight="75"),
            indicator(
                deadline(datetime.date(2017, 9, 30)),
                id=1112,
                weight="25",
                measurement=MeasurementInput(value_date=datetime.date(2017, 10, 2)),
            ),
        ),
    )
    oo_112 = node(
        112, weight="50", indicators=(indicator(yes_no(), id=1121, measurement=MeasurementInput(value_bool=True)),)
    )
    os_11 = node(
        11,
        level="strategic",
        weight="70",
        share="30",
        indicators=(indicator(number(">=", "350"), "382", id=111),),
        children=(oo_111, oo_112),
    )
    os_12 = node(
        12,
        level="strategic",
        weight="30",
        indicators=(
            indicator(number("<=", "-3.5", Unit.PERCENT), "-7.72", id=121, weight="50"),
            indicator(number(">=", "10"), id=122, weight="50"),
        ),
    )
    os_21 = node(
        21,
        level="strategic",
        indicators=(
            indicator(number(">=", "15"), "14", id=211),
            indicator(number(None, "4"), "6", id=212, polarity="lower_better"),
        ),
    )
    area_1 = node(1, level="area", weight="60", children=(os_11, os_12))
    area_2 = node(2, level="area", weight="40", children=(os_21,))

    tree = score_tree([area_1, area_2], RULES)

    assert tree.nodes[111].score == D("60.00")
    assert tree.nodes[112].score == D("100.00")
    assert tree.nodes[11].children_part == D("80.00")
    assert tree.nodes[11].score == D("86.00")
    assert tree.nodes[12].score == D("100.00")
    assert tree.nodes[12].coverage == D("50.00")
    assert tree.nodes[1].score == D("90.20")
    assert tree.nodes[21].score == D("80.00")
    assert tree.nodes[2].score == D("80.00")
    assert tree.score == D("86.12")
    # coverage: area 1 = 70 % × 100 + 30 % × 50 = 85; ente = 60 % × 85 + 40 % × 100 = 91
    assert tree.nodes[1].coverage == D("85.00")
    assert tree.coverage == D("91.00")


def test_it_scores_negative_targets_in_a_tree():
    # <= -11 gg with -16,61 → 100; <= -11 gg with -9 → 0 (not both positive); equal shares → 50,00
    indicators = (
        indicator(number("<=", "-11", Unit.DAYS), "-16.61", id=1),
        indicator(number("<=", "-11", Unit.DAYS), "-9", id=2),
    )
    assert score_tree([node(1, indicators=indicators)], RULES).nodes[1].score == D("50.00")


def test_it_scores_a_manual_achievement_in_a_tree_and_counts_it():
    m = MeasurementInput(manual_achievement=D(70), manual_reason="Piattaforma esterna")
    indicators = (
        scored(1, "100", weight="50"),
        indicator(text("Saldo 50% (altre 260)"), id=2, weight="50", measurement=m),
    )
    tree = score_tree([node(1, level="strategic", indicators=indicators)], RULES)

    # (100 × 50 + 70 × 50) / 100 = 85,00
    assert tree.nodes[1].score == D("85.00")
    assert tree.nodes[1].has_manual is True
    assert count_by_band(tree, "indicator")["manuale"] == 1
    assert count_by_band(tree, "strategic")["manuale"] == 1


def test_it_scores_formula_indicators_in_a_tree():
    # 1: (ProvStrut - OnStrut) / ProvStrut, % → (1.000 - 800) / 1.000 × 100 = 20 vs >= 25 → 80
    # 2: Positivi / Totale * 100 → 45 / 50 × 100 = 90 vs >= 90 → 100
    # node: (80 + 100) / 2 = 90,00
    first = indicator(
        number(">=", "25", Unit.PERCENT),
        id=1,
        formula="(ProvStrut - OnStrut) / ProvStrut",
        measurement=MeasurementInput(variables={"ProvStrut": D(1000), "OnStrut": D(800)}),
    )
    second = indicator(
        number(">=", "90", Unit.PERCENT),
        id=2,
        formula="Positivi / Totale * 100",
        measurement=MeasurementInput(variables={"Positivi": D(45), "Totale": D(50)}),
    )
    tree = score_tree([node(1, indicators=(first, second))], RULES)

    assert tree.nodes[1].score == D("90.00")


# --- Results: types, steps, bands, counts ----------------------------------------------------------------------


def test_it_returns_decimals_only():
    tree = score_tree([node(1, indicators=(scored(1, "14"),))], RULES)

    values = [
        tree.score,
        tree.coverage,
        tree.nodes[1].score,
        tree.nodes[1].coverage,
        tree.indicators[1].achievement,
    ]
    assert all(isinstance(value, Decimal) for value in values)


def test_it_explains_each_score_in_italian_steps():
    result: IndicatorScore = score_indicator(indicator(number(">=", "15"), "14", target_version=2), RULES)

    assert result.steps == (
        "Target: ≥ 15 (versione 2)",
        "Consuntivo: 14",
        "14 ≥ 15 non vero: target non raggiunto; 14 / 15 × 100 = 93,3333…",
        "Raggiungimento (≥): 93,33 %",
    )
    tree = score_tree([node(1, indicators=(scored(1, "100", weight="50"), scored(2, "80", weight="50")))], RULES)
    assert "Media ponderata degli indicatori: 100,00 × 50 % + 80,00 × 50 % = 90,00" in tree.nodes[1].steps


@pytest.mark.parametrize(
    ("score", "expected"),
    [("100", "raggiunto"), ("99.99", "parziale"), ("50", "parziale"), ("49.99", "non_raggiunto"), (None, "nd")],
)
def test_it_puts_scores_in_the_default_bands(score, expected):
    assert band(D(score) if score is not None else None, RULES) == expected


def test_it_uses_the_plans_band_thresholds():
    rules = ScoringRules(achieved_threshold=D(90), partial_threshold=D(60))

    assert band(D("90"), rules) == "raggiunto"
    assert band(D("59.99"), rules) == "non_raggiunto"


def test_it_counts_nodes_and_indicators_by_band():
    operational = (
        leaf(11, "100"),  # raggiunto
        leaf(12, "70"),  # parziale
        leaf(13, "10"),  # non raggiunto
        leaf(14, None),  # N/D
    )
    action = leaf(15, "100", level="action")
    tree = score_tree([node(1, level="strategic", children=(*operational, action))], RULES)

    assert count_by_band(tree, "operational") == {
        "totale": 4,
        "raggiunto": 1,
        "parziale": 1,
        "non_raggiunto": 1,
        "nd": 1,
        "manuale": 0,
    }
    assert count_by_band(tree, ("operational", "action"))["totale"] == 5
    assert count_by_band(tree, "indicator")["totale"] == 5


def test_it_refuses_an_unknown_missing_data_setting():
    with pytest.raises(ValueError, match="missing"):
        score_tree([], ScoringRules(missing="ignore"))


def test_it_scores_an_empty_plan_as_not_available():
    tree = score_tree([], RULES)

    assert (tree.score, tree.coverage, tree.nodes, tree.indicators) == (None, None, {}, {})


# --- §2 org units ----------------------------------------------------------------------------------------------


UNITS = (
    UnitInput(1, None, "AD", "Area dirigenziale"),
    UnitInput(2, 1, "AO1", "Area organizzativa 1"),
    UnitInput(3, 1, "AO2", "Area organizzativa 2"),
    UnitInput(4, None, "SG", "Segreteria generale"),
)


def test_it_scores_a_unit_by_its_objectives_and_those_of_its_sub_units():
    # AO1: OO 11 (peso 60) 90; AO2: OO 12 (peso 40) 40; area and OS have no unit
    # AO1 = 90; AO2 = 40; AD = (90 × 60 + 40 × 40) / 100 = 54 + 16 = 70,00
    roots = [
        node(
            1,
            level="area",
            children=(
                node(
                    10,
                    level="strategic",
                    children=(leaf(11, "90", weight="60", unit=2), leaf(12, "40", weight="40", unit=3)),
                ),
            ),
        )
    ]
    tree = score_tree(roots, RULES)

    units = score_units(tree, roots, UNITS)

    assert units[2].score == D("90.00")
    assert units[3].score == D("40.00")
    assert units[1].score == D("70.00")
    assert units[1].own_objectives == ()
    assert units[4].score is None  # no objectives


def test_it_gives_an_objective_without_unit_to_its_nearest_ancestors_unit():
    # OO 11 (unit AO1, peso 50) = 100 from its own indicator; its action 111 (no unit, peso 50) = 60 belongs to AO1
    # too, but inside OO 11's branch: the OO stands for the branch (default quota indicatori 100 %: the OO is
    # measured by its indicator), so AO1 = 100,00, not (100 + 60) / 2.
    action = leaf(111, "60", weight="50", level="action")
    oo = node(11, weight="50", unit=2, indicators=(scored(1, "100"),), children=(action,))
    roots = [node(1, level="area", children=(oo,))]

    units = score_units(score_tree(roots, RULES), roots, UNITS)

    assert units[2].own_objectives == (11, 111)
    assert units[2].score == D("100.00")
    assert [w.id for w in units[2].objectives] == [11]


def test_it_counts_an_objective_and_its_unitless_actions_once():
    # OO 11 (unit AO1) has no indicators: its score is the mean of its actions 111 = 60 and 112 = 80 → 70,00.
    # AO1 = 70,00 (the OO once), not the mean of 70, 60 and 80.
    oo = node(11, unit=2, children=(leaf(111, "60", level="action"), leaf(112, "80", level="action")))
    roots = [node(1, level="area", children=(oo,))]

    units = score_units(score_tree(roots, RULES), roots, UNITS)

    assert units[2].score == D("70.00")


def test_it_gives_equal_shares_to_a_units_objectives_when_all_weights_are_blank():
    roots = [node(1, level="area", unit=4, children=(leaf(11, "100"), leaf(12, "50"), leaf(13, "30")))]

    units = score_units(score_tree(roots, RULES), roots, UNITS)

    # the area is not an objective; its three OOs inherit SG: (100 + 50 + 30) / 3 = 60,00
    assert units[4].score == D("60.00")
    assert [w.id for w in units[4].objectives] == [11, 12, 13]


def test_it_leaves_an_unmeasured_objective_out_of_its_units_score():
    roots = [node(1, level="area", children=(leaf(11, "100", unit=2), leaf(12, None, unit=2)))]

    units = score_units(score_tree(roots, RULES), roots, UNITS)

    assert units[2].score == D("100.00")
    assert units[2].coverage == D("50.00")
