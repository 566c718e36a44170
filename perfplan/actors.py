"""Who made a change: a person, or the named system actor for writes nobody signed (command line, migrations).

History rows always carry a user, so no page has to guess what a missing one means; a user deleted later
(`on_delete=SET_NULL`) still reads as «utente eliminato», never as an error.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "sistema"
SYSTEM_LABEL = "Sistema (riga di comando)"


def system_actor():
    """The inactive user that signs unattended writes; it cannot log in."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "Sistema", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def actor_or_system(user):
    """The user who acts, or the system actor when there is none (an anonymous user counts as none)."""
    return user if getattr(user, "pk", None) else system_actor()


def actor_label(user) -> str:
    if user is None:
        return "utente eliminato"
    if user.username == SYSTEM_USERNAME:
        return SYSTEM_LABEL
    return user.get_full_name() or user.username
