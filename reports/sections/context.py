"""What every section builder reads: the plan year scored once and the Relazione's own rows, loaded in one place.

`load` runs a constant number of queries whatever the plan size; the builders run none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Min
from django.utils import timezone

from consuntivi.models import Round, RoundState
from consuntivi.scores import PlanScoring, plan_score
from consuntivi.year_over_year import previous_results
from plans.models import Ente, Objective, Plan, PlanRevision, PlanYear, PlanYearEvent, PublicValue
from plans.selectors import public_values_of
from reports.models import (
    ArtifactKind,
    BilancioLine,
    BudgetLine,
    CycleActivity,
    KeyIndicator,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    RelazioneState,
    Validation,
)
from reports.sections.common import IndicatorTable, indicator_table, shares_of

if TYPE_CHECKING:
    from indicators.scoring import TreeScore
    from plans.selectors import PlanTree

CALENDARIO_KEY = "calendario"  # Relazione.settings: the calendario as it was when the year was validated


@dataclass(frozen=True)
class RelazioneContext:
    plan: Plan
    year: int
    relazione: Relazione  # unsaved when the Relazione of the year is not started: its own rows are then empty
    ente: Ente
    scoring: PlanScoring  # the loaded tree (`scoring.tree`) and the pure results (`scoring.result`, `scoring.units`)
    objectives: dict[int, Objective]
    budget_lines: dict[str, BudgetLine]
    bilancio_years: list[int]  # N-3 … N, table 2.1
    bilancio_amounts: dict[int, dict[str, int]]  # year → bilancio line code → amount
    promo_of: dict[int, int]  # strategic objective id → amount, table 2.2
    key_indicators: list[KeyIndicator]
    activities: list[CycleActivity]  # the calendario, frozen in the Relazione once validated
    validation: Validation | None
    artifact: RelazioneArtifact | None
    revisions: list[PlanRevision]
    plan_year: PlanYear | None
    public_values: list[PublicValue]  # the impatti of Valore pubblico, with objectives, indicators and targets
    rounds: list[Round]  # the year's data rounds, by the end of their period (section 6, the dates of the cycle)
    round_closed_on: dict[int, dt.date]  # round id → the day it was first closed, from its history
    year_events: list[PlanYearEvent]  # every move of the year's state, oldest first
    indicators: IndicatorTable  # the indicator rows, built once: 1.3, 3.1, 3.2, 3.3 and section 4 print them
    shares: dict[tuple[str, int], Decimal | None]  # ("node" | "indicator", id) → normalised weight in its parent

    @property
    def tree(self) -> PlanTree:
        return self.scoring.tree

    @property
    def result(self) -> TreeScore:
        return self.scoring.result


def final_artifact(*, relazione: Relazione) -> RelazioneArtifact | None:
    return (
        RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.FINAL, superseded_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def current_document(*, relazione: Relazione) -> RelazioneArtifact | None:
    """The Documento di validazione of the OIV's latest validation (reopened years keep theirs in the history)."""
    return (
        RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.DOCUMENT, superseded_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


@dataclass(frozen=True)
class PendingValidation:
    """What a validation is about to store, for the final PDF rendered before it is stored (reports.services):
    the OIV's act (unsaved) and the year as it will be; the Relazione passed to `load` carries its new state."""

    validation: Validation
    plan_year: PlanYear


def load(
    *, plan: Plan, year: int, relazione: Relazione | None = None, pending: PendingValidation | None = None
) -> RelazioneContext:
    """One call to plan_score and a few small reads."""
    if relazione is None:
        relazione = Relazione.objects.filter(plan=plan, year=year).first() or Relazione(plan=plan, year=year)
    ente = plan.ente
    scoring = plan_score(plan=plan, year=year)
    saved = relazione.pk is not None
    bilancio_years = [year - 3, year - 2, year - 1, year]
    bilancio_amounts: dict[int, dict[str, int]] = defaultdict(dict)
    for line in BilancioLine.objects.filter(ente=ente, year__in=bilancio_years):
        bilancio_amounts[line.year][line.code] = line.amount
    frozen_calendario = relazione.settings.get(CALENDARIO_KEY) if relazione.state == RelazioneState.VALIDATED else None
    if frozen_calendario is not None:
        activities = [CycleActivity(ente=ente, **row) for row in frozen_calendario]
    else:
        activities = list(CycleActivity.objects.filter(ente=ente).order_by("order", "id"))
    rounds = sorted(Round.objects.filter(plan=plan, year=year), key=lambda r: (r.period_end, r.final, r.pk))
    return RelazioneContext(
        plan=plan,
        year=year,
        relazione=relazione,
        ente=ente,
        scoring=scoring,
        objectives={n.pk: n for n in scoring.tree.objectives},
        budget_lines={b.voce: b for b in BudgetLine.objects.filter(relazione=relazione)} if saved else {},
        bilancio_years=bilancio_years,
        bilancio_amounts=bilancio_amounts,
        promo_of={p.objective_id: p.amount for p in PromoAmount.objects.filter(relazione=relazione)} if saved else {},
        key_indicators=(
            list(KeyIndicator.objects.filter(relazione=relazione).order_by("order", "id")) if saved else []
        ),
        activities=activities,
        validation=(
            pending.validation
            if pending is not None
            else Validation.objects.filter(relazione=relazione).order_by("-created_at", "-id").first()
            if saved
            else None
        ),
        artifact=final_artifact(relazione=relazione) if saved else None,
        revisions=list(PlanRevision.objects.filter(plan=plan).order_by("created_at", "id")),
        plan_year=pending.plan_year if pending is not None else PlanYear.objects.filter(plan=plan, year=year).first(),
        public_values=public_values_of(plan=plan),
        rounds=rounds,
        round_closed_on=_closed_on(rounds),
        year_events=list(
            PlanYearEvent.objects.filter(plan_year__plan=plan, plan_year__year=year).order_by("created_at", "id")
        ),
        indicators=indicator_table(scoring, year, previous_results(plan=plan, year=year, tree=scoring.tree)),
        shares=shares_of(scoring.result),
    )


def _closed_on(rounds: list[Round]) -> dict[int, dt.date]:
    """The day each closed round was first closed, from its history (one query, none without closed rounds). A round
    closed together with the year (consuntivi.services.year_close, a bulk update) has no row: section 6 then uses
    the year's closing date."""
    closed = [r.pk for r in rounds if r.state == RoundState.CLOSED]
    if not closed:
        return {}
    rows = (
        Round.history.filter(id__in=closed, state=RoundState.CLOSED)
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    return {round_id: timezone.localtime(first).date() for round_id, first in rows}
