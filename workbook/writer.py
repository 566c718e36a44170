"""Writing plan workbooks: the export of a plan and the blank template (same layout as the reader)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from consuntivi.models import Measurement
from consuntivi.trees import plan_tree_with_values
from indicators.models import Target
from indicators.notation import Unit
from perfplan.formats import value_it
from perfplan.xlsx_safe import append_row, new_workbook, workbook_bytes
from plans.models import Plan
from plans.selectors import public_values_of
from workbook.reader import (
    DIMENSION_LABELS,
    DOCUMENT_LABELS,
    INDICATOR_COLUMNS,
    KIND_LABELS,
    LEVEL_LABELS,
    MEASUREMENT_COLUMNS,
    OBJECTIVE_COLUMNS,
    POLARITY_LABELS,
    PUBLIC_VALUE_COLUMNS,
    SHEET_INDICATORS,
    SHEET_MEASUREMENTS,
    SHEET_OBJECTIVES,
    SHEET_PLAN,
    SHEET_PUBLIC_VALUE,
    SHEET_UNITS,
    UNIT_COLUMNS,
    UNIT_LABELS,
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0066CC")


def number_cell(value: Decimal | None) -> Decimal | int | None:
    """Write weights as spreadsheet numbers (2 decimals stored; trailing zeros dropped)."""
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else normal


def styled_sheet(
    wb: Workbook, title: str, headers: list[str], rows: list[list[Any]], widths: dict[str, int] | None = None
):
    ws = wb.create_sheet(title)
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        append_row(ws, row)  # a target such as "= 100 %" stays text, never a spreadsheet formula
    ws.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = (widths or {}).get(header, 14 if len(header) < 14 else len(header) + 2)
        ws.column_dimensions[get_column_letter(index)].width = width
    return ws


def _plan_sheet(wb: Workbook, values: list[tuple[str, Any]]) -> None:
    ws = styled_sheet(wb, SHEET_PLAN, ["Voce", "Valore"], [list(v) for v in values])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 60


def measurement_value_text(m: Measurement) -> str:
    """The Valore cell of a consuntivo: the text typed when we have it, else the value in Italian form."""
    if m.raw:
        return m.raw
    if m.not_done:
        return "NO"
    for value in (m.value_date, m.value_bool, m.value_level, m.value_number):
        if value is not None and value != "":
            return value_it(value)
    return ""


def variables_text(variables: dict[str, str]) -> str:
    return "; ".join(f"{name}={str(value).replace('.', ',')}" for name, value in variables.items())


def plan_export(*, plan: Plan) -> bytes:
    """The plan as a workbook in the import layout, with the final round's consuntivi."""
    tree = plan_tree_with_values(plan=plan)
    years = plan.years
    wb = new_workbook()
    _plan_sheet(
        wb,
        [
            ("Ente", plan.ente.name),
            ("Codice ente", plan.ente.code),
            ("Titolo", plan.title),
            ("Anno inizio", plan.start_year),
            ("Anno fine", plan.end_year),
            ("Delibera", plan.act_text),
            ("Quota indicatori", number_cell(plan.default_indicator_share)),
            ("Documento", DOCUMENT_LABELS[plan.kind]),
        ],
    )
    objectives = tree.objectives
    code_of = {o.pk: o.code for o in objectives}
    styled_sheet(
        wb,
        SHEET_OBJECTIVES,
        OBJECTIVE_COLUMNS,
        [
            [
                o.code,
                LEVEL_LABELS[o.level],
                code_of.get(o.parent_id, ""),
                o.title,
                o.description,
                number_cell(o.weight),
                number_cell(o.indicator_share),
                o.perspective,
                o.mission,
                o.budget_program,
                o.cofog,
                o.org_unit.code if o.org_unit else "",
                o.owner,
                value_it(o.gender_relevant),
                KIND_LABELS[o.kind],
            ]
            for o in objectives
        ],
        {"Titolo": 60, "Descrizione": 40},
    )
    indicator_rows = []
    measurement_rows = []
    for o in objectives:
        for ind in tree.indicators_of.get(o.pk, []):
            baseline = tree.baseline_of.get(ind.pk)
            targets: dict[int, Target] = tree.targets_of.get(ind.pk, {})
            indicator_rows.append(
                [
                    o.code,
                    ind.code,
                    ind.name,
                    ind.description,
                    ind.formula,
                    ind.source,
                    UNIT_LABELS[Unit(ind.unit)] if ind.unit else "",
                    POLARITY_LABELS[ind.polarity],
                    number_cell(ind.weight),
                    baseline.year if baseline else None,
                    baseline.raw if baseline else "",
                    value_it(ind.derived),
                    *[targets[y].raw if y in targets else "" for y in years],
                ]
            )
            for m in tree.measurements_of.get(ind.pk, []):
                measurement_rows.append(
                    [
                        o.code,
                        ind.code,
                        ind.name,
                        m.year,
                        measurement_value_text(m),
                        number_cell(m.numerator),
                        number_cell(m.denominator),
                        variables_text(m.variables),
                        m.note,
                        number_cell(m.manual_achievement),
                        m.manual_reason,
                    ]
                )
    styled_sheet(
        wb,
        SHEET_INDICATORS,
        [*INDICATOR_COLUMNS, *[f"Target {y}" for y in years]],
        indicator_rows,
        {"Nome": 50, "Descrizione": 30, "Algoritmo": 30},
    )
    styled_sheet(wb, SHEET_MEASUREMENTS, MEASUREMENT_COLUMNS, measurement_rows, {"Nome": 40, "Note": 40})
    styled_sheet(
        wb,
        SHEET_UNITS,
        UNIT_COLUMNS,
        [[u.code, u.name, u.parent.code if u.parent else "", u.head] for u in tree.units],
        {"Nome": 40},
    )
    _public_value_sheet(wb, plan)
    return workbook_bytes(wb)


