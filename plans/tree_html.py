"""The rows of the plan tree table (`templates/plans/_tree.html`), written in Python.

A 10,000-indicator plan has about 13,000 rows of ten cells each: through the template engine's nested `{% for %}`
loops (a variable lookup, a filter call and an autoescape per cell) they took most of the page's time. Here every
row is one f-string; every text that comes from users or data goes through `html.escape`, which is what Django's
`escape` filter calls (`&`, `<`, `>`, `"`, `'`), so the markup is the template's, byte for byte up to whitespace.
URLs are built from one reversed prefix (reversing thousands of URLs would be the slowest part again).
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from consuntivi.year_over_year import PastResult
from perfplan.formats import number_it
from plans.models import Level
from plans.page import Badge, IndicatorRow, NodeChildren, NodeRow, PlanPage, WeightSum

LEVEL_LABELS = dict(Level.choices)
# The «+» of a row: the short word shown and the full words read out («Aggiungi un obiettivo operativo a 1.2»).
ADD_WORDS = {
    Level.STRATEGIC: ("OS", "un obiettivo strategico"),
    Level.OPERATIONAL: ("OO", "un obiettivo operativo"),
    Level.ACTION: ("Az.", "un'azione"),
}
SUM_WORDS = {"roots": "delle aree", "children": "dei nodi figli", "indicators": "degli indicatori"}


def weight_sum_html(total: WeightSum | None, group: str) -> str:
    """«Σ 100 %» under a node's weight (group: roots, children, indicators), or a warning badge when the group's weights
    do not sum to 100. Every text here is ours (numbers and fixed words): nothing to escape."""
    if total is None:
        return ""
    prefix = "ind. " if group == "indicators" else ""
    if total.ok:
        hidden = f'<span class="visually-hidden"> pesi {SUM_WORDS[group]}</span>'
        return f'<div class="wsum">{prefix}{total.text}{hidden}</div>'
    return (
        f'<div><span class="badge wsum-warn"><span aria-hidden="true">⚠ </span>{prefix}{total.text}'
        f'<span class="visually-hidden">: la somma dei pesi {SUM_WORDS[group]} non è 100 %</span></span></div>'
    )


def _badge(badge: Badge, score: str) -> str:
    return (
        f'<span class="band {badge.css}"><span aria-hidden="true">{badge.symbol}</span> {badge.word}</span>'
        f' <span class="score">{escape(score)}</span>'
    )


def previous_html(previous: list[PastResult]) -> str:
    """The final results of the years before, one a line under this year's value (consuntivi.year_over_year)."""
    if not previous:
        return ""
    lines = "<br>".join(f'<span class="text-nowrap">{escape(result.text)}</span>' for result in previous)
    hidden = '<span class="visually-hidden">Anni precedenti: </span>'
    return f'<div class="prev-years small text-muted">{hidden}{lines}</div>'


def _why(url: str) -> str:
    return (
        f'<details class="why" data-url="{url}"><summary>perché?</summary>'
        f'<div class="why-body"><a href="{url}">Apri la spiegazione</a></div></details>'
    )


