"""Refusals and errors in Italian, in the site's layout (templates/400.html, 403.html, 403_csrf.html, 404.html,
500.html), as production serves them: DEBUG off."""

import pytest
from django.test import Client
from django.urls import reverse
from django.views.defaults import server_error

from perfplan.roles import Role
from tests.factories import make_user


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_a_missing_page_is_an_italian_404_in_the_layout(client, other_ente):
    client.force_login(make_user("mario.rossi", Role.PLANNER, other_ente))
    response = client.get("/non-esiste/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "Pagina non trovata" in text and "it-header-wrapper" in text
    assert 'href="/"' in text and "Consuntivi" in text  # the menu of a logged-in user
    assert "Che cosa fare" in text and "pagina iniziale" in text and "amministratore" in text


def test_a_server_error_is_an_italian_500_page_that_needs_no_context(rf, db):
    response = server_error(rf.get("/"))
    text = response.content.decode()
    assert response.status_code == 500 and "Errore del server" in text and "it-header-wrapper" in text
    assert "Che cosa fare" in text and "segnalalo all'amministratore" in text


@pytest.mark.urls("tests.error_urls")
def test_an_exception_in_a_view_answers_the_italian_500_page(db):
    client = Client(raise_request_exception=False)
    response = client.get("/prova-errore/")
    assert response.status_code == 500 and "Errore del server" in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_a_form_without_its_csrf_token_is_refused_in_italian(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403 and "Modulo scaduto" in response.content.decode()


def test_a_refused_role_reads_the_italian_403(client, other_ente):
    client.force_login(make_user("mario.rossi", Role.OFFICE_HEAD, other_ente))
    response = client.get(reverse("plans:create"))
    text = response.content.decode()
    assert response.status_code == 403 and "Accesso non consentito" in text
    # what the user may not do, which roles may, and whom to ask
    assert "creare e modificare piani, obiettivi, indicatori, pesi e target: serve uno dei ruoli " in text
    assert "Pianificazione o Amministratore." in text
    assert "chiedi all'amministratore di perfplan del tuo ente di assegnarti il ruolo" in text
    assert "(Responsabile)" in text  # the role the user has


def test_a_refusal_names_the_one_role_that_may(client, other_ente):
    client.force_login(make_user("lucia.bianchi", Role.PLANNER, other_ente))
    response = client.get("/consuntivi/rilevazioni/1/miei/")
    assert response.status_code == 403
    assert "serve il ruolo Responsabile." in response.content.decode()
