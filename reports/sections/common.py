"""What several sections share: the indicator rows (built once), an objective's block, the ente and area rows, the
org units in tree order, and the small formatting helpers. No queries: everything comes from the loaded context.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from indicators.notation import Unit, with_unit
from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    MISSING,
    OVERRIDDEN,
    NodeScore,
    round2,
)
from perfplan.formats import number_it, percent_it, value_it
from plans.models import MAX_LOGO_BYTES, Objective, ObjectiveKind, OrgUnit, logo_dimensions_ok
from reports.bilancio import bilancio_totals
from reports.charts import BAND_SYMBOLS
from reports.sections.data import AreaBlock, BandView, Footnote, IndicatorRow, NodeBlock, ScoreRow

if TYPE_CHECKING:
    from consuntivi.scores import PlanScoring
    from reports.sections.context import RelazioneContext

BAND_WORDS = {
    BAND_ACHIEVED: "raggiunto",
    BAND_PARTIAL: "parziale",
    BAND_NOT_ACHIEVED: "non raggiunto",
    BAND_NONE: "N/D",
}


# --- formatting ------------------------------------------------------------------------------------------------


def band_view(code: str) -> BandView:
    return BandView(code, BAND_SYMBOLS.get(code, "–"), BAND_WORDS.get(code, "N/D"))


def unit_of(unit: str) -> Unit | None:
    try:
        return Unit(unit) if unit else None
    except ValueError:
        return None


def value_text(value, unit: Unit | None) -> str:
    """A consuntivo as the reader expects it: `382 N.`, `87,35 %`, `30/09/2017`, `SI`."""
    text = value_it(value, 2, empty="N/D")
    return with_unit(text, unit) if isinstance(value, Decimal) else text


def weight_text(weight: Decimal | None, siblings_total: Decimal | None) -> str:
    """Weight among siblings, normalised (`33,34 %`); `monitorato` for a 0 weight."""
    if weight is None:
        return ""
    if weight == 0:
        return "monitorato"
    if siblings_total and siblings_total > 0:
        return percent_it(round2(weight / siblings_total * 100))
    return percent_it(weight)


def coverage_text(score: NodeScore | None) -> str:
    if score is None or score.coverage is None or score.coverage >= 100:
        return ""
    return f"copertura {number_it(score.coverage, 2)} %"


def split_text(score: NodeScore | None) -> str:
    if score is None or score.share in (Decimal(100), Decimal(0)) or score.children_part is None:
        return ""
    share = score.share
    return f"indicatori {number_it(share)} % / obiettivi operativi {number_it(100 - share)} %"


def euro(value: Decimal | int | None, places: int = 2) -> str:
    return "N/D" if value is None else f"€ {number_it(value, places)}"


def weights_total(nodes) -> Decimal:
    return sum((n.weight for n in nodes if n.weight is not None), Decimal(0))


_LOGO_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def logo_data_uri(ente) -> str:
    """The ente's logo for the cover, inlined; a missing or unreadable file is left out, never an error."""
    if not ente.logo:
        return ""
    try:
        with ente.logo.open("rb") as file:
            content = file.read(MAX_LOGO_BYTES + 1)
        kind = next((t for magic, t in _LOGO_TYPES.items() if content.startswith(magic)), None)
        if kind is None or len(content) > MAX_LOGO_BYTES or not logo_dimensions_ok(content):
            return ""
    except Exception:  # noqa: BLE001 - a broken logo file must never stop the Relazione
        return ""
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


# --- the indicator rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorTable:
    rows: dict[int, IndicatorRow]  # by indicator id
    footnotes: list[Footnote]  # the manual achievements, numbered in plan order


def indicator_table(scoring: PlanScoring, year: int) -> IndicatorTable:
    """Each indicator's row, once (3.1, 3.2, 1.3, section 4 and the deviations reuse them)."""
    tree, result = scoring.tree, scoring.result
    rows: dict[int, IndicatorRow] = {}
    footnotes: list[Footnote] = []
    measurement_of = {ind_id: (ms[0] if ms else None) for ind_id, ms in tree.measurements_of.items()}
    for node in tree.objectives:
        inds = tree.indicators_of.get(node.pk, [])
        total = weights_total(inds)
        for ind in inds:
            score = result.indicators.get(ind.pk)
            target = tree.targets_of.get(ind.pk, {}).get(year)
            unit = unit_of(ind.unit) or (unit_of(target.unit) if target is not None else None)
            measurement = measurement_of.get(ind.pk)
            measures = ""
            if measurement is not None and measurement.numerator is not None and measurement.denominator is not None:
                measures = f"{number_it(measurement.numerator)} / {number_it(measurement.denominator)}"
            elif measurement is not None and measurement.variables:
                measures = "; ".join(f"{k} = {v}" for k, v in measurement.variables.items())
            value = score.value if score is not None else None
            if score is not None and score.status == MISSING and value is None:
                shown_value = "N/D"
            elif value is not None:
                shown_value = value_text(value, unit)
            else:
                shown_value = measurement.raw if measurement and measurement.raw else "N/D"
            row = IndicatorRow(
                id=ind.pk,
                label=ind.label,
                description=ind.description,
                formula=ind.formula,
                measures=measures,
                value_text=shown_value,
                target_text=target.raw if target is not None else "—",
                revised=target is not None and target.version > 1,
                weight_text=weight_text(ind.weight, total) if total else ("" if ind.weight is None else "monitorato"),
                score=score.achievement if score is not None else None,
                score_text=percent_it(score.achievement) if score is not None else "N/D",
                rule=score.rule if score is not None else "N/D",
                band=band_view(score.band if score is not None else BAND_NONE),
                note=measurement.note if measurement is not None else "",
            )
            if score is not None and score.status == OVERRIDDEN:
                row.footnote = len(footnotes) + 1
                reason = measurement.manual_reason if measurement else ""
                footnotes.append(Footnote(row.footnote, ind.label, reason, percent_it(score.computed)))
            rows[ind.pk] = row
    return IndicatorTable(rows, footnotes)


