"""The plan page: tree, filters, breadcrumbs, scores with traffic lights and "perché?", print view, history."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from indicators.models import Indicator, Target
from perfplan.roles import Role
from plans.models import Objective, Plan
from plans.page import PlanFilters, plan_page
from tests.factories import FIXTURES, PASSWORD, make_user
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_default_year_is_the_first_with_consuntivi_and_scores_show_symbol_and_word(client, oiv, small_plan):
    page = login(client, oiv).get(small_plan.get_absolute_url()).content.decode()
    assert "Punteggi 2017" in page
    # F1: 382 against >= 350 → met → 100,00 % (scoring.md §7, first row).
    assert "✔</span> raggiunto" in page and "100,00 %" in page
    # Tempo medio: 2900 / 100 = 29 days against <= 25 → 25 / 29 × 100 = 86,21 % → parziale (≥ 50, < 100).
    assert "◐</span> parziale" in page and "86,21 %" in page
    # OS 101 from its indicators (50/50): (100 + 86,21) / 2 = 93,105 → 93,11 % (rounded half up).
    assert "93,11 %" in page


def test_the_counts_per_band_come_from_the_scores(client, planner, small_plan):
    response = login(client, planner).get(small_plan.get_absolute_url() + "?anno=2017")
    counts = {label: c for label, c in response.context["page"].counts}
    # The deadline indicator of 1011.01 has no consuntivo: missing, so 1011.01 is not measured.
    assert counts["Obiettivi operativi"]["nd"] == 1
    assert counts["Indicatori"]["raggiunto"] == 1 and counts["Indicatori"]["parziale"] == 1


def test_another_year_without_consuntivi_shows_not_measured(client, planner, small_plan):
    page = login(client, planner).get(small_plan.get_absolute_url() + "?anno=2018").content.decode()
    assert "Punteggi 2018" in page and "nessun consuntivo registrato" in page
    assert "consuntivo mancante" in page


def test_each_indicator_shows_the_previous_years_results_beside_this_years(client, oiv, small_plan):
    page = login(client, oiv).get(small_plan.get_absolute_url() + "?anno=2018").content.decode()
    # 2017: F1 382 against >= 350 → 100,00 %; Tempo medio 2900 / 100 = 29 gg against <= 25 → 25 / 29 = 86,21 %.
    hidden = '<span class="visually-hidden">Anni precedenti: </span>'
    assert f'{hidden}<span class="text-nowrap">2017: 382 N. (100,00 %)</span>' in page
    assert f'{hidden}<span class="text-nowrap">2017: 29 gg (86,21 %)</span>' in page
    # The deadline indicator has no 2017 value: nothing under it. And 2017 has no year before it in perfplan.
    assert page.count("Anni precedenti: ") == 2
    first_year = login(client, oiv).get(small_plan.get_absolute_url() + "?anno=2017").content.decode()
    assert "Anni precedenti" not in first_year


def test_another_entes_user_does_not_reach_the_previous_years(client, outsider, small_plan):
    assert login(client, outsider).get(small_plan.get_absolute_url() + "?anno=2018").status_code == 404


def test_the_why_panel_explains_a_score_step_by_step(client, oiv, small_plan):
    login(client, oiv)
    os_101 = Objective.objects.get(plan=small_plan, code="101")
    url = reverse("plans:why", args=[small_plan.pk, "obiettivo", os_101.pk]) + "?anno=2017"
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<ol" in fragment and "93,11 %" in fragment and "<html" not in fragment
    tempo = Indicator.objects.get(objective=os_101, name="Tempo medio di pagamento")
    full = client.get(reverse("plans:why", args=[small_plan.pk, "indicatore", tempo.pk]) + "?anno=2017")
    assert "86,21" in full.content.decode() and "<html" in full.content.decode()


def test_the_text_filter_keeps_matches_and_their_path(client, planner, small_plan):
    response = login(client, planner).get(small_plan.get_absolute_url() + "?q=bimestrali")
    rows = response.context["page"].rows
    assert [(r.node.code, r.context) for r in rows] == [
        ("1", True),
        ("101", True),
        ("1011.01", True),
        ("1011.0101", False),
    ]


def test_the_unit_filter_includes_nodes_that_inherit_the_unit(client, planner, small_plan):
    unit = small_plan.ente.org_units.get(code="U1")
    response = login(client, planner).get(small_plan.get_absolute_url() + f"?unita={unit.pk}")
    matched = [r.node.code for r in response.context["page"].rows if not r.context]
    # 1011.01 belongs to U1; its action has no unit and inherits it.
    assert matched == ["1011.01", "1011.0101"]


def test_a_filter_with_no_match_says_so(client, planner, small_plan):
    page = login(client, planner).get(small_plan.get_absolute_url() + "?q=nessuna-corrispondenza").content.decode()
    assert "Nessun risultato" in page


def test_a_node_page_has_breadcrumbs_up_to_the_plan(client, office_head, small_plan):
    action = Objective.objects.get(plan=small_plan, code="1011.0101")
    page = login(client, office_head).get(reverse("plans:objective", args=[small_plan.pk, action.pk])).content.decode()
    crumbs = page[page.index('class="breadcrumb"') : page.index("</ol>")]
    assert [c in crumbs for c in ("Piani", small_plan.title, ">1<", ">101<", ">1011.01<", "1011.0101")] == [True] * 6


def test_readers_see_no_edit_links(client, oiv, small_plan):
    page = login(client, oiv).get(small_plan.get_absolute_url()).content.decode()
    assert "/modifica/" not in page and "Aggiungi area" not in page and 'class="tedit"' not in page


def test_the_planner_sees_edit_links(client, planner, small_plan):
    page = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    assert "Aggiungi area" in page and 'class="tedit"' in page and "Adotta il piano" in page


def test_the_print_view_has_the_tree_without_controls(client, oiv, small_plan):
    page = login(client, oiv).get(reverse("plans:print", args=[small_plan.pk])).content.decode()
    assert "≥ 350" in page and "tree-toggle" not in page and "perché?" not in page


def test_the_revision_history_is_on_the_plan_page(client, planner, small_plan):
    from plans import editing

    editing.plan_adopt(
        plan=small_plan, organ="Giunta", number="3", date=__import__("datetime").date(2017, 1, 30), user=planner
    )
    f1 = Indicator.objects.get(objective__plan=small_plan, code="F1")
    editing.target_set(indicator=f1, year=2019, raw=">= 380", reason="Risorse aggiuntive", user=planner)
    page = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    history = page[page.index('data-testid="revisions"') :]
    assert "101 / F1" in history and "target 2019" in history and "&gt;= 380" in history
    assert "Risorse aggiuntive" in history and "pianificatore" in history


def test_the_why_page_of_another_ente_is_not_found(client, outsider, small_plan):
    os_101 = Objective.objects.get(plan=small_plan, code="101")
    url = reverse("plans:why", args=[small_plan.pk, "obiettivo", os_101.pk]) + "?anno=2017"
    assert login(client, outsider).get(url).status_code == 404


def test_texts_from_users_are_escaped_in_the_tree(client, planner, small_plan):
    attack = '<script>alert("x")</script>'
    Objective.objects.filter(plan=small_plan, code="101").update(title=f"Titolo {attack}")
    Indicator.objects.filter(objective__plan=small_plan, code="F1").update(name=f"Nome {attack}")
    small_plan.ente.org_units.filter(code="U1").update(name=f"Ufficio {attack}")
    login(client, planner)
    for url in (small_plan.get_absolute_url(), reverse("plans:print", args=[small_plan.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        assert f"Titolo {escaped}" in page and f"Nome {escaped}" in page and f"Ufficio {escaped}" in page


def test_the_tree_rows_carry_the_controls_the_scripts_and_screen_readers_use(client, planner, small_plan):
    page = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    os_101 = Objective.objects.get(plan=small_plan, code="101")
    f1 = Indicator.objects.get(objective=os_101, code="F1")
    base = small_plan.get_absolute_url()
    row = page[page.index(f'<tr id="nodo-{os_101.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="node-row tree-level-strategic" data-depth="1"' in row
    assert '<th scope="row" class="indent-1 code-cell"><button type="button" class="tree-toggle"' in row
    assert 'aria-expanded="true"' in row
    assert f'<a href="{base}obiettivi/{os_101.pk}/?anno=2017">101</a>' in row
    assert '<span class="band band-partial"><span aria-hidden="true">◐</span> parziale</span>' in row
    assert f'data-url="{base}perche/obiettivo/{os_101.pk}/?anno=2017"' in row
    assert f'href="{base}obiettivi/{os_101.pk}/modifica/"' in row
    target_edit = f'<a class="tedit" href="{base}indicatori/{f1.pk}/target/2018/" aria-label="Modifica il target 2018">'
    assert target_edit in page
    assert f'data-url="{base}perche/indicatore/{f1.pk}/?anno=2017"' in page
    assert f'<tr id="ind-{f1.pk}" class="ind-row" data-depth="2">' in page


def test_an_area_shows_the_same_targets_of_every_year_as_the_whole_plan(db):
    shape = {"areas": 2, "strategic": 2, "operational": 2, "actions": 1, "indicators": 2}
    report = plan_import(source=BytesIO(synthetic_workbook(ente_code="PR", title="Piano per aree", **shape)))
    plan = Plan.objects.get(pk=report.plan_id)
    whole = plan_page(plan=plan, year=2025)
    targets = {i.indicator.pk: i.targets for r in whole.rows for i in r.indicators}
    assert all(len(t) == 3 for t in targets.values()) and any(text for t in targets.values() for _, text in t)
    second_area = whole.areas[1]
    area = plan_page(plan=plan, year=2025, filters=PlanFilters(area=second_area.pk))
    shown = {i.indicator.pk: i.targets for r in area.rows for i in r.indicators}
    assert 0 < len(shown) < len(targets)
    assert shown == {pk: targets[pk] for pk in shown}


# Issue 15 item 2: «+» per row, weight sums per group, the «perché?» target as the row writes it.


def node_row(page: str, node: Objective) -> str:
    row = page[page.index(f'<tr id="nodo-{node.pk}"') :]
    return row[: row.index("</tr>")]


def test_each_row_offers_the_child_of_its_kind_and_an_indicator(client, planner, small_plan):
    page = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    base = small_plan.get_absolute_url()
    nodes = {n.code: n for n in Objective.objects.filter(plan=small_plan)}
    for code, child, words in (
        ("1", "strategic", "aggiungi un obiettivo strategico a 1"),
        ("101", "operational", "aggiungi un obiettivo operativo a 101"),
        ("1011.01", "action", "aggiungi un'azione a 1011.01"),
    ):
        row = node_row(page, nodes[code])
        assert f'href="{base}obiettivi/{nodes[code].pk}/nuovo/?livello={child}"' in row, code
        assert words in row, code
        assert f'href="{base}obiettivi/{nodes[code].pk}/indicatori/nuovo/"' in row
        assert f"aggiungi un indicatore a {code}" in row
    action = node_row(page, nodes["1011.0101"])  # an action has no child node: only an indicator
    assert "/nuovo/?livello=" not in action and f"obiettivi/{nodes['1011.0101'].pk}/indicatori/nuovo/" in action


def test_the_plus_link_opens_the_create_form_with_the_kind_preset(client, planner, small_plan):
    os_101 = Objective.objects.get(plan=small_plan, code="101")
    url = reverse("plans:objective_create_child", args=[small_plan.pk, os_101.pk]) + "?livello=operational"
    form = login(client, planner).get(url).content.decode()
    assert '<option value="operational" selected>Obiettivo operativo</option>' in form
    plain = client.get(reverse("plans:objective_create_child", args=[small_plan.pk, os_101.pk])).content.decode()
    assert '<option value="operational" selected>' not in plain
    indicator_form = client.get(reverse("plans:indicator_create", args=[small_plan.pk, os_101.pk]))
    assert indicator_form.status_code == 200 and "101" in indicator_form.content.decode()


@pytest.mark.parametrize("role", ["oiv", "office_head"])
def test_roles_that_cannot_edit_get_no_plus_and_are_refused(client, role, request, small_plan):
    user = request.getfixturevalue(role)
    page = login(client, user).get(small_plan.get_absolute_url()).content.decode()
    assert "/nuovo/" not in page and "aggiungi un" not in page
    os_101 = Objective.objects.get(plan=small_plan, code="101")
    child = reverse("plans:objective_create_child", args=[small_plan.pk, os_101.pk]) + "?livello=operational"
    assert client.get(child).status_code == 403
    assert client.get(reverse("plans:indicator_create", args=[small_plan.pk, os_101.pk])).status_code == 403


@pytest.fixture
def modena(db):
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def test_weight_sums_show_on_each_group_with_a_warning_for_modena_802(client, modena):
    planner = make_user("pianificatore-modena", Role.PLANNER, modena.ente)
    # Hand-checked in fixtures/modena_2017_2019.xlsx: OS 802 has four indicators of 20 % each: 80 %, not 100.
    os_802 = Objective.objects.get(plan=modena, code="802")
    assert [i.weight for i in os_802.indicators.order_by("position")] == [Decimal(20)] * 4
    page = login(client, planner).get(modena.get_absolute_url() + "?q=802").content.decode()
    row = node_row(page, os_802)
    assert '<span class="badge wsum-warn"><span aria-hidden="true">⚠ </span>ind. Σ 80 %' in row
    assert "la somma dei pesi degli indicatori non è 100 %" in row
    # Area 1's three indicators weigh 33,34 + 33,33 + 33,33: «Σ 100 %», no warning.
    area_1 = Objective.objects.get(plan=modena, code="1")
    whole = client.get(modena.get_absolute_url() + "?q=COMPETITIVITA").content.decode()
    area_row = node_row(whole, area_1)
    assert '<div class="wsum">ind. Σ 100 %<span class="visually-hidden"> pesi degli indicatori</span></div>' in area_row
    assert "wsum-warn" not in area_row
    # The page builder's own numbers: no weight on Modena's nodes, so no sum of child nodes to show.
    rows = {r.node.code: r for r in plan_page(plan=modena, year=2017).rows}
    assert rows["802"].indicators_sum.total == Decimal(80) and not rows["802"].indicators_sum.ok
    assert rows["1"].indicators_sum.ok and rows["1"].children_sum is None


def test_weight_sums_of_child_nodes_and_of_the_areas(client, planner, small_plan):
    areas = Objective.objects.filter(plan=small_plan, parent=None)
    areas.update(weight=None)
    areas.filter(code="1").update(weight=Decimal("100"))
    Objective.objects.filter(plan=small_plan, code="101").update(weight=Decimal("60"))
    page = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    built = plan_page(plan=small_plan, year=2017)
    area_row = next(r for r in built.rows if r.node.code == "1")
    assert area_row.children_sum.total == Decimal(60) and not area_row.children_sum.ok
    assert "⚠ </span>Σ 60 %" in node_row(page, areas.get(code="1"))
    assert "la somma dei pesi dei nodi figli non è 100 %" in page
    # The areas' own sum is in the column head: 100 (the other areas, if any, have no weight).
    tree = page[page.index('data-testid="plan-tree"') :]
    head = tree[: tree.index("</thead>")]
    assert '<div class="wsum">Σ 100 %<span class="visually-hidden"> pesi delle aree</span></div>' in head


def test_the_why_card_writes_the_target_as_the_row_does(client, modena):
    oiv_user = make_user("oiv-modena", Role.OIV, modena.ente)
    login(client, oiv_user)
    export = Indicator.objects.get(
        objective__plan=modena, objective__code="1", name__startswith="Variazione % rispetto all'anno"
    )
    assert Target.objects.get(indicator=export, year=2017, is_current=True).raw == ">= +1,2 %"
    page = client.get(modena.get_absolute_url() + "?anno=2017&q=export").content.decode()
    assert '<td class="target-cell">≥ 1,2 %</td>' in page
    why = client.get(reverse("plans:why", args=[modena.pk, "indicatore", export.pk]) + "?anno=2017").content.decode()
    assert "Target: ≥ 1,2 % (versione 1)" in why
    assert "&gt;= +1,2" not in why
