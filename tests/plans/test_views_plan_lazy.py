"""The plan page of a large plan (issue 13 item 5): areas and their first level first, a node's rows fetched when it
is expanded, «tutte le aree» in pages; constant queries, the same scores, the same access as the page."""

import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from plans.models import Objective, Plan
from tests.factories import PASSWORD
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ROW = re.compile(r'<tr id="(nodo-\d+|ind-\d+)"[^\n]*</tr>')


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def synthetic_plan(title: str, ente_code: str = "PR", **shape) -> Plan:
    report = plan_import(source=BytesIO(synthetic_workbook(ente_code=ente_code, title=title, **shape)))
    assert report.ok, report.errors[:3]
    return Plan.objects.get(pk=report.plan_id)


@pytest.fixture
def lazy(settings):
    """Plans of more than 10 nodes count as large (the default, 1,000, would need a plan ten times bigger)."""
    settings.PLAN_PAGE_LAZY_NODES = 10
    return settings


@pytest.fixture
def medium(planner):  # 2 areas × 3 OS × 3 OO × 2 actions = 62 nodes, 2 indicators on each: 124 indicators
    return synthetic_plan(
        "Piano medio", ente_code=planner.profile.ente.code, areas=2, strategic=3, operational=3, actions=2, indicators=2
    )


def rows_of(html: str) -> dict[str, str]:
    """Tree rows by id ("nodo-7", "ind-21"), each as the page prints it (one line a row)."""
    return {m.group(1): m.group(0) for m in ROW.finditer(html)}


def without_toggle(row: str) -> str:
    """A node row without its expand/collapse button: a collapsed row and an open one differ only there."""
    return re.sub(r'<button type="button" class="tree-toggle".*?</button>', "", row)


def children_url(plan: Plan, node: Objective, query: str = "?anno=2025") -> str:
    return reverse("plans:objective_children", args=[plan.pk, node.pk]) + query


def test_a_large_plan_opens_on_its_areas_open_and_their_first_level_closed(client, planner, lazy, medium):
    html = login(client, planner).get(medium.get_absolute_url()).content.decode()
    rows = rows_of(html)
    nodes = {f"nodo-{n.pk}": n for n in medium.objectives.all()}
    shown = {nodes[key] for key in rows if key in nodes}
    assert {n.level for n in shown} == {"area", "strategic"} and len(shown) == 2 + 6
    assert sum(key.startswith("ind-") for key in rows) == 2 * 2  # the areas' own indicators only
    for os_ in (n for n in shown if n.level == "strategic"):
        row = rows[f"nodo-{os_.pk}"]
        controls = " ".join(
            [
                *(f"nodo-{c.pk}" for c in os_.children.order_by("position", "id")),
                *(f"ind-{i.pk}" for i in os_.indicators.order_by("position", "id")),
            ]
        )
        assert '<button type="button" class="tree-toggle" aria-expanded="false"' in row
        assert f'aria-controls="{controls}"' in row
        assert f'data-children="{children_url(medium, os_, "?anno=2025")}"' in row
        assert f'<a href="{medium.get_absolute_url()}obiettivi/{os_.pk}/?anno=2025">' in row  # without JavaScript
        assert "+ OO" in row  # the planner's «+» adds an operational objective
    assert 'data-testid="lazy-note"' in html and "Espandi tutto" not in html and "Comprimi alle aree" in html
    assert len(html.encode()) < 150_000


def test_expanding_a_node_fetches_the_rows_the_whole_plan_shows(client, planner, settings, medium):
    """The same scores, targets and controls as the whole tree (the same row functions), the children closed."""
    login(client, planner)
    whole = rows_of(client.get(medium.get_absolute_url()).content.decode())  # 62 nodes: not large by default
    settings.PLAN_PAGE_LAZY_NODES = 10
    area = medium.objectives.filter(level="area").order_by("position", "id").first()
    for node in [
        area.children.order_by("position", "id").first(),
        Objective.objects.filter(plan=medium, level="operational").last(),
    ]:
        response = client.get(children_url(medium, node), **HTMX)
        assert response.status_code == 200
        fetched = rows_of(response.content.decode())
        expected = [f"ind-{i.pk}" for i in node.indicators.order_by("position", "id")]
        expected += [f"nodo-{c.pk}" for c in node.children.order_by("position", "id")]
        assert list(fetched) == expected
        for key, row in fetched.items():
            if key.startswith("ind-"):
                assert row == whole[key]
            else:
                assert without_toggle(row) == without_toggle(whole[key])
                assert 'aria-expanded="false"' in row and "data-children=" in row
        assert "%" in response.content.decode()  # scores are there


def test_fetched_rows_keep_the_year_of_the_page(client, oiv, lazy, medium):
    node = medium.objectives.filter(level="strategic").first()
    html = login(client, oiv).get(children_url(medium, node, "?anno=2026"), **HTMX).content.decode()
    assert "?anno=2026" in html and "?anno=2025" not in html
    assert "Modifica" not in html and "+ Ind." not in html  # readers get no edit links


