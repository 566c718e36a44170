"""Planning-office services: each change in one transaction, roles and locks checked, revisions after adoption."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from consuntivi.models import Measurement
from indicators.models import Indicator, Target
from plans import editing
from plans.lifecycle import plan_year_get
from plans.models import Level, Objective, Plan, PlanRevision, PlanState, PlanYear, YearState

pytestmark = pytest.mark.django_db


def node(plan: Plan, code: str) -> Objective:
    return Objective.objects.get(plan=plan, code=code)


def f1(plan: Plan) -> Indicator:
    return Indicator.objects.get(objective__plan=plan, code="F1")


def adopt(plan: Plan, user) -> Plan:
    return editing.plan_adopt(plan=plan, organ="Giunta camerale", number="12", date=dt.date(2017, 1, 30), user=user)


def validate_year(plan: Plan, year: int) -> None:
    PlanYear.objects.filter(plan=plan, year=year).update(state=YearState.VALIDATED)


# --- plans -----------------------------------------------------------------------------------------------------


def test_a_planner_creates_an_empty_plan_in_bozza_with_its_years(planner, small_plan):
    plan = editing.plan_create(
        ente=small_plan.ente, title="Piano 2025-2027", start_year=2025, end_year=2027, user=planner
    )
    assert plan.state == PlanState.DRAFT
    assert list(plan.plan_years.values_list("year", "state")) == [(y, YearState.PLANNED) for y in (2025, 2026, 2027)]


def test_a_plan_title_is_unique_in_the_ente(planner, small_plan):
    with pytest.raises(ValidationError) as exc:
        editing.plan_create(ente=small_plan.ente, title=small_plan.title, start_year=2017, end_year=2019, user=planner)
    assert "già un piano" in str(exc.value)


def test_adoption_records_organ_number_and_date(planner, small_plan):
    plan = adopt(small_plan, planner)
    assert plan.state == PlanState.ADOPTED
    assert plan.act_text == "Giunta camerale n. 12 del 30/01/2017"


def test_the_oiv_and_the_office_head_cannot_adopt_and_nothing_changes(oiv, office_head, small_plan):
    for user in (oiv, office_head):
        with pytest.raises(PermissionDenied):
            adopt(small_plan, user)
    small_plan.refresh_from_db()
    assert small_plan.state == PlanState.DRAFT and small_plan.act_text == ""


def test_a_planner_of_another_ente_cannot_edit(outsider, small_plan):
    with pytest.raises(PermissionDenied):
        editing.objective_update(objective=node(small_plan, "101"), user=outsider, title="Altro")
    assert node(small_plan, "101").title == "Informazione economica"


# --- objectives ------------------------------------------------------------------------------------------------


def test_a_new_node_goes_last_among_its_siblings(planner, small_plan):
    created = editing.objective_create(
        plan=small_plan,
        parent=node(small_plan, "101"),
        user=planner,
        code="1011.02",
        level=Level.OPERATIONAL,
        title="Nuovo obiettivo operativo",
        weight=Decimal("25"),
    )
    siblings = list(Objective.objects.filter(parent=node(small_plan, "101")).order_by("position"))
    assert [s.code for s in siblings] == ["1011.01", "1011.02"]
    assert created.weight == Decimal("25.00")


def test_a_node_code_must_be_new_and_its_level_must_fit_the_parent(planner, small_plan):
    with pytest.raises(ValidationError) as exc:
        editing.objective_create(
            plan=small_plan, parent=None, user=planner, code="101", level=Level.AREA, title="Doppione"
        )
    assert "già usato" in exc.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as exc:
        editing.objective_create(
            plan=small_plan, parent=node(small_plan, "1011.0101"), user=planner, code="X", level=Level.AREA, title="X"
        )
    assert "level" in exc.value.message_dict


def test_moving_a_node_changes_parent_and_renumbers_both_sibling_groups(planner, small_plan):
    second = editing.objective_create(
        plan=small_plan, parent=None, user=planner, code="2", level=Level.AREA, title="Seconda area"
    )
    moved = editing.objective_move(objective=node(small_plan, "101"), parent=second, position=0, user=planner)
    assert moved.parent_id == second.pk
    assert list(Objective.objects.filter(parent=second).values_list("code", flat=True)) == ["101"]
    # Reordering the roots: the second area first.
    editing.objective_move(objective=second, parent=None, position=0, user=planner)
    roots = Objective.objects.filter(plan=small_plan, parent=None).order_by("position")
    assert [r.code for r in roots] == ["2", "1"]


def test_a_node_cannot_move_under_its_own_descendant(planner, small_plan):
    with pytest.raises(ValidationError):
        editing.objective_move(
            objective=node(small_plan, "101"), parent=node(small_plan, "1011.01"), position=0, user=planner
        )
    assert node(small_plan, "101").parent.code == "1"


def test_deleting_a_node_says_and_removes_what_goes_with_it(planner, small_plan):
    impact = editing.objective_delete_impact(objective=node(small_plan, "101"))
    # 101 has 1011.01 and 1011.0101 below it; F1 and "Tempo medio" on 101, the deadline indicator on 1011.01;
    # current targets that are not "no target": F1 2017-2018 (2019 is "---"), Tempo 3 years, deadline 2017 = 6;
    # two consuntivi 2017 (F1 and Tempo medio).
    assert (impact.objectives, impact.indicators, impact.targets, impact.measurements) == (2, 3, 6, 2)
    editing.objective_delete(objective=node(small_plan, "101"), user=planner)
    assert list(Objective.objects.filter(plan=small_plan).values_list("code", flat=True)) == ["1"]
    assert Measurement.objects.filter(round__plan=small_plan).count() == 0


# --- after adoption: reasons and revisions ---------------------------------------------------------------------


def test_after_adoption_a_change_needs_a_reason_and_nothing_changes_without_it(planner, small_plan):
    adopt(small_plan, planner)
    with pytest.raises(ValidationError) as exc:
        editing.objective_update(objective=node(small_plan, "101"), user=planner, weight=Decimal(60))
    assert "motivazione" in exc.value.message_dict["reason"][0]
    assert node(small_plan, "101").weight == Decimal("100.00")
    assert not PlanRevision.objects.exists()


def test_after_adoption_a_weight_change_is_a_revision_with_old_and_new_value(planner, small_plan):
    adopt(small_plan, planner)
    editing.objective_update(
        objective=node(small_plan, "101"), user=planner, weight=Decimal(60), reason="Rimodulazione di luglio"
    )
    revision = PlanRevision.objects.get()
    assert (revision.subject_type, revision.subject_code, revision.field) == ("weight", "101", "weight")
    assert (revision.old_value, revision.new_value) == ("100", "60")
    assert revision.reason == "Rimodulazione di luglio" and revision.user == planner


def test_in_bozza_changes_leave_no_revision(planner, small_plan):
    editing.objective_update(objective=node(small_plan, "101"), user=planner, title="Informazione economica e dati")
    assert not PlanRevision.objects.exists()


# --- targets ---------------------------------------------------------------------------------------------------


def test_in_bozza_a_target_is_rewritten_in_place(planner, small_plan):
    target = editing.target_set(indicator=f1(small_plan), year=2018, raw=">= 400", user=planner)
    assert (target.raw, target.number, target.comparator, target.version) == (">= 400", Decimal(400), ">=", 1)
    assert Target.objects.filter(indicator=f1(small_plan), year=2018).count() == 1


def test_after_adoption_a_target_change_keeps_both_versions_and_a_revision(planner, small_plan):
    adopt(small_plan, planner)
    editing.target_set(indicator=f1(small_plan), year=2018, raw=">= 400", reason="Nuove risorse", user=planner)
    versions = list(Target.objects.filter(indicator=f1(small_plan), year=2018).order_by("version"))
    assert [(t.raw, t.version, t.is_current) for t in versions] == [(">= 350", 1, False), (">= 400", 2, True)]
    assert versions[1].reason == "Nuove risorse"
    revision = PlanRevision.objects.get()
    assert (revision.subject_type, revision.subject_code, revision.field) == ("target", "101 / F1", "target 2018")
    assert (revision.old_value, revision.new_value) == (">= 350", ">= 400")


def test_an_unchanged_target_needs_no_reason(planner, small_plan):
    adopt(small_plan, planner)
    editing.target_set(indicator=f1(small_plan), year=2018, raw=">= 350", user=planner)
    assert not PlanRevision.objects.exists()


def test_a_cell_with_several_targets_is_refused_in_italian(planner, small_plan):
    with pytest.raises(ValidationError) as exc:
        editing.target_set(indicator=f1(small_plan), year=2018, raw="3140 3140 3140", user=planner)
    assert "più target" in exc.value.message_dict["raw"][0]
    assert Target.objects.get(indicator=f1(small_plan), year=2018).raw == ">= 350"


def test_the_live_check_shows_the_target_as_it_will_be_read():
    assert editing.target_check(raw=">= 350", year=2017).shown == "≥ 350"
    assert editing.target_check(raw="entro 30/09/2017", year=2017).shown == "entro il 30/09/2017"
    check = editing.target_check(raw="Redazione di una relazione tecnica", year=2017)
    assert check.kind == "TEXT" and not check.error
    assert "manualmente" in check.warnings[0]


def test_a_validated_year_refuses_target_changes_for_everyone(planner, admin_user, small_plan):
    validate_year(small_plan, 2017)
    for user in (planner, admin_user):
        with pytest.raises(ValidationError) as exc:
            editing.target_set(indicator=f1(small_plan), year=2017, raw=">= 1", user=user)
        assert "validato" in str(exc.value)
    assert Target.objects.get(indicator=f1(small_plan), year=2017, is_current=True).raw == ">= 350"


def test_a_closed_year_refuses_target_revisions(planner, small_plan):
    PlanYear.objects.filter(plan=small_plan, year=2017).update(state=YearState.CLOSED)
    with pytest.raises(ValidationError) as exc:
        editing.target_set(indicator=f1(small_plan), year=2017, raw=">= 1", user=planner)
    assert "riaprire" in str(exc.value)


def test_a_validated_year_freezes_the_tree_and_the_weights(planner, small_plan):
    validate_year(small_plan, 2017)
    with pytest.raises(ValidationError):
        editing.objective_update(objective=node(small_plan, "101"), user=planner, weight=Decimal(1))
    with pytest.raises(ValidationError):
        editing.objective_delete(objective=node(small_plan, "101"), user=planner)
    assert Objective.objects.filter(plan=small_plan).count() == 4


def test_the_oiv_cannot_set_a_target(oiv, small_plan):
    with pytest.raises(PermissionDenied):
        editing.target_set(indicator=f1(small_plan), year=2018, raw=">= 1", user=oiv)
    assert Target.objects.get(indicator=f1(small_plan), year=2018).raw == ">= 350"


# --- indicators and weights ------------------------------------------------------------------------------------


def test_an_indicator_is_created_with_baseline_and_targets_in_one_go(planner, small_plan):
    ind = editing.indicator_create(
        objective=node(small_plan, "1011.0101"),
        user=planner,
        name="Newsletter inviate",
        unit="count",
        targets={2017: ">= 6", 2018: ">= 8", 2019: ""},
        baseline_year=2016,
        baseline_raw="5",
    )
    assert dict(Target.objects.filter(indicator=ind).values_list("year", "raw")) == {2017: ">= 6", 2018: ">= 8"}
    assert ind.baselines.get().value == Decimal(5)


def test_a_bad_target_rolls_back_the_whole_indicator(planner, small_plan):
    with pytest.raises(ValidationError):
        editing.indicator_create(
            objective=node(small_plan, "1011.0101"),
            user=planner,
            name="Indicatore con errore",
            targets={2017: ">= 6", 2018: "1 2 3"},
        )
    assert not Indicator.objects.filter(name="Indicatore con errore").exists()


def test_equal_shares_sum_to_exactly_one_hundred():
    assert editing.equal_shares(3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(editing.equal_shares(7)) == 100


def test_sibling_weights_are_saved_together_with_revisions_after_adoption(planner, small_plan):
    adopt(small_plan, planner)
    indicators = list(Indicator.objects.filter(objective=node(small_plan, "101")).order_by("position"))
    changed = editing.weights_set(
        plan=small_plan, items=indicators, weights=[Decimal(70), Decimal(30)], user=planner, reason="Riequilibrio"
    )
    assert changed == 2
    assert [i.weight for i in Indicator.objects.filter(objective=node(small_plan, "101")).order_by("position")] == [
        Decimal("70.00"),
        Decimal("30.00"),
    ]
    assert PlanRevision.objects.filter(subject_type="weight", reason="Riequilibrio").count() == 2


def test_rules_after_adoption_are_revisions_and_the_partial_threshold_cannot_exceed_achieved(planner, small_plan):
    adopt(small_plan, planner)
    with pytest.raises(ValidationError):
        editing.plan_rules_update(plan=small_plan, user=planner, reason="x", partial_threshold=Decimal(120))
    editing.plan_rules_update(plan=small_plan, user=planner, reason="Nuovo SMVP", achieved_threshold=Decimal(90))
    small_plan.refresh_from_db()
    assert small_plan.achieved_threshold == Decimal(90)
    assert PlanRevision.objects.get().field == "achieved_threshold"


# --- next cycle ------------------------------------------------------------------------------------------------


def test_copy_to_the_next_cycle_shifts_years_and_keeps_the_targets_of_the_common_years(planner, small_plan):
    plan_year_get(plan=small_plan, year=2017)
    new = editing.plan_copy_to_next_cycle(plan=small_plan, user=planner)
    assert (new.title, new.start_year, new.end_year, new.state) == (
        "Piano della performance 2018-2020",
        2018,
        2020,
        PlanState.DRAFT,
    )
    assert Objective.objects.filter(plan=new).count() == 4
    assert node(new, "1011.01").parent.code == "101"
    tempo = Indicator.objects.get(objective__plan=new, name="Tempo medio di pagamento")
    # Old plan: <= 25 (2017), <= 20 (2018), <= 18 (2019): 2018 and 2019 carry over, 2020 is empty.
    assert dict(tempo.targets.values_list("year", "raw")) == {2018: "<= 20", 2019: "<= 18"}
    assert tempo.baselines.get().raw == "18"
    assert not Measurement.objects.filter(round__plan=new).exists()
    with pytest.raises(ValidationError):
        editing.plan_copy_to_next_cycle(plan=small_plan, user=planner)
