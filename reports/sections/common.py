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

from django.utils.translation import ngettext

from indicators.notation import Unit, number_text, unit_of, value_text
from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    MISSING,
    NO_TARGET,
    OVERRIDDEN,
    NodeScore,
    round2,
)
from perfplan.formats import number_it, percent_it
from plans.models import MAX_LOGO_BYTES, Level, Objective, ObjectiveKind, OrgUnit, logo_dimensions_ok
from reports.bilancio import bilancio_totals
from reports.charts import BAND_SYMBOLS
from reports.sections.data import AreaBlock, BandView, Footnote, IndicatorRow, NodeBlock, ScoreRow

if TYPE_CHECKING:
    from consuntivi.scores import PlanScoring
    from consuntivi.year_over_year import PastResult
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


def weight_text(weight: Decimal | None, siblings_total: Decimal | None) -> str:
    """Weight among siblings, normalised (`33,34 %`); `monitorato` for a 0 weight."""
    if weight is None:
        return ""
    if weight == 0:
        return "monitorato"
    if siblings_total and siblings_total > 0:
        return percent_it(round2(weight / siblings_total * 100))
    return percent_it(weight)


@dataclass(frozen=True)
class WeightCell:
    """Both weights of a node or an indicator: the share it had in its parent's score (normalised over the siblings
    that take part in the year, scoring.md §2) and, when it differs, the weight the Piano adopted."""

    share_text: str  # `33,33 %`, `monitorato`, "" when it takes no part in the year
    adopted_text: str  # `Piano: 40` or `Piano: —` (not given: equal shares); "" when equal to the share


def weight_cell(adopted: Decimal | None, share: Decimal | None, siblings_total: Decimal | None) -> WeightCell:
    if adopted is not None and adopted == 0:
        return WeightCell("monitorato", "")
    if share is None:  # no part in the year (no target): the normalised weight among all siblings, as adopted
        return WeightCell(weight_text(adopted, siblings_total), "")
    share_text = percent_it(share)
    if adopted is None:
        return WeightCell(share_text, "Piano: —")
    if round2(adopted) == round2(share):
        return WeightCell(share_text, "")
    return WeightCell(share_text, f"Piano: {number_it(adopted)}")


def count_text(count: int, singular: str, plural: str) -> str:
    """`1 indicatore`, `3 indicatori` (Django's ngettext, Italian only)."""
    return ngettext(f"%(n)s {singular}", f"%(n)s {plural}", count) % {"n": number_it(count)}


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


def shares_of(result) -> dict[tuple[str, int], Decimal | None]:
    """Each node's and indicator's normalised weight in its parent's score, as the scoring used it (scoring.md §2):
    None when it takes no part in the year."""
    shares = {(use.kind, use.id): use.weight for use in result.weights}
    for node_score in result.nodes.values():
        shares.update({(use.kind, use.id): use.weight for use in node_score.weights})
    return shares


def measures_text(measurement, unit: Unit | None) -> list[str]:
    """The operands of the year, one per line, each with its name: `Numeratore: 4.166`, `Denominatore: 65.812`,
    `ProvStrut = 12`; none for a value entered directly."""
    if measurement is None:
        return []
    if measurement.numerator is not None and measurement.denominator is not None:
        return [
            f"Numeratore: {number_text(measurement.numerator, None)}",
            f"Denominatore: {number_text(measurement.denominator, None)}",
        ]
    lines = []
    for name, value in (measurement.variables or {}).items():
        try:
            shown = number_text(Decimal(str(value)), None)
        except ArithmeticError:
            shown = str(value)
        lines.append(f"{name} = {shown}")
    return lines


def baseline_text(baseline, unit: Unit | None) -> str:
    if baseline is None:
        return ""
    shown = value_text(baseline.value, unit) if baseline.value is not None else baseline.raw
    if not any(ch.isalnum() for ch in shown or "") or shown.strip().upper() in ("N/D", "ND", "N.D."):
        return ""  # `---`, `N/D`, blank: no baseline
    return f"baseline {baseline.year}: {shown}" if baseline.year else f"baseline: {shown}"


