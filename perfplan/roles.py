"""Roles are Django groups; this module is the one place that names them and checks them."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied


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
    return bool(user_roles(user) & set(roles))


def can_edit_plans(user) -> bool:
    return has_role(user, Role.PLANNER, Role.ADMIN)


def user_ente(user):
    """The ente the user works in; None for users without a profile (they see nothing)."""
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return profile.ente if profile else None


def role_required(*roles: str):
    """Refuse (403) users without one of the roles; login is enforced by the middleware."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *(roles or Role.ALL)):
                raise PermissionDenied("Il tuo ruolo non consente questa operazione.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def context_processor(request):
    roles = user_roles(request.user)
    return {
        "user_roles": sorted(roles),
        "can_edit_plans": bool(roles & {Role.PLANNER, Role.ADMIN}),
        "is_admin_role": Role.ADMIN in roles,
    }
