"""Annex 2: the scoring method of the plan and the colophon."""

from __future__ import annotations

from django.utils import timezone

from perfplan.formats import date_it, number_it, percent_it
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    last_revision = ctx.revisions[-1].created_at if ctx.revisions else None
    return {
        "method": _method(ctx),
        "colophon": {
            "plan_version": date_it(timezone.localtime(last_revision).date()) if last_revision else "versione adottata",
            "extracted": date_it(timezone.localdate()),
            "state": ctx.relazione.get_state_display(),
        },
    }


def _method(ctx: RelazioneContext) -> dict:
    rules = ctx.result.rules
    return {
        "cap": "sì, il raggiungimento di un indicatore non supera il 100 %" if rules.cap else "no",
        "missing": (
            "i dati mancanti sono esclusi e i pesi rinormalizzati (copertura indicata)"
            if rules.missing == "exclude"
            else "i dati mancanti contano zero"
        ),
        "min_threshold": percent_it(rules.min_threshold, empty="nessuna"),
        "share": percent_it(rules.default_indicator_share, empty="100 % (solo indicatori, se presenti)"),
        "tolerance": number_it(rules.equality_tolerance),
        "achieved": percent_it(rules.achieved_threshold),
        "partial": percent_it(rules.partial_threshold),
    }
