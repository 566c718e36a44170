"""Reads for the Relazione: `relazione_build` turns the scored plan year into plain data, one entry per section.

Every number comes from `consuntivi.scores.plan_score` (called once), so the page, the PDF and the xlsx agree.
The builder runs a constant number of queries whatever the plan size; templates only lay its rows out.
Formatted text (`*_text`) is kept apart from raw values so that the xlsx export can write numbers.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from consuntivi.scores import PlanScoring, plan_score
from indicators.notation import Kind, Unit, format_number
from indicators.scoring import (
    BAND_ACHIEVED,
    BAND_NONE,
    BAND_NOT_ACHIEVED,
    BAND_PARTIAL,
    MISSING,
    OVERRIDDEN,
    IndicatorScore,
    NodeScore,
    count_by_band,
)
from perfplan.formats import date_it, number_it, percent_it
from perfplan.permissions import Action, can
from perfplan.roles import user_ente
from plans.models import (
    MAX_LOGO_BYTES,
    Level,
    ObjectiveKind,
    Plan,
    PlanRevision,
    PlanYear,
    YearState,
    logo_dimensions_ok,
)
from plans.selectors import plans_visible_to
from reports.bilancio import bilancio_rows, bilancio_totals
from reports.charts import BAND_SYMBOLS, Bar, bar_chart_svg
from reports.models import (
    ArtifactKind,
    BilancioLine,
    BudgetLine,
    BudgetVoce,
    CycleActivity,
    KeyIndicator,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    RelazioneState,
    Validation,
)
from reports.sanitize import sanitize_html
from reports.texts import CHECKLIST, CONCLUSION_SECTIONS, DEFAULT_ACTIVITIES, TEXT_SECTIONS

BAND_WORDS = {
    BAND_ACHIEVED: "raggiunto",
    BAND_PARTIAL: "parziale",
    BAND_NOT_ACHIEVED: "non raggiunto",
    BAND_NONE: "N/D",
}
UNIT_SUFFIX = {Unit.PERCENT: "%", Unit.EURO: "€", Unit.COUNT: "N.", Unit.DAYS: "gg"}
MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
MONTH_NAMES = {
    1: "GEN",
    2: "FEB",
    3: "MAR",
    4: "APR",
    5: "MAG",
    6: "GIU",
    7: "LUG",
    8: "AGO",
    9: "SET",
    10: "OTT",
    11: "NOV",
    12: "DIC",
}
REVISION_GROUPS = [
    ("objective", "Obiettivi aggiunti, eliminati o spostati"),
    ("indicator", "Indicatori aggiunti, eliminati o spostati"),
    ("target", "Target"),
    ("weight", "Pesi"),
]
# Table 1.2 rows → the bilancio line (or total) of year N that is their consuntivo.
BUDGET_SOURCE = {
    BudgetVoce.PROVENTI: "A",
    BudgetVoce.PROMOZIONALI: "8",
    BudgetVoce.PERSONALE: "6",
    BudgetVoce.FUNZIONAMENTO: "7",
}


# --- plain data ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandView:
    code: str
    symbol: str
    word: str


def band_view(code: str) -> BandView:
    return BandView(code, BAND_SYMBOLS.get(code, "–"), BAND_WORDS.get(code, "N/D"))


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


@dataclass
class AreaBlock:
    code: str
    title: str
    weight_text: str
    score_text: str
    band: BandView
    nodes: list[NodeBlock]
    continued: bool = False  # a later piece of a table cut into PDF chunks (reports.parts)


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
class Check:
    message: str
    where: str = ""


@dataclass
class RelazioneData:
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
    texts: dict[str, str]
    overview: list[ScoreRow]
    ente_score: Decimal | None
    ente_score_text: str
    ente_band: BandView
    counts: list[CountRow]
    counts_by_area: list[CountRow]
    chart_areas: str
    chart_os: str
    budget: list[dict]
    budget_enabled: bool
    key_groups: list[dict]
    bilancio_years: list[int]
    bilancio: list[dict]
    promo: list[dict]
    promo_total_text: str
    tree: list[dict]
    strategic: list[AreaBlock]
    operational: list[AreaBlock]
    overall: list[ScoreRow]
    omitted_text: str
    units: list[dict]
    deviations: list[dict]
    individuals: list[dict]
    timeline: list[dict]
    month_names: list[str]
    revisions: list[dict]
    footnotes: list[Footnote]
    validation: Validation | None
    validation_checklist: list[dict]
    validation_sections: list[tuple[str, str]]  # (section title, the OIV's conclusions on it), in report order
    final_artifact: RelazioneArtifact | None
    method: dict
    colophon: dict
    blocking: list[Check] = field(default_factory=list)
    warnings: list[Check] = field(default_factory=list)


# --- formatting helpers ----------------------------------------------------------------------------------------


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _unit(unit: str) -> Unit | None:
    try:
        return Unit(unit) if unit else None
    except ValueError:
        return None


def _with_unit(text: str, unit: Unit | None) -> str:
    suffix = UNIT_SUFFIX.get(unit) if unit else None
    return f"{text} {suffix}" if suffix and text else text


def value_text(value, unit: Unit | None) -> str:
    """A consuntivo as the reader expects it: `382 N.`, `87,35 %`, `30/09/2017`, `SI`."""
    if value is None or value == "":
        return "N/D"
    if isinstance(value, bool):
        return "SI" if value else "NO"
    if isinstance(value, dt.date):
        return date_it(value)
    if isinstance(value, Decimal):
        shown = _round2(value) if value != value.to_integral_value() else value
        return _with_unit(format_number(shown.normalize() if shown == shown.to_integral_value() else shown), unit)
    return str(value)


def _weight_text(weight: Decimal | None, siblings_total: Decimal | None) -> str:
    """Weight among siblings, normalised (`33,34 %`); `monitorato` for a 0 weight."""
    if weight is None:
        return ""
    if weight == 0:
        return "monitorato"
    if siblings_total and siblings_total > 0:
        return percent_it(_round2(weight / siblings_total * 100))
    return percent_it(weight)


_LOGO_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _logo_data_uri(ente) -> str:
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


def _coverage_text(score: NodeScore | None) -> str:
    if score is None or score.coverage is None or score.coverage >= 100:
        return ""
    return f"copertura {number_it(score.coverage, 2)} %"


def _split_text(score: NodeScore | None) -> str:
    if score is None or score.share in (Decimal(100), Decimal(0)) or score.children_part is None:
        return ""
    share = score.share
    return f"indicatori {number_it(share)} % / obiettivi operativi {number_it(100 - share)} %"


def _euro(value: Decimal | int | None, places: int = 2) -> str:
    return "N/D" if value is None else f"€ {number_it(value, places)}"


# --- access ----------------------------------------------------------------------------------------------------


def relazioni_visible_to(*, user) -> QuerySet[Relazione]:
    ente = user_ente(user)
    qs = Relazione.objects.select_related("plan", "plan__ente")
    if ente is not None:
        return qs.filter(plan__ente=ente)
    return qs if can(user, Action.ADMIN_SITE) else qs.none()


def relazione_list(*, user) -> list[dict]:
    """Every plan year of the user's plans with its Relazione (if any): three queries."""
    plans = list(plans_visible_to(user=user).order_by("-start_year", "title"))
    relazioni = {(r.plan_id, r.year): r for r in Relazione.objects.filter(plan__in=plans)}
    year_states = {(py.plan_id, py.year): py for py in PlanYear.objects.filter(plan__in=plans)}
    rows = []
    for plan in plans:
        for year in plan.years:
            relazione = relazioni.get((plan.pk, year))
            plan_year = year_states.get((plan.pk, year))
            rows.append(
                {
                    "plan": plan,
                    "year": year,
                    "relazione": relazione,
                    "state": relazione.state if relazione else "",
                    "state_label": relazione.get_state_display() if relazione else "Non iniziata",
                    "year_state_label": plan_year.get_state_display() if plan_year else YearState.PLANNED.label,
                }
            )
    return rows