def _public_value_sheet(wb: Workbook, plan: Plan) -> None:
    """Sheet ValorePubblico: one row per impact indicator, the impatto's columns on its first row only."""
    years = plan.years
    rows = []
    for item in public_values_of(plan=plan):
        head = [
            item.code,
            item.title,
            item.description,
            "; ".join(DIMENSION_LABELS[d] for d in item.dimensions if d in DIMENSION_LABELS),
            "; ".join(o.code for o in item.objectives.all()),
        ]
        indicators = list(item.indicators.all())
        if not indicators:
            rows.append([*head, "", "", "", "", None, "", *["" for _ in years]])
        for index, ind in enumerate(indicators):
            targets = {t.year: t.raw for t in ind.targets.all()}
            rows.append(
                [
                    *(head if index == 0 else [item.code, "", "", "", ""]),
                    ind.code,
                    ind.name,
                    UNIT_LABELS[Unit(ind.unit)] if ind.unit else "",
                    ind.source,
                    ind.baseline_year,
                    ind.baseline,
                    *[targets.get(y, "") for y in years],
                ]
            )
    styled_sheet(
        wb,
        SHEET_PUBLIC_VALUE,
        [*PUBLIC_VALUE_COLUMNS, *[f"Target {y}" for y in years]],
        rows,
        {"Titolo": 40, "Descrizione": 40, "Dimensioni": 30, "Indicatore": 40},
    )


def plan_template() -> bytes:
    """A blank workbook with the import layout and two example rows per sheet."""
    wb = new_workbook()
    _plan_sheet(
        wb,
        [
            ("Ente", "Camera di commercio di Esempio"),
            ("Codice ente", "ES"),
            ("Titolo", "Piano della performance 2025-2027"),
            ("Anno inizio", 2025),
            ("Anno fine", 2027),
            ("Delibera", "Delibera di Giunta n. 10 del 30/01/2025"),
            ("Quota indicatori", 30),
            ("Documento", "PIAO"),
        ],
    )
    styled_sheet(
        wb,
        SHEET_OBJECTIVES,
        OBJECTIVE_COLUMNS,
        [
            [
                "1",
                "Area strategica",
                "",
                "Competitività delle imprese",
                "",
                100,
                None,
                "Utenti",
                "",
                "",
                "",
                "",
                "",
                "NO",
                "Organizzativo",
            ],
            [
                "1.1",
                "Obiettivo strategico",
                "1",
                "Internazionalizzazione",
                "Sostenere l'export delle imprese",
                100,
                30,
                "",
                "011",
                "005",
                "04.1",
                "U1",
                "Dirigente Area promozione",
                "NO",
                "Organizzativo",
            ],
        ],
        {"Titolo": 40, "Descrizione": 40},
    )
    styled_sheet(
        wb,
        SHEET_INDICATORS,
        [*INDICATOR_COLUMNS, "Target 2025", "Target 2026", "Target 2027"],
        [
            [
                "1.1",
                "EC01",
                "Imprese coinvolte in iniziative per l'export",
                "",
                "",
                "Fonte interna",
                "N.",
                "crescente",
                50,
                2024,
                "320",
                "NO",
                ">= 350",
                ">= 360",
                ">= 370",
            ],
            [
                "1.1",
                "",
                "Tempo medio di evasione delle pratiche",
                "",
                "Giorni totali / N. pratiche",
                "",
                "gg",
                "decrescente",
                50,
                2024,
                "6",
                "NO",
                "<= 5",
                "<= 5",
                "<= 4",
            ],
        ],
        {"Nome": 40},
    )
    styled_sheet(
        wb,
        SHEET_MEASUREMENTS,
        MEASUREMENT_COLUMNS,
        [
            ["1.1", "EC01", "Imprese coinvolte in iniziative per l'export", 2025, "362", None, None, "", "", None, ""],
            [
                "1.1",
                "",
                "Tempo medio di evasione delle pratiche",
                2025,
                "",
                1850,
                370,
                "",
                "Picco di pratiche a marzo",
                None,
                "",
            ],
        ],
        {"Nome": 40, "Note": 30},
    )
    styled_sheet(
        wb,
        SHEET_UNITS,
        UNIT_COLUMNS,
        [
            ["A1", "Area promozione e sviluppo", "", "Dirigente Area promozione"],
            ["U1", "Ufficio internazionalizzazione", "A1", "Responsabile Ufficio"],
        ],
        {"Nome": 40},
    )
    styled_sheet(
        wb,
        SHEET_PUBLIC_VALUE,
        [*PUBLIC_VALUE_COLUMNS, "Target 2025", "Target 2026", "Target 2027"],
        [
            [
                "VP1",
                "Imprese più presenti sui mercati esteri",
                "Più imprese del territorio esportano con continuità",
                "Digitalizzazione; Semplificazione",
                "1.1",
                "VP1.1",
                "Imprese esportatrici abituali",
                "N.",
                "ISTAT",
                2024,
                "410",
                ">= 420",
                ">= 430",
                ">= 440",
            ],
            ["VP1", "", "", "", "", "", "Quota di imprese guidate da donne tra quelle assistite", "%", "", 2024, "28 %"]
            + [">= 30 %", ">= 32 %", ">= 35 %"],
        ],
        {"Titolo": 40, "Descrizione": 40, "Dimensioni": 30, "Indicatore": 40},
    )
    return workbook_bytes(wb)
