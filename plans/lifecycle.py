"""The one place for the yearly lifecycle rules (domain.md §4): allowed moves, who may make them, locks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from perfplan.roles import Role, has_role
from plans.models import Plan, PlanYear, PlanYearEvent, YearState

S = YearState
# (from, to) → roles allowed; backward moves need a reason.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (S.PLANNED, S.MONITORING): (Role.PLANNER, Role.ADMIN),
    (S.MONITORING, S.CLOSED): (Role.PLANNER, Role.ADMIN),
    (S.CLOSED, S.MONITORING): (Role.PLANNER, Role.ADMIN),  # backward: reopen data entry
    (S.CLOSED, S.REPORT_APPROVED): (Role.PLANNER, Role.ADMIN),
    (S.REPORT_APPROVED, S.CLOSED): (Role.OIV, Role.PLANNER, Role.ADMIN),  # backward: not validated / corrections
    (S.REPORT_APPROVED, S.VALIDATED): (Role.OIV,),
    (S.VALIDATED, S.CLOSED): (Role.ADMIN,),  # backward: reopen a validated year, an admin act
}
BACKWARD = {(S.CLOSED, S.MONITORING), (S.REPORT_APPROVED, S.CLOSED), (S.VALIDATED, S.CLOSED)}


def plan_year_get(*, plan: Plan, year: int) -> PlanYear:
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    plan_year, _ = PlanYear.objects.get_or_create(plan=plan, year=year)
    return plan_year


def year_is_locked(*, plan: Plan, year: int) -> bool:
    """A validated year is frozen for everyone (values, targets, texts)."""
    return PlanYear.objects.filter(plan=plan, year=year, state=YearState.VALIDATED).exists()


@transaction.atomic
def plan_year_transition(*, plan_year: PlanYear, to_state: str, user, reason: str = "") -> PlanYear:
    """Move a year to another state, checking the move, the role and the reason; the move is recorded."""
    locked = PlanYear.objects.select_for_update().get(pk=plan_year.pk)
    move = (locked.state, to_state)
    roles = TRANSITIONS.get(move)
    if roles is None:
        raise ValidationError(f"Passaggio non consentito: da «{S(locked.state).label}» a «{S(to_state).label}».")
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
