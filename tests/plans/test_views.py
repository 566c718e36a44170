"""Pages: login and a role for everything, plans of one's own ente only, constant queries."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from plans.models import Plan
from tests.factories import PASSWORD
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_every_page_needs_a_login(client, small_plan):
    for url in (reverse("home"), small_plan.get_absolute_url(), reverse("plans:export", args=[small_plan.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client, no_role_user, small_plan):
    assert login(client, no_role_user).get(reverse("home")).status_code == 403
    assert client.get(small_plan.get_absolute_url()).status_code == 403


def test_the_home_page_lists_the_plans_of_the_users_ente(client, planner, small_plan, rf_plan):
    page = login(client, planner).get(reverse("home")).content.decode()
    assert small_plan.title in page
    assert "Ravenna" not in page


def test_a_plan_of_another_ente_is_not_found(client, outsider, small_plan):
    assert login(client, outsider).get(small_plan.get_absolute_url()).status_code == 404
    assert client.get(reverse("plans:export", args=[small_plan.pk])).status_code == 404


def test_the_plan_page_shows_the_tree_with_parsed_targets(client, office_head, small_plan):
    page = login(client, office_head).get(small_plan.get_absolute_url()).content.decode()
    assert "1011.0101" in page and "Aggiornamenti bimestrali" in page
    assert "≥ 350" in page and "entro il 30/09/2017" in page


def test_the_office_head_cannot_export_or_download_the_template(client, office_head, small_plan):
    login(client, office_head)
    assert client.get(reverse("plans:export", args=[small_plan.pk])).status_code == 403
    assert client.get(reverse("plans:template")).status_code == 403


def test_the_planner_downloads_the_export_and_the_template(client, planner, small_plan):
    login(client, planner)
    response = client.get(reverse("plans:export", args=[small_plan.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert client.get(reverse("plans:template")).status_code == 200


def synthetic_plan(title: str, **shape) -> Plan:
    report = plan_import(source=BytesIO(synthetic_workbook(ente_code="PR", title=title, **shape)))
    assert report.ok, report.errors[:3]
    return Plan.objects.get(pk=report.plan_id)


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_plan_page_runs_the_same_number_of_queries_whatever_the_plan_size(client, planner, settings):
    settings.PLAN_SCORES_KEPT = 0  # every view scores its plan (a view of a kept plan year runs six queries fewer)
    login(client, planner)
    # 1×1×1×1 nodes × 1 indicator, then 2×3×4×2 nodes (74) × 3 indicators on every node (222): a query per row
    # would show as a difference of hundreds. The 10,000-indicator plan is measured in the report (same code).
    small = synthetic_plan("Piano piccolo", areas=1, strategic=1, operational=1, actions=1, indicators=1)
    large = synthetic_plan("Piano grande", areas=2, strategic=3, operational=4, actions=2, indicators=3)
    assert large.objectives.count() == 2 + 6 + 24 + 48
    counts = {page_queries(client, p.get_absolute_url()) for p in (small, large)}
    assert len(counts) == 1, counts
    with_filters = {page_queries(client, p.get_absolute_url() + "?q=tempi&livello=operational") for p in (small, large)}
    assert with_filters == counts


def test_the_plan_page_stays_under_the_query_budget(client, planner, django_assert_max_num_queries):
    login(client, planner)
    plan = synthetic_plan("Piano medio", areas=2, strategic=3, operational=3, actions=2, indicators=2)
    # session, user, roles, profile + ente, plan, measured years, plan_score (7: the data token, six rows), other
    # years' targets, the previous years' results (3: consuntivi.year_over_year), plan years, revisions = 19.
    with django_assert_max_num_queries(19):
        client.get(plan.get_absolute_url())
