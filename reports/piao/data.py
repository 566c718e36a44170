"""The PIAO's section 2 (or the plain Piano della performance) of one plan year, as plain data for its documents.

DM 132/2022 puts the plan in the PIAO's section 2 «Valore pubblico, performance e anticorruzione»: 2.1 the impatti
of Valore pubblico, 2.2 the performance tree with its indicators and the year's targets, 2.3 the measures against
corruption (written by another office: here only their references). A plan not flagged PIAO prints as the plain
Piano della performance from the same data and templates: its tree, and its impatti when it has any.
Read in a constant number of queries (the tree loader's five, the previous years' results' four, the impatti's four,
one for 2.3).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

from consuntivi.year_over_year import previous_results
from indicators.models import IndicatorUnit
from perfplan.formats import date_it, number_it
from plans.models import Level, Plan, PlanKind
from plans.selectors import plan_tree_rows, public_values_of, risk_measures_of
from reports.sections.common import logo_data_uri

UNIT_TEXT = dict(IndicatorUnit.choices)
SECTION_TITLE = "Valore pubblico, performance e anticorruzione"


@dataclass(frozen=True)
class Heading:
    anchor: str
    number: str
    title: str
    level: int  # 1 the section, 2 its parts, 3 an area or an impatto

    @property
    def text(self) -> str:
        return f"{self.number} {self.title}".strip()

    @property
    def tag(self) -> str:
        """The HTML heading of this level: the section is an h2 (the cover's title is the h1)."""
        return f"h{self.level + 1}"


@dataclass(frozen=True)
class ImpactIndicatorLine:
    code: str
    name: str
    unit: str
    source: str
    baseline: str  # "382 (2020)"
    targets: tuple[str, ...]  # one per plan year, "" when none


@dataclass
class ImpactBlock:
    heading: Heading
    code: str
    title: str
    description: str
    dimensions: list[str]
    objectives: list[tuple[str, str]]  # (code, title) of the strategic objectives that pursue it
    indicators: list[ImpactIndicatorLine]


@dataclass(frozen=True)
class TreeLine:
    """A row of a 2.2 table: an objective (kind «node») or one of its indicators (kind «indicator»)."""

    kind: str
    level: str  # the objective's Level, or the indicator's objective's
    depth: int
    code: str
    text: str
    weight: str = ""
    unit: str = ""
    baseline: str = ""
    target: str = ""
    level_label: str = ""
    owner: str = ""  # the objective's unit or responsabile
    public_values: str = ""  # codes of the impatti the (strategic) objective serves
    previous: tuple[str, ...] = ()  # the indicator's final results of the years before («2016: 350 N. (100,00 %)»)


@dataclass
class AreaBlock:
    heading: Heading
    lines: list[TreeLine]


@dataclass(frozen=True)
class MeasureLine:
    code: str
    title: str
    link: str


@dataclass
class PiaoData:
    plan: Plan
    year: int
    is_piao: bool
    ente_name: str
    ente_legal_name: str
    ente_logo: str  # data: URI or ""
    title: str  # the document's: «PIAO 2021-2023 – Sezione 2 …» or «Piano della performance 2021-2023»
    subtitle: str
    act_line: str
    generated_on: str
    plan_years: list[int]
    impacts: list[ImpactBlock] = field(default_factory=list)
    areas: list[AreaBlock] = field(default_factory=list)
    measures: list[MeasureLine] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)  # the sommario, in print order
    top: Heading | None = None  # «2. Valore pubblico, performance e anticorruzione» (PIAO only)
    section_vp: Heading | None = None  # 2.1 (PIAO, or a plain plan with impatti)
    section_perf: Heading | None = None  # 2.2
    section_risk: Heading | None = None  # 2.3 (PIAO only)

    @property
    def logo_bytes(self) -> bytes | None:
        if not self.ente_logo:
            return None
        return base64.b64decode(self.ente_logo.split(",", 1)[1])

    def heading(self, anchor: str) -> Heading:
        return next(h for h in self.headings if h.anchor == anchor)


def _baseline_text(raw: str, year: int | None) -> str:
    if not raw:
        return ""
    return f"{raw} ({year})" if year else raw


