"""Section 6, the process: the cycle as the records show it (dates of the acts, of the rounds, of the Relazione's
approval and validation, against their deadlines), the ente's own calendario (September → August) and the plan's
revisions in the year. (The key stays `s5`: the section was the fifth before the gender section.)"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone

from consuntivi.models import RoundState
from perfplan.formats import date_it
from plans.models import YearState
from reports.models import RelazioneState, ValidationOutcome
from reports.sections.context import RelazioneContext

MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
MONTH_NAMES = {
    1: "GEN",
    2: "FEB",
    3: "MAR",
    4: "APR",
    5: "MAG",
    6: "GIU",
    7: "LUG",
    8: "AGO",
    9: "SET",
    10: "OTT",
    11: "NOV",
    12: "DIC",
}
REVISION_GROUPS = [
    ("objective", "Obiettivi aggiunti, eliminati o spostati"),
    ("indicator", "Indicatori aggiunti, eliminati o spostati"),
    ("target", "Target"),
    ("weight", "Pesi"),
]


def build(ctx: RelazioneContext) -> dict:
    return {
        "cycle_dates": cycle_dates(ctx),
        "timeline": _timeline(ctx),
        "month_names": [MONTH_NAMES[month] for month in MONTHS],
        "revisions": _revision_groups(ctx),
    }


def revisions_in_year(ctx: RelazioneContext) -> list:
    return [r for r in ctx.revisions if timezone.localtime(r.created_at).year == ctx.year]


def _step(
    phase: str,
    subject: str,
    *,
    due: dt.date | None,
    done: dt.date | None,
    reference: str = "",
    url: str = "",
    judged: bool = True,
) -> dict:
    """A row of the dates of the cycle: done by the deadline («nei termini») or after it, or not yet done; not
    `judged` when the deadline is not of the act dated (a round's deadline is the units', its date the closing)."""
    if not judged:
        outcome = ""
    elif done is None:
        outcome = "non ancora" if due is not None else ""
    elif due is None:
        outcome = ""
    else:
        outcome = "nei termini" if done <= due else "oltre il termine"
    return {
        "phase": phase,
        "subject": subject,
        "due_text": date_it(due) if due else "—",
        "date_text": date_it(done) if done else "—",
        "outcome": outcome,
        "late": outcome == "oltre il termine",
        "reference": reference,
        "url": url,
    }


def cycle_dates(ctx: RelazioneContext) -> list[dict]:
    """What happened in this cycle, from the records: the Piano's adoption (by 31/01, art. 10 c. 1 lett. a D.Lgs.
    150/2009) and publication, the year's data rounds, the closing of the consuntivi, the Relazione's approval and
    the OIV's validation (by 30/06 of the next year, art. 10 c. 1 lett. b; art. 14 c. 4 lett. c). No typed dates."""
    plan, year, relazione = ctx.plan, ctx.year, ctx.relazione
    closed_on = _closing_day(ctx)
    rows = [
        _step(
            f"Adozione del {plan.title}",
            plan.act_organ or "Giunta",
            due=dt.date(year, 1, 31) if year == plan.start_year else None,
            done=plan.act_date,
            reference=plan.act_text
            or (f"{plan.act_organ} n. {plan.act_number}".strip() if plan.act_number else "atto non registrato"),
        ),
        _step(
            "Pubblicazione del Piano in «Amministrazione trasparente»",
            "ufficio pianificazione",
            due=None,
            done=plan.published_on,
            reference=plan.published_url or ("indirizzo non indicato" if plan.published_on else "non indicata"),
            url=plan.published_url,
        ),
    ]
    if plan.act_date is None and (plan.act_text or plan.act_number):
        rows[0]["outcome"] = "data dell'atto non registrata"
    for data_round in ctx.rounds:
        done = ctx.round_closed_on.get(data_round.pk)
        if done is None and data_round.state == RoundState.CLOSED:
            done = closed_on
        label = str(data_round)
        state = "chiusa" if data_round.state == RoundState.CLOSED else "aperta"
        rows.append(
            _step(
                f"Rilevazione «{label}»: dati al {date_it(data_round.period_end)}",
                "responsabili delle unità – ufficio pianificazione",
                due=data_round.deadline,
                done=done,
                reference=f"rilevazione {'finale' if data_round.final else 'infrannuale'}, {state}"
                + ("; termine: scadenza per le unità, data: chiusura" if data_round.deadline and done else ""),
                judged=False,
            )
        )
    rows.append(
        _step(
            f"Chiusura dei consuntivi {year}",
            "ufficio pianificazione",
            due=None,
            done=closed_on,
            reference="anno in «Consuntivo chiuso»" if closed_on else "consuntivi non ancora chiusi",
        )
    )
    due = dt.date(year + 1, 6, 30)
    approved = relazione.act_date if relazione.state != RelazioneState.DRAFT else None
    rows.append(
        _step(
            f"Approvazione della Relazione sulla performance {year}",
            relazione.act_organ or "Giunta",
            due=due,
            done=approved,
            reference=relazione.act_line if approved else "",
        )
    )
    validation = ctx.validation
    validated = None
    if validation is not None and validation.outcome == ValidationOutcome.VALIDATED:
        validated = validation.date
    rows.append(
        _step(
            "Validazione della Relazione da parte dell'OIV",
            "OIV",
            due=due,
            done=validated,
            reference="Documento di validazione (Allegato 1)" if validated else "",
        )
    )
    return rows


