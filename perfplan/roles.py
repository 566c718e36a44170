"""Roles are Django groups; this module is the one place that names them. Who may do what: perfplan.permissions."""

from __future__ import annotations

from django.contrib.auth import get_user_model


class Role:
    PLANNER = "Pianificazione"
    OFFICE_HEAD = "Responsabile"
    OIV = "OIV"
    ADMIN = "Amministratore"

    ALL = (PLANNER, OFFICE_HEAD, OIV, ADMIN)


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_perfplan_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._perfplan_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    """For plans.lifecycle's TRANSITIONS only: views, services and templates ask perfplan.permissions.can."""
    return bool(user_roles(user) & set(roles))


def user_ente(user):
    """The ente the user works in; None for users without a profile (they see nothing).

    Every request asks it: the profile is read with its ente in one query (not one each), kept on the user for the
    rest of the request, and given to `user.profile` too for the templates (`user.profile.ente.name` in the header).
    """
    if not user.is_authenticated:
        return None
    profile = getattr(user, "_perfplan_profile", None)
    if profile is None:  # read again while missing, as Django does: a profile made meanwhile is seen
        # through the user's own model: perfplan does not import plans (tests/test_layers.py)
        found = get_user_model()._default_manager.select_related("profile__ente").filter(pk=user.pk).first()
        profile = getattr(found, "profile", None)
        if profile is None:
            return None
        user._perfplan_profile = user.profile = profile
    return profile.ente


def remember_profile(user) -> None:
    """Keep the profile (with its ente) a query has already read with the user for user_ente; a user read without
    one is read again there, as before."""
    profile = getattr(user, "profile", None)
    if profile is not None:
        user._perfplan_profile = profile
