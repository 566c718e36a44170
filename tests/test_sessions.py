"""Session limits (perfplan/sessions.py): 30 minutes idle, 8 hours from the login; the stored times are moved back
instead of waiting."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from perfplan.roles import Role
from perfplan.sessions import LOGIN_AT, SEEN_AT, SEEN_RESOLUTION
from tests.factories import PASSWORD, make_user


@pytest.fixture
def logged_in(client, other_ente):
    client.force_login(make_user("mario.rossi", Role.PLANNER, other_ente))
    return client


def _move_back(client, **seconds):
    session = client.session
    for key, delta in seconds.items():
        session[key] -= delta
    session.save()


def test_the_login_starts_both_clocks(logged_in):
    session = logged_in.session
    assert abs(session[LOGIN_AT] - time.time()) < 5 and session[SEEN_AT] == session[LOGIN_AT]


def test_a_session_idle_for_longer_than_the_limit_is_closed(logged_in):
    _move_back(logged_in, **{SEEN_AT: settings.SESSION_IDLE_TIMEOUT + 1})
    response = logged_in.get(reverse("home"))
    assert response.status_code == 302 and response.url == f"{reverse('login')}?next=/"
    assert "_auth_user_id" not in logged_in.session
    page = logged_in.get(response.url).content.decode()
    assert "La sessione è scaduta dopo 30 minuti di inattività: accedi di nuovo." in page


def test_activity_within_the_limit_keeps_the_session_and_moves_last_seen(logged_in):
    _move_back(logged_in, **{SEEN_AT: settings.SESSION_IDLE_TIMEOUT - 60})
    assert logged_in.get(reverse("home")).status_code == 200
    assert abs(logged_in.session[SEEN_AT] - time.time()) < 5


def test_last_seen_is_written_at_most_once_a_minute(logged_in):
    _move_back(logged_in, **{SEEN_AT: SEEN_RESOLUTION // 2})
    before = logged_in.session[SEEN_AT]
    assert logged_in.get(reverse("home")).status_code == 200
    assert logged_in.session[SEEN_AT] == before


def test_a_session_older_than_the_absolute_limit_is_closed_even_if_active(logged_in):
    _move_back(logged_in, **{LOGIN_AT: settings.SESSION_ABSOLUTE_TIMEOUT + 1})
    response = logged_in.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    page = logged_in.get(response.url).content.decode()
    assert "La sessione è scaduta dopo 8 ore dall&#x27;accesso: accedi di nuovo." in page


def test_logging_out_of_an_expired_session_just_logs_out(logged_in):
    _move_back(logged_in, **{SEEN_AT: settings.SESSION_IDLE_TIMEOUT + 1})
    response = logged_in.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")  # no ?next=/accounts/logout/


def test_an_expired_htmx_request_reloads_the_login_page(logged_in):
    _move_back(logged_in, **{SEEN_AT: settings.SESSION_IDLE_TIMEOUT + 1})
    response = logged_in.get(reverse("home"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"{reverse('login')}?next=/"


def test_a_session_from_before_the_limits_gets_its_clocks_on_the_next_request(logged_in):
    session = logged_in.session
    del session[LOGIN_AT], session[SEEN_AT]
    session.save()
    assert logged_in.get(reverse("home")).status_code == 200
    assert LOGIN_AT in logged_in.session and SEEN_AT in logged_in.session


def test_the_session_cookie_ends_with_the_browser_and_is_not_readable_by_scripts(client, other_ente):
    make_user("mario.rossi", Role.PLANNER, other_ente)
    response = client.post(reverse("login"), {"username": "mario.rossi", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == "" and cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
