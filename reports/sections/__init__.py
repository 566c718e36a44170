"""The Relazione's sections, one builder each, in print order.

Each builder takes the loaded context (reports.sections.context.load: the plan year scored once, the Relazione's
own rows) and returns its section's fields of `RelazioneData`; the template of the same name under
templates/reports/sections/ prints them. `SECTIONS` is the one place that orders the body: `relazione_build` walks
it and reports.parts cuts the PDF in the same order. Adding a section: a module here with `build`, its template,
its line below (and its fields in `RelazioneData`). The checks the Relazione shows are in reports.checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reports.sections import a1, a2, front, genere, premessa, s1, s2, s3, s3_1, s3_2, s3_3, s4, s5
from reports.sections.context import RelazioneContext


@dataclass(frozen=True)
class Section:
    name: str  # also the name of its template, reports/sections/<name>.html
    build: Callable[[RelazioneContext], dict]


FRONT = Section("front", front.build)  # the cover and sommario, printed before the body

SECTIONS: tuple[Section, ...] = (
    Section("premessa", premessa.build),
    Section("s1", s1.build),
    Section("s2", s2.build),
    Section("s3", s3.build),
    Section("s3_1", s3_1.build),
    Section("s3_2", s3_2.build),
    Section("s3_3", s3_3.build),
    Section("s4", s4.build),
    Section("genere", genere.build),  # 5. Pari opportunità e bilancio di genere
    Section("s5", s5.build),  # 6. Il processo (the key kept from before the gender section was numbered 5)
    Section("a1", a1.build),
    Section("a2", a2.build),
)
