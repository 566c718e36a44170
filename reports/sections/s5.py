"""Section 5, the process: the calendario of the cycle (September → August) and the plan's revisions in the year."""

from __future__ import annotations

import calendar

from django.utils import timezone

from perfplan.formats import date_it
from reports.sections.context import RelazioneContext
from reports.texts import DEFAULT_ACTIVITIES

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
        "timeline": _timeline(ctx),
        "month_names": [MONTH_NAMES[month] for month in MONTHS],
        "revisions": _revision_groups(ctx),
    }


def revisions_in_year(ctx: RelazioneContext) -> list:
    return [r for r in ctx.revisions if timezone.localtime(r.created_at).year == ctx.year]


def _timeline(ctx: RelazioneContext) -> list[dict]:
    timeline = []
    for activity in ctx.activities or DEFAULT_ACTIVITIES:
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
