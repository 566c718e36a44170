"""3.3: the overall results (ente and areas), the org units with their objectives (piece s3_3_units) and the
deviations, every indicator below 100 (piece s3_3_end)."""

from __future__ import annotations

from indicators.scoring import BAND_NONE
from perfplan.formats import number_it, percent_it
from reports.sections.common import area_rows, band_view, ente_row, units_in_tree_order, weight_cell
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    return {
        "overall": [ente_row(ctx), *(row for _, row in area_rows(ctx))],
        "units": _units(ctx),
        "deviations": _deviations(ctx),
    }


def _units(ctx: RelazioneContext) -> list[dict]:
    rows = []
    for unit, depth in units_in_tree_order(ctx):
        unit_score = ctx.scoring.units.get(unit.pk)
        rows.append(
            {
                "kind": "unit",
                "depth": depth,
                "code": unit.code,
                "name": unit.name,
                "score_text": percent_it(unit_score.score if unit_score else None),
                "band": band_view(unit_score.band if unit_score else BAND_NONE),
                "coverage_text": (
                    f"copertura {number_it(unit_score.coverage, 2)} %"
                    if unit_score and unit_score.coverage is not None and unit_score.coverage < 100
                    else ""
                ),
            }
        )
        # Each objective's share in the unit's score (scoring.md §2: its own weight among its siblings, normalised
        # over the unit's objectives, equal shares when all blank), and the Piano's weight when different.
        unit_shares = {use.id: use.weight for use in unit_score.objectives} if unit_score else {}
        for node_id in unit_score.own_objectives if unit_score else ():
            node = ctx.objectives.get(node_id)
            node_score = ctx.result.nodes.get(node_id)
            if node is None or (node_score is not None and not node_score.applicable):
                continue
            rows.append(
                {
                    "kind": "objective",
                    "depth": depth,
                    "code": node.code,
                    "name": node.title,
                    "weight_text": (weight := weight_cell(node.weight, unit_shares.get(node_id), None)).share_text,
                    "weight_adopted": weight.adopted_text,
                    "score_text": percent_it(node_score.score if node_score else None),
                    "band": band_view(node_score.band if node_score else BAND_NONE),
                }
            )
    return rows


def _deviations(ctx: RelazioneContext) -> list[dict]:
    deviations = []
    for node in ctx.tree.objectives:
        for ind in ctx.tree.indicators_of.get(node.pk, []):
            row = ctx.indicators.rows[ind.pk]
            if row.score is not None and row.score < 100:
                deviations.append({"code": node.code, "row": row, "note": row.note or "nota non presente"})
    return deviations
