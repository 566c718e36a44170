"""The Algoritmo evaluator (spec/targets.md §8, spec/scoring.md §5): pure, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.formula import (
    MAX_CHARS,
    MAX_TOKENS,
    Formula,
    FormulaError,
    parse_formula,
    single_name,
)

D = Decimal


def parse(text: str) -> Formula:
    formula = parse_formula(text)
    assert formula is not None, f"{text!r} should be a formula"
    return formula


# --- What is a formula -----------------------------------------------------------------------------------------


def test_it_parses_a_plain_ratio_of_two_variables():
    formula = parse("Liq_Imm / PassCorr")  # RF:1178

    assert formula.variables == ("Liq_Imm", "PassCorr")
    assert formula.is_simple_ratio
    assert formula.evaluate({"Liq_Imm": D("13092700"), "PassCorr": D("4352680")}) == D("13092700") / D("4352680")


def test_it_evaluates_a_parenthesised_difference_over_a_variable():
    formula = parse("(ProvStrut - OnStrut) / ProvStrut")  # RF:1209

    # (1.000 - 800) / 1.000 = 200 / 1.000 = 0,2
    assert formula.evaluate({"ProvStrut": D(1000), "OnStrut": D(800)}) == D("0.2")
    assert formula.variables == ("ProvStrut", "OnStrut")  # each name once, in order of appearance
    assert not formula.is_simple_ratio


def test_it_keeps_a_dash_between_letters_inside_the_name():
    formula = parse("(Cpers-Ind + OnFunz) / N_ImprAtt")  # RF:1278

    assert formula.variables == ("Cpers-Ind", "OnFunz", "N_ImprAtt")
    # (300 + 100) / 50 = 8
    assert formula.evaluate({"Cpers-Ind": D(300), "OnFunz": D(100), "N_ImprAtt": D(50)}) == D(8)


def test_it_reads_a_dash_next_to_a_space_as_minus():
    assert parse("ProvStrut - OnStrut").variables == ("ProvStrut", "OnStrut")
    assert parse("Dip-Form / (Unit_Stab + N_Dir)").variables == ("Dip-Form", "Unit_Stab", "N_Dir")  # RF:1331


def test_it_reads_a_dash_between_a_digit_and_a_letter_as_minus():
    # the rule needs a letter on both sides: "A1-B" is A1 minus B
    assert parse("A1-B").evaluate({"A1": D(5), "B": D(2)}) == D(3)


def test_it_accepts_names_with_inner_spaces_dots_and_digits():
    assert parse("Patrimonio netto / Immob").variables == ("Patrimonio netto", "Immob")  # RF:1185
    assert parse("CD_IE_D1.1.1 + N_Prot_C1.1_Evasi").variables == ("CD_IE_D1.1.1", "N_Prot_C1.1_Evasi")


def test_it_reads_a_prose_ratio_as_two_named_variables():
    text = (
        "N. risposte positive customer servizi di informazione economica / "
        "N. risposte customer servizi di informazione economica"
    )  # RF:742-743

    formula = parse(text)

    assert formula.is_simple_ratio
    assert formula.variables == (
        "N. risposte positive customer servizi di informazione economica",
        "N. risposte customer servizi di informazione economica",
    )


def test_it_accepts_apostrophes_in_prose_names():
    formula = parse("N. fatture scartate nell’anno / N. fatture emesse nell'anno")  # RF:407, typographic apostrophe

    assert formula.variables == ("N. fatture scartate nell'anno", "N. fatture emesse nell'anno")


def test_it_joins_a_formula_written_over_several_lines():
    assert parse("(ProvStrut -\n OnStrut)\t/  ProvStrut").variables == ("ProvStrut", "OnStrut")


def test_it_says_a_single_name_is_not_a_formula_but_a_direct_value():
    assert parse_formula("RitPagamenti") is None  # RF:1322
    assert single_name("RitPagamenti") == "RitPagamenti"
    assert single_name("Indice_Trasp") == "Indice_Trasp"  # RF:1416
    assert single_name("A / B") is None


def test_it_says_prose_without_an_operator_is_not_a_formula():
    assert parse_formula("vedi integra 20%") is None  # RF:628
    assert single_name("vedi integra 20%") is None
    assert parse_formula("") is None
    assert parse_formula("   ") is None


def test_it_says_prose_with_characters_outside_the_formula_alphabet_is_not_a_formula():
    # RF:1202-1208: footnote marks and brackets make it prose; the variables line is the Algoritmo
    assert parse_formula("(Proventi strutturali* - Oneri strutturali**) / Proventi strutturali* [* nota]") is None
    assert parse_formula("n.ro aggiornamenti effettuati / n.ro aggiornamenti da effettuare >= 85,00 %") is None


# --- Numbers and operators -------------------------------------------------------------------------------------


def test_it_reads_italian_numbers():
    assert parse("A * 1.250,5").evaluate({"A": D(2)}) == D("2501.0")  # 2 × 1.250,5
    assert parse("A + 0,25").evaluate({"A": D(1)}) == D("1.25")
    assert parse("A + 11.900.000.000").evaluate({"A": D(0)}) == D("11900000000")


def test_it_reads_a_point_that_is_not_a_thousands_group_as_a_decimal_point():
    assert parse("A * 3.5").evaluate({"A": D(2)}) == D("7.0")  # targets.md D3


def test_it_accepts_the_typographic_multiplication_and_division_signs():
    assert parse("A × B ÷ C").evaluate({"A": D(6), "B": D(2), "C": D(4)}) == D(3)  # 6 × 2 ÷ 4 = 3


def test_it_gives_multiplication_precedence_over_addition():
    assert parse("A + B * C").evaluate({"A": D(1), "B": D(2), "C": D(3)}) == D(7)  # 1 + (2 × 3)
    assert parse("(A + B) * C").evaluate({"A": D(1), "B": D(2), "C": D(3)}) == D(9)


def test_it_associates_subtraction_and_division_to_the_left():
    assert parse("A - B - C").evaluate({"A": D(10), "B": D(3), "C": D(2)}) == D(5)  # (10 - 3) - 2
    assert parse("A / B / C").evaluate({"A": D(12), "B": D(3), "C": D(2)}) == D(2)  # (12 / 3) / 2


def test_it_accepts_unary_signs():
    assert parse("-A + B").evaluate({"A": D(2), "B": D(5)}) == D(3)
    assert parse("A * -B").evaluate({"A": D(2), "B": D(5)}) == D(-10)
    assert parse("- - A").evaluate({"A": D(4)}) == D(4)


def test_it_computes_with_decimals_not_floats():
    result = parse("A / B").evaluate({"A": D(1), "B": D(3)})

    assert isinstance(result, Decimal)
    assert result == D(1) / D(3)  # 28 significant digits, never 0.333…(float)


def test_it_matches_variables_ignoring_case_and_repeated_spaces():
    formula = parse("Patrimonio netto / Immob")

    assert formula.evaluate({"patrimonio  NETTO": D(10), "IMMOB": D(4)}) == D("2.5")


# --- × 100 and ratios ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["A / B * 100", "100 * A / B", "A * 100 / B", "(A - B) / B * 100", "(A / B * 100)", "A / B × 100"],
)
def test_it_knows_when_a_formula_already_multiplies_by_100(text: str):
    assert parse(text).multiplies_by_100


@pytest.mark.parametrize("text", ["A / B", "A / (B * 100)", "A / B + 100", "A / B * 10", "A * 1000 / B"])
def test_it_knows_when_a_formula_does_not_multiply_by_100(text: str):
    assert not parse(text).multiplies_by_100


def test_it_knows_whether_a_formula_divides():
    assert parse("(A - B) / C").has_division
    assert not parse("A - B").has_division


def test_it_renders_the_formula_with_values_in_place_of_names():
    formula = parse("(ProvStrut - OnStrut) / ProvStrut")

    assert formula.render() == "(ProvStrut - OnStrut) / ProvStrut"
    assert formula.render({"ProvStrut": D(1250), "OnStrut": D("800.5")}) == "(1.250 - 800,5) / 1.250"
    assert parse("A - (B - C)").render() == "A - (B - C)"


# --- Errors ----------------------------------------------------------------------------------------------------


def test_it_names_a_missing_variable():
    with pytest.raises(FormulaError, match="^Variabile mancante: OnStrut$") as error:
        parse("(ProvStrut - OnStrut) / ProvStrut").evaluate({"ProvStrut": D(1)})
    assert error.value.code == "missing_variable"


def test_it_names_an_unknown_variable():
    with pytest.raises(FormulaError, match="Variabile sconosciuta: PasCorr") as error:
        parse("Liq_Imm / PassCorr").evaluate({"Liq_Imm": D(1), "PassCorr": D(2), "PasCorr": D(2)})
    assert error.value.code == "unknown_variable"


def test_it_refuses_a_division_by_zero():
    with pytest.raises(FormulaError, match="^Divisione per zero$") as error:
        parse("A / (B - C)").evaluate({"A": D(1), "B": D(2), "C": D(2)})
    assert error.value.code == "division_by_zero"


def test_it_refuses_a_formula_longer_than_500_characters():
    long_text = "A + " * 125 + "B"  # 501 characters

    assert len(long_text) == MAX_CHARS + 1
    with pytest.raises(FormulaError, match="Formula troppo lunga: al massimo 500 caratteri") as error:
        parse_formula(long_text)
    assert error.value.code == "too_long"


def test_it_refuses_a_formula_with_more_than_200_tokens():
    text = "+".join(["A"] * 101)  # 101 names + 100 operators = 201 tokens, 201 characters

    with pytest.raises(FormulaError, match="Formula troppo complessa: al massimo 200 elementi") as error:
        parse_formula(text)
    assert error.value.code == "too_complex"


def test_it_accepts_a_formula_of_exactly_200_tokens():
    text = "-" + "+".join(["A"] * 100)  # 1 sign + 100 names + 99 operators = 200 tokens

    assert parse(text).evaluate({"A": D(1)}) == D(98)  # -1 + 99 × 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(A + B / C", "Parentesi aperta e mai chiusa."),
        ("A + B) / C", "Parentesi chiusa senza parentesi aperta."),
        ("A +", "Formula incompleta: manca un numero o una variabile alla fine."),
        ("/ A", "Operatore «/» senza un numero o una variabile dopo."),
        ("A + () * B", "Parentesi chiusa senza un'espressione prima."),
        ("A (B) + C", "Manca un operatore prima di «(»."),
        ("1.2.3 + A", "Numero non valido: «1.2.3»."),
    ],
)
def test_it_explains_a_malformed_formula_in_italian(text: str, message: str):
    with pytest.raises(FormulaError) as error:
        parse_formula(text)
    assert str(error.value) == message


def test_it_never_executes_python():
    # no eval: what looks like code is names and operators, or not a formula at all
    assert parse_formula("__import__('os').system('ls')") is None
    with pytest.raises(FormulaError):
        parse_formula("__import__('os').system('ls') + 1")
    formula = parse("__class__ / __dict__")
    assert formula.evaluate({"__class__": D(4), "__dict__": D(2)}) == D(2)


@given(st.text(alphabet="AB1,.()+-*/×÷ _'x", max_size=60))
def test_it_only_ever_answers_a_formula_none_or_a_formula_error(text: str):
    try:
        formula = parse_formula(text)
    except FormulaError:
        return
    if formula is not None:
        try:
            result = formula.evaluate(dict.fromkeys(formula.variables, D(3)))
        except FormulaError:
            return
        assert isinstance(result, Decimal)


def test_it_exports_its_bounds():
    assert (MAX_CHARS, MAX_TOKENS) == (500, 200)
