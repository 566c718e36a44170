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
    # Every row carries its area, so that a page that starts inside an area still names it (no rowspan).
    for index, row in enumerate(tree_rows):
        row["first"] = index == 0 or tree_rows[index - 1]["area"] != row["area"]
    # The classification columns the plan fills; the empty ones are left out and named in a note.
    columns = [(key, label) for key, label in TREE_COLUMNS if any(row[key] != "—" for row in tree_rows)]
    missing = [label for key, label in TREE_COLUMNS if (key, label) not in columns]
    for row in tree_rows:
        row["cells"] = [row[key] for key, _ in columns]
    return {
        "tree": tree_rows,
        "tree_columns": [label for _, label in columns],
        "tree_os_width": f"cw-{75 - 13 * len(columns)}",
        "tree_missing": ", ".join(missing),
    }


TREE_COLUMNS = [
    ("mission", "Missione (ex D.M. 27/03/2013)"),
    ("program", "Programma (ex D.M. 27/03/2013)"),
    ("perspective", "Prospettiva"),
    ("cofog", "Classificazione COFOG"),
]
