"""Pages: login and a role for everything, plans of one's own ente only, constant queries."""

import pytest
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from plans.models import Plan
from plans.services import plan_import
from tests.factories import PASSWORD

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


@pytest.fixture
def large_plan(db, planner):
    # 2 areas × 5 OS × 6 OO × 4 actions × 3 indicators ≈ 900 indicators: enough to reveal any query per row.
    report = plan_import(
        source=__import__("io").BytesIO(
            synthetic_workbook(areas=2, strategic=5, operational=6, actions=4, indicators=3, ente_code="PR")
        )
    )
    assert report.ok, report.errors[:3]
    return Plan.objects.get(pk=report.plan_id)


def test_the_plan_page_runs_a_constant_number_of_queries(client, planner, large_plan, django_assert_max_num_queries):
    login(client, planner)
    with django_assert_max_num_queries(12):
        response = client.get(large_plan.get_absolute_url())
    assert response.status_code == 200
    assert large_plan.objectives.count() > 250
