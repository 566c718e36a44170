"""The Relazione body as a list of parts: its sections in order (reports.sections.SECTIONS), the long tables cut
into pieces.

The HTML preview prints every section whole; the PDF (reports.pdf) renders a few parts at a time as separate
WeasyPrint documents, so that memory stays bounded on plans with thousands of indicators. A piece ends where a new
strategic objective, unit or person starts when it can, and a later piece says «(segue)» in its caption.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.template.loader import render_to_string

from plans.models import Level
from reports.sections import SECTIONS
from reports.sections.data import AreaBlock, NodeBlock, RelazioneData

T = TypeVar("T")
TEXT_ROWS = 10  # a heading and a free text, counted as rows of a table


@dataclass(frozen=True)
class Part:
    """One section, or one piece of a long one: its template, what it prints and how many table rows that is."""

    name: str
    rows: int
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"reports/sections/{self.name}.html"


def render_part(part: Part, data: RelazioneData, **extra: Any) -> str:
    return render_to_string(part.template, {"r": data, "first": True, "last": True, **part.context, **extra})


def front_part() -> Part:
    """Cover and sommario."""
    return Part("front", TEXT_ROWS)


def body_parts(data: RelazioneData, *, max_rows: int | None = None) -> list[Part]:
    """Every section after the sommario, in the order of reports.sections.SECTIONS; with `max_rows`, the long ones
    cut into pieces of at most that many rows (a single objective, unit or person longer than that stays whole)."""
    parts: list[Part] = []
    for section in SECTIONS:
        cut = SECTION_PARTS.get(section.name)
        parts += cut(data, max_rows) if cut is not None else [Part(section.name, TEXT_ROWS)]
    return parts


# How a section is laid out in parts, when it is not one part of a free text's size (TEXT_ROWS).
SECTION_PARTS: dict[str, Callable[[RelazioneData, int | None], list[Part]]] = {
    "s1": lambda data, _max_rows: [Part("s1", _s1_rows(data))],
    "s2": lambda data, _max_rows: [
        Part("s2", TEXT_ROWS + len(data.bilancio) + sum(1 + len(a["rows"]) for a in data.promo))
    ],
    "s3": lambda data, _max_rows: [Part("s3", TEXT_ROWS + len(data.tree))],
    "s3_1": lambda data, max_rows: [
        *_pieces_of(
            "s3_1", "areas", _area_pieces(data.strategic, _strategic_rows, max_rows), _areas_rows(_strategic_rows)
        )
    ],
    "s3_2": lambda data, max_rows: [
        *_pieces_of(
            "s3_2", "areas", _area_pieces(data.operational, _operational_rows, max_rows), _areas_rows(_operational_rows)
        )
    ],
    "s3_3": lambda data, max_rows: [
        Part("s3_3", TEXT_ROWS + len(data.overall)),
        # No units: no landscape page at all (s3_3 says so).
        *(
            _pieces_of("s3_3_units", "units", _cut(data.units, _one, lambda u: u["kind"] == "unit", max_rows), len)
            if data.units
            else ()
        ),
        *_pieces_of("s3_3_end", "deviations", _cut(data.deviations, _one, _always, max_rows), len),
    ],
    "s4": lambda data, max_rows: [
        *_pieces_of("s4", "individuals", _cut(data.individuals, _person_rows, _always, max_rows), _people_rows)
    ],
    "genere": lambda data, _max_rows: [
        Part(
            "genere",
            TEXT_ROWS
            + sum(1 + max(1, len(n.indicators)) for n in data.gender_nodes)
            + sum(2 + len(v["objectives"]) + len(v["indicators"]) for v in data.gender_values),
        )
    ],
    "s5": lambda data, _max_rows: [
        Part(
            "s5",
            TEXT_ROWS + len(data.cycle_dates) + len(data.timeline) + sum(1 + len(g["rows"]) for g in data.revisions),
        )
    ],
    "a2": lambda data, _max_rows: [Part("a2", 2 * TEXT_ROWS)],
}


def _pieces_of(name: str, key: str, pieces: list[list], rows: Callable[[list], int]) -> Iterator[Part]:
    for index, piece in enumerate(pieces):
        context = {key: piece, "first": index == 0, "last": index == len(pieces) - 1}
        yield Part(name, TEXT_ROWS * (index == 0) + rows(piece), context)


def _cut(items: list[T], size: Callable[[T], int], starts: Callable[[T], bool], max_rows: int | None) -> list[list[T]]:
    """Consecutive pieces of at most `max_rows` rows, cut before an item where `starts` holds if possible, else
    between any two items."""
    if max_rows is None or not items:
        return [items]
    pieces: list[list[T]] = []
    current: list[T] = []
    rows = 0
    for run in _runs(items, starts):
        if current and rows + sum(size(item) for item in run) > max_rows:
            pieces.append(current)
            current, rows = [], 0
        for item in run:  # a run longer than max_rows is cut where it fills up
            if current and rows + size(item) > max_rows:
                pieces.append(current)
                current, rows = [], 0
            current.append(item)
            rows += size(item)
    pieces.append(current)
    return pieces


def _runs(items: list[T], starts: Callable[[T], bool]) -> Iterator[list[T]]:
    run: list[T] = []
    for item in items:
        if run and starts(item):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


def _area_pieces(
    areas: list[AreaBlock], node_rows: Callable[[NodeBlock], int], max_rows: int | None
) -> list[list[AreaBlock]]:
    """The area tables of 3.1 or 3.2 cut at strategic objectives; an area cut in two is `continued` in the next."""
    if max_rows is None:
        return [areas]
    # One item per node; an area without nodes still prints its heading row.
    items = [(area, node) for area in areas for node in (area.nodes or [None])]
    pieces = _cut(
        items,
        lambda item: 1 if item[1] is None else node_rows(item[1]),
        lambda item: item[1] is None or item[1].level == Level.STRATEGIC or item[1] is item[0].nodes[0],
        max_rows,
    )
    result = []
    for piece in pieces:
        blocks = []
        for _, group in itertools.groupby(piece, key=lambda item: id(item[0])):
            group = list(group)
            area, first_node = group[0]
            nodes = [node for _, node in group if node is not None]
            blocks.append(
                dataclasses.replace(area, nodes=nodes, continued=bool(area.nodes) and first_node is not area.nodes[0])
            )
        result.append(blocks)
    return result


def _strategic_rows(node: NodeBlock) -> int:
    return 1 + max(1, len(node.indicators))


def _operational_rows(node: NodeBlock) -> int:
    return 1 + (0 if node.level == Level.STRATEGIC else len(node.indicators))


def _areas_rows(node_rows: Callable[[NodeBlock], int]) -> Callable[[list[AreaBlock]], int]:
    return lambda areas: sum(
        1 + (0 if area.continued else len(area.indicators)) + sum(node_rows(n) for n in area.nodes) for area in areas
    )


def _person_rows(person: dict) -> int:
    return 1 + sum(2 + max(1, len(block.indicators)) for block in person["blocks"])


def _people_rows(people: list[dict]) -> int:
    return sum(_person_rows(person) for person in people)


def _s1_rows(data: RelazioneData) -> int:
    # The chart of the strategic objectives grows with them, about a row each.
    key_rows = sum(1 + len(g["rows"]) for g in data.key_groups)
    return (
        TEXT_ROWS + 2 * len(data.overview) + len(data.counts) + len(data.counts_by_area) + len(data.budget) + key_rows
    )


def _one(_item: object) -> int:
    return 1


def _always(_item: object) -> bool:
    return True
