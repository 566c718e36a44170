"""Section 5, pari opportunità e bilancio di genere (art. 10 c. 1 lett. b D.Lgs. 150/2009): the objectives the plan
marks as relevant in a gender perspective, with their indicators and results, the impatti of Valore pubblico in the
«pari opportunità» dimension, and the planning office's text (`texts`, from the front builder).

It comes after the individual objectives and before the process, as in the structure of the Relazione of CiVIT
delibera 5/2012 (§ 5 «Pari opportunità e bilancio di genere», § 6 «Il processo di redazione»).
"""

from __future__ import annotations

from collections import Counter

from django.utils.translation import ngettext

from indicators.scoring import BAND_ACHIEVED, BAND_NONE, BAND_NOT_ACHIEVED, BAND_PARTIAL
from perfplan.formats import number_it, percent_it
from plans.models import PublicValueDimension
from reports.sections.common import band_view, node_block
from reports.sections.context import RelazioneContext

BAND_COUNTS = [
    (BAND_ACHIEVED, "raggiunto", "raggiunti"),
    (BAND_PARTIAL, "parzialmente raggiunto", "parzialmente raggiunti"),
    (BAND_NOT_ACHIEVED, "non raggiunto", "non raggiunti"),
    (BAND_NONE, "non misurabile (N/D)", "non misurabili (N/D)"),
]


def build(ctx: RelazioneContext) -> dict:
    nodes = [node_block(ctx, node, ctx.tree.depth[node.pk]) for node in ctx.tree.objectives if node.gender_relevant]
    return {
        "gender_nodes": nodes,
        "gender_summary": _summary(nodes, ctx.year),
        "gender_values": _public_values(ctx),
    }


def _summary(nodes: list, year: int) -> str:
    """«3 obiettivi rilevanti in ottica di genere nel 2017: 2 raggiunti, 1 non misurabile (N/D).»"""
    if not nodes:
        return ""
    bands = Counter(node.band.code for node in nodes)
    parts = [
        f"{number_it(bands[code])} {singular if bands[code] == 1 else plural}"
        for code, singular, plural in BAND_COUNTS
        if bands[code]
    ]
    head = ngettext(
        "%(n)s obiettivo rilevante in ottica di genere nel %(year)s",
        "%(n)s obiettivi rilevanti in ottica di genere nel %(year)s",
        len(nodes),
    ) % {"n": number_it(len(nodes)), "year": year}
    return f"{head}: {', '.join(parts)}."


def _public_values(ctx: RelazioneContext) -> list[dict]:
    """The impatti in the «pari opportunità» dimension with their impact indicators (baseline, target of the year:
    an impact is read over the plan, not scored) and the strategic objectives that pursue them, with their scores."""
    items = []
    for item in ctx.public_values:
        if PublicValueDimension.EQUAL_OPPORTUNITY not in item.dimensions:
            continue
        objectives = []
        for objective in item.objectives.all():
            score = ctx.result.nodes.get(objective.pk)
            objectives.append(
                {
                    "code": objective.code,
                    "title": objective.title,
                    "score_text": percent_it(score.score if score else None),
                    "band": band_view(score.band if score else BAND_NONE),
                }
            )
        indicators = []
        for indicator in item.indicators.all():
            target = next((t.raw for t in indicator.targets.all() if t.year == ctx.year), "—")
            baseline = indicator.baseline.strip()
            if baseline and indicator.baseline_year:
                baseline = f"{baseline} ({indicator.baseline_year})"
            indicators.append(
                {
                    "label": f"{indicator.code} – {indicator.name}" if indicator.code else indicator.name,
                    "source": indicator.source,
                    "baseline": baseline or "—",
                    "target": target,
                }
            )
        items.append(
            {
                "code": item.code,
                "title": item.title,
                "description": item.description,
                "dimensions": ", ".join(item.dimension_labels),
                "objectives": objectives,
                "indicators": indicators,
            }
        )
    return items
