"""The `Consuntivi` sheet outside a plan import (workbook.md): read it into a round, write a unit's sheet to fill.

Reading is a thin wrapper around workbook.reader's reader (`PlanReader.read_measurements`), fed with the plan's
indicators from the database instead of the `Indicatori` sheet: one set of parsing rules for values, measures,
variables and manual achievements, whether the sheet comes with the plan or alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from consuntivi.history import change_text, measurement_changes
from consuntivi.models import Measurement, MeasurementChange, MeasurementStatus, Round
from consuntivi.selectors import RoundData, round_data
from consuntivi.services import (
    accepted_measurement_create,
    measurement_differs,
    require_planner,
    require_round_open,
)
from indicators.models import Indicator
from indicators.notation import format_target
from perfplan.xlsx_safe import new_workbook, workbook_bytes
from plans.models import Plan
from plans.selectors import PlanTree
from workbook.reader import (
    MEASUREMENT_COLUMNS,
    SHEET_MEASUREMENTS,
    IndicatorRow,
    Issue,
    MeasurementRow,
    PlanReader,
    TargetCell,
    WorkbookRejected,
    indicator_key,
    more_errors,
    normalise_label,
    open_workbook,
)
from workbook.writer import measurement_value_text, number_cell, styled_sheet, variables_text

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
        wb = open_workbook(source, max_bytes=settings.MAX_WORKBOOK_BYTES)  # with every bound of perfplan/limits.py
    except WorkbookRejected as exc:
        return RoundSheet([], {}, [Issue("file", None, None, str(exc))], [])
    try:
        reader = PlanReader(wb)
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
        errors = reader.errors
        if reader.errors_omitted:  # the first IMPORT_MAX_ERRORS_LISTED are listed, the rest counted
            errors.append(Issue("file", None, None, more_errors(reader.errors_omitted)))
        return RoundSheet(reader.data.measurements, by_key, errors, warnings)
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
                number_cell(m.numerator) if m else None,
                number_cell(m.denominator) if m else None,
                variables_text(m.variables) if m else "",
                m.note if m else "",
                number_cell(m.manual_achievement) if m else None,
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
    styled_sheet(
        wb,
        SHEET_MEASUREMENTS,
        [*MEASUREMENT_COLUMNS, *HELP_COLUMNS],
        rows,
        {"Nome": 45, "Note": 40, "Obiettivo": 40, "Algoritmo": 30, "Variabili": 30},
    )
    return workbook_bytes(wb)


# --- Bulk import into a round -------------------------------------------------------------------------------


@dataclass
class RoundImportReport:
    dry_run: bool = False
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # created / updated / unchanged
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, indicator, old → new, what happens

    @property
    def ok(self) -> bool:
        return not self.errors


def round_import(*, data_round: Round, source: IO[bytes], user, dry_run: bool = False) -> RoundImportReport:
    """Import the `Consuntivi` sheet into a round: validate every row first, then write all of it or nothing.

    Imported values are entered by the planning office, so they are `verificato` (as with import_plan); every
    change is in the history. Rows of another year are errors: a round holds one year.
    """
    require_planner(user)
    require_round_open(data_round)
    report = RoundImportReport(dry_run=dry_run)
    data = round_data(data_round=data_round)
    read = read_round_sheet(source=source, plan=data_round.plan, tree=data.tree)
    report.errors.extend(read.errors)
    report.warnings.extend(read.warnings)
    by_key = read.indicators
    for m in read.measurements:
        if m.year != data_round.year:
            report.errors.append(
                Issue(
                    "Consuntivi",
                    m.row,
                    "Anno",
                    f"L'anno {m.year} non è quello della rilevazione «{data_round}» ({data_round.year}).",
                )
            )
    if report.errors:
        return report
    existing = data.measurements
    plan_rows = []
    for m in read.measurements:
        indicator = by_key[m.indicator_key]
        values = {
            "raw": m.raw,
            "value_number": m.value_number,
            "value_date": m.value_date,
            "value_bool": m.value_bool,
            "value_level": m.value_level,
            "not_done": m.not_done,
            "numerator": m.numerator,
            "denominator": m.denominator,
            "variables": m.variables,
            "note": m.note,
            "manual_achievement": m.manual_achievement.quantize(Decimal("0.01")) if m.manual_achievement else None,
            "manual_reason": m.manual_reason,
        }
        current = existing.get(indicator.pk)
        label = indicator.label
        if current is None:
            report.counts["creati"] += 1
            report.rows.append((m.row, label, change_text(m.raw or m.value_number), "nuovo"))
        elif measurement_differs(current, values) or current.status != MeasurementStatus.ACCEPTED:
            report.counts["aggiornati"] += 1
            report.rows.append((m.row, label, f"{change_text(current.raw)} → {change_text(m.raw)}", "aggiornato"))
        else:
            report.counts["invariati"] += 1
            continue
        plan_rows.append((indicator, current, values))
    if dry_run:
        return report
    with transaction.atomic():
        for indicator, current, values in plan_rows:
            if current is None:
                accepted_measurement_create(
                    indicator=indicator,
                    data_round=data_round,
                    user=user,
                    values=values,
                    action=MeasurementChange.Action.IMPORT,
                )
                continue
            changes = measurement_changes(
                current, {**values, "status": MeasurementStatus.ACCEPTED}, user, MeasurementChange.Action.IMPORT
            )
            Measurement.objects.filter(pk=current.pk).update(
                **values,
                status=MeasurementStatus.ACCEPTED,
                version=F("version") + 1,
                updated_by=user,
                updated_at=timezone.now(),
            )
            MeasurementChange.objects.bulk_create(changes)
    return report
