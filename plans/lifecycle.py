"""The one place for the yearly lifecycle rules (domain.md §4): allowed moves, who may make them, locks."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from perfplan.audit import audited
from perfplan.roles import Role, has_role
from plans.models import Plan, PlanYear, PlanYearEvent, YearState

# (from, to) → roles allowed; backward moves need a reason.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (YearState.PLANNED, YearState.MONITORING): (Role.PLANNER, Role.ADMIN),
    (YearState.MONITORING, YearState.CLOSED): (Role.PLANNER, Role.ADMIN),
    (YearState.CLOSED, YearState.MONITORING): (Role.PLANNER, Role.ADMIN),  # backward: reopen data entry
    (YearState.CLOSED, YearState.REPORT_APPROVED): (Role.PLANNER, Role.ADMIN),
    (YearState.REPORT_APPROVED, YearState.CLOSED): (
        Role.OIV,
        Role.PLANNER,
        Role.ADMIN,
    ),  # backward: not validated / corrections
    (YearState.REPORT_APPROVED, YearState.VALIDATED): (Role.OIV,),
    (YearState.VALIDATED, YearState.CLOSED): (Role.ADMIN,),  # backward: reopen a validated year, an admin act
}
BACKWARD = {
    (YearState.CLOSED, YearState.MONITORING),
    (YearState.REPORT_APPROVED, YearState.CLOSED),
    (YearState.VALIDATED, YearState.CLOSED),
}


def plan_year_get(*, plan: Plan, year: int) -> PlanYear:
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    plan_year, _ = PlanYear.objects.get_or_create(plan=plan, year=year)
    return plan_year


class Write(StrEnum):
    """What a write changes, for the lifecycle guard: each kind of data freezes at its own state."""

    STRUCTURE = "structure"  # tree, indicators, weights, baselines, scoring rules: they score every year
    TARGET = "target"  # the targets of one year
    MEASUREMENT = "measurement"  # the consuntivi of one year (values, review, manual achievements, evidence)
    REPORT = "report"  # the Relazione of one year: texts, tables, typed data printed in it


# The states in which each kind of write is refused, and why (domain.md §4). The one table of year locks.
FROZEN: dict[Write, dict[str, str]] = {
    Write.STRUCTURE: {
        YearState.VALIDATED: "l'anno {year} è validato dall'OIV: obiettivi, indicatori e pesi del piano non si possono "
        "più modificare (un amministratore può riaprire l'anno, con motivazione)",
    },
    Write.TARGET: {
        YearState.VALIDATED: "l'anno {year} è validato dall'OIV: i suoi target non si possono più modificare",
        YearState.REPORT_APPROVED: "la Relazione {year} è approvata: i target dell'anno non si possono più modificare",
        YearState.CLOSED: "il consuntivo {year} è chiuso: per modificare un target dell'anno riaprire prima il "
        "monitoraggio",
    },
    Write.MEASUREMENT: {
        YearState.VALIDATED: "l'anno {year} è validato dall'OIV: i consuntivi sono in sola lettura",
        YearState.REPORT_APPROVED: "la Relazione {year} è approvata: i consuntivi sono in sola lettura",
        YearState.CLOSED: "il consuntivo {year} è chiuso: i valori non si possono più salvare (la pianificazione può "
        "riaprire la rilevazione, con motivazione)",
    },
    Write.REPORT: {
        YearState.VALIDATED: "l'anno {year} è validato dall'OIV: la Relazione e i dati stampati in essa sono in sola "
        "lettura",
    },
}


def year_states(*, plan: Plan | int) -> dict[int, str]:
    """Every year of the plan with its state (a year never moved is in programmazione)."""
    plan_id = plan if isinstance(plan, int) else plan.pk
    return dict(PlanYear.objects.filter(plan_id=plan_id).order_by().values_list("year", "state"))  # no join to sort


def write_refusal(*, action: Write, year: int | None, states: dict[int, str]) -> str | None:
    """Why the write is refused (Italian, lower-case start), or None. `year=None`: a write that touches every year."""
    frozen = FROZEN[action]
    if year is None:
        years = sorted(y for y, state in states.items() if state in frozen)
        if not years:
            return None
        return frozen[states[years[0]]].format(year=", ".join(str(y) for y in years))
    state = states.get(year, YearState.PLANNED)
    return frozen[state].format(year=year) if state in frozen else None


def require_open(
    *, plan: Plan | int, action: Write, year: int | None = None, error: type[Exception] = ValidationError
) -> None:
    """The lifecycle guard every write calls: refuse a write the year's state forbids.

    ValidationError for writes made through a form (the message shows beside it); data entry and review raise
    PermissionDenied (403), since their pages never offer a write the state forbids.
    """
    reason = write_refusal(action=action, year=year, states=year_states(plan=plan))
    if reason:
        raise error(reason[0].upper() + reason[1:] + ".")


@audited  # the year's historical row carries the move's user and reason
@transaction.atomic
def plan_year_transition(*, plan_year: PlanYear, to_state: str, user, reason: str = "") -> PlanYear:
    """Move a year to another state, checking the move, the role and the reason; the move is recorded."""
    locked = PlanYear.objects.select_for_update().get(pk=plan_year.pk)
    move = (locked.state, to_state)
    roles = TRANSITIONS.get(move)
    if roles is None:
        raise ValidationError(
            f"Passaggio non consentito: da «{YearState(locked.state).label}» a «{YearState(to_state).label}»."
        )
    if not has_role(user, *roles):
        raise PermissionDenied("Il tuo ruolo non consente questo passaggio di stato.")
    if move in BACKWARD and not reason.strip():
        raise ValidationError("Per tornare a uno stato precedente serve la motivazione.")
    PlanYearEvent.objects.create(
        plan_year=locked, from_state=locked.state, to_state=to_state, user=user, reason=reason.strip()
    )
    locked.state = to_state
    locked.save(update_fields=["state"])
    return locked
