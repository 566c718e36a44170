"""Who may do what: the one permissions table, used by views, services and templates.

A role (perfplan.roles) grants actions; the object-level scope (same ente, led units) is checked by the access
helpers named in SCOPES, which every view and service reaches through. Adding a role or moving an action means
editing PERMISSIONS only; the README's roles table is written from it (tests/test_permissions.py checks both).
"""

from __future__ import annotations

from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied

from perfplan.roles import Role, user_roles


class Action(StrEnum):
    READ = "read"  # plans, trees, scores, rounds' overview, Relazione pages of the user's ente
    PLAN_EDIT = "plan_edit"  # create, build, weigh, target, adopt, copy, set rules
    PLAN_IMPORT = "plan_import"  # workbook import (browser and command line) and the blank template
    PLAN_EXPORT = "plan_export"  # the plan as a workbook
    ROUND_MANAGE = "round_manage"  # open, close, reopen, remind, import a round's values
    MEASUREMENT_ENTER = "measurement_enter"  # «I miei indicatori»: values, notes, evidence of the led units
    MEASUREMENT_READ = "measurement_read"  # a unit's values and their history, evidence
    MEASUREMENT_REVIEW = "measurement_review"  # accept, return, set a manual achievement
    UNIT_SHEET = "unit_sheet"  # a unit's consuntivi as a workbook
    RELAZIONE_READ = "relazione_read"  # the Relazione page, the validated PDF, its tables
    RELAZIONE_EDIT = "relazione_edit"  # texts and tables, close the year, approve
    RELAZIONE_RENDER = "relazione_render"  # draft PDFs, superseded PDFs, the signed validation
    RELAZIONE_VALIDATE = "relazione_validate"  # the OIV's validation (freezes the year)
    OIV_PAPERS = "oiv_papers"  # the OIV's working papers: notes, documents, requests for clarification, closing them
    CLARIFICATION_READ = "clarification_read"  # the threads of the requests for clarification
    CLARIFICATION_ANSWER = "clarification_answer"  # the planning office's answers to the OIV's requests
    YEAR_REOPEN = "year_reopen"  # reopen a validated year, with a reason
    AUDIT_READ = "audit_read"  # the audit history of every change
    ADMIN_SITE = "admin_site"  # users, units, enti and configuration in /admin/
    PASSWORD_CHANGE = "password_change"  # one's own password (accounts/password/)


