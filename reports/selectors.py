"""Reads for the Relazione: `relazione_build` turns the scored plan year into plain data, one builder per section.

Every number comes from `consuntivi.scores.plan_score` (called once, in reports.sections.context.load), so the
page, the PDF and the xlsx agree. The builder runs a constant number of queries whatever the plan size; the
section builders (reports.sections) run none and templates only lay their rows out. Formatted text (`*_text`) is
kept apart from raw values so that the xlsx export can write numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from plans.models import Plan, PlanYear, YearState
from plans.selectors import plans_visible_to
from reports.checks import Check, relazione_checks
from reports.criteria import MISSES, blocking_failures, validation_criteria
from reports.models import CycleActivity, Relazione, RelazioneState
from reports.sections import FRONT, SECTIONS
from reports.sections.context import CALENDARIO_KEY, PendingValidation, current_document, final_artifact, load
from reports.sections.data import RelazioneData

__all__ = [
    "CALENDARIO_KEY",
    "PendingValidation",
    "RelazioneData",
    "calendario_snapshot",
    "current_document",
    "final_artifact",
    "relazione_build",
    "relazione_list",
    "relazioni_pending",
]

CALENDARIO_FIELDS = ("order", "activity", "prepares", "adopts", "start_month", "start_day", "end_month", "end_day")


def relazione_list(*, user) -> list[dict]:
    """Every plan year of the user's plans with its Relazione (if any): three queries."""
    plans = list(plans_visible_to(user=user).order_by("-start_year", "title"))
    relazioni = {(r.plan_id, r.year): r for r in Relazione.objects.filter(plan__in=plans)}
    year_states = {(py.plan_id, py.year): py for py in PlanYear.objects.filter(plan__in=plans)}
    rows = []
    for plan in plans:
        for year in plan.years:
            relazione = relazioni.get((plan.pk, year))
            plan_year = year_states.get((plan.pk, year))
            rows.append(
                {
                    "plan": plan,
                    "year": year,
                    "relazione": relazione,
                    "state": relazione.state if relazione else "",
                    "state_label": relazione.get_state_display() if relazione else "Non iniziata",
                    "year_state_label": plan_year.get_state_display() if plan_year else YearState.PLANNED.label,
                }
            )
    return rows


@dataclass
class PendingRelazione:
    plan: Plan
    year: int
    relazione: Relazione | None
    year_state: str

    @property
    def state_label(self) -> str:
        return self.relazione.get_state_display() if self.relazione is not None else "Non iniziata"

    @property
    def year_state_label(self) -> str:
        return YearState(self.year_state).label


# Years whose Relazione is due: the consuntivi are being gathered or closed, and the Relazione is not yet approved.
TO_PREPARE_YEAR_STATES = (YearState.MONITORING, YearState.CLOSED)


def relazioni_pending(*, plans: list[Plan]) -> tuple[list[PendingRelazione], list[PendingRelazione]]:
    """(to prepare, to validate) among the years of `plans`: a year in monitoraggio or with its consuntivo closed
    whose Relazione is not approved yet; an approved Relazione waiting for the OIV. Two queries."""
    relazioni = {(r.plan_id, r.year): r for r in Relazione.objects.filter(plan__in=plans)}
    year_states = dict(
        ((plan_id, year), state)
        for plan_id, year, state in PlanYear.objects.filter(plan__in=plans).values_list("plan_id", "year", "state")
    )
    to_prepare, to_validate = [], []
    for plan in plans:
        for year in plan.years:
            relazione = relazioni.get((plan.pk, year))
            year_state = year_states.get((plan.pk, year), YearState.PLANNED)
            item = PendingRelazione(plan, year, relazione, year_state)
            state = relazione.state if relazione is not None else RelazioneState.DRAFT
            if state == RelazioneState.APPROVED:
                to_validate.append(item)
            elif state == RelazioneState.DRAFT and year_state in TO_PREPARE_YEAR_STATES:
                to_prepare.append(item)
    return to_prepare, to_validate


def calendario_snapshot(*, ente_id: int) -> list[dict]:
    """The ente's calendario rows as plain values, kept with a validated Relazione."""
    rows = CycleActivity.objects.filter(ente_id=ente_id).order_by("order", "id").values(*CALENDARIO_FIELDS)
    return [dict(row) for row in rows]


def relazione_build(
    *, plan: Plan, year: int, relazione: Relazione | None = None, pending: PendingValidation | None = None
) -> RelazioneData:
    """Plain data for every section of relazione.md: the context loaded once, then each section's builder in
    order, then the checks. `pending`: a validation not stored yet, as the final PDF shows it."""
    ctx = load(plan=plan, year=year, relazione=relazione, pending=pending)
    fields = FRONT.build(ctx)
    for section in SECTIONS:
        fields.update(section.build(ctx))
    data = RelazioneData(**fields)
    data.blocking, data.warnings = relazione_checks(ctx, data)
    data.criteria = validation_criteria(ctx)
    # Placeholders and manual achievements already block through the checks; a miss without a note is a criterion's.
    data.blocking += [
        Check(f"{c.label}: {len(c.exceptions)} senza nota.", "Criteri di validazione")
        for c in blocking_failures(data.criteria)
        if c.key == MISSES
    ]
    return data
