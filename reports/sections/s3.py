"""Section 3 opening, table 3.0: the tree of areas and strategic objectives."""

from __future__ import annotations

from plans.models import Level
from reports.sections.common import area_label, descendants
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    tree_rows: list[dict] = []
    for area in ctx.tree.roots:
        for os_node in ctx.tree.children_of.get(area.pk, []):
            if os_node.level != Level.STRATEGIC:
                continue
            tree_rows.append(
                {
                    "area": area_label(area),
                    "os": f"{os_node.code} – {os_node.title}",
                    "mission": os_node.mission or "—",
                    "program": os_node.budget_program or "—",
                    "perspective": os_node.perspective or "—",
                    "cofog": os_node.cofog or "—",
                    "oo_count": sum(1 for child, _ in descendants(ctx, os_node) if child.level == Level.OPERATIONAL),
                }
            )
    # The area cell spans its OS rows.
    for index, row in enumerate(tree_rows):
        row["first"] = index == 0 or tree_rows[index - 1]["area"] != row["area"]
        row["span"] = sum(1 for r in tree_rows if r["area"] == row["area"])
    return {"tree": tree_rows}