# action → (roles allowed, what the action is, in Italian, for the README and the refusal message)
PERMISSIONS: dict[Action, tuple[frozenset[str], str]] = {
    Action.READ: (
        frozenset({Role.PLANNER, Role.OFFICE_HEAD, Role.OIV, Role.ADMIN}),
        "consultare piani, punteggi e rilevazioni del proprio ente",
    ),
    Action.PLAN_EDIT: (
        frozenset({Role.PLANNER, Role.ADMIN}),
        "creare e modificare piani, obiettivi, indicatori, pesi e target",
    ),
    Action.PLAN_IMPORT: (frozenset({Role.PLANNER, Role.ADMIN}), "importare piani da Excel (browser e riga di comando)"),
    Action.PLAN_EXPORT: (frozenset({Role.PLANNER, Role.OIV, Role.ADMIN}), "esportare il piano in Excel"),
    Action.ROUND_MANAGE: (
        frozenset({Role.PLANNER, Role.ADMIN}),
        "aprire, chiudere, riaprire e importare le rilevazioni",
    ),
    Action.MEASUREMENT_ENTER: (frozenset({Role.OFFICE_HEAD}), "inserire i consuntivi delle proprie unità"),
    Action.MEASUREMENT_READ: (
        frozenset({Role.PLANNER, Role.OIV, Role.ADMIN}),
        "leggere i consuntivi di ogni unità e il loro storico",
    ),
    Action.MEASUREMENT_REVIEW: (
        frozenset({Role.PLANNER, Role.ADMIN}),
        "accettare, restituire, fissare il raggiungimento manuale",
    ),
    Action.UNIT_SHEET: (
        frozenset({Role.PLANNER, Role.OFFICE_HEAD, Role.ADMIN}),
        "scaricare il foglio dei consuntivi di un'unità",
    ),
    Action.RELAZIONE_READ: (
        frozenset({Role.PLANNER, Role.OFFICE_HEAD, Role.OIV, Role.ADMIN}),
        "leggere la Relazione e scaricarne il PDF validato",
    ),
    Action.RELAZIONE_EDIT: (
        frozenset({Role.PLANNER, Role.ADMIN}),
        "scrivere la Relazione, chiudere l'anno, approvarla",
    ),
    Action.RELAZIONE_RENDER: (
        frozenset({Role.PLANNER, Role.OIV, Role.ADMIN}),
        "generare le anteprime PDF, scaricarle con i PDF sostituiti e la validazione firmata",
    ),
    Action.RELAZIONE_VALIDATE: (frozenset({Role.OIV}), "validare la Relazione (congela l'anno)"),
    Action.OIV_PAPERS: (
        frozenset({Role.OIV}),
        "tenere le carte di lavoro dell'OIV (note, documenti), chiedere chiarimenti e chiudere le richieste",
    ),
    Action.CLARIFICATION_READ: (
        frozenset({Role.PLANNER, Role.OIV}),
        "leggere le richieste di chiarimento dell'OIV e le risposte",
    ),
    Action.CLARIFICATION_ANSWER: (
        frozenset({Role.PLANNER}),
        "rispondere alle richieste di chiarimento dell'OIV",
    ),
    Action.YEAR_REOPEN: (frozenset({Role.ADMIN}), "riaprire un anno validato, con motivazione"),
    Action.AUDIT_READ: (
        frozenset({Role.PLANNER, Role.OIV, Role.ADMIN}),
        "consultare ed esportare lo storico delle modifiche",
    ),
    Action.ADMIN_SITE: (frozenset({Role.ADMIN}), "gestire utenti, unità, enti e configurazione (/admin/)"),
    Action.PASSWORD_CHANGE: (
        frozenset({Role.PLANNER, Role.OFFICE_HEAD, Role.OIV, Role.ADMIN}),
        "cambiare la propria password",
    ),
}

# The object-level scope on top of the role: where it is checked, once for every path.
SCOPES = {
    "ente": "plans.selectors.plans_visible_to / plan_for_user: only the user's ente (without one: every ente for a "
    "user who may manage enti, ADMIN_SITE; nothing for the others)",
    "unità": "consuntivi.selectors.user_unit_ids: a Responsabile only the units they lead and their sub-units",
}


def can(user, action: Action) -> bool:
    return bool(user_roles(user) & PERMISSIONS[action][0])


def require(user, action: Action) -> None:
    """Refuse (PermissionDenied, 403) a user whose roles do not grant the action, naming the roles that do: the
    403 page shows the message, so the user knows whom to ask for which role."""
    if not can(user, action):
        allowed = [role for role in Role.ALL if role in PERMISSIONS[action][0]]
        listed = " o ".join([", ".join(allowed[:-1]), allowed[-1]]) if len(allowed) > 1 else allowed[0]
        needed = f"serve il ruolo {listed}" if len(allowed) == 1 else f"serve uno dei ruoli {listed}"
        raise PermissionDenied(f"Il tuo ruolo non consente di {PERMISSIONS[action][1]}: {needed}.")


def permission_required(action: Action):
    """A view that needs `action`; the resolver test finds it through `required_action`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, action)
            return view(request, *args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def context_processor(request) -> dict:
    """`can.plan_edit`, `can.relazione_validate`, … for the templates: the same table as the views."""
    roles = user_roles(request.user)
    return {
        "user_roles": sorted(roles),
        "can": {action.value: bool(roles & allowed) for action, (allowed, _) in PERMISSIONS.items()},
    }


def roles_table() -> list[tuple[str, list[str]]]:
    """(what, roles) rows for the README: one line per action, roles in the order of Role.ALL."""
    return [
        (label, [role for role in Role.ALL if role in allowed]) for _action, (allowed, label) in PERMISSIONS.items()
    ]
