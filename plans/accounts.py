"""A user's place in the ente: roles, ente and led units, given at once (the admin's one screen and its import).

One rule for the admin's form and the spreadsheet import: the Amministratore of an ente gives only the four roles
(perfplan.roles), only their own ente and only units of that ente; an Amministratore also gets the staff flag that
opens /admin/. A user of another ente, or a superuser, is never changed from an ente's admin.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from perfplan.permissions import Action, require
from perfplan.roles import Role, user_ente
from plans.models import Ente, OrgUnit, Profile


def check_may_manage(*, by, ente: Ente | None, user=None) -> None:
    """Refuse an ente, or a user, that the administrator `by` does not manage."""
    require(by, Action.ADMIN_SITE)
    if by.is_superuser:
        return
    own = user_ente(by)
    if own is None:
        raise PermissionDenied("Il tuo utente non è associato a nessun ente.")
    if ente is not None and ente.pk != own.pk:
        raise PermissionDenied(f"Puoi gestire solo gli utenti del tuo ente ({own.code}).")
    if user is not None and user.pk is not None:
        if user.is_superuser:
            raise PermissionDenied("Un superutente si modifica solo da un altro superutente.")
        profile = Profile.objects.filter(user=user).select_related("ente").first()
        if profile is not None and profile.ente_id != own.pk:
            raise PermissionDenied(f"L'utente «{user.username}» appartiene a un altro ente ({profile.ente.code}).")


@transaction.atomic
def user_assign(*, user, roles: Iterable[str], ente: Ente | None, units: Iterable[OrgUnit], by) -> None:
    """Set the user's roles (the four groups; other groups are kept), ente and led units in one transaction.

    The units replace those the user led in that ente; an empty list leaves the user leading none there."""
    roles, units = set(roles), list(units)
    check_may_manage(by=by, ente=ente, user=user)
    unknown = roles - set(Role.ALL)
    if unknown:
        raise ValidationError(f"Ruolo sconosciuto: {', '.join(sorted(unknown))} (i ruoli sono: {', '.join(Role.ALL)}).")
    if ente is None and units:
        raise ValidationError("Le unità guidate richiedono l'ente dell'utente.")
    foreign = [unit.code for unit in units if ente is not None and unit.ente_id != ente.pk]
    if foreign:
        raise ValidationError(f"Le unità {', '.join(foreign)} non appartengono all'ente {ente.code}.")
    if ente is not None:
        Profile.objects.update_or_create(user=user, defaults={"ente": ente})
    user.groups.remove(*Group.objects.filter(name__in=set(Role.ALL) - roles))
    user.groups.add(*Group.objects.filter(name__in=roles))
    if Role.ADMIN in roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if ente is not None:
        led = set(OrgUnit.objects.filter(ente=ente, leaders=user))
        for unit in led - set(units):
            unit.leaders.remove(user)
        for unit in set(units) - led:
            unit.leaders.add(user)
    user._perfplan_roles = None  # the cached roles (perfplan.roles.user_roles) are stale now
