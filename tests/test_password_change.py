"""Self-service password change (accounts/password/, Django's PasswordChangeView with perfplan's templates)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from perfplan.roles import Role
from tests.factories import PASSWORD, make_user

NEW = "Nuova-Parola-Segreta-2026"


@pytest.fixture
def person(other_ente):
    return make_user("mario.rossi", Role.OFFICE_HEAD, other_ente)


def _change(client, old: str, new: str = NEW, confirm: str | None = None):
    data = {"old_password": old, "new_password1": new, "new_password2": confirm or new}
    return client.post(reverse("password_change"), data)


def test_every_role_finds_the_page_in_the_header(client, person):
    client.force_login(person)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in page
    form = client.get(reverse("password_change")).content.decode()
    assert "Cambia la password" in form and "Password attuale" in form


def test_it_changes_the_password_and_keeps_the_user_logged_in(client, person):
    client.force_login(person)
    response = _change(client, PASSWORD)
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert "Password cambiata" in client.get(response.url).content.decode()
    assert client.get(reverse("home")).status_code == 200
    person.refresh_from_db()
    assert person.check_password(NEW) and not person.check_password(PASSWORD)


def test_it_requires_the_old_password(client, person):
    client.force_login(person)
    response = _change(client, "non-è-quella")
    assert response.status_code == 200
    assert "La password attuale non è stata inserita correttamente." in response.content.decode()
    assert get_user_model().objects.get(pk=person.pk).check_password(PASSWORD)


def test_it_applies_the_password_rules(client, person):
    client.force_login(person)
    response = _change(client, PASSWORD, new="12345678")
    assert response.status_code == 200 and "password è troppo comune" in response.content.decode()
    assert get_user_model().objects.get(pk=person.pk).check_password(PASSWORD)


def test_the_other_sessions_of_the_user_end(client, person):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(person)
    client.force_login(person)
    _change(client, PASSWORD)
    response = elsewhere.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_anonymous_users_are_sent_to_the_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
