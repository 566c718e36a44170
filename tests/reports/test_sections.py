"""The section list, the order of people in section 4 and the weight checks picked by the core's warning kind."""

from dataclasses import fields
from decimal import Decimal

from indicators.models import Indicator
from plans.models import Objective, ObjectiveKind, OrgUnit
from reports.parts import SECTION_PARTS, body_parts
from reports.sections import FRONT, SECTIONS
from reports.sections.context import load
from reports.sections.data import RelazioneData
from reports.selectors import relazione_build
from tests.reports.conftest import YEAR


def test_the_section_list_orders_the_body_and_each_field_has_one_builder(small_plan):
    assert [section.name for section in SECTIONS] == [
        "premessa", "s1", "s2", "s3", "s3_1", "s3_2", "s3_3", "s4", "genere", "s5", "a1", "a2",
    ]  # fmt: skip
    data = relazione_build(plan=small_plan, year=YEAR)
    # The PDF parts follow the list: a section cut in pieces (3.3 has two tables after its own) stays in its place.
    names = [part.name for part in body_parts(data)]
    assert [name for name in names if name not in ("s3_3_units", "s3_3_end")] == [s.name for s in SECTIONS]
    assert set(SECTION_PARTS) <= {s.name for s in SECTIONS}
    assert names.index("s3_3") < names.index("s3_3_units") < names.index("s3_3_end") < names.index("s4")
    # Every field of RelazioneData but the checks and the validation criteria comes from exactly one builder.
    ctx = load(plan=small_plan, year=YEAR)
    built = [key for builder in (FRONT, *SECTIONS) for key in builder.build(ctx)]
    assert len(built) == len(set(built))
    assert set(built) == {f.name for f in fields(RelazioneData)} - {"blocking", "warnings", "criteria"}


def test_people_come_in_the_order_of_their_units_in_the_org_chart_not_by_their_name(small_plan):
    # Units: A1 (top) › U1. OS 101 (unit U1) belongs to «Segretario vicario»; OO 1011.01 (unit A1) to «Dirigente»;
    # its action (no unit: A1 inherited from the OO) to nobody. Names play no part: the Dirigente's A1 comes first,
    # then the action's owner (same unit, later in the plan), then the Segretario vicario's U1.
    top, sub = OrgUnit.objects.get(code="A1"), OrgUnit.objects.get(code="U1")
    objectives = {o.code: o for o in Objective.objects.filter(plan=small_plan)}
    changes = {"101": ("Segretario vicario", sub), "1011.01": ("Dirigente", top), "1011.0101": ("", None)}
    for code, (owner, unit) in changes.items():
        Objective.objects.filter(pk=objectives[code].pk).update(
            kind=ObjectiveKind.INDIVIDUAL, owner=owner, org_unit=unit
        )

    data = relazione_build(plan=small_plan, year=YEAR)

    assert [p["owner"] for p in data.individuals] == ["Dirigente", "Responsabile non indicato", "Segretario vicario"]
    assert [[b.code for b in p["blocks"]] for p in data.individuals] == [["1011.01"], ["1011.0101"], ["101"]]
    assert data.individuals[2]["score_text"] == "93,11 %"  # OS 101 alone: its score


def test_weight_checks_are_the_core_warnings_of_kind_weight_sum_whatever_their_words(small_plan):
    # OS 101: F1 peso 30, the other indicator blank and named with the word «sommano». The core warns twice: the
    # blank weight (counts 0) and the weights summing to 30. Only the second is a weight-sum check.
    Indicator.objects.filter(objective__plan=small_plan, name__startswith="Pubblicazioni").update(weight=Decimal(30))
    Indicator.objects.filter(objective__plan=small_plan, name="Tempo medio di pagamento").update(
        weight=None, code="", name="Pratiche che sommano ritardi"
    )

    data = relazione_build(plan=small_plan, year=YEAR)

    assert [(c.message, c.where) for c in data.warnings if c.where == "101"] == [
        ("I pesi degli indicatori sommano a 30 invece di 100: sono normalizzati", "101")
    ]
