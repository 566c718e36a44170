"""3.2: each strategic objective with the operational objectives and actions under it, and the manual
achievements' footnotes; objectives without a target in the year are omitted (and counted)."""

from __future__ import annotations

from django.utils.translation import ngettext

from perfplan.formats import number_it
from plans.models import Level
from reports.sections.common import area_rows, descendants, empty_area_block, node_block
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    operational = []
    omitted = 0
    for area, row in area_rows(ctx):
        block = empty_area_block(row)
        for os_node in ctx.tree.children_of.get(area.pk, []):
            if os_node.level != Level.STRATEGIC:
                continue
            block.nodes.append(node_block(ctx, os_node, 0))
            for child, depth in descendants(ctx, os_node):
                child_score = ctx.result.nodes.get(child.pk)
                if child_score is not None and child_score.applicable:
                    block.nodes.append(node_block(ctx, child, depth + 1))
                else:
                    omitted += 1
        operational.append(block)
    return {
        "operational": operational,
        "omitted_text": (
            ngettext(
                "È omesso %(n)s obiettivo senza target nell'anno %(year)s: non concorre ai risultati.",
                "Sono omessi %(n)s obiettivi senza target nell'anno %(year)s: non concorrono ai risultati.",
                omitted,
            )
            % {"n": number_it(omitted), "year": ctx.year}
            if omitted
            else ""
        ),
        "footnotes": ctx.indicators.footnotes,
    }