# --- objectives, areas, units ----------------------------------------------------------------------------------


def node_block(ctx: RelazioneContext, node: Objective, depth: int) -> NodeBlock:
    """An objective with its indicator rows (3.1, 3.2, section 4)."""
    tree, score = ctx.tree, ctx.result.nodes.get(node.pk)
    tags = []
    if node.kind == ObjectiveKind.INDIVIDUAL:
        tags.append("individuale")
    elif node.kind == ObjectiveKind.OFFICE:
        tags.append("di ufficio")
    return NodeBlock(
        id=node.pk,
        code=node.code,
        title=node.title,
        level=node.level,
        level_label=node.get_level_display(),
        depth=depth,
        weight_text=weight_text(node.weight, weights_total(tree.children_of.get(node.parent_id, []))),
        score=score.score if score else None,
        score_text=percent_it(score.score if score else None),
        band=band_view(score.band if score else BAND_NONE),
        coverage_text=coverage_text(score),
        split_text=split_text(score),
        perspective=node.perspective,
        owner=node.owner or (node.org_unit.name if node.org_unit else ""),
        gender=node.gender_relevant,
        tags=tags,
        indicators=[ctx.indicators.rows[i.pk] for i in tree.indicators_of.get(node.pk, [])],
    )


def descendants(ctx: RelazioneContext, node: Objective, depth: int = 0) -> Iterator[tuple[Objective, int]]:
    for child in ctx.tree.children_of.get(node.pk, []):
        yield child, depth
        yield from descendants(ctx, child, depth + 1)


def area_label(area: Objective) -> str:
    return f"{area.code} – {area.title}"


def ente_row(ctx: RelazioneContext) -> ScoreRow:
    """The first row of tables 1.1 and 3.3."""
    result = ctx.result
    return ScoreRow(
        kind="ente",
        code="",
        title=ctx.ente.name,
        area="",
        weight=None,
        weight_text="",
        composition="",
        score=result.score,
        score_text=percent_it(result.score),
        band=band_view(result.band),
        coverage_text=(
            f"copertura {number_it(result.coverage, 2)} %"
            if result.coverage is not None and result.coverage < 100
            else ""
        ),
    )


def area_rows(ctx: RelazioneContext) -> list[tuple[Objective, ScoreRow]]:
    """Each area (root of the tree) with its row of tables 1.1 and 3.3."""
    areas = ctx.tree.roots
    total = weights_total(areas)
    rows = []
    for area in areas:
        score = ctx.result.nodes.get(area.pk)
        row = ScoreRow(
            kind="area",
            code=area.code,
            title=area.title,
            area=area_label(area),
            weight=area.weight,
            weight_text=weight_text(area.weight, total),
            composition="",
            score=score.score if score else None,
            score_text=percent_it(score.score if score else None),
            band=band_view(score.band if score else BAND_NONE),
            coverage_text=coverage_text(score),
        )
        rows.append((area, row))
    return rows


def empty_area_block(row: ScoreRow) -> AreaBlock:
    return AreaBlock(row.code, row.title, row.weight_text, row.score_text, row.band, nodes=[])


def units_in_tree_order(ctx: RelazioneContext) -> list[tuple[OrgUnit, int]]:
    """The ente's org units depth first, each with its depth (a unit whose parent is not loaded is a root)."""
    units = ctx.tree.units
    by_parent: dict[int | None, list] = defaultdict(list)
    unit_ids = {unit.pk for unit in units}
    for unit in units:
        by_parent[unit.parent_id if unit.parent_id in unit_ids else None].append(unit)
    ordered: list[tuple[OrgUnit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in by_parent.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return ordered


def bilancio_of_year(ctx: RelazioneContext) -> tuple[dict[str, int], dict[str, int] | None]:
    """The bilancio lines of year N and their totals (None when the year has no lines)."""
    year_lines = ctx.bilancio_amounts.get(ctx.year, {})
    return year_lines, bilancio_totals(year_lines) if year_lines else None
