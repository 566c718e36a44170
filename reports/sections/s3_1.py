"""3.1: the strategic objectives of each area with their indicators."""

from __future__ import annotations

from plans.models import Level
from reports.sections.common import area_rows, empty_area_block, node_block
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    strategic = []
    for area, row in area_rows(ctx):
        block = empty_area_block(row)
        block.indicators = [ctx.indicators.rows[i.pk] for i in ctx.tree.indicators_of.get(area.pk, [])]
        for os_node in ctx.tree.children_of.get(area.pk, []):
            if os_node.level == Level.STRATEGIC:
                block.nodes.append(node_block(ctx, os_node, 0))
        strategic.append(block)
    return {"strategic": strategic}
