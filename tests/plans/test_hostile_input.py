"""Hostile input to the planning forms (issue 11): values the database cannot hold are form errors in Italian, the
same on SQLite and PostgreSQL, and nothing is written; a tree deeper than PLAN_MAX_TREE_DEPTH never gets in, and one
already stored is shown as a clear page instead of a crash."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from indicators.models import Baseline, Indicator, Target
from plans import editing
from plans.models import Level, Objective, Plan, PlanRevision
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOO_MANY_WHOLE_DIGITS = "è troppo grande: al massimo 5 cifre prima della virgola"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def node(plan, code):
    return Objective.objects.get(plan=plan, code=code)


def _snapshot(plan):
    """Every row the plan editors write, to show that a refused form wrote nothing."""
    return (
        list(Plan.objects.order_by("pk").values_list()),
        list(Objective.objects.filter(plan=plan).order_by("pk").values_list()),
        list(Indicator.objects.filter(objective__plan=plan).order_by("pk").values_list()),
        list(Target.objects.filter(indicator__objective__plan=plan).order_by("pk").values_list()),
        list(Baseline.objects.filter(indicator__objective__plan=plan).order_by("pk").values_list()),
        PlanRevision.objects.count(),
    )


def _objective_post(objective, **changes):
    data = {"code": objective.code, "level": objective.level, "title": objective.title, "kind": objective.kind}
    return {**data, **changes}


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("1000000", TOO_MANY_WHOLE_DIGITS),
        ("1000000,00", TOO_MANY_WHOLE_DIGITS),
        ("1e999", TOO_MANY_WHOLE_DIGITS),
        ("9" * 40, TOO_MANY_WHOLE_DIGITS),
        ("1e999999999", TOO_MANY_WHOLE_DIGITS),
    ],
)
def test_a_weight_the_column_cannot_hold_is_a_form_error(client, planner, small_plan, weight, message):
    login(client, planner)
    objective = node(small_plan, "101")
    before = _snapshot(small_plan)
    url = reverse("plans:objective_edit", args=[small_plan.pk, objective.pk])
    response = client.post(url, _objective_post(objective, weight=weight))
    assert response.status_code == 200
    assert response.context["form"].errors["weight"] == [f"Il campo «Peso (%)» {message}."]
    assert _snapshot(small_plan) == before


def test_the_weights_page_refuses_a_weight_too_large(client, planner, small_plan):
    login(client, planner)
    area = node(small_plan, "1")
    before = _snapshot(small_plan)
    response = client.post(reverse("plans:weights_roots", args=[small_plan.pk]), {f"w_{area.pk}": "1000000"})
    assert response.status_code == 200
    assert response.context["form"].errors[f"w_{area.pk}"] == [
        f"Il campo «{area.code} – {area.title}» " + (f"{TOO_MANY_WHOLE_DIGITS}.")
    ]
    assert _snapshot(small_plan) == before


def test_the_rules_refuse_a_tolerance_that_is_not_finite_or_too_large(client, planner, small_plan):
    login(client, planner)
    before = _snapshot(small_plan)
    data = {"missing_policy": "zero", "achieved_threshold": "90", "partial_threshold": "50"}
    response = client.post(reverse("plans:rules", args=[small_plan.pk]), {**data, "equality_tolerance": "1e999"})
    assert response.context["form"].errors["equality_tolerance"] == [
        "Il campo «Tolleranza per «=»» è troppo grande: al massimo 8 cifre prima della virgola."
    ]
    response = client.post(reverse("plans:rules", args=[small_plan.pk]), {**data, "achieved_threshold": "1e7"})
    assert "al massimo 4 cifre prima della virgola" in response.context["form"].errors["achieved_threshold"][0]
    assert _snapshot(small_plan) == before


@pytest.mark.parametrize("target", [">= 1" + "0" * 32, ">= " + "9" * 40, "<= 1.000.000.000.000.000.000.000"])
def test_a_target_too_large_for_its_column_is_refused_in_the_indicator_and_target_editors(
    client, planner, small_plan, target
):
    login(client, planner)
    f1 = Indicator.objects.get(objective__plan=small_plan, code="F1")
    before = _snapshot(small_plan)
    response = client.post(
        reverse("plans:target_edit", args=[small_plan.pk, f1.pk, 2018]), {"raw": target}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert (
        "Il campo «target (valore)» è troppo grande: al massimo 18 cifre prima della virgola."
        in (response.context["form"].errors["raw"])
    )
    data = {"name": "Nuovo indicatore", "polarity": "higher_better", "target_2018": target}
    response = client.post(reverse("plans:indicator_create", args=[small_plan.pk, f1.objective_id]), data)
    assert response.status_code == 200
    assert "è troppo grande" in response.context["form"].errors["target_2018"][0]
    assert _snapshot(small_plan) == before


def test_the_live_target_preview_reads_a_huge_target_as_an_error(client, planner, small_plan):
    login(client, planner)
    response = client.get(reverse("plans:target_preview"), {"raw": ">= 1" + "0" * 32, "anno": "2018"})
    assert response.status_code == 200
    assert "è troppo grande" in response.content.decode()


def test_a_baseline_whose_number_is_too_large_is_refused(client, planner, small_plan):
    login(client, planner)
    f1 = Indicator.objects.get(objective__plan=small_plan, code="F1")
    before = _snapshot(small_plan)
    data = {"name": f1.name, "polarity": f1.polarity, "baseline_raw": "9" * 40}
    response = client.post(reverse("plans:indicator_edit", args=[small_plan.pk, f1.pk]), data)
    assert response.context["form"].errors["baseline_raw"] == [
        "Il campo «baseline» è troppo grande: al massimo 14 cifre prima della virgola."
    ]
    assert _snapshot(small_plan) == before


def test_a_nul_character_or_a_code_too_long_is_a_form_error(client, planner, small_plan):
    login(client, planner)
    objective = node(small_plan, "101")
    before = _snapshot(small_plan)
    url = reverse("plans:objective_edit", args=[small_plan.pk, objective.pk])
    response = client.post(url, _objective_post(objective, title="a\x00b", code="x" * 61))
    errors = response.context["form"].errors
    assert errors["title"] == ["I caratteri null non sono ammessi."]
    assert "61" in errors["code"][0]
    assert _snapshot(small_plan) == before


def test_copying_a_plan_whose_next_title_would_not_fit_is_refused(client, planner, small_plan):
    Plan.objects.filter(pk=small_plan.pk).update(title="P" * 295)
    login(client, planner)
    before = _snapshot(small_plan)
    response = client.post(reverse("plans:copy", args=[small_plan.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "Il campo «titolo» è troppo lungo: al massimo 300 caratteri (ne ha 307)."
    ]
    assert _snapshot(small_plan) == before


def test_services_refuse_what_the_forms_would_refuse(planner, small_plan):
    """Services check before writing too (a command or another caller has no form in front of it)."""
    objective = node(small_plan, "101")
    with pytest.raises(editing.ValidationError) as refused:
        editing.objective_update(objective=objective, user=planner, weight=10**6)
    assert refused.value.message_dict == {"weight": [f"Il campo «peso» {TOO_MANY_WHOLE_DIGITS}."]}
    with pytest.raises(editing.ValidationError):
        editing.objective_update(objective=objective, user=planner, code="x" * 61)
    assert Objective.objects.get(pk=objective.pk).weight == objective.weight


# --- the depth of the tree -----------------------------------------------------------------------------------------


def _chain(plan, under: Objective, levels: int, prefix: str = "n") -> Objective:
    """`levels` operational objectives nested one under the other, written directly (as an old database may hold)."""
    parent = under
    for index in range(levels):
        parent = Objective.objects.create(
            plan=plan,
            parent=parent,
            level=Level.OPERATIONAL,
            code=f"{prefix}{index}",
            title=f"Livello {index}",
            weight=100,
        )
    return parent


def _depth(node_: Objective) -> int:
    depth = 0
    while node_ is not None:
        depth, node_ = depth + 1, node_.parent
    return depth


@override_settings(PLAN_MAX_TREE_DEPTH=6)
def test_a_node_below_the_deepest_level_allowed_is_refused(client, planner, small_plan):
    deepest = _chain(small_plan, node(small_plan, "1011.01"), 3)
    assert _depth(deepest) == 6
    login(client, planner)
    before = _snapshot(small_plan)
    url = reverse("plans:objective_create_child", args=[small_plan.pk, deepest.pk])
    data = {"code": "troppo", "level": Level.OPERATIONAL, "title": "Un livello di troppo", "kind": "organizational"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "L'albero del piano può avere al massimo 6 livelli (questo nodo sarebbe al livello 7)."
    ]
    assert _snapshot(small_plan) == before


@override_settings(PLAN_MAX_TREE_DEPTH=6)
def test_moving_a_subtree_where_it_would_be_too_deep_is_refused(client, planner, small_plan):
    deepest = _chain(small_plan, node(small_plan, "1011.01"), 3)  # levels 4, 5, 6
    branch = _chain(small_plan, node(small_plan, "101"), 2, prefix="b")  # a second branch: levels 3 and 4
    top = branch.parent
    login(client, planner)
    before = _snapshot(small_plan)
    response = client.post(
        reverse("plans:objective_move", args=[small_plan.pk, top.pk]), {"parent": str(deepest.parent_id), "position": 1}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "L'albero del piano può avere al massimo 6 livelli (questo nodo sarebbe al livello 7)."
    ]
    assert _snapshot(small_plan) == before


def test_a_stored_tree_600_levels_deep_is_a_clear_page_on_every_reader_not_a_crash(client, planner, small_plan):
    """Forms, services and imports no longer let such a tree in; one already stored is named, with its nodes."""
    _chain(small_plan, node(small_plan, "1011.01"), 600)
    login(client, planner)
    pk = small_plan.pk
    urls = [
        reverse("plans:detail", args=[pk]),
        reverse("plans:print", args=[pk]),
        reverse("plans:export", args=[pk]),
        reverse("scores:units", args=[pk]),
        reverse("reports:detail", args=[pk, 2017]),
        reverse("reports:xlsx", args=[pk, 2017]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 409, url
        text = response.content.decode()
        assert "ha un albero di 603 livelli" in text, url
        assert "al massimo 12 livelli" in text
    first_beyond = Objective.objects.get(plan=small_plan, code="n9")  # level 13, the first beyond the limit
    assert reverse("plans:objective_delete", args=[pk, first_beyond.pk]) in text


def test_the_plan_is_shown_again_once_the_nodes_beyond_the_limit_are_deleted(client, planner, small_plan):
    _chain(small_plan, node(small_plan, "1011.01"), 40)
    login(client, planner)
    assert client.get(reverse("plans:detail", args=[small_plan.pk])).status_code == 409
    first_beyond = Objective.objects.get(plan=small_plan, code="n9")
    response = client.post(reverse("plans:objective_delete", args=[small_plan.pk, first_beyond.pk]))
    assert response.status_code == 302
    assert client.get(reverse("plans:detail", args=[small_plan.pk])).status_code == 200


# --- ids and query parameters --------------------------------------------------------------------------------------


def test_a_huge_area_or_year_in_the_query_is_ignored(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:detail", args=[small_plan.pk])
    for query in ("area=99999999999999999999999", "anno=99999999999999999999", "unita=-99999999999999999999"):
        assert client.get(f"{url}?{query}").status_code == 200, query


def test_a_huge_or_zero_id_in_the_path_is_not_found(client, planner, small_plan):
    login(client, planner)
    assert client.get(f"/piani/{'9' * 30}/").status_code == 404
    assert client.get(f"/piani/{2**63}/").status_code == 404
    assert client.get(f"/piani/{small_plan.pk}/obiettivi/0/nuovo/").status_code == 404
    assert client.get(f"/piani/{small_plan.pk}/obiettivi/{2**63 - 1}/").status_code == 404


# --- the admin -----------------------------------------------------------------------------------------------------


def test_the_admin_refuses_a_unit_whose_values_do_not_fit_and_writes_nothing(client, admin_user, small_plan):
    from plans.models import OrgUnit

    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    login(client, admin_user)
    before = list(OrgUnit.objects.order_by("pk").values_list())
    data = {"ente": small_plan.ente_id, "code": "U" * 41, "name": "Ufficio", "head": "a\x00b"}
    response = client.post("/admin/plans/orgunit/add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "41" in errors["code"][0] and errors["head"] == ["I caratteri null non sono ammessi."]
    assert list(OrgUnit.objects.order_by("pk").values_list()) == before
    assert client.get(f"/admin/plans/orgunit/{'9' * 30}/change/").status_code == 302  # «non esiste», to the index
