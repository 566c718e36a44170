"""The login throttle (perfplan/login_throttle.py, django-axes): failures per user name and per address."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from perfplan.roles import Role
from tests.factories import PASSWORD, make_user

LOCKOUT_TEXT = "Troppi tentativi di accesso non riusciti"


@pytest.fixture
def person(other_ente):
    return make_user("mario.rossi", Role.PLANNER, other_ente)


def _log_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username: str, times: int, *, addresses=None):
    for i in range(times):
        address = addresses(i) if addresses else "10.0.0.1"
        response = _log_in(client, username, "sbagliata", address)
    return response


def test_it_locks_a_user_out_after_the_failure_limit_from_any_address(client, person):
    limit = settings.LOGIN_FAILURE_LIMIT
    assert "Nome utente o password non corretti." in _fail(client, person.username, limit - 1).content.decode()
    response = _fail(client, person.username, 1, addresses=lambda i: "10.0.0.99")
    assert response.status_code == 429
    # the right password, from yet another address, is refused too, in Italian, with the time to retry
    response = _log_in(client, person.username, PASSWORD, "10.9.9.9")
    assert response.status_code == 429
    text = response.content.decode()
    assert LOCKOUT_TEXT in text and f"sospeso per {settings.LOGIN_LOCKOUT_MINUTES} minuti" in text
    assert "Riprova dopo le" in text
    assert "_auth_user_id" not in client.session


def test_failures_of_one_user_spread_over_addresses_count_together(client, person):
    response = _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT, addresses=lambda i: f"10.0.1.{i}")
    assert response.status_code == 429


def test_it_locks_an_address_out_after_its_own_limit_whatever_the_user_names(client, person):
    for i in range(settings.LOGIN_IP_FAILURE_LIMIT - 1):
        assert _log_in(client, f"utente{i}", "sbagliata", "10.0.0.7").status_code == 200
    assert _log_in(client, "ancora-un-altro", "sbagliata", "10.0.0.7").status_code == 429
    refused = _log_in(client, person.username, PASSWORD, "10.0.0.7")
    assert refused.status_code == 429 and LOCKOUT_TEXT in refused.content.decode()
    elsewhere = _log_in(client, person.username, PASSWORD, "10.0.0.8")
    assert elsewhere.status_code == 302 and elsewhere.url == reverse("home")


def test_the_address_limit_is_higher_than_the_user_limit(client, person):
    """An office behind one NAT address: a few people mistyping do not lock the others out."""
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        assert _log_in(client, f"collega{i}", "sbagliata", "10.0.0.5").status_code == 200
    assert _log_in(client, person.username, PASSWORD, "10.0.0.5").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, person):
    _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT)
    assert _log_in(client, person.username, PASSWORD).status_code == 429
    past = datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    assert _log_in(client, person.username, PASSWORD).status_code == 302


def test_axes_reset_unlocks_at_once(client, person):
    _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT)
    call_command("axes_reset_username", person.username)
    assert _log_in(client, person.username, PASSWORD).status_code == 302


def test_a_successful_login_forgets_the_earlier_failures(client, person):
    _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT - 1)
    assert _log_in(client, person.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT - 1).status_code == 200
    assert _log_in(client, person.username, PASSWORD).status_code == 302


def test_logging_in_with_ones_own_account_does_not_wipe_the_failures_against_others(client, person, other_ente):
    make_user("intruso", Role.PLANNER, other_ente)
    _fail(client, person.username, settings.LOGIN_FAILURE_LIMIT - 1)
    assert _log_in(client, "intruso", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert _fail(client, person.username, 1).status_code == 429


def test_the_admin_login_is_throttled_too(client, person):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post("/admin/login/", {"username": person.username, "password": "sbagliata"})
    assert response.status_code == 429 and LOCKOUT_TEXT in response.content.decode()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no proxy: X-Forwarded-For is whatever the client wrote
        (1, "6.6.6.6, 192.0.2.10", "192.0.2.10"),  # the proxy appended the address it saw
        (2, "6.6.6.6, 192.0.2.10, 10.1.1.1", "192.0.2.10"),
    ],
)
def test_the_client_address_trusts_only_the_proxies_in_front(rf, settings, proxies, forwarded, expected):
    from perfplan.login_throttle import client_ip

    settings.PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
