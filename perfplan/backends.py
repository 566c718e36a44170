"""The authentication backend: Django's ModelBackend, with the user's profile and ente read with the user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from perfplan.roles import remember_profile


class ProfileModelBackend(ModelBackend):
    """Every request asks the user's ente (perfplan.roles.user_ente): reading the profile and its ente in the query
    that loads the session's user saves one query on every page and every save (issue 13 item 4)."""

    def get_user(self, user_id):
        # through the user's own model: perfplan does not import plans (tests/test_layers.py)
        user = get_user_model()._default_manager.select_related("profile__ente").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_profile(user)
        return user
