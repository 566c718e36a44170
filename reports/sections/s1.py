"""Section 1, the results in short: 1.1 the overview and its charts, the counts by band, 1.2 the resources, 1.3 the
key indicators."""

from __future__ import annotations

from decimal import Decimal

from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    NodeScore,
    count_by_band,
    round2,
)
from perfplan.formats import percent_it
from plans.models import Level
from reports.charts import Bar, bar_chart_svg
from reports.models import BudgetVoce
from reports.sections.common import (
    area_label,
    area_rows,
    band_view,
    bilancio_of_year,
    composition_text,
    count_text,
    coverage_text,
    descendants,
    ente_row,
    euro,
    weight_cell,
    weights_total,
)
from reports.sections.context import RelazioneContext
from reports.sections.data import CountRow, ScoreRow

# Table 1.2 rows → the bilancio line (or total) of year N that is their consuntivo.
BUDGET_SOURCE = {
    BudgetVoce.PROVENTI: "A",
    BudgetVoce.PROMOZIONALI: "8",
    BudgetVoce.PERSONALE: "6",
    BudgetVoce.FUNZIONAMENTO: "7",
}


def build(ctx: RelazioneContext) -> dict:
    overview, area_bars, os_bars, counts_by_area = _overview(ctx)
    return {
        "overview": overview,
        "counts": _counts(ctx),
        "counts_by_area": counts_by_area,
        "chart_areas": bar_chart_svg(area_bars, title="Grado di raggiungimento per area strategica"),
        "chart_os": bar_chart_svg(os_bars, title="Grado di raggiungimento per obiettivo strategico"),
        "budget": _budget(ctx),
        "budget_enabled": ctx.relazione.settings.get("show_budget", True),
        "key_groups": _key_groups(ctx),
    }


def _overview(ctx: RelazioneContext) -> tuple[list[ScoreRow], list[Bar], list[Bar], list[CountRow]]:
    """Table 1.1 (ente, areas, strategic objectives), the bars of its two charts and the counts per area."""
    result, tree = ctx.result, ctx.tree
    overview = [ente_row(ctx)]
    area_bars = [Bar(f"Ente – {ctx.ente.name}", result.score, result.band, group=True)]
    os_bars: list[Bar] = []
    counts_by_area: list[CountRow] = []
    for area, area_row in area_rows(ctx):
        overview.append(area_row)
        area_bars.append(Bar(area_label(area), area_row.score, area_row.band.code))
        os_bars.append(Bar(area_label(area), area_row.score, area_row.band.code, group=True))
        os_list = [child for child in tree.children_of.get(area.pk, []) if child.level == Level.STRATEGIC]
        os_total = weights_total(os_list)
        for os_node in os_list:
            os_score = result.nodes.get(os_node.pk)
            oo_count = sum(1 for child, _ in descendants(ctx, os_node) if child.level == Level.OPERATIONAL)
            indicator_count = len(tree.indicators_of.get(os_node.pk, []))
            composition = (
                f"{composition_text(ctx, os_node)} · in tutto {count_text(oo_count, 'OO', 'OO')}, "
                f"{count_text(indicator_count, 'indicatore', 'indicatori')} dell'OS"
            )
            weight = weight_cell(os_node.weight, ctx.shares.get(("node", os_node.pk)), os_total)
            overview.append(
                ScoreRow(
                    kind="os",
                    code=os_node.code,
                    title=os_node.title,
                    area=area_label(area),
                    weight=os_node.weight,
                    weight_text=weight.share_text,
                    weight_adopted=weight.adopted_text,
                    composition=composition,
                    score=os_score.score if os_score else None,
                    score_text=percent_it(os_score.score if os_score else None),
                    band=band_view(os_score.band if os_score else BAND_NONE),
                    coverage_text=coverage_text(os_score),
                )
            )
            os_bars.append(
                Bar(
                    f"{os_node.code} – {os_node.title}",
                    os_score.score if os_score else None,
                    os_score.band if os_score else BAND_NONE,
                    indent=True,
                )
            )
        # OO counts per area (actions included)
        area_nodes = [result.nodes[node.pk] for node, _ in descendants(ctx, area) if node.pk in result.nodes]
        counts_by_area.append(
            _count_row(area_label(area), [s for s in area_nodes if s.level in (Level.OPERATIONAL, Level.ACTION)])
        )
    return overview, area_bars, os_bars, counts_by_area


def _counts(ctx: RelazioneContext) -> list[CountRow]:
    # Nodes without any target in the year take no part in it: they are not counted (nor printed in 3.2).
    nodes = ctx.result.nodes.values()
    return [
        _count_row("Obiettivi strategici", [s for s in nodes if s.level == Level.STRATEGIC]),
        _count_row(
            "Obiettivi operativi (azioni incluse)", [s for s in nodes if s.level in (Level.OPERATIONAL, Level.ACTION)]
        ),
        _indicator_count_row(ctx, "Indicatori"),
    ]


def _count_row(label: str, scores: list[NodeScore]) -> CountRow:
    row = CountRow(label, 0, 0, 0, 0, 0, 0)
    for score in scores:
        if not score.applicable:
            continue
        row.total += 1
        row.manual += int(score.has_manual)
        if score.band == BAND_ACHIEVED:
            row.achieved += 1
        elif score.band == BAND_PARTIAL:
            row.partial += 1
        elif score.band == BAND_NOT_ACHIEVED:
            row.not_achieved += 1
        else:
            row.none += 1
    return row


def _indicator_count_row(ctx: RelazioneContext, label: str) -> CountRow:
    counts = count_by_band(ctx.result, "indicator")
    return CountRow(
        label,
        counts["totale"],
        counts[BAND_ACHIEVED],
        counts[BAND_PARTIAL],
        counts[BAND_NOT_ACHIEVED],
        counts[BAND_NONE],
        counts["manuale"],
    )


def _budget(ctx: RelazioneContext) -> list[dict]:
    """Table 1.2: the preventivo typed in the editor against the consuntivo read from the bilancio of year N."""
    year_lines, totals = bilancio_of_year(ctx)
    amounts = {}
    if totals is not None:
        amounts = {**{k: Decimal(v) for k, v in year_lines.items()}, **{k: Decimal(v) for k, v in totals.items()}}
    budget = []
    for voce in BudgetVoce:
        line = ctx.budget_lines.get(voce)
        preventivo = line.preventivo if line is not None else None
        consuntivo = amounts.get(BUDGET_SOURCE[voce]) if totals is not None else None
        ratio = round2(consuntivo / preventivo * 100) if preventivo and consuntivo is not None else None
        budget.append(
            {
                "label": voce.label,
                "preventivo": preventivo,
                "preventivo_text": euro(preventivo),
                "consuntivo": consuntivo,
                "consuntivo_text": euro(consuntivo),
                "ratio": ratio,
                "ratio_text": percent_it(ratio),
            }
        )
    return budget


def _key_groups(ctx: RelazioneContext) -> list[dict]:
    """Table 1.3: the key indicators chosen in the editor, by group."""
    groups: dict[str, list] = {}
    for key in ctx.key_indicators:
        row = ctx.indicators.rows.get(key.indicator_id)
        if row is not None:
            groups.setdefault(key.group, []).append(row)
    return [{"name": name, "rows": rows} for name, rows in groups.items()]