class _TreeRows:
    def __init__(self, page: PlanPage | NodeChildren, *, edit: bool, printable: bool):
        self.base = reverse("plans:detail", args=[page.plan.pk])
        self.year_query = escape(page.year_query)
        self.edit = edit and not printable
        self.printable = printable
        self.weights: dict = {}  # weight → "33,33 %": a plan has few distinct weights
        self.empty_targets = "<td></td>" * len(page.years)

    def weight(self, value) -> str:
        if value is None:
            return ""
        text = self.weights.get(value)
        if text is None:
            text = self.weights[value] = f"{number_it(value)} %"
        return text

    def node(self, row: NodeRow) -> str:
        node, depth, base = row.node, row.depth, self.base
        code = escape(node.code)
        if self.printable:
            code_cell = code
        else:
            toggle = ""
            if row.collapsed and row.has_children:  # its rows are fetched (htmx, static/js/plan-tree.js) when opened
                toggle = (
                    f'<button type="button" class="tree-toggle" aria-expanded="false" aria-controls="{row.controls}"'
                    f' data-children="{base}obiettivi/{node.pk}/figli/{self.year_query}">'
                    '<span aria-hidden="true">▸</span>'
                    f'<span class="visually-hidden">Comprimi o espandi {code}</span></button>'
                )
            elif row.has_children:
                toggle = (
                    '<button type="button" class="tree-toggle" aria-expanded="true"><span aria-hidden="true">▾</span>'
                    f'<span class="visually-hidden">Comprimi o espandi {code}</span></button>'
                )
            code_cell = f'{toggle}<a href="{base}obiettivi/{node.pk}/{self.year_query}">{code}</a>'
        unit = ""
        if row.unit is not None:
            unit = f'<div class="small text-muted">{escape(row.unit.code)} – {escape(row.unit.name)}</div>'
        score = ""
        if row.badge is not None:
            score = _badge(row.badge, row.score_text)
            if row.coverage:
                score += f'<div class="small text-muted">{escape(row.coverage)}</div>'
            if not self.printable:
                score += _why(f"{base}perche/obiettivo/{node.pk}/{self.year_query}")
        elif not row.context:
            score = '<span class="text-muted small">non misurato</span>'
        actions = ""
        if self.edit:
            node_url = f"{base}obiettivi/{node.pk}/"
            add = ""
            if row.add_level:
                short, words = ADD_WORDS[row.add_level]
                add = (
                    f'<a href="{node_url}nuovo/?livello={row.add_level}" class="add">'
                    f'+ {short}<span class="visually-hidden"> (aggiungi {words} a {code})</span></a>'
                )
            actions = (
                f'<td class="actions"><a href="{node_url}modifica/" class="btn btn-xs btn-outline-primary">'
                f'Modifica<span class="visually-hidden"> {code}</span></a>{add}'
                f'<a href="{node_url}indicatori/nuovo/" class="add">'
                f'+ Ind.<span class="visually-hidden"> (aggiungi un indicatore a {code})</span></a></td>'
            )
        context = " context-row" if row.context else ""
        sums = weight_sum_html(row.children_sum, "children") + weight_sum_html(row.indicators_sum, "indicators")
        level = node.level
        return (
            f'<tr id="nodo-{node.pk}" class="node-row tree-level-{escape(level)}{context}" data-depth="{depth}">'
            f'<th scope="row" class="indent-{depth} code-cell">{code_cell}</th>'
            f'<td class="title-cell"><span class="badge-level">{escape(LEVEL_LABELS.get(level, level))}</span> '
            f"{escape(node.title)}{unit}</td>"
            f'<td class="num">{self.weight(node.weight)}{sums}</td>'
            f"<td></td>{self.empty_targets}<td></td>"
            f'<td class="score-cell">{score}</td>{actions}</tr>\n'
        )

    def indicator(self, item: IndicatorRow, depth: int) -> str:
        ind, base = item.indicator, self.base
        name = escape(ind.name)
        if self.edit:
            name = f'<a href="{base}indicatori/{ind.pk}/modifica/">{name}</a>'
        if ind.derived:
            name += ' <span class="badge bg-info">derivato</span>'
        if self.edit:
            target_url = f"{base}indicatori/{ind.pk}/target/"
            targets = "".join(
                f'<td class="target-cell">{escape(text)} <a class="tedit" href="{target_url}{year}/"'
                f' aria-label="Modifica il target {year}">✎</a></td>'
                for year, text in item.targets
            )
        else:
            targets = "".join(f'<td class="target-cell">{escape(text)}</td>' for _, text in item.targets)
        score = ""
        if item.badge is not None:
            score = _badge(item.badge, item.achievement)
            if item.computed:
                score += f'<div class="small">calcolato: {escape(item.computed)}</div>'
        if item.status:
            score += f'<div class="small text-muted">{escape(item.status)}</div>'
        if item.badge is not None and not self.printable:
            score += _why(f"{base}perche/indicatore/{ind.pk}/{self.year_query}")
        return (
            f'<tr id="ind-{ind.pk}" class="ind-row" data-depth="{depth + 1}">'
            f'<td class="indent-{depth} small text-muted">{escape(ind.code)}</td>'
            f'<td class="ps-4">{name}</td>'
            f'<td class="num">{self.weight(ind.weight)}</td>'
            f"<td>{escape(item.baseline)}</td>{targets}<td>{escape(item.value)}{previous_html(item.previous)}</td>"
            f'<td class="score-cell">{score}</td>{"<td></td>" if self.edit else ""}</tr>\n'
        )

    def all(self, page: PlanPage) -> str:
        parts = []
        for row in page.rows:
            parts.append(self.node(row))
            depth = row.depth
            parts.extend(self.indicator(item, depth) for item in row.indicators)
        return "".join(parts)


def tree_rows_html(page: PlanPage, *, edit: bool, printable: bool = False) -> SafeString:
    """The `<tr>` rows of the tree table: a node row, then a row per indicator, for every row of the page.

    `edit` adds the edit links and the actions column (planners); `printable` leaves out the controls (toggles,
    links, "perché?") for the print view.
    """
    return mark_safe(_TreeRows(page, edit=edit, printable=printable).all(page))  # every text above is escaped


def node_children_html(children: NodeChildren, *, edit: bool) -> SafeString:
    """The rows an expand control inserts after its node's row: the node's indicators, then its child nodes
    (collapsed), drawn by the same row functions as the whole tree."""
    rows = _TreeRows(children, edit=edit, printable=False)
    depth = children.node.depth
    parts = [rows.indicator(item, depth) for item in children.node.indicators]
    parts.extend(rows.node(row) for row in children.rows)
    return mark_safe("".join(parts))  # every text is escaped by the row functions
