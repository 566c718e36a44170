"""Premessa: a free text only (`texts`, from the front builder)."""

from __future__ import annotations

from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    return {}