def indicator_table(
    scoring: PlanScoring, year: int, previous: dict[int, list[PastResult]] | None = None
) -> IndicatorTable:
    """Each indicator's row, once (3.1, 3.2, 1.3, section 4 and the deviations reuse them); `previous`: the final
    results of the years before (consuntivi.year_over_year), printed under the value as «Anni precedenti»."""
    previous = previous or {}
    tree, result = scoring.tree, scoring.result
    shares = shares_of(result)
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
            value = score.value if score is not None else None
            if score is not None and score.status == MISSING and value is None:
                shown_value = "N/D"
            elif value is not None:
                shown_value = value_text(value, unit)
            else:
                shown_value = measurement.raw if measurement and measurement.raw else "N/D"
            if total:
                weight = weight_cell(ind.weight, shares.get(("indicator", ind.pk)), total)
            else:
                weight = weight_cell(None, shares.get(("indicator", ind.pk)), None)
                if ind.weight is not None:
                    weight = WeightCell("monitorato", "")
            row = IndicatorRow(
                id=ind.pk,
                label=ind.label,
                description=ind.description,
                formula=ind.formula,
                measures=" · ".join(measures_text(measurement, unit)),
                value_text=shown_value,
                target_text=target.raw if target is not None else "—",
                revised=target is not None and target.version > 1,
                weight_text=weight.share_text,
                score=score.achievement if score is not None else None,
                score_text=percent_it(score.achievement) if score is not None else "N/D",
                rule=score.rule if score is not None else "N/D",
                band=band_view(score.band if score is not None else BAND_NONE),
                note=measurement.note if measurement is not None else "",
                weight_adopted=weight.adopted_text,
                measure_lines=measures_text(measurement, unit),
                source=ind.source,
                baseline_text=baseline_text(tree.baseline_of.get(ind.pk), unit),
                previous_lines=[result.text for result in previous.get(ind.pk, ())],
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
    weight = weight_cell(
        node.weight, ctx.shares.get(("node", node.pk)), weights_total(tree.children_of.get(node.parent_id, []))
    )
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
        weight_text=weight.share_text,
        weight_adopted=weight.adopted_text,
        composition=composition_text(ctx, node),
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


CHILD_WORDS = {
    Level.STRATEGIC: ("obiettivo strategico", "obiettivi strategici"),
    Level.PROGRAM: ("programma", "programmi"),
    Level.OPERATIONAL: ("obiettivo operativo", "obiettivi operativi"),
    Level.ACTION: ("azione", "azioni"),
}


def composition_text(ctx: RelazioneContext, node: Objective) -> str:
    """What the node's score is made of (scoring.md §2): its own indicators, its child objectives, the share, with
    each part's value, so that the reader can recompute it from the rows printed under it."""
    score = ctx.result.nodes.get(node.pk)
    if score is None or not score.applicable:
        return f"nessun target nell'anno {ctx.year}: non concorre"
    own = [
        i
        for i in ctx.tree.indicators_of.get(node.pk, [])
        if (s := ctx.result.indicators.get(i.pk)) is not None and s.status != NO_TARGET
    ]
    children = [
        c
        for c in ctx.tree.children_of.get(node.pk, [])
        if (s := ctx.result.nodes.get(c.pk)) is not None and s.applicable
    ]
    child_level = children[0].level if children else Level.OPERATIONAL
    singular, plural = CHILD_WORDS.get(child_level, ("obiettivo", "obiettivi"))
    own_text = count_text(len(own), "indicatore proprio", "indicatori propri")
    children_text = count_text(len(children), singular, plural)
    missing_children = sum(1 for c in children if ctx.result.nodes[c.pk].score is None)
    ip, cp = percent_it(score.indicators_part), percent_it(score.children_part)
    # How many children are N/D, when some are measured (all of them N/D: the part itself is N/D).
    missing_text = f", di cui {number_it(missing_children)} N/D" if missing_children and score.children_part else ""
    verb = "non concorre" if len(children) == 1 else "non concorrono"
    configured = node.indicator_share
    if configured is None:
        configured = ctx.result.rules.default_indicator_share
    share = Decimal(100) if configured is None else configured
    if own and children:
        if share >= 100:
            return f"da {own_text} ({ip}); {children_text} ({cp}{missing_text}) {verb}: quota indicatori 100 %"
        if share <= 0:
            watched = "monitorato" if len(own) == 1 else "monitorati"
            return f"da {children_text} ({cp}{missing_text}); {own_text} {watched}: quota indicatori 0 %"
        text = (
            f"{number_it(share)} % × {own_text} ({ip}) + {number_it(100 - share)} % × {children_text} "
            f"({cp}{missing_text})"
        )
        if score.indicators_part is None or score.children_part is None:
            text += ": la parte non misurata è esclusa"
        return text
    if own:
        return f"da {own_text}"
    if children:
        return f"da {children_text} ({cp}{missing_text})"
    return "nessun elemento misurabile"


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
        composition=f"media ponderata di {count_text(len(ctx.tree.roots), 'area', 'aree')}",
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
        weight = weight_cell(area.weight, ctx.shares.get(("node", area.pk)), total)
        row = ScoreRow(
            kind="area",
            code=area.code,
            title=area.title,
            area=area_label(area),
            weight=area.weight,
            weight_text=weight.share_text,
            weight_adopted=weight.adopted_text,
            composition=composition_text(ctx, area),
            score=score.score if score else None,
            score_text=percent_it(score.score if score else None),
            band=band_view(score.band if score else BAND_NONE),
            coverage_text=coverage_text(score),
        )
        rows.append((area, row))
    return rows


def empty_area_block(row: ScoreRow) -> AreaBlock:
    return AreaBlock(
        row.code,
        row.title,
        row.weight_text,
        row.score_text,
        row.band,
        nodes=[],
        weight_adopted=row.weight_adopted,
        composition=row.composition,
        coverage_text=row.coverage_text,
    )


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
