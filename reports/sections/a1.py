"""Annex 1: the OIV's validation, its checklist and its conclusions per section."""

from __future__ import annotations

from reports.sections.context import RelazioneContext
from reports.texts import CHECKLIST, CONCLUSION_SECTIONS


def build(ctx: RelazioneContext) -> dict:
    validation = ctx.validation
    checked = set(validation.checklist) if validation else set()
    return {
        "validation_checklist": [{"key": key, "label": label, "done": key in checked} for key, label in CHECKLIST],
        "validation_sections": [
            (label, validation.section_conclusions[key])
            for key, label in CONCLUSION_SECTIONS
            if validation is not None and validation.section_conclusions.get(key)
        ],
    }
