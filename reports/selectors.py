"""Reads for the Relazione: `relazione_build` turns the scored plan year into plain data, one builder per section.

Every number comes from `consuntivi.scores.plan_score` (called once, in reports.sections.context.load), so the
page, the PDF and the xlsx agree. The builder runs a constant number of queries whatever the plan size; the
section builders (reports.sections) run none and templates only lay their rows out. Formatted text (`*_text`) is
kept apart from raw values so that the xlsx export can write numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from perfplan.permissions import Action, can, require
from plans.models import Objective, Plan, PlanYear, YearState
from plans.selectors import plans_visible_to
from reports.checks import Check, relazione_checks
from reports.criteria import CRITERION_LABELS, MISSES, blocking_failures, validation_criteria
from reports.models import (
    ClarificationMessage,
    ClarificationRequest,
    ClarificationState,
    CycleActivity,
    PaperDocument,
    PaperNote,
    Relazione,
    RelazioneState,
)
from reports.sections import FRONT, SECTIONS
from reports.sections.context import CALENDARIO_KEY, PendingValidation, current_document, final_artifact, load
from reports.sections.data import RelazioneData
from reports.texts import CONCLUSION_SECTIONS

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


# --- the OIV's working papers (carte di lavoro) ----------------------------------------------------------------

# topic key → what it is about: the validation criteria (reports.criteria) and the sections the OIV concludes on.
PAPER_TOPICS: dict[str, str] = {f"criterio:{key}": label for key, label in CRITERION_LABELS.items()} | {
    f"sezione:{key}": label for key, label in CONCLUSION_SECTIONS
}


@dataclass
class Papers:
    """What the Carte di lavoro page shows to one user: the threads to both sides, notes and documents to the OIV."""

    requests: list[ClarificationRequest]
    notes: dict[str, PaperNote] = field(default_factory=dict)  # topic → note; empty for the planning office
    documents: list[PaperDocument] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(1 for r in self.requests if r.state != ClarificationState.CLOSED)

    def note_rows(self, kind: str) -> list[dict]:
        """The note boxes of one kind of topic ("criterio" or "sezione"): key, label, anchor and the note's text."""
        return [
            {
                "key": key,
                "label": label,
                "anchor": "nota-" + key.replace(":", "-"),
                "text": self.notes[key].text if key in self.notes else "",
            }
            for key, label in PAPER_TOPICS.items()
            if key.startswith(f"{kind}:")
        ]


def _requests(relazione: Relazione):
    return (
        ClarificationRequest.objects.filter(relazione=relazione)
        .select_related("objective", "measurement__indicator__objective", "created_by", "closed_by")
        .prefetch_related(Prefetch("messages", queryset=ClarificationMessage.objects.select_related("author")))
    )


def papers_for(*, relazione: Relazione, user) -> Papers:
    """The working papers of a Relazione as `user` may read them (CLARIFICATION_READ; notes and documents: the OIV's
    own, OIV_PAPERS). Four queries at most, whatever the number of threads and messages."""
    require(user, Action.CLARIFICATION_READ)
    if relazione.pk is None:
        return Papers(requests=[])
    papers = Papers(requests=list(_requests(relazione)))
    for request in papers.requests:
        request.topic_label = PAPER_TOPICS.get(request.topic, "")
    if can(user, Action.OIV_PAPERS):
        papers.notes = {n.topic: n for n in PaperNote.objects.filter(relazione=relazione)}
        papers.documents = list(PaperDocument.objects.filter(relazione=relazione).select_related("uploaded_by"))
    return papers


def clarification_get(*, relazione: Relazione, request_id: int) -> ClarificationRequest:
    """One request of this Relazione (its plan already scoped to the user's ente): another's is not found (404)."""
    found = _requests(relazione).filter(pk=request_id).first() if relazione.pk else None
    if found is None:
        raise Http404("Richiesta di chiarimento non trovata.")
    return found


def objective_clarifications(*, objective: Objective, user) -> list[ClarificationRequest]:
    """The requests about a node or one of its values, for the node's page; none for who may not read them."""
    if not can(user, Action.CLARIFICATION_READ):
        return []
    return list(
        ClarificationRequest.objects.filter(
            Q(objective=objective) | Q(measurement__indicator__objective=objective),
            relazione__plan_id=objective.plan_id,
        ).select_related("relazione", "measurement__indicator")
    )


@dataclass
class PendingClarifications:
    plan: Plan
    year: int
    waiting_answer: int  # aperta: the planning office has to answer
    answered: int  # risposta: the OIV has to read the answer and close or ask again

    @property
    def total(self) -> int:
        return self.waiting_answer + self.answered


def clarifications_pending(*, plans: list[Plan]) -> list[PendingClarifications]:
    """The requests not closed yet, per Relazione of `plans`, for the home pages. One query."""
    by_plan = {plan.pk: plan for plan in plans}
    counts: dict[tuple[int, int], PendingClarifications] = {}
    rows = (
        ClarificationRequest.objects.filter(relazione__plan__in=plans)
        .exclude(state=ClarificationState.CLOSED)
        .values_list("relazione__plan_id", "relazione__year", "state")
        .annotate(n=Count("id"))
        .order_by("relazione__plan_id", "relazione__year", "state")
    )
    for plan_id, year, state, n in rows:
        item = counts.setdefault((plan_id, year), PendingClarifications(by_plan[plan_id], year, 0, 0))
        if state == ClarificationState.OPEN:
            item.waiting_answer += n
        else:
            item.answered += n
    return list(counts.values())
