"""The plain data of the Relazione: the rows its tables print and `RelazioneData`, what the templates, the PDF
and the xlsx export read (built by reports.selectors.relazione_build from the section builders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plans.models import Plan
    from reports.checks import Check
    from reports.criteria import Criterion
    from reports.models import Relazione, RelazioneArtifact, Validation


@dataclass(frozen=True)
class BandView:
    code: str
    symbol: str
    word: str


@dataclass
class ScoreRow:
    """A node row of tables 1.1 and 3.3."""

    kind: str  # "ente" | "area" | "os"
    code: str
    title: str
    area: str
    weight: Decimal | None
    weight_text: str
    composition: str
    score: Decimal | None
    score_text: str
    band: BandView
    coverage_text: str
    weight_adopted: str = ""  # the Piano's weight, when it differs from the normalised share (weight_text)


@dataclass
class IndicatorRow:
    id: int
    label: str
    description: str
    formula: str
    measures: str
    value_text: str
    target_text: str
    revised: bool
    weight_text: str
    score: Decimal | None
    score_text: str
    rule: str
    band: BandView
    footnote: int | None = None  # number of the manual-achievement footnote
    note: str = ""
    weight_adopted: str = ""  # the Piano's weight, when it differs from the normalised share (weight_text)
    measure_lines: list[str] = field(default_factory=list)  # the operands, one per line
    source: str = ""  # fonte
    baseline_text: str = ""
    previous_lines: list[str] = field(default_factory=list)  # «2016: 350 N. (100,00 %)», newest first


@dataclass
class NodeBlock:
    """An objective with its indicator rows (3.1, 3.2, section 4)."""

    id: int
    code: str
    title: str
    level: str
    level_label: str
    depth: int
    weight_text: str
    score: Decimal | None
    score_text: str
    band: BandView
    coverage_text: str
    split_text: str
    perspective: str
    owner: str
    gender: bool
    tags: list[str]
    indicators: list[IndicatorRow]
    weight_adopted: str = ""
    composition: str = ""  # what the score is made of (own indicators, children, the share)


@dataclass
class AreaBlock:
    code: str
    title: str
    weight_text: str
    score_text: str
    band: BandView
    nodes: list[NodeBlock]
    continued: bool = False  # a later piece of a table cut into PDF chunks (reports.parts)
    weight_adopted: str = ""
    composition: str = ""
    coverage_text: str = ""
    indicators: list[IndicatorRow] = field(default_factory=list)  # the area's own indicators (they may score it)


@dataclass
class CountRow:
    label: str
    total: int
    achieved: int
    partial: int
    not_achieved: int
    none: int
    manual: int


@dataclass
class Footnote:
    number: int
    label: str
    reason: str
    computed_text: str


@dataclass
class RelazioneData:
    """Every field is filled by one builder of reports.sections (the module named in the comment above it)."""

    # front: the cover, the state and what several sections print
    plan: Plan
    year: int
    relazione: Relazione
    state: str
    state_label: str
    is_draft: bool
    year_state: str
    year_state_label: str
    ente_name: str
    ente_legal_name: str
    ente_logo: str  # a data: URI, so that the page and the PDF show the same image with no request; "" when none
    title: str
    act_line: str
    plan_line: str
    plan_published_on_text: str  # when the Piano was published in Amministrazione trasparente ("" when not typed)
    plan_published_url: str  # where (the page's address)
    texts: dict[str, str]
    ente_score: Decimal | None
    ente_score_text: str
    ente_band: BandView
    validation: Validation | None
    final_artifact: RelazioneArtifact | None
    # s1
    overview: list[ScoreRow]
    counts: list[CountRow]
    counts_by_area: list[CountRow]
    chart_areas: str
    chart_os: str
    budget: list[dict]
    budget_enabled: bool
    key_groups: list[dict]
    # s2
    bilancio_years: list[int]
    bilancio: list[dict]
    promo: list[dict]
    promo_total_text: str
    # s3
    tree: list[dict]
    tree_columns: list[str]  # the classification columns the plan fills
    tree_os_width: str  # the column class of the objective, wider when columns are left out
    tree_missing: str  # the columns left out, named in a note
    # s3_1
    strategic: list[AreaBlock]
    # s3_2
    operational: list[AreaBlock]
    omitted_text: str
    footnotes: list[Footnote]
    # s3_3 (and its pieces s3_3_units, s3_3_end)
    overall: list[ScoreRow]
    units: list[dict]
    deviations: list[dict]
    # s4
    individuals: list[dict]
    # genere
    gender_nodes: list[NodeBlock]
    gender_summary: str
    gender_values: list[dict]
    # s5 (section 6)
    cycle_dates: list[dict]  # the cycle as the records show it
    timeline: list[dict]  # the ente's own calendario; empty when it has not typed one
    month_names: list[str]
    revisions: list[dict]
    # a1
    validation_checklist: list[dict]
    validation_sections: list[tuple[str, str]]  # (section title, the OIV's conclusions on it), in report order
    # a2
    method: dict
    colophon: dict
    # reports.checks
    blocking: list[Check] = field(default_factory=list)
    warnings: list[Check] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)  # the OIV's validation criteria (reports.criteria)
