"""Section 4: the individual objectives, per person, with each person's mean score.

People come in the order of the org chart: a person's place is that of the highest unit (depth first, as in 3.3)
among the units of their objectives, so the head of the top unit (the segretario generale) comes first; people
whose objectives have no unit come last; people in the same place keep the plan's order.
"""

from __future__ import annotations

from indicators.scoring import objectives_mean
from perfplan.formats import percent_it
from plans.models import ObjectiveKind
from reports.sections.common import node_block, units_in_tree_order
from reports.sections.context import RelazioneContext
from reports.sections.data import NodeBlock

NO_OWNER = "Responsabile non indicato"


def build(ctx: RelazioneContext) -> dict:
    blocks_of: dict[str, list[NodeBlock]] = {}
    for node in ctx.tree.objectives:
        if node.kind == ObjectiveKind.INDIVIDUAL:
            blocks_of.setdefault(node.owner or NO_OWNER, []).append(node_block(ctx, node, ctx.tree.depth[node.pk]))
    place = owner_places(ctx, blocks_of)
    individuals = []
    for owner, blocks in sorted(blocks_of.items(), key=lambda item: place[item[0]]):
        mean = objectives_mean(ctx.result, [(block.id, ctx.objectives[block.id].weight) for block in blocks])
        individuals.append({"owner": owner, "blocks": blocks, "score_text": percent_it(mean)})
    return {"individuals": individuals}


def owner_places(ctx: RelazioneContext, blocks_of: dict[str, list[NodeBlock]]) -> dict[str, int]:
    """Each person's place: the position, in the org chart, of the highest unit their objectives belong to (by
    assignment or inherited from an ancestor objective); after every unit when none has a unit."""
    unit_place: dict[int, int] = {}
    ordered = units_in_tree_order(ctx)
    for position, (unit, _) in enumerate(ordered):
        unit_score = ctx.scoring.units.get(unit.pk)
        for node_id in unit_score.own_objectives if unit_score else ():
            unit_place.setdefault(node_id, position)
    last = len(ordered)
    return {
        owner: min((unit_place.get(block.id, last) for block in blocks), default=last)
        for owner, blocks in blocks_of.items()
    }