def test_without_javascript_the_code_of_a_closed_row_links_to_the_node_page(client, planner, lazy, medium):
    node = medium.objectives.filter(level="strategic").first()
    html = login(client, planner).get(medium.get_absolute_url()).content.decode()
    link = reverse("plans:objective", args=[medium.pk, node.pk]) + "?anno=2025"
    assert f'<a href="{link}">{node.code}</a>' in rows_of(html)[f"nodo-{node.pk}"]
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("role", ["planner", "office_head", "oiv", "admin_user"])
def test_every_role_that_sees_the_plan_fetches_rows(client, role, request, medium):
    node = medium.objectives.filter(level="strategic").first()
    assert login(client, request.getfixturevalue(role)).get(children_url(medium, node), **HTMX).status_code == 200


def test_rows_of_a_plan_of_another_ente_or_of_another_plan_are_not_found(
    client, planner, outsider, no_role_user, medium, small_plan
):
    node = medium.objectives.filter(level="strategic").first()
    assert login(client, outsider).get(children_url(medium, node), **HTMX).status_code == 404
    assert login(client, no_role_user).get(children_url(medium, node), **HTMX).status_code == 403
    client.logout()
    assert client.get(children_url(medium, node), **HTMX).status_code == 302  # to the login
    # a node of another plan (of the same ente) under this plan's URL
    login(client, planner)
    url = reverse("plans:objective_children", args=[medium.pk, small_plan.objectives.first().pk])
    assert client.get(url, **HTMX).status_code == 404


def queries(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


def test_the_first_view_and_a_fetch_run_the_same_queries_whatever_the_plan_size(
    client, planner, lazy, medium, django_assert_max_num_queries
):
    login(client, planner)
    code = planner.profile.ente.code
    small = synthetic_plan(
        "Piano piccolo", ente_code=code, areas=2, strategic=2, operational=2, actions=2, indicators=1
    )
    assert small.objectives.count() > 10  # large for this test, as medium is
    first = {queries(client, p.get_absolute_url()) for p in (small, medium)}
    assert len(first) == 1, first
    fetch = {
        queries(client, children_url(p, p.objectives.filter(level="strategic").first()), **HTMX)
        for p in (small, medium)
    }
    assert len(fetch) == 1, fetch
    with django_assert_max_num_queries(20):  # 16 + the previous years' results (at most 4)
        client.get(medium.get_absolute_url())
    # session, user, roles, profile, ente, plan, rounds, plan_score (6), other years' targets = 15, + previous years (4)
    with django_assert_max_num_queries(19):
        client.get(children_url(medium, medium.objectives.filter(level="operational").first()), **HTMX)


def test_every_area_comes_in_pages_that_together_show_each_node_once(client, planner, lazy, medium):
    lazy.PLAN_PAGE_ROWS = 40
    login(client, planner)
    first = client.get(medium.get_absolute_url() + "?area=-1").content.decode()
    count = int(re.search(r"Pagina 1 di (\d+)", first).group(1))
    assert count == 5  # 62 nodes with 2 indicators each: 13 nodes (39 rows) a page, the last one 10 nodes
    seen: list[str] = []
    for number in range(1, count + 1):
        html = client.get(medium.get_absolute_url() + f"?area=-1&pagina={number}").content.decode()
        assert f"Pagina {number} di {count}" in html
        rows = rows_of(html)
        full = [k for k, row in rows.items() if k.startswith("nodo-") and "context-row" not in row]
        assert sum(1 for k in rows if k.startswith("ind-")) + len(full) <= 40
        context = {int(k[5:]) for k, row in rows.items() if "context-row" in row}
        first_node = Objective.objects.get(pk=int(full[0][5:]))
        path = set()
        while first_node.parent_id:  # the grey rows: the path to the page's first node, nothing else
            path.add(first_node.parent_id)
            first_node = first_node.parent
        assert context == path
        seen += full
    assert sorted(seen) == sorted(f"nodo-{n.pk}" for n in medium.objectives.all())
    assert len(seen) == len(set(seen))
    assert 'href="?area=-1&amp;pagina=2" rel="next"' in first
    last = client.get(medium.get_absolute_url() + "?area=-1&pagina=99").content.decode()
    assert f"Pagina {count} di {count}" in last  # beyond the end: the last page


def test_the_pages_keep_the_filters(client, planner, lazy, medium):
    lazy.PLAN_PAGE_ROWS = 10
    html = login(client, planner).get(medium.get_absolute_url() + "?anno=2026&livello=action").content.decode()
    assert 'href="?anno=2026&amp;livello=action&amp;pagina=2" rel="next"' in html
    rows = rows_of(html)
    assert all("tree-level-action" in row or "context-row" in row for k, row in rows.items() if k.startswith("nodo-"))


def test_a_small_plan_still_shows_its_whole_tree(client, planner, small_plan):
    html = login(client, planner).get(small_plan.get_absolute_url()).content.decode()
    assert "data-children=" not in html and "tree-pages" not in html and "Espandi tutto" in html
    assert len([k for k in rows_of(html) if k.startswith("nodo-")]) == small_plan.objectives.count()