def final_artifact(*, relazione: Relazione) -> RelazioneArtifact | None:
    return (
        RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.FINAL, superseded_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


# --- the builder -----------------------------------------------------------------------------------------------


CALENDARIO_KEY = "calendario"  # Relazione.settings: the calendario as it was when the year was validated
CALENDARIO_FIELDS = ("order", "activity", "prepares", "adopts", "start_month", "start_day", "end_month", "end_day")


def calendario_snapshot(*, ente_id: int) -> list[dict]:
    """The ente's calendario rows as plain values, kept with a validated Relazione."""
    rows = CycleActivity.objects.filter(ente_id=ente_id).order_by("order", "id").values(*CALENDARIO_FIELDS)
    return [dict(row) for row in rows]


def relazione_build(*, plan: Plan, year: int, relazione: Relazione | None = None) -> RelazioneData:
    """Plain data for every section of relazione.md, from one call to plan_score and a few small reads."""
    if relazione is None:
        relazione = Relazione.objects.filter(plan=plan, year=year).first() or Relazione(plan=plan, year=year)
    ente = plan.ente
    scoring = plan_score(plan=plan, year=year)
    tree, result = scoring.tree, scoring.result
    saved = relazione.pk is not None
    budget_lines = {b.voce: b for b in BudgetLine.objects.filter(relazione=relazione)} if saved else {}
    bilancio_years = [year - 3, year - 2, year - 1, year]
    typed: dict[int, dict[str, int]] = defaultdict(dict)
    for line in BilancioLine.objects.filter(ente=ente, year__in=bilancio_years):
        typed[line.year][line.code] = line.amount
    promo_of = {p.objective_id: p.amount for p in PromoAmount.objects.filter(relazione=relazione)} if saved else {}
    keys = list(KeyIndicator.objects.filter(relazione=relazione).order_by("order", "id")) if saved else []
    frozen_calendario = relazione.settings.get(CALENDARIO_KEY) if relazione.state == RelazioneState.VALIDATED else None
    if frozen_calendario is not None:
        activities = [CycleActivity(ente=ente, **row) for row in frozen_calendario]
    else:
        activities = list(CycleActivity.objects.filter(ente=ente).order_by("order", "id"))
    validation = (
        Validation.objects.filter(relazione=relazione).order_by("-created_at", "-id").first() if saved else None
    )
    artifact = final_artifact(relazione=relazione) if saved else None
    revisions = list(PlanRevision.objects.filter(plan=plan).order_by("created_at", "id"))
    plan_year = PlanYear.objects.filter(plan=plan, year=year).first()

    nodes = {n.pk: n for n in tree.objectives}
    ind_rows: dict[int, IndicatorRow] = {}
    footnotes: list[Footnote] = []
    blocking: list[Check] = []
    warnings: list[Check] = []

    # Indicator rows, once each (3.1, 3.2, 1.3, section 4 and the deviations reuse them).
    measurement_of = {ind_id: (ms[0] if ms else None) for ind_id, ms in tree.measurements_of.items()}
    for node in tree.objectives:
        inds = tree.indicators_of.get(node.pk, [])
        total = sum((i.weight for i in inds if i.weight is not None), Decimal(0))
        for ind in inds:
            score: IndicatorScore | None = result.indicators.get(ind.pk)
            target = tree.targets_of.get(ind.pk, {}).get(year)
            unit = _unit(ind.unit) or (_unit(target.unit) if target is not None else None)
            m = measurement_of.get(ind.pk)
            measures = ""
            if m is not None and m.numerator is not None and m.denominator is not None:
                measures = f"{number_it(m.numerator)} / {number_it(m.denominator)}"
            elif m is not None and m.variables:
                measures = "; ".join(f"{k} = {v}" for k, v in m.variables.items())
            value = score.value if score is not None else None
            if score is not None and score.status in (MISSING,) and value is None:
                shown_value = "N/D"
            else:
                shown_value = value_text(value, unit) if value is not None else (m.raw if m and m.raw else "N/D")
            row = IndicatorRow(
                id=ind.pk,
                label=ind.label,
                description=ind.description,
                formula=ind.formula,
                measures=measures,
                value_text=shown_value,
                target_text=target.raw if target is not None else "—",
                revised=target is not None and target.version > 1,
                weight_text=_weight_text(ind.weight, total) if total else ("" if ind.weight is None else "monitorato"),
                score=score.achievement if score is not None else None,
                score_text=percent_it(score.achievement) if score is not None else "N/D",
                rule=score.rule if score is not None else "N/D",
                band=band_view(score.band if score is not None else BAND_NONE),
                note=m.note if m is not None else "",
            )
            if score is not None and score.status == OVERRIDDEN:
                row.footnote = len(footnotes) + 1
                footnotes.append(
                    Footnote(row.footnote, ind.label, m.manual_reason if m else "", percent_it(score.computed))
                )
                if m is not None and not m.manual_reason.strip():
                    blocking.append(Check("Raggiungimento manuale senza motivazione.", f"{node.code} · {ind.label}"))
            ind_rows[ind.pk] = row
            if target is not None and target.kind == Kind.TEXT and (m is None or m.manual_achievement is None):
                blocking.append(
                    Check("Target testuale senza raggiungimento manuale.", f"{node.code} · {ind.label} ({target.raw})")
                )
            if (
                target is not None
                and target.kind in (Kind.DELTA_PCT, Kind.MAINTAIN)
                and target.absolute is None
                and tree.baseline_of.get(ind.pk) is None
            ):
                warnings.append(Check("Variazione o mantenimento senza baseline.", f"{node.code} · {ind.label}"))
            if target is not None and target.warnings:
                for w in target.warnings:
                    message = w.get("message") if isinstance(w, dict) else str(w)
                    if message:
                        warnings.append(Check(f"Avviso sul target: {message}", f"{node.code} · {ind.label}"))

    def node_block(node, depth: int) -> NodeBlock:
        s = result.nodes.get(node.pk)
        siblings = tree.children_of.get(node.parent_id, [])
        total = sum((n.weight for n in siblings if n.weight is not None), Decimal(0))
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
            weight_text=_weight_text(node.weight, total),
            score=s.score if s else None,
            score_text=percent_it(s.score if s else None),
            band=band_view(s.band if s else BAND_NONE),
            coverage_text=_coverage_text(s),
            split_text=_split_text(s),
            perspective=node.perspective,
            owner=node.owner or (node.org_unit.name if node.org_unit else ""),
            gender=node.gender_relevant,
            tags=tags,
            indicators=[ind_rows[i.pk] for i in tree.indicators_of.get(node.pk, [])],
        )

    def descendants(node, depth: int = 0):
        for child in tree.children_of.get(node.pk, []):
            yield child, depth
            yield from descendants(child, depth + 1)

    # Table 1.1 and the Area / OS structure.
    areas = tree.roots
    area_total = sum((a.weight for a in areas if a.weight is not None), Decimal(0))
    overview: list[ScoreRow] = [
        ScoreRow(
            "ente",
            "",
            ente.name,
            "",
            None,
            "",
            "",
            result.score,
            percent_it(result.score),
            band_view(result.band),
            f"copertura {number_it(result.coverage, 2)} %"
            if result.coverage is not None and result.coverage < 100
            else "",
        )
    ]
    strategic: list[AreaBlock] = []
    operational: list[AreaBlock] = []
    tree_rows: list[dict] = []
    area_bars: list[Bar] = [Bar(f"Ente – {ente.name}", result.score, result.band, group=True)]
    os_bars: list[Bar] = []
    counts_by_area: list[CountRow] = []
    omitted = 0
    for area in areas:
        s = result.nodes.get(area.pk)
        area_row = ScoreRow(
            "area",
            area.code,
            area.title,
            f"{area.code} – {area.title}",
            area.weight,
            _weight_text(area.weight, area_total),
            "",
            s.score if s else None,
            percent_it(s.score if s else None),
            band_view(s.band if s else BAND_NONE),
            _coverage_text(s),
        )
        overview.append(area_row)
        area_bars.append(Bar(f"{area.code} – {area.title}", area_row.score, area_row.band.code))
        os_bars.append(Bar(f"{area.code} – {area.title}", area_row.score, area_row.band.code, group=True))
        os_list = [c for c in tree.children_of.get(area.pk, []) if c.level == Level.STRATEGIC]
        os_total = sum((o.weight for o in os_list if o.weight is not None), Decimal(0))
        area_strategic = AreaBlock(
            area.code, area.title, area_row.weight_text, area_row.score_text, area_row.band, nodes=[]
        )
        area_operational = AreaBlock(
            area.code, area.title, area_row.weight_text, area_row.score_text, area_row.band, nodes=[]
        )
        for os_node in os_list:
            os_score = result.nodes.get(os_node.pk)
            children = list(descendants(os_node))
            oo_count = sum(1 for c, _ in children if c.level == Level.OPERATIONAL)
            composition = f"{oo_count} OO · {len(tree.indicators_of.get(os_node.pk, []))} indicatori"
            if os_score is not None and os_score.share not in (Decimal(100), Decimal(0)):
                composition += f" · quota indicatori {number_it(os_score.share)} %"
            elif os_node.indicator_share is not None:
                composition += f" · quota indicatori {number_it(os_node.indicator_share)} %"
            overview.append(
                ScoreRow(
                    "os",
                    os_node.code,
                    os_node.title,
                    f"{area.code} – {area.title}",
                    os_node.weight,
                    _weight_text(os_node.weight, os_total),
                    composition,
                    os_score.score if os_score else None,
                    percent_it(os_score.score if os_score else None),
                    band_view(os_score.band if os_score else BAND_NONE),
                    _coverage_text(os_score),
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
            area_strategic.nodes.append(node_block(os_node, 0))
            area_operational.nodes.append(node_block(os_node, 0))
            for child, depth in children:
                child_score = result.nodes.get(child.pk)
                if child_score is not None and child_score.applicable:
                    area_operational.nodes.append(node_block(child, depth + 1))
                else:
                    omitted += 1
            tree_rows.append(
                {
                    "area": f"{area.code} – {area.title}",
                    "os": f"{os_node.code} – {os_node.title}",
                    "mission": os_node.mission or "—",
                    "program": os_node.budget_program or "—",
                    "perspective": os_node.perspective or "—",
                    "cofog": os_node.cofog or "—",
                    "oo_count": oo_count,
                }
            )
        strategic.append(area_strategic)
        operational.append(area_operational)
        # OO counts per area (actions included)
        area_nodes = [result.nodes[c.pk] for c, _ in descendants(area) if c.pk in result.nodes]
        counts_by_area.append(
            _count_row(f"{area.code} – {area.title}", [n for n in area_nodes if n.level in ("operational", "action")])
        )
    # Area cell spans its OS rows in 3.0.
    for i, row in enumerate(tree_rows):
        row["first"] = i == 0 or tree_rows[i - 1]["area"] != row["area"]
        row["span"] = sum(1 for r in tree_rows if r["area"] == row["area"])

    def _c(label: str, levels) -> CountRow:
        c = count_by_band(result, levels)
        return CountRow(
            label, c["totale"], c[BAND_ACHIEVED], c[BAND_PARTIAL], c[BAND_NOT_ACHIEVED], c[BAND_NONE], c["manuale"]
        )

    # Nodes without any target in the year take no part in it: they are not counted (nor printed in 3.2).
    counts = [
        _count_row("Obiettivi strategici", [s for s in result.nodes.values() if s.level == Level.STRATEGIC]),
        _count_row(
            "Obiettivi operativi (azioni incluse)",
            [s for s in result.nodes.values() if s.level in (Level.OPERATIONAL, Level.ACTION)],
        ),
        _c("Indicatori", "indicator"),
    ]

    # 1.2 Risorse
    totals_n = {}
    year_lines = typed.get(year, {})
    totals = bilancio_totals(year_lines) if year_lines else None
    if totals is not None:
        totals_n = {**{k: Decimal(v) for k, v in year_lines.items()}, **{k: Decimal(v) for k, v in totals.items()}}
    budget_enabled = relazione.settings.get("show_budget", True)
    budget = []
    for voce in BudgetVoce:
        line = budget_lines.get(voce)
        a = line.preventivo if line is not None else None
        b = totals_n.get(BUDGET_SOURCE[voce]) if totals is not None else None
        ratio = _round2(b / a * 100) if a and b is not None else None
        budget.append(
            {
                "label": voce.label,
                "preventivo": a,
                "preventivo_text": _euro(a),
                "consuntivo": b,
                "consuntivo_text": _euro(b),
                "ratio": ratio,
                "ratio_text": percent_it(ratio),
            }
        )
    if budget_enabled and totals is None:
        blocking.append(Check(f"Tabella 2.1: mancano i dati di bilancio dell'anno {year}.", "Editor › Bilancio"))

    # 1.3 Indicatori più significativi
    groups: dict[str, list] = {}
    indicator_objective = {i.pk: n for n in tree.objectives for i in tree.indicators_of.get(n.pk, [])}
    for key in keys:
        row = ind_rows.get(key.indicator_id)
        if row is None:
            continue
        groups.setdefault(key.group, []).append(row)
        if row.value_text == "N/D":
            node = indicator_objective.get(key.indicator_id)
            warnings.append(
                Check("Indicatore significativo senza valore.", f"{node.code if node else ''} · {row.label}")
            )
    key_groups = [{"name": name, "rows": rows} for name, rows in groups.items()]

    # 2.1 Bilancio
    bilancio = []
    for brow in bilancio_rows(bilancio_years, typed):
        bilancio.append(
            {
                "kind": brow.kind,
                "label": brow.label,
                "values": list(brow.values),
                "texts": [
                    "" if brow.kind == "heading" else ("N/D" if v is None else number_it(v)) for v in brow.values
                ],
            }
        )
    for y in bilancio_years:
        if y not in typed and y != year:
            warnings.append(Check(f"Tabella 2.1: mancano i dati di bilancio dell'anno {y} (stampato N/D).", "Bilancio"))

    # 2.2 Importi per OS
    promo = []
    promo_total = Decimal(0)
    for area in areas:
        items = []
        subtotal = Decimal(0)
        for os_node in tree.children_of.get(area.pk, []):
            if os_node.level != Level.STRATEGIC:
                continue
            amount = promo_of.get(os_node.pk)
            subtotal += amount or 0
            items.append({"label": f"{os_node.code} – {os_node.title}", "amount": amount, "text": _euro(amount)})
        promo_total += subtotal
        promo.append(
            {"label": f"{area.code} – {area.title}", "rows": items, "subtotal": subtotal, "text": _euro(subtotal)}
        )
    if promo_of and totals is not None and promo_total != Decimal(year_lines.get("8", 0)):
        warnings.append(
            Check(
                f"Tabella 2.2: il totale ({_euro(promo_total)}) è diverso dalla voce 8 «Interventi economici» "
                f"del bilancio {year} ({_euro(year_lines.get('8', 0))}).",
                "Editor › Importi per obiettivo strategico",
            )
        )

    # 3.3 Overall and units
    overall = [r for r in overview if r.kind in ("ente", "area")]
    unit_rows = []
    units_by_parent: dict[int | None, list] = defaultdict(list)
    unit_ids = {u.pk for u in tree.units}
    for u in tree.units:
        units_by_parent[u.parent_id if u.parent_id in unit_ids else None].append(u)

    def walk_units(parent_id, depth):
        for u in units_by_parent.get(parent_id, []):
            us = scoring.units.get(u.pk)
            unit_rows.append(
                {
                    "kind": "unit",
                    "depth": depth,
                    "code": u.code,
                    "name": u.name,
                    "score_text": percent_it(us.score if us else None),
                    "band": band_view(us.band if us else BAND_NONE),
                    "coverage_text": (
                        f"copertura {number_it(us.coverage, 2)} %"
                        if us and us.coverage is not None and us.coverage < 100
                        else ""
                    ),
                }
            )
            for node_id in us.own_objectives if us else ():
                node = nodes.get(node_id)
                ns = result.nodes.get(node_id)
                if node is None or (ns is not None and not ns.applicable):
                    continue
                unit_rows.append(
                    {
                        "kind": "objective",
                        "depth": depth,
                        "code": node.code,
                        "name": node.title,
                        "weight_text": number_it(node.weight) + " %" if node.weight is not None else "",
                        "score_text": percent_it(ns.score if ns else None),
                        "band": band_view(ns.band if ns else BAND_NONE),
                    }
                )
            walk_units(u.pk, depth + 1)

    walk_units(None, 0)

    # Deviations: every indicator below 100
    deviations = []
    for node in tree.objectives:
        for ind in tree.indicators_of.get(node.pk, []):
            row = ind_rows[ind.pk]
            if row.score is not None and row.score < 100:
                deviations.append({"code": node.code, "row": row, "note": row.note or "nota non presente"})

    # Section 4: individual objectives, per owner
    individuals_map: dict[str, list[NodeBlock]] = {}
    for node in tree.objectives:
        if node.kind == ObjectiveKind.INDIVIDUAL:
            individuals_map.setdefault(node.owner or "Responsabile non indicato", []).append(
                node_block(node, tree.depth[node.pk])
            )
    individuals = []
    for owner, blocks in sorted(individuals_map.items(), key=lambda kv: 0 if "segretario" in kv[0].lower() else 1):
        scored = [(b.score, nodes[b.id].weight) for b in blocks if b.score is not None]
        weights = [w if w is not None else Decimal(1) for _, w in scored]
        mean = (
            _round2(sum((s * w for (s, _), w in zip(scored, weights, strict=True)), Decimal(0)) / sum(weights))
            if scored and sum(weights)
            else None
        )
        individuals.append({"owner": owner, "blocks": blocks, "score_text": percent_it(mean)})

    # Section 5: timeline and revisions
    source = activities or DEFAULT_ACTIVITIES
    timeline = []
    for a in source:
        subject = a.prepares
        if a.prepares and a.adopts:
            subject = f"(1) {a.prepares} (2) {a.adopts}"
        elif a.adopts:
            subject = a.adopts
        timeline.append({"activity": a.activity, "subject": subject, "cells": _timeline_cells(a)})
    in_year = [r for r in revisions if timezone.localtime(r.created_at).year == year]
    revision_groups = []
    for key, label in REVISION_GROUPS:
        rows = [r for r in in_year if r.subject_type == key or (key == "objective" and r.subject_type == "unit")]
        if rows:
            revision_groups.append(
                {
                    "label": label,
                    "rows": [
                        {
                            "date": date_it(timezone.localtime(r.created_at).date()),
                            "act": r.act or "—",
                            "subject": r.subject_code,
                            "change": f"{r.field}: {r.old_value or '—'} → {r.new_value or '—'}",
                            "reason": r.reason,
                        }
                        for r in rows
                    ],
                }
            )
    for r in in_year:
        if not r.act:
            warnings.append(Check("Revisione senza atto.", f"{r.subject_code} · {r.field}"))

    # Checks on the plan
    if not (plan.act_text or (plan.act_number and plan.act_date)):
        blocking.append(Check("Il piano non ha l'atto di adozione.", "Piano"))
    missing = [s for s in result.indicators.values() if s.status == MISSING]
    if missing:
        warnings.append(
            Check(
                f"{len(missing)} indicatori senza consuntivo nella rilevazione finale "
                f"(copertura dell'ente {percent_it(result.coverage)}).",
                "Consuntivi",
            )
        )
    weight_warnings = [
        (nodes[nid].code, w) for nid, s in result.nodes.items() for w in s.warnings if "sommano" in w and nid in nodes
    ]
    for code, w in weight_warnings[:20]:
        warnings.append(Check(w, code))
    if len(weight_warnings) > 20:
        warnings.append(Check(f"… e altri {len(weight_warnings) - 20} avvisi sui pesi.", ""))
    for w in result.warnings:
        warnings.append(Check(w, "Ente"))

    texts = {s.key: sanitize_html(relazione.texts.get(s.key, s.default)) for s in TEXT_SECTIONS}
    is_draft = relazione.state == RelazioneState.DRAFT
    act_line = relazione.act_line if not is_draft else ""
    plan_line = f"{plan.title}" + (f", adottato con {plan.act_text}" if plan.act_text else "")
    checked = set(validation.checklist) if validation else set()
    last_revision = revisions[-1].created_at if revisions else None

    return RelazioneData(
        plan=plan,
        year=year,
        relazione=relazione,
        state=relazione.state,
        state_label=relazione.get_state_display(),
        is_draft=is_draft,
        year_state=plan_year.state if plan_year else YearState.PLANNED,
        year_state_label=plan_year.get_state_display() if plan_year else YearState.PLANNED.label,
        ente_name=ente.name,
        ente_legal_name=ente.legal_name or ente.name,
        ente_logo=_logo_data_uri(ente),
        title=f"Relazione sulla performance {year}",
        act_line=act_line or "BOZZA – non ancora approvata",
        plan_line=plan_line,
        texts=texts,
        overview=overview,
        ente_score=result.score,
        ente_score_text=percent_it(result.score),
        ente_band=band_view(result.band),
        counts=counts,
        counts_by_area=counts_by_area,
        chart_areas=bar_chart_svg(area_bars, title="Grado di raggiungimento per area strategica"),
        chart_os=bar_chart_svg(os_bars, title="Grado di raggiungimento per obiettivo strategico"),
        budget=budget,
        budget_enabled=budget_enabled,
        key_groups=key_groups,
        bilancio_years=bilancio_years,
        bilancio=bilancio,
        promo=promo,
        promo_total_text=_euro(promo_total),
        tree=tree_rows,
        strategic=strategic,
        operational=operational,
        overall=overall,
        omitted_text=(
            f"Sono omessi {number_it(omitted)} obiettivi senza target nell'anno {year}: non concorrono ai risultati."
            if omitted
            else ""
        ),
        units=unit_rows,
        deviations=deviations,
        individuals=individuals,
        timeline=timeline,
        month_names=[MONTH_NAMES[m] for m in MONTHS],
        revisions=revision_groups,
        footnotes=footnotes,
        validation=validation,
        validation_checklist=[{"key": k, "label": label, "done": k in checked} for k, label in CHECKLIST],
        validation_sections=[
            (label, validation.section_conclusions[key])
            for key, label in CONCLUSION_SECTIONS
            if validation is not None and validation.section_conclusions.get(key)
        ],
        final_artifact=artifact,
        method=_method(scoring),
        colophon={
            "plan_version": date_it(timezone.localtime(last_revision).date()) if last_revision else "versione adottata",
            "extracted": date_it(timezone.localdate()),
            "state": relazione.get_state_display(),
        },
        blocking=blocking,
        warnings=warnings,
    )


def _count_row(label: str, scores: list[NodeScore]) -> CountRow:
    row = CountRow(label, 0, 0, 0, 0, 0, 0)
    for s in scores:
        if not s.applicable:
            continue
        row.total += 1
        row.manual += int(s.has_manual)
        if s.band == BAND_ACHIEVED:
            row.achieved += 1
        elif s.band == BAND_PARTIAL:
            row.partial += 1
        elif s.band == BAND_NOT_ACHIEVED:
            row.not_achieved += 1
        else:
            row.none += 1
    return row


def _timeline_cells(a) -> list[dict]:
    """Twelve cells, September → August: shaded when the activity runs in that month, with its days."""
    start = MONTHS.index(a.start_month)
    end = MONTHS.index(a.end_month)
    cells = []
    for i, month in enumerate(MONTHS):
        if not start <= i <= end:
            cells.append({"on": False, "text": ""})
            continue
        last = calendar.monthrange(2001, month)[1]
        first_day = a.start_day if i == start else 1
        last_day = min(a.end_day, last) if i == end else last
        text = str(first_day) if first_day == last_day else f"{first_day}-{last_day}"
        cells.append({"on": True, "text": text})
    return cells


def _method(scoring: PlanScoring) -> dict:
    rules = scoring.result.rules
    return {
        "cap": "sì, il raggiungimento di un indicatore non supera il 100 %" if rules.cap else "no",
        "missing": (
            "i dati mancanti sono esclusi e i pesi rinormalizzati (copertura indicata)"
            if rules.missing == "exclude"
            else "i dati mancanti contano zero"
        ),
        "min_threshold": percent_it(rules.min_threshold, empty="nessuna"),
        "share": percent_it(rules.default_indicator_share, empty="100 % (solo indicatori, se presenti)"),
        "tolerance": number_it(rules.equality_tolerance),
        "achieved": percent_it(rules.achieved_threshold),
        "partial": percent_it(rules.partial_threshold),
    }
