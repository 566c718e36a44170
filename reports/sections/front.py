"""The cover and what several sections print: the ente, the state of the Relazione, its texts, the ente's score."""

from __future__ import annotations

from perfplan.formats import date_it, percent_it
from plans.models import YearState
from reports.models import RelazioneState
from reports.sanitize import sanitize_html
from reports.sections.common import band_view, logo_data_uri
from reports.sections.context import RelazioneContext
from reports.texts import TEXT_SECTIONS, placeholder_in

PLACEHOLDER_BOX = (
    '<div class="placeholder"><p class="placeholder-label">Testo da completare: contiene ancora le istruzioni del '
    "testo predefinito (controllo bloccante, la Relazione non può essere approvata così).</p>{}</div>"
)


def printed_text(html: str) -> str:
    """A free text, sanitised; one that still holds an instruction is printed inside a marked box, never silently."""
    clean = sanitize_html(html)
    return PLACEHOLDER_BOX.format(clean) if placeholder_in(clean) else clean


def build(ctx: RelazioneContext) -> dict:
    plan, year, relazione, ente, plan_year = ctx.plan, ctx.year, ctx.relazione, ctx.ente, ctx.plan_year
    is_draft = relazione.state == RelazioneState.DRAFT
    act_line = relazione.act_line if not is_draft else ""
    return {
        "plan": plan,
        "year": year,
        "relazione": relazione,
        "state": relazione.state,
        "state_label": relazione.get_state_display(),
        "is_draft": is_draft,
        "year_state": plan_year.state if plan_year else YearState.PLANNED,
        "year_state_label": plan_year.get_state_display() if plan_year else YearState.PLANNED.label,
        "ente_name": ente.name,
        "ente_legal_name": ente.legal_name or ente.name,
        "ente_logo": logo_data_uri(ente),
        "title": f"Relazione sulla performance {year}",
        "act_line": act_line or "BOZZA – non ancora approvata",
        "plan_line": f"{plan.title}" + (f", adottato con {plan.act_text}" if plan.act_text else ""),
        "plan_published_on_text": date_it(plan.published_on) if plan.published_on else "",
        "plan_published_url": plan.published_url,
        "texts": {s.key: printed_text(relazione.texts.get(s.key, s.default)) for s in TEXT_SECTIONS},
        "ente_score": ctx.result.score,
        "ente_score_text": percent_it(ctx.result.score),
        "ente_band": band_view(ctx.result.band),
        "validation": ctx.validation,
        "final_artifact": ctx.artifact,
    }
