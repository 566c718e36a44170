"""The performance per unità organizzativa page."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_unit_page_shows_each_units_score_with_a_word_not_only_a_colour(client, oiv, small_plan):
    client.login(username=oiv.username, password=PASSWORD)
    page = client.get(reverse("scores:units", args=[small_plan.pk]), {"anno": 2017}).content.decode()
    # A1 holds OS 101 (93,11) and, through U1, OO 1011.01 — inside 101's branch, so counted once: A1 = 93,11.
    assert "A1 – Area promozione" in page and "93,11 %" in page
    assert "parziale" in page  # 93,11 is below 100 and above 50: the amber band, written out


def test_the_unit_page_refuses_other_entes_and_years_outside_the_plan(client, outsider, planner, small_plan):
    client.login(username=outsider.username, password=PASSWORD)
    assert client.get(reverse("scores:units", args=[small_plan.pk])).status_code == 404
    client.login(username=planner.username, password=PASSWORD)
    assert client.get(reverse("scores:units", args=[small_plan.pk]), {"anno": 2030}).status_code == 404
