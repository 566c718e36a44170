from reports.parts import Part, body_parts, render_part
from reports.pdf import chunk_parts
from reports.selectors import relazione_build
from tests.reports.conftest import YEAR

SECTIONS = [
    *("premessa", "s1", "s2", "s3", "s3_1", "s3_2", "s3_3", "s3_3_units", "s3_3_end"),
    *("s4", "genere", "s5", "a1", "a2"),
]


def test_the_preview_prints_every_section_whole(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    parts = body_parts(data)
    assert [part.name for part in parts] == SECTIONS
    by_name = {part.name: part for part in parts}
    assert by_name["s3_2"].context["areas"] is data.operational
    assert by_name["s3_3_end"].context["deviations"] is data.deviations
    assert all(part.context.get("first", True) and part.context.get("last", True) for part in parts)


def test_the_tables_of_3_2_are_cut_at_strategic_objectives_into_pieces_of_bounded_rows(large_plan):
    data = relazione_build(plan=large_plan, year=large_plan.start_year)
    # In 3.2 a strategic objective prints its own row (its indicators are in 3.1), 6 OO and 24 actions with 3
    # indicators each: 1 + 30 × (1 + 3) = 121 rows. Two fit in 300 rows (242), three do not (363): the 10 OS of the
    # two areas make 5 pieces of 2, and the third piece holds the last OS of area 1 and the first of area 2.
    pieces = [part for part in body_parts(data, max_rows=300) if part.name == "s3_2"]
    assert len(pieces) == 5
    strategic = [[[n.code for n in a.nodes if n.level == "strategic"] for a in p.context["areas"]] for p in pieces]
    area_1 = [n.code for n in data.operational[0].nodes if n.level == "strategic"]
    area_2 = [n.code for n in data.operational[1].nodes if n.level == "strategic"]
    assert strategic == [[area_1[0:2]], [area_1[2:4]], [area_1[4:], area_2[0:1]], [area_2[1:3]], [area_2[3:5]]]
    third = pieces[2].context["areas"]
    assert [a.code for a in third] == [data.operational[0].code, data.operational[1].code]
    assert [a.continued for a in third] == [True, False]
    assert [p.context["first"] for p in pieces] == [True, False, False, False, False]
    assert [p.context["last"] for p in pieces] == [False, False, False, False, True]
    # Nothing lost or repeated: the pieces give back every node of every area, in order.
    for area in data.operational:
        nodes = [n for p in pieces for a in p.context["areas"] if a.code == area.code for n in a.nodes]
        assert nodes == area.nodes


def test_flat_tables_are_cut_between_rows_and_units_at_a_unit_when_they_can(large_plan):
    data = relazione_build(plan=large_plan, year=large_plan.start_year)
    parts = body_parts(data, max_rows=100)
    deviations = [p.context["deviations"] for p in parts if p.name == "s3_3_end"]
    assert [row for piece in deviations for row in piece] == data.deviations
    assert all(len(piece) <= 100 for piece in deviations)
    units = [p.context["units"] for p in parts if p.name == "s3_3_units"]
    assert [row for piece in units for row in piece] == data.units
    assert all(len(piece) <= 100 for piece in units)
    # A piece starts at a unit's row unless that unit and its objectives alone are longer than 100 rows.
    starts = [i for i, row in enumerate(data.units) if row["kind"] == "unit"] + [len(data.units)]
    run_length = {i: b - a for a, b in zip(starts, starts[1:], strict=False) for i in range(a, b)}
    first_rows = [sum(len(piece) for piece in units[:n]) for n in range(len(units))]
    assert all(data.units[i]["kind"] == "unit" or run_length[i] > 100 for i in first_rows)
    assert len(units) > 1


def test_chunks_take_consecutive_parts_up_to_the_row_budget_and_a_longer_part_alone():
    parts = [Part("premessa", 10), Part("s1", 10), Part("s3_2", 300), Part("s4", 5), Part("s5", 15)]
    chunks = chunk_parts(parts, 20)
    assert [[p.name for p in chunk] for chunk in chunks] == [["premessa", "s1"], ["s3_2"], ["s4", "s5"]]


def test_a_relazione_without_units_has_no_unit_table_and_so_no_empty_landscape_page(small_plan):
    data = relazione_build(plan=small_plan, year=YEAR)
    data.units = []
    names = [part.name for part in body_parts(data)]
    assert "s3_3_units" not in names and names == [name for name in SECTIONS if name != "s3_3_units"]
    assert "s3_3_units" not in [part.name for part in body_parts(data, max_rows=5)]

    s3_3 = next(part for part in body_parts(data) if part.name == "s3_3")
    assert "Nessuna unità organizzativa registrata" in render_part(s3_3, data)
