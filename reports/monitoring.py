"""The monitoring report (rapporto di monitoraggio infrannuale) for the Giunta and the OIV, as PDF and DOCX.

One plain data builder (`monitoring_report`, from consuntivi.monitoring.monitoring_state: every number is the
scoring core's) feeds two writers: the PDF through the Relazione's renderer (reports.pdf.document_pdf, the
project's fonts and print.css), the DOCX through python-docx so the office can edit and merge it. Contents: the
state at the date per area and objective with scores, the objectives at risk with their reasons, the indicators
without a value at the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import BytesIO

from consuntivi.models import Round
from consuntivi.monitoring import MonitoringState, monitoring_state, year_fraction
from consuntivi.year_over_year import previous_results
from indicators.notation import format_target
from indicators.scoring import BAND_ACHIEVED, BAND_NONE, BAND_NOT_ACHIEVED, BAND_PARTIAL
from perfplan.formats import date_it, number_it, percent_it
from plans.models import Level, Plan
from reports.pdf import document_pdf

BAND_WORDS = {
    BAND_ACHIEVED: "raggiunto",
    BAND_PARTIAL: "parziale",
    BAND_NOT_ACHIEVED: "non raggiunto",
    BAND_NONE: "N/D",
}
REPORT_LEVELS = (Level.AREA, Level.STRATEGIC, Level.PROGRAM, Level.OPERATIONAL)  # actions stay on the plan page


@dataclass(frozen=True)
class StateRow:
    code: str
    title: str
    level: str  # the ente's label of the level
    depth: int
    score: str  # «65,72 %» or «N/D»
    band: str
    coverage: str
    at_risk: int  # objectives at risk at or under this node
    band_key: str = BAND_NONE  # for the traffic light's colour (print.css .band-*)


@dataclass(frozen=True)
class RiskRow:
    objective: str  # «1011.01 Pubblicazioni e analisi»
    area: str
    indicator: str
    target: str
    value: str
    expected: str
    reasons: tuple[str, ...]
    previous: tuple[str, ...] = ()  # the indicator's final results of the years before («2016: 350 N. (100,00 %)»)


@dataclass(frozen=True)
class MissingRow:
    objective: str
    indicator: str
    target: str


@dataclass(frozen=True)
class MonitoringReport:
    ente: str
    plan_title: str
    year: int
    at: str  # the date asked for, «30/06/2017»
    round_label: str
    period_end: str
    elapsed: str  # «49,6 %» of the year
    score: str
    band: str
    coverage: str
    state: tuple[StateRow, ...]
    risks: tuple[RiskRow, ...]
    risky_objectives: int
    missing: tuple[MissingRow, ...]
    generated: str
    band_key: str = BAND_NONE


def _coverage(value) -> str:
    return "" if value is None or value >= 100 else f"copertura {percent_it(value, 0)}"


def report_from_state(state: MonitoringState, *, today: dt.date) -> MonitoringReport:
    """The printable report of a monitoring state: plain strings, formatted once (perfplan.formats)."""
    scoring, tree = state.scoring, state.scoring.tree
    plan = scoring.plan
    state_rows = []
    for node in tree.objectives:
        if node.level not in REPORT_LEVELS:
            continue
        score = scoring.node(node.pk)
        if score is None or not score.applicable:
            continue
        state_rows.append(
            StateRow(
                code=node.code,
                title=node.title,
                level=node.get_level_display(),
                depth=tree.depth[node.pk],
                score=percent_it(score.score),
                band=BAND_WORDS[score.band],
                coverage=_coverage(score.coverage),
                at_risk=state.under(node.pk),
                band_key=score.band,
            )
        )
    year = scoring.year
    at_risk = [risk.indicator.pk for item in state.objectives for risk in item.indicators]
    previous = previous_results(plan=plan, year=year, tree=tree, indicator_ids=at_risk)
    risks = []
    for item in state.objectives:
        area = item.path[0] if item.path else item.objective
        for risk in item.indicators:
            ind = risk.indicator
            target = tree.targets_of.get(ind.pk, {}).get(year)
            expected = risk.verdict.expected if risk.verdict is not None else None
            risks.append(
                RiskRow(
                    objective=f"{item.objective.code} {item.objective.title}",
                    area=f"{area.code} {area.title}",
                    indicator=ind.label,
                    target=format_target(target.parsed()) if target is not None else "",
                    value=risk.value,
                    expected=number_it(expected, 2) if expected is not None else "",
                    reasons=tuple(risk.reasons),
                    previous=tuple(result.text for result in previous.get(ind.pk, ())),
                )
            )
    missing = []
    for node, ind in state.without_value:
        target = tree.targets_of.get(ind.pk, {}).get(year)
        missing.append(
            MissingRow(
                objective=f"{node.code} {node.title}",
                indicator=ind.label,
                target=format_target(target.parsed()) if target is not None else "",
            )
        )
    return MonitoringReport(
        ente=plan.ente.name,
        plan_title=plan.title,
        year=year,
        at=date_it(state.at),
        round_label=str(state.data_round),
        period_end=date_it(state.period_end),
        elapsed=percent_it(year_fraction(state.period_end) * 100, 1),
        score=percent_it(scoring.result.score),
        band=BAND_WORDS[scoring.result.band],
        coverage=_coverage(scoring.result.coverage),
        state=tuple(state_rows),
        risks=tuple(risks),
        risky_objectives=len(state.objectives),
        missing=tuple(missing),
        generated=date_it(today),
        band_key=scoring.result.band,
    )


def monitoring_report(
    *, plan: Plan, year: int, today: dt.date, at: dt.date | None = None, data_round: Round | None = None
) -> MonitoringReport | None:
    """The report of the year at `at` (or at `data_round`'s period end); None when no round's period has ended."""
    state = monitoring_state(plan=plan, year=year, at=at, data_round=data_round)
    return report_from_state(state, today=today) if state is not None else None


def monitoring_pdf(report: MonitoringReport) -> tuple[bytes, int]:
    """The report as PDF/A-3b with the Relazione's renderer and print stylesheet (static/reports/monitoraggio.css):
    (content, pages), as piao_pdf."""
    return document_pdf(
        template="reports/monitoraggio.html", context={"r": report}, stylesheet="reports/monitoraggio.css"
    )


def monitoring_docx(report: MonitoringReport) -> bytes:
    """The same contents as an editable Word document (python-docx), for the office to merge or annotate."""
    from docx import Document  # python-docx and lxml load only when a DOCX is asked for
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    document.styles["Normal"].font.size = Pt(9.5)
    properties = document.core_properties
    properties.title = f"Monitoraggio {report.year} al {report.at} – {report.ente}"
    properties.author = report.ente
    properties.language = "it-IT"

    document.add_paragraph(report.ente)
    document.add_heading(f"Rapporto di monitoraggio – situazione al {report.at}", level=0)
    document.add_paragraph(
        f"{report.plan_title}, anno {report.year}. Valori della rilevazione «{report.round_label}» "
        f"(periodo chiuso al {report.period_end}, {report.elapsed} dell'anno), confrontati con i target dell'anno."
    )
    overall = f"Grado di raggiungimento dell'ente alla data: {report.score} ({report.band})"
    document.add_paragraph(overall + (f", {report.coverage}" if report.coverage else "") + ".")

    document.add_heading("1. Situazione per area e obiettivo", level=1)
    _docx_table(
        document,
        ("Codice", "Obiettivo", "Raggiungimento", "Esito", "A rischio"),
        [
            (
                row.code,
                ("    " * row.depth) + row.title,
                row.score + (f" ({row.coverage})" if row.coverage else ""),
                row.band,
                str(row.at_risk) if row.at_risk else "",
            )
            for row in report.state
        ],
    )
    document.add_heading(f"2. Obiettivi a rischio ({report.risky_objectives})", level=1)
    if report.risks:
        _docx_table(
            document,
            ("Obiettivo", "Indicatore", "Target", "Valore", "Motivi"),
            [
                (
                    risk.objective,
                    risk.indicator,
                    risk.target,
                    risk.value
                    + (f" (atteso {risk.expected})" if risk.expected else "")
                    + ("\nAnni precedenti:\n" + "\n".join(risk.previous) if risk.previous else ""),
                    "\n".join(risk.reasons),
                )
                for risk in report.risks
            ],
        )
    else:
        document.add_paragraph("Nessun obiettivo a rischio alla data.")
    document.add_heading(f"3. Indicatori senza valore alla data ({len(report.missing)})", level=1)
    if report.missing:
        _docx_table(
            document,
            ("Obiettivo", "Indicatore", "Target"),
            [(item.objective, item.indicator, item.target) for item in report.missing],
        )
    else:
        document.add_paragraph("Ogni indicatore con un target nell'anno ha un valore alla data.")
    document.add_paragraph(f"Generato da perfplan il {report.generated}.")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_table(document, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A bordered table with a header row repeated on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