def piao_data(*, plan: Plan, year: int, today: dt.date | None = None) -> PiaoData:
    """Everything the PDF and the DOCX print, numbered once (the sommario and both documents agree)."""
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    ente = plan.ente
    is_piao = plan.kind == PlanKind.PIAO
    span = f"{plan.start_year}-{plan.end_year}"
    if is_piao:
        title = f"PIAO {span} – Sezione 2. {SECTION_TITLE}"
        subtitle = f"Piano integrato di attività e organizzazione – annualità {year}"
    else:
        title = f"Piano della performance {span}"
        subtitle = f"Obiettivi, indicatori e target – annualità {year}"
    data = PiaoData(
        plan=plan,
        year=year,
        is_piao=is_piao,
        ente_name=ente.name,
        ente_legal_name=ente.legal_name or ente.name,
        ente_logo=logo_data_uri(ente),
        title=title,
        subtitle=subtitle,
        act_line=f"Adottato con {plan.act_text}" if plan.act_text else "Piano in bozza: non ancora adottato",
        generated_on=date_it(today or timezone.localdate()),
        plan_years=plan.years,
    )
    prefix = "2." if is_piao else ""
    number = 0

    def section(anchor: str, text: str) -> Heading:
        nonlocal number
        number += 1
        heading = Heading(anchor, f"{prefix}{number}" if is_piao else f"{number}.", text, 2 if is_piao else 1)
        data.headings.append(heading)
        return heading

    if is_piao:
        data.top = Heading("s2", "2.", SECTION_TITLE, 1)
        data.headings.append(data.top)
    impacts = public_values_of(plan=plan)
    if is_piao or impacts:
        data.section_vp = section("vp", "Valore pubblico")
        for item in impacts:
            heading = Heading(f"vp-{item.pk}", "", f"{item.code} – {item.title}", 3 if is_piao else 2)
            data.headings.append(heading)
            data.impacts.append(_impact_block(heading, item, plan.years))
    data.section_perf = section("perf", "Performance")
    data.areas = _areas(plan, year, impacts, data, level=3 if is_piao else 2)
    if is_piao:
        data.section_risk = section("risk", "Rischi corruttivi e trasparenza")
        data.measures = [MeasureLine(m.code, m.title, m.link) for m in risk_measures_of(plan=plan)]
    return data


def _impact_block(heading: Heading, item, years: list[int]) -> ImpactBlock:
    lines = []
    for ind in item.indicators.all():
        targets = {t.year: t.raw for t in ind.targets.all()}
        lines.append(
            ImpactIndicatorLine(
                code=ind.code,
                name=ind.name,
                unit=str(UNIT_TEXT.get(ind.unit, "")),
                source=ind.source,
                baseline=_baseline_text(ind.baseline, ind.baseline_year),
                targets=tuple(targets.get(y, "") for y in years),
            )
        )
    return ImpactBlock(
        heading=heading,
        code=item.code,
        title=item.title,
        description=item.description,
        dimensions=item.dimension_labels,
        objectives=[(o.code, o.title) for o in item.objectives.all()],
        indicators=lines,
    )


def _areas(plan: Plan, year: int, impacts, data: PiaoData, *, level: int) -> list[AreaBlock]:
    tree = plan_tree_rows(plan=plan, year=year)
    previous = previous_results(plan=plan, year=year, tree=tree)
    served: dict[int, list[str]] = {}
    for item in impacts:
        for objective in item.objectives.all():
            served.setdefault(objective.pk, []).append(item.code)
    areas: list[AreaBlock] = []
    for node in tree.objectives:
        depth = tree.depth[node.pk]
        if depth == 0:
            heading = Heading(f"area-{node.pk}", "", f"{Level(node.level).label} {node.code} – {node.title}", level)
            data.headings.append(heading)
            areas.append(AreaBlock(heading, []))
        owner = node.org_unit.name if node.org_unit else node.owner
        areas[-1].lines.append(
            TreeLine(
                kind="node",
                level=node.level,
                depth=depth,
                code=node.code,
                text=node.title,
                weight=number_it(node.weight),
                level_label=str(Level(node.level).label),
                owner=owner,
                public_values=", ".join(served.get(node.pk, [])),
            )
        )
        for ind in tree.indicators_of.get(node.pk, []):
            baseline = tree.baseline_of.get(ind.pk)
            target = tree.targets_of.get(ind.pk, {}).get(year)
            areas[-1].lines.append(
                TreeLine(
                    kind="indicator",
                    level=node.level,
                    depth=depth + 1,
                    code=ind.code,
                    text=ind.name,
                    weight=number_it(ind.weight),
                    unit=str(UNIT_TEXT.get(ind.unit, "")),
                    baseline=_baseline_text(baseline.raw, baseline.year) if baseline else "",
                    target=target.raw if target else "",
                    previous=tuple(result.text for result in previous.get(ind.pk, ())),
                )
            )
    return areas
