"""The `Consuntivi` sheet outside a plan import (workbook.md): read it into a round, write a unit's sheet to fill.

Reading is a thin wrapper around plans.workbook's reader (`_Reader.read_measurements`), fed with the plan's
indicators from the database instead of the `Indicatori` sheet: one set of parsing rules for values, measures,
variables and manual achievements, whether the sheet comes with the plan or alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.conf import settings

from indicators.entry_selectors import RoundData
from indicators.models import Indicator
from indicators.notation import format_target
from perfplan.xlsx_safe import new_workbook, workbook_bytes
from plans.export import _number, _sheet, _variables_text, measurement_value_text
from plans.models import Plan
from plans.selectors import PlanTree
from plans.workbook import (
    MEASUREMENT_COLUMNS,
    SHEET_MEASUREMENTS,
    IndicatorRow,
    Issue,
    MeasurementRow,
    TargetCell,
    WorkbookRejected,
    _Reader,
    indicator_key,
    normalise_label,
    open_workbook,
)

# Columns the unit sheet adds to help whoever fills it offline; the reader ignores them without a warning.
HELP_COLUMNS = ["Unità organizzativa", "Obiettivo", "Target", "Baseline", "Algoritmo", "Stato"]


@dataclass
class RoundSheet:
    measurements: list[MeasurementRow]
    indicators: dict[tuple[str, str], Indicator]  # workbook key → indicator
    errors: list[Issue]
    warnings: list[Issue]


def read_round_sheet(*, source: IO[bytes], plan: Plan, tree: PlanTree) -> RoundSheet:
    """Read the `Consuntivi` sheet of `source` against the plan in the database (validation only, no writes)."""
    try:
        wb = open_workbook(source, max_bytes=settings.MAX_WORKBOOK_BYTES)
    except WorkbookRejected as exc:
        return RoundSheet([], {}, [Issue("file", None, None, str(exc))], [])
    try:
        reader = _Reader(wb)
        reader.data.start_year, reader.data.end_year = plan.start_year, plan.end_year
        by_key: dict[tuple[str, str], Indicator] = {}
        for node in tree.objectives:
            for ind in tree.indicators_of.get(node.pk, []):
                row = IndicatorRow(row=0, objective_code=node.code, code=ind.code, name=ind.name, unit=ind.unit)
                for year, target in tree.targets_of.get(ind.pk, {}).items():
                    row.targets[year] = TargetCell(year, target.parsed(), [])
                reader.data.indicators.append(row)
                by_key[indicator_key(node.code, ind.code, ind.name)] = ind
        reader.read_measurements()
        if not reader.data.has_measurement_sheet:
            reader.error(SHEET_MEASUREMENTS, None, None, f"Manca il foglio «{SHEET_MEASUREMENTS}».")
        helpers = {normalise_label(c) for c in HELP_COLUMNS}
        warnings = [w for w in reader.warnings if normalise_label(w.column) not in helpers]
        return RoundSheet(reader.data.measurements, by_key, reader.errors, warnings)
    except WorkbookRejected as exc:  # a damaged sheet met while reading rows
        return RoundSheet([], {}, [Issue("file", None, None, str(exc))], [])
    finally:
        wb.close()


def unit_sheet(*, data: RoundData, unit_id: int) -> bytes:
    """A unit's indicators of a round in the `Consuntivi` layout, current values filled in, to complete offline."""
    block = data.block(unit_id)
    rows = []
    for row in block.rows if block is not None else []:
        ind, m = row.indicator, row.measurement
        rows.append(
            [
                row.objective.code,
                ind.code,
                ind.name,
                data.round.year,
                measurement_value_text(m) if m else "",
                _number(m.numerator) if m else None,
                _number(m.denominator) if m else None,
                _variables_text(m.variables) if m else "",
                m.note if m else "",
                _number(m.manual_achievement) if m else None,
                m.manual_reason if m else "",
                block.unit.code,
                row.objective.title,
                format_target(row.target.parsed()),
                row.baseline_text,
                ind.formula,
                row.status_label,
            ]
        )
    wb = new_workbook()
    _sheet(
        wb,
        SHEET_MEASUREMENTS,
        [*MEASUREMENT_COLUMNS, *HELP_COLUMNS],
        rows,
        {"Nome": 45, "Note": 40, "Obiettivo": 40, "Algoritmo": 30, "Variabili": 30},
    )
    return workbook_bytes(wb)