def _closing_day(ctx: RelazioneContext) -> dt.date | None:
    """The day the consuntivi were last closed (monitoraggio → consuntivo chiuso; a reopened year closes again), not
    the backward moves into the same state (an OIV's «non validata», an admin's reopening)."""
    days = [
        timezone.localtime(e.created_at).date()
        for e in ctx.year_events
        if e.to_state == YearState.CLOSED and e.from_state in (YearState.PLANNED, YearState.MONITORING)
    ]
    return days[-1] if days else None


def _timeline(ctx: RelazioneContext) -> list[dict]:
    """The ente's own calendario (CycleActivity, typed in the editor); none when it has not typed one: the standard
    phases are only the editor's starting point, never printed as if they were the ente's."""
    timeline = []
    for activity in ctx.activities:
        subject = activity.prepares
        if activity.prepares and activity.adopts:
            subject = f"(1) {activity.prepares} (2) {activity.adopts}"
        elif activity.adopts:
            subject = activity.adopts
        timeline.append({"activity": activity.activity, "subject": subject, "cells": _timeline_cells(activity)})
    return timeline


def _timeline_cells(activity) -> list[dict]:
    """Twelve cells, September → August: shaded when the activity runs in that month, with its days."""
    start = MONTHS.index(activity.start_month)
    end = MONTHS.index(activity.end_month)
    cells = []
    for index, month in enumerate(MONTHS):
        if not start <= index <= end:
            cells.append({"on": False, "text": ""})
            continue
        last = calendar.monthrange(2001, month)[1]
        first_day = activity.start_day if index == start else 1
        last_day = min(activity.end_day, last) if index == end else last
        text = str(first_day) if first_day == last_day else f"{first_day}-{last_day}"
        cells.append({"on": True, "text": text})
    return cells


def _revision_groups(ctx: RelazioneContext) -> list[dict]:
    in_year = revisions_in_year(ctx)
    groups = []
    for key, label in REVISION_GROUPS:
        rows = [r for r in in_year if r.subject_type == key or (key == "objective" and r.subject_type == "unit")]
        if rows:
            groups.append(
                {
                    "label": label,
                    "rows": [
                        {
                            "date": date_it(timezone.localtime(r.created_at).date()),
                            "act": r.act or "—",
                            "subject": r.subject_code,
                            "change": f"{r.field}: {r.old_value or '—'} → {r.new_value or '—'}",
                            "reason": r.reason,
                        }
                        for r in rows
                    ],
                }
            )
    return groups
