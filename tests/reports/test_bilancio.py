from reports.bilancio import bilancio_rows, bilancio_totals


def test_totals_are_computed_with_oneri_subtracted():
    lines = {"1": 10_000, "2": 3_000, "5": -500, "6": 4_000, "7": 2_000, "8": 5_000, "10": 100, "11": 40, "13": 60}
    totals = bilancio_totals(lines)
    # A = 10.000 + 3.000 − 500 = 12.500; B = 4.000 + 2.000 + 5.000 = 11.000; A − B = 1.500
    # C = 100 − 40 = 60; D = 0 − 60 = −60; E = 0; result = 1.500 + 60 − 60 = 1.500
    assert totals == {"A": 12_500, "B": 11_000, "AB": 1_500, "C": 60, "D": -60, "E": 0, "RESULT": 1_500}


def test_a_year_without_lines_prints_nd_in_every_row():
    rows = bilancio_rows([2016, 2017], {2017: {"1": 7}})
    line_1 = next(r for r in rows if r.key == "1")
    total_a = next(r for r in rows if r.key == "A")
    assert line_1.values == (None, 7)
    assert total_a.values == (None, 7)
