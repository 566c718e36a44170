"""The authentication backend (perfplan/backends.py): the session's user comes with its profile and ente, so the
ente every request asks costs no query of its own; what Django's ModelBackend refuses stays refused."""

from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from perfplan.backends import ProfileModelBackend
from perfplan.roles import Role, user_ente
from plans.models import Profile
from tests.factories import PASSWORD, make_user


def test_the_users_ente_comes_with_the_user_in_one_query(planner, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = ProfileModelBackend().get_user(planner.pk)
        assert user_ente(user).code == planner.profile.ente.code


def test_a_user_without_a_profile_has_no_ente_and_one_made_later_is_seen(other_ente):
    user = ProfileModelBackend().get_user(make_user("senzaprofilo", Role.PLANNER, None).pk)
    assert user is not None and user_ente(user) is None
    Profile.objects.create(user=user, ente=other_ente)
    assert user_ente(user) == other_ente  # read again while missing, as before


def test_an_inactive_or_unknown_user_is_no_user(planner):
    planner.is_active = False
    planner.save()
    assert ProfileModelBackend().get_user(planner.pk) is None
    assert ProfileModelBackend().get_user(planner.pk + 1000) is None


def test_a_login_through_the_form_keeps_the_session_on_this_backend_and_pages_open(client, planner):
    response = client.post(reverse("login"), {"username": planner.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "perfplan.backends.ProfileModelBackend"
    assert int(client.session[SESSION_KEY]) == planner.pk
    page = client.get("/")
    assert page.status_code == 200 and planner.profile.ente.name in page.content.decode()
