"""Writes on plans: import from the workbook (validate all, then write all in one transaction)."""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils.translation import ngettext

from consuntivi.history import measurement_changes
from consuntivi.models import Measurement, MeasurementChange, MeasurementStatus, Round, RoundPeriod
from indicators.models import Baseline, Indicator, Target
from perfplan.actors import actor_or_system
from perfplan.audit import audit_context, delete_with_history, record_bulk
from perfplan.bulk import insert_rows
from perfplan.formats import number_it
from plans.lifecycle import Write, write_refusal, year_states
from plans.models import Ente, Objective, OrgUnit, Plan, PlanKind, PlanState, PlanYear
from plans.public_value import public_values_sync
from plans.revisions import RevisionLog
from plans.values import TARGET_FIELDS, parse_act, target_fields, two_places
from workbook.reader import (
    SHEET_PUBLIC_VALUE,
    Issue,
    PlanData,
    WorkbookRejected,
    indicator_key,
    more_errors,
    read_plan_workbook,
)

ENTITIES = ("unità", "obiettivi", "indicatori", "target", "consuntivi", "impatti")
# progress(done, total, message): rows checked, then rows written (units, objectives, indicators, consuntivi).
ImportProgress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, message: str) -> None:
    return None


logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    plan_id: int | None = None
    dry_run: bool = False
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    missing: list[str] = field(default_factory=list)  # rows in the database that the workbook no longer has
    revisions: int = 0
    errors_omitted: int = 0  # beyond the IMPORT_MAX_ERRORS_LISTED in `errors`, summarised by its last line
    warnings_omitted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) - (1 if self.errors_omitted else 0) + self.errors_omitted

    @property
    def warning_count(self) -> int:
        return len(self.warnings) - (1 if self.warnings_omitted else 0) + self.warnings_omitted

    def add_issues(
        self, errors: list[Issue], warnings: list[Issue], errors_omitted: int = 0, warnings_omitted: int = 0
    ) -> None:
        """The listed issues, each list closed by «… e altri N errori» when more were found than listed."""
        self.errors.extend(errors)
        self.warnings.extend(warnings)
        self.errors_omitted, self.warnings_omitted = errors_omitted, warnings_omitted
        if errors_omitted:
            self.errors.append(Issue("file", None, None, more_errors(errors_omitted)))
        if warnings_omitted:
            more = ngettext("… e un altro avviso.", "… e altri %(n)s avvisi.", warnings_omitted) % {
                "n": number_it(warnings_omitted)
            }
            self.warnings.append(Issue("file", None, None, more, "warning"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "created": {k: self.created[k] for k in ENTITIES},
            "updated": {k: self.updated[k] for k in ENTITIES},
            "unchanged": {k: self.unchanged[k] for k in ENTITIES},
            "missing": self.missing,
            "revisions": self.revisions,
            "errors_omitted": self.errors_omitted,
            "warnings_omitted": self.warnings_omitted,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


class _DryRunRollback(Exception):
    pass


def plan_import(
    *,
    source: str | Path | IO[bytes],
    dry_run: bool = False,
    reason: str = "",
    user=None,
    ente: Ente | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import a plan workbook. Nothing is written when any error is found, or with dry_run.

    `ente` restricts a browser import to the user's own ente; the command line may create enti. `progress` hears
    of the rows checked, then of the rows written (jobs: the page shows it).
    """
    progress = progress or _no_progress
    report = ImportReport(dry_run=dry_run)
    progress(0, 0, "Lettura e controllo delle righe del file")
    try:
        result = read_plan_workbook(source, max_bytes=settings.MAX_WORKBOOK_BYTES)
    except WorkbookRejected as exc:
        report.errors.append(Issue("file", None, None, str(exc)))
        return report
    report.add_issues(result.errors, result.warnings, result.errors_omitted, result.warnings_omitted)
    d = result.data
    rows = len(d.units) + len(d.objectives) + len(d.indicators) + len(d.measurements)
    progress(rows, rows, f"Righe controllate: {number_it(rows)}")
    if report.errors:
        return report
    try:
        with transaction.atomic(), audit_context(user=actor_or_system(user), reason=reason.strip()):
            _lock_ente_imports(result.data.ente_code)
            _Writer(result.data, report, reason=reason.strip(), user=user, ente=ente, progress=progress).write()
            if report.errors:
                raise _DryRunRollback
            if dry_run:
                report.plan_id = None
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    except OperationalError as exc:
        if connection.vendor != "sqlite" or "locked" not in str(exc):
            raise
        # SQLite lets one transaction write at a time; past its timeout the other one is told to try again.
        report.plan_id = None
        report.errors.append(
            Issue(
                "file",
                None,
                None,
                "Un'altra importazione sta scrivendo nel database: nulla è stato scritto, ripetere tra poco.",
            )
        )
    except IntegrityError:
        # Another import created the same ente or plan between our read and our write (SQLite, or a row the
        # advisory lock does not cover): nothing of ours was written, the user tries again.
        logger.warning("plan_import: integrity error, reported as a concurrent import", exc_info=True)
        report.plan_id = None
        report.errors.append(
            Issue(
                "Piano",
                None,
                "Titolo",
                "Un'altra importazione dello stesso piano è stata completata mentre questa era in corso: "
                "nulla è stato scritto, ripetere l'importazione.",
            )
        )
    return report


def _lock_ente_imports(ente_code: str) -> None:
    """Imports into one ente run one at a time: on PostgreSQL the second waits here (until the first commits)
    and then finds the plan the first one wrote, instead of failing on the unique constraints.

    SQLite lets one transaction write at a time anyway; a lost race there is reported by plan_import.
    """
    if connection.vendor == "postgresql":
        key = zlib.crc32(ente_code.encode()) - 2**31  # a signed 32-bit key
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, key])


IMPORT_LOCK_NAMESPACE = 0x504C  # "PL": this app's plan imports, among other advisory locks of the database


OBJECTIVE_FIELDS = (
    "level",
    "kind",
    "title",
    "description",
    "weight",
    "indicator_share",
    "perspective",
    "mission",
    "budget_program",
    "cofog",
    "owner",
    "gender_relevant",
    "org_unit_id",
    "parent_id",
    "position",
)
INDICATOR_FIELDS = (
    "name",
    "description",
    "formula",
    "source",
    "unit",
    "polarity",
    "weight",
    "derived",
    "position",
    "objective_id",
)
MEASUREMENT_FIELDS = (
    "raw",
    "value_number",
    "value_date",
    "value_bool",
    "value_level",
    "not_done",
    "numerator",
    "denominator",
    "variables",
    "note",
    "manual_achievement",
    "manual_reason",
)
# Fields whose change after adoption is not a revision of the plan (ordering, not content).
UNREVISED_FIELDS = {"position"}
# The workbook column of each field, to say where a refused change is.
OBJECTIVE_COLUMN = {
    "level": "Tipo",
    "kind": "Natura",
    "title": "Titolo",
    "description": "Descrizione",
    "weight": "Peso",
    "indicator_share": "Quota indicatori",
    "perspective": "Prospettiva",
    "mission": "Missione",
    "budget_program": "Programma DM",
    "cofog": "COFOG",
    "owner": "Responsabile",
    "gender_relevant": "Ottica di genere",
    "org_unit_id": "Unità organizzativa",
    "parent_id": "Codice padre",
    "position": "Codice",
}
INDICATOR_COLUMN = {
    "name": "Nome",
    "description": "Descrizione",
    "formula": "Algoritmo",
    "source": "Fonte",
    "unit": "Unità",
    "polarity": "Polarità",
    "weight": "Peso",
    "derived": "Derivato",
    "position": "Codice indicatore",
    "objective_id": "Codice obiettivo",
}
# The form's names for the fields the import compares by id: the revision reads the same on both paths.
REVISED_AS = {"org_unit_id": "org_unit", "parent_id": "parent"}
MAX_FROZEN_ERRORS = 20  # a whole changed year would bury the message: the first rows say where to look


WRITE_BATCH = 5000  # rows inserted, or recorded in the history, at a time


def _record_bulk(model, objects, *, history_type: str) -> None:
    """record_bulk a batch at a time: its history rows for 100.000 objects would otherwise be built all at once."""
    objects = list(objects)
    for start in range(0, len(objects), WRITE_BATCH):
        record_bulk(model, objects[start : start + WRITE_BATCH], history_type=history_type)


class _Writer:
    """Writes a read workbook into the database, applying the rules every write path applies.

    The same lifecycle guard (plans.lifecycle.write_refusal), rounding (plans.values), revision log
    (plans.revisions) and consuntivo history (consuntivi.history) as the web forms; what differs is only the
    volume: rows are compared in memory and written in bulk. A change the guard refuses becomes an error with
    sheet, row and column, and the whole import is rolled back.
    """

    def __init__(
        self,
        data: PlanData,
        report: ImportReport,
        *,
        reason: str,
        user,
        ente: Ente | None,
        progress: ImportProgress = _no_progress,
    ) -> None:
        self.d = data
        self.progress = progress
        self.report = report
        self.reason = reason
        self.user = user
        self.only_ente = ente
        self.frozen_count = 0

    # -- helpers ------------------------------------------------------------------------------------------------
    def _apply(self, obj, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        changes = []
        for name, new in values.items():
            old = getattr(obj, name)
            if old != new:
                changes.append((name, old, new))
                setattr(obj, name, new)
        return changes

    @staticmethod
    def _insert_recorded(model, rows: list[dict[str, Any]], of_plan) -> None:
        """insert_rows, then the audit history of the new rows: read back as those above the previous highest id.

        A batch at a time, emptying `rows` as it goes: 300.000 targets never sit in memory as rows, instances and
        history rows at once (issue 11: an import stays under 300 MB)."""
        while rows:
            batch = rows[:WRITE_BATCH]
            del rows[:WRITE_BATCH]
            last = of_plan.aggregate(last=models.Max("pk"))["last"] or 0
            insert_rows(model, batch)
            record_bulk(model, of_plan.filter(pk__gt=last), history_type="+")

    def _refuse(self, refusal: str, sheet: str, row: int | None, column: str | None, detail: str) -> None:
        """A change the lifecycle guard forbids: an error where it is, the first MAX_FROZEN_ERRORS of them."""
        self.frozen_count += 1
        if self.frozen_count <= MAX_FROZEN_ERRORS:
            message = refusal[0].upper() + refusal[1:]
            self.report.errors.append(Issue(sheet, row, column, f"{message}: {detail}."))

    def _node_text(self, name: str, value: Any) -> Any:
        """The value a revision shows for a field the import holds as an id: the unit or node itself."""
        if value is None:
            return None
        if name == "org_unit_id":
            return self.units_by_pk.get(value)
        if name == "parent_id":
            return self.objectives_by_pk.get(value)
        return value

    def _revise(self, subject_type: str, code: str, field_name: str, old: Any, new: Any) -> None:
        if field_name in UNREVISED_FIELDS:
            return
        if field_name in REVISED_AS:
            old, new = self._node_text(field_name, old), self._node_text(field_name, new)
            field_name = REVISED_AS[field_name]
        self.revisions.add(subject_type, code, field_name, old, new)

    # -- steps --------------------------------------------------------------------------------------------------
    def write(self) -> None:
        d = self.d
        if self.only_ente is not None and d.ente_code != self.only_ente.code:
            self.report.errors.append(
                Issue(
                    "Piano",
                    None,
                    "Codice ente",
                    f"Il file riguarda l'ente «{d.ente_code}»: puoi importare solo piani del tuo ente "
                    f"(«{self.only_ente.code}»).",
                )
            )
            return
        ente, created = Ente.objects.get_or_create(code=d.ente_code, defaults={"name": d.ente_name})
        if not created and ente.name != d.ente_name:
            ente.name = d.ente_name
            ente.save(update_fields=["name"])
        self.ente = ente
        plan = Plan.objects.filter(ente=ente, title=d.title).first()
        if plan is not None and plan.state == PlanState.ADOPTED and not self.reason:
            self.report.errors.append(
                Issue(
                    "Piano",
                    None,
                    "Titolo",
                    "Il piano è già adottato: per reimportarlo indicare la motivazione della modifica "
                    "(ogni cambiamento sarà registrato come revisione).",
                )
            )
            return
        self.states = year_states(plan=plan) if plan is not None else {}
        self.structure_refusal = write_refusal(action=Write.STRUCTURE, year=None, states=self.states)
        organ, number, date = parse_act(d.act_text) if d.act_text else ("", "", None)
        if plan is None:
            plan = Plan(ente=ente, title=d.title)
            plan.state = PlanState.ADOPTED if d.act_text else PlanState.DRAFT
        adopted = plan.state == PlanState.ADOPTED and plan.pk is not None
        self.plan = plan
        self.revisions = RevisionLog(plan, self.user, self.reason, adopted=adopted)
        share = two_places(d.default_indicator_share)
        if self.structure_refusal and (plan.start_year, plan.end_year) != (d.start_year, d.end_year):
            self._refuse(self.structure_refusal, "Piano", None, "Anno inizio", "il file cambia gli anni del piano")
        if self.structure_refusal and plan.default_indicator_share != share:
            self._refuse(self.structure_refusal, "Piano", None, "Quota indicatori", "il file cambia la quota")
        plan.start_year, plan.end_year = d.start_year, d.end_year
        plan.act_text = d.act_text
        if d.act_text:
            plan.act_organ, plan.act_number, plan.act_date = organ, number, date
        plan.default_indicator_share = share
        if d.kind is not None and d.kind != plan.kind:
            if self.structure_refusal and plan.pk is not None:
                self._refuse(self.structure_refusal, "Piano", None, "Documento", "il file cambia il documento")
            self._revise("piano", plan.title[:200], "documento", plan.get_kind_display(), PlanKind(d.kind).label)
            plan.kind = d.kind
        plan.save()
        self.report.plan_id = plan.pk
        existing_years = set(plan.plan_years.values_list("year", flat=True))
        years = PlanYear.objects.bulk_create([PlanYear(plan=plan, year=y) for y in d.years if y not in existing_years])
        _record_bulk(PlanYear, years, history_type="+")
        d_rows = (len(d.units), len(d.objectives), len(d.indicators), len(d.measurements))
        total, written = sum(d_rows), 0
        for step, count in zip(
            (self._write_units, self._write_objectives, self._write_indicators, self._write_measurements),
            d_rows,
            strict=True,
        ):
            step()
            written += count
            self.progress(written, total, f"Righe scritte: {number_it(written)} di {number_it(total)}")
        if d.public_values is not None:
            self._write_public_values()
        changed = self.revisions.rows or sum(self.report.updated.values()) or sum(self.report.created.values())
        if adopted and changed and not getattr(self.user, "pk", None):
            self.report.errors.append(
                Issue(
                    "Piano",
                    None,
                    "Titolo",
                    "Il piano è adottato: ogni modifica va firmata da un utente (dalla riga di comando: "
                    "--utente NOME_UTENTE).",
                )
            )
        if self.frozen_count > MAX_FROZEN_ERRORS:
            self.report.errors.append(
                Issue("file", None, None, f"… e altre {self.frozen_count - MAX_FROZEN_ERRORS} modifiche rifiutate.")
            )
        self.report.revisions = self.revisions.save()

    def _write_public_values(self) -> None:
        """The ValorePubblico sheet: plans.public_value writes it, under the same structure lock as the tree."""
        sync = public_values_sync(plan=self.plan, items=self.d.public_values or [], revisions=self.revisions)
        if self.structure_refusal and (sync.created or sync.updated):
            self._refuse(self.structure_refusal, SHEET_PUBLIC_VALUE, None, None, "il file cambia il valore pubblico")
        self.report.created["impatti"] += sync.created
        self.report.updated["impatti"] += sync.updated
        self.report.unchanged["impatti"] += sync.unchanged
        self.report.missing.extend(f"Impatto {code}" for code in sync.missing)

    def _write_units(self) -> None:
        existing = {u.code: u for u in OrgUnit.objects.filter(ente=self.ente)}
        to_create, to_update = [], []
        for row in self.d.units:
            unit = existing.get(row.code)
            if unit is None:
                unit = OrgUnit(ente=self.ente, code=row.code, name=row.name, head=row.head)
                to_create.append(unit)
                existing[row.code] = unit
            elif self._apply(unit, {"name": row.name, "head": row.head}):
                to_update.append(unit)
            else:
                self.report.unchanged["unità"] += 1
        OrgUnit.objects.bulk_create(to_create, batch_size=500)
        _record_bulk(OrgUnit, to_create, history_type="+")
        self.report.created["unità"] += len(to_create)
        relinked = []
        for row in self.d.units:
            unit = existing[row.code]
            parent_id = existing[row.parent_code].pk if row.parent_code else None
            if unit.parent_id != parent_id:
                unit.parent_id = parent_id
                relinked.append(unit)
        changed = {u.pk: u for u in to_update + relinked}
        if changed:
            OrgUnit.objects.bulk_update(list(changed.values()), ["name", "head", "parent"], batch_size=500)
            _record_bulk(OrgUnit, changed.values(), history_type="~")
        self.report.updated["unità"] += len([u for u in to_update])
        self.units = existing
        self.units_by_pk = {u.pk: u for u in existing.values()}

    def _write_objectives(self) -> None:
        existing = {o.code: o for o in Objective.objects.filter(plan=self.plan)}
        self.objectives_by_pk = {o.pk: o for o in existing.values()}
        seen = set()
        by_depth: dict[int, list] = {}
        for row in self.d.objectives:
            by_depth.setdefault(row.depth, []).append(row)
        to_update: dict[int, Objective] = {}
        for depth in sorted(by_depth):
            to_create = []
            for row in by_depth[depth]:
                seen.add(row.code)
                unit = self.units.get(row.unit_code) if row.unit_code else None
                if row.unit_code and unit is None:
                    self.report.errors.append(
                        Issue(
                            "Obiettivi",
                            row.row,
                            "Unità organizzativa",
                            f"L'unità «{row.unit_code}» non esiste né nel foglio né nell'ente.",
                        )
                    )
                values = {
                    "level": row.level,
                    "kind": row.kind,
                    "title": row.title,
                    "description": row.description,
                    "weight": two_places(row.weight),
                    "indicator_share": two_places(row.indicator_share),
                    "perspective": row.perspective,
                    "mission": row.mission,
                    "budget_program": row.budget_program,
                    "cofog": row.cofog,
                    "owner": row.owner,
                    "gender_relevant": row.gender_relevant,
                    "org_unit_id": unit.pk if unit else None,
                    "parent_id": existing[row.parent_code].pk if row.parent_code else None,
                    "position": row.position,
                }
                obj = existing.get(row.code)
                if obj is None:
                    if self.structure_refusal:
                        self._refuse(
                            self.structure_refusal, "Obiettivi", row.row, "Codice", f"il file aggiunge {row.code}"
                        )
                    obj = Objective(plan=self.plan, code=row.code, **values)
                    to_create.append(obj)
                    existing[row.code] = obj
                    self._revise("objective", row.code, "aggiunto", None, row.title)
                else:
                    changes = self._apply(obj, values)
                    if changes:
                        to_update[obj.pk] = obj
                        for name, old, new in changes:
                            if self.structure_refusal:
                                self._refuse(
                                    self.structure_refusal,
                                    "Obiettivi",
                                    row.row,
                                    OBJECTIVE_COLUMN[name],
                                    f"il file cambia {row.code}",
                                )
                            self._revise("weight" if name == "weight" else "objective", row.code, name, old, new)
                    else:
                        self.report.unchanged["obiettivi"] += 1
            Objective.objects.bulk_create(to_create, batch_size=500)
            _record_bulk(Objective, to_create, history_type="+")
            self.objectives_by_pk.update((o.pk, o) for o in to_create)
            self.report.created["obiettivi"] += len(to_create)
        if to_update:
            Objective.objects.bulk_update(list(to_update.values()), OBJECTIVE_FIELDS, batch_size=500)
            _record_bulk(Objective, to_update.values(), history_type="~")
        self.report.updated["obiettivi"] += len(to_update)
        self.report.missing.extend(f"Obiettivo {code}" for code in existing if code not in seen)
        self.objectives = existing

    def _write_indicators(self) -> None:
        objective_code = {o.pk: code for code, o in self.objectives.items()}
        existing = {}
        for ind in Indicator.objects.filter(objective__plan=self.plan):
            existing[indicator_key(objective_code[ind.objective_id], ind.code, ind.name)] = ind
        seen = set()
        to_create, to_update = [], {}
        for row in self.d.indicators:
            key = indicator_key(row.objective_code, row.code, row.name)
            seen.add(key)
            values = {
                "name": row.name,
                "description": row.description,
                "formula": row.formula,
                "source": row.source,
                "unit": row.unit,
                "polarity": row.polarity,
                "weight": two_places(row.weight),
                "derived": row.derived,
                "position": row.position,
                "objective_id": self.objectives[row.objective_code].pk,
            }
            ind = existing.get(key)
            label = f"{row.objective_code} / {row.code or row.name}"
            if ind is None:
                if self.structure_refusal:
                    self._refuse(self.structure_refusal, "Indicatori", row.row, "Nome", f"il file aggiunge {label}")
                ind = Indicator(code=row.code, **values)
                to_create.append(ind)
                existing[key] = ind
                self._revise("indicator", label, "aggiunto", None, row.name)
            else:
                changes = self._apply(ind, values)
                if changes:
                    to_update[ind.pk] = ind
                    for name, old, new in changes:
                        if self.structure_refusal:
                            self._refuse(
                                self.structure_refusal,
                                "Indicatori",
                                row.row,
                                INDICATOR_COLUMN[name],
                                f"il file cambia {label}",
                            )
                        self._revise("weight" if name == "weight" else "indicator", label, name, old, new)
                else:
                    self.report.unchanged["indicatori"] += 1
        Indicator.objects.bulk_create(to_create, batch_size=500)
        _record_bulk(Indicator, to_create, history_type="+")
        if to_update:
            Indicator.objects.bulk_update(list(to_update.values()), INDICATOR_FIELDS, batch_size=500)
            _record_bulk(Indicator, to_update.values(), history_type="~")
        self.report.created["indicatori"] += len(to_create)
        self.report.updated["indicatori"] += len(to_update)
        self.report.missing.extend(f"Indicatore {key[0]} / {key[1][1:]}" for key in existing if key not in seen)
        self.indicators = existing
        self._write_baselines()
        self._write_targets()

    def _write_baselines(self) -> None:
        existing = {b.indicator_id: b for b in Baseline.objects.filter(indicator__objective__plan=self.plan)}
        to_create, to_update, to_delete = [], [], []
        for row in self.d.indicators:
            ind = self.indicators[row.key]
            baseline = existing.get(ind.pk)
            label = f"{row.objective_code} / {row.code or row.name}"
            if not row.baseline_raw and row.baseline_year is None:
                if baseline is not None:
                    to_delete.append(baseline.pk)
                    self._baseline_changed(row, label, baseline.raw, None)
                continue
            values = {"year": row.baseline_year, "value": row.baseline_value, "raw": row.baseline_raw}
            if baseline is None:
                to_create.append({"indicator_id": ind.pk, **values})
                self._baseline_changed(row, label, None, row.baseline_raw)
            else:
                old_raw = baseline.raw
                if self._apply(baseline, values):
                    to_update.append(baseline)
                    self._baseline_changed(row, label, old_raw, row.baseline_raw)
        self._insert_recorded(Baseline, to_create, Baseline.objects.filter(indicator__objective__plan=self.plan))
        if to_update:
            Baseline.objects.bulk_update(to_update, ["year", "value", "raw"], batch_size=500)
            _record_bulk(Baseline, to_update, history_type="~")
        if to_delete:
            delete_with_history(Baseline.objects.filter(pk__in=to_delete))

    def _baseline_changed(self, row, label: str, old: str | None, new: str | None) -> None:
        if self.structure_refusal:
            self._refuse(self.structure_refusal, "Indicatori", row.row, "Baseline", f"il file cambia {label}")
        self._revise("indicator", label, "baseline", old, new)

    def _write_targets(self) -> None:
        existing: dict[tuple[int, int], Target] = {
            (t.indicator_id, t.year): t
            for t in Target.objects.filter(indicator__objective__plan=self.plan, is_current=True).order_by()
        }
        refusals = {year: write_refusal(action=Write.TARGET, year=year, states=self.states) for year in self.d.years}
        adopted = self.revisions.adopted
        to_create, to_update, retired = [], [], []
        of_plan = Target.objects.filter(indicator__objective__plan=self.plan)
        for row in self.d.indicators:
            ind = self.indicators[row.key]
            label = f"{row.objective_code} / {row.code or row.name}"
            if len(to_create) >= WRITE_BATCH and not retired:
                # No current target waits to be retired: the new ones can go now, and their rows leave memory.
                self._insert_recorded(Target, to_create, of_plan)
            for year in self.d.years:
                cell = row.targets.get(year)
                current = existing.get((ind.pk, year))
                old_raw = current.raw if current is not None else ""
                new_raw = cell.parsed.raw if cell is not None else ""
                if old_raw == new_raw:
                    if current is not None:
                        self.report.unchanged["target"] += 1
                    continue
                if refusals[year]:
                    self._refuse(
                        refusals[year],
                        "Indicatori",
                        row.row,
                        f"Target {year}",
                        f"nel file «{new_raw}», nel piano «{old_raw}» ({label})",
                    )
                if cell is None:
                    if adopted:
                        current.is_current = False
                        retired.append(current)
                        to_create.append(
                            {
                                "indicator_id": ind.pk,
                                "year": year,
                                "version": current.version + 1,
                                "raw": "",
                                "kind": "NONE",
                                "reason": self.reason,
                            }
                        )
                        self._revise("target", label, f"target {year}", current.raw, "")
                    else:
                        retired.append(current)
                    self.report.updated["target"] += 1
                    continue
                values = target_fields(cell.parsed, cell.warnings)
                if current is None:
                    to_create.append({"indicator_id": ind.pk, "year": year, **values})
                    self.report.created["target"] += 1
                elif adopted:
                    current.is_current = False
                    retired.append(current)
                    to_create.append(
                        {
                            "indicator_id": ind.pk,
                            "year": year,
                            "version": current.version + 1,
                            "reason": self.reason,
                            **values,
                        }
                    )
                    self._revise("target", label, f"target {year}", current.raw, cell.parsed.raw)
                    self.report.updated["target"] += 1
                else:
                    self._apply(current, values)
                    to_update.append(current)
                    self.report.updated["target"] += 1
        if retired:
            if adopted:
                Target.objects.bulk_update(retired, ["is_current"], batch_size=500)
                _record_bulk(Target, retired, history_type="~")
            else:
                delete_with_history(Target.objects.filter(pk__in=[t.pk for t in retired]))
        if to_update:
            Target.objects.bulk_update(to_update, TARGET_FIELDS, batch_size=500)
            _record_bulk(Target, to_update, history_type="~")
        self._insert_recorded(Target, to_create, of_plan)

    def _write_measurements(self) -> None:
        if not self.d.measurements:
            return
        refusals = {
            year: write_refusal(action=Write.MEASUREMENT, year=year, states=self.states)
            for year in {m.year for m in self.d.measurements}
        }
        rounds: dict[int, Round] = {}
        for year in sorted(refusals):
            found = Round.objects.filter(plan=self.plan, year=year, final=True).first()
            if found is None:
                found = Round.objects.create(
                    plan=self.plan,
                    year=year,
                    period=RoundPeriod.ANNUAL,
                    final=True,
                    label=f"Consuntivo {year}",
                )
            rounds[year] = found
        existing = {(m.indicator_id, m.round_id): m for m in Measurement.objects.filter(round__in=rounds.values())}
        to_create, to_update, changes = [], [], []
        created = 0
        user = actor_or_system(self.user)
        for row in self.d.measurements:
            if len(to_create) >= WRITE_BATCH:
                # The new consuntivi and the history gathered so far go now, and their rows leave memory (issue 11).
                created += len(to_create)
                self._insert_measurements(rounds, to_create, changes)
                to_create, changes = [], []
            ind = self.indicators[row.indicator_key]
            rnd = rounds[row.year]
            values = {
                "raw": row.raw,
                "value_number": row.value_number,
                "value_date": row.value_date,
                "value_bool": row.value_bool,
                "value_level": row.value_level,
                "not_done": row.not_done,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "variables": row.variables,
                "note": row.note,
                "manual_achievement": two_places(row.manual_achievement),
                "manual_reason": row.manual_reason,
            }
            current = existing.get((ind.pk, rnd.pk))
            found = measurement_changes(
                current or Measurement(variables={}), values, user, MeasurementChange.Action.IMPORT
            )
            if found and refusals[row.year]:
                label = f"{row.indicator_key[0]} / {row.indicator_key[1][1:]}"
                self._refuse(refusals[row.year], "Consuntivi", row.row, "Valore", f"il file cambia {label}")
            if current is None:
                to_create.append(
                    {
                        "indicator_id": ind.pk,
                        "round_id": rnd.pk,
                        "year": row.year,
                        "status": MeasurementStatus.ACCEPTED,
                        "updated_by_id": user.pk,
                        **values,
                    }
                )
                changes.extend(((ind.pk, rnd.pk), change) for change in found)
            elif found:
                self._apply(current, values)
                current.version += 1
                current.updated_by = user
                to_update.append(current)
                changes.extend((None, change) for change in found)
            else:
                self.report.unchanged["consuntivi"] += 1
        created += len(to_create)
        if to_update:
            Measurement.objects.bulk_update(to_update, [*MEASUREMENT_FIELDS, "version", "updated_by"], batch_size=500)
        self._insert_measurements(rounds, to_create, changes)
        self.report.created["consuntivi"] += created
        self.report.updated["consuntivi"] += len(to_update)

    def _insert_measurements(self, rounds: dict[int, Round], to_create: list, changes: list) -> None:
        """insert_rows the new consuntivi, then record `changes` (the new ones' ids read back: above the previous
        highest id)."""
        last = Measurement.objects.aggregate(last=models.Max("pk"))["last"] or 0
        insert_rows(Measurement, to_create)
        self._record_changes(rounds, changes, after=last)

    def _record_changes(self, rounds: dict[int, Round], changes: list, *, after: int) -> None:
        """The history of every consuntivo the import wrote: each changed field of an updated one, the value of
        a new one (its id is read back in one query: the rows were inserted without reading ids; they are those
        above `after`)."""
        if not changes:
            return
        if any(key is not None for key, _ in changes):
            new = Measurement.objects.filter(round__in=rounds.values(), pk__gt=after)
            ids = dict(
                ((indicator_id, round_id), pk)
                for pk, indicator_id, round_id in new.values_list("pk", "indicator_id", "round_id")
            )
            for key, change in changes:
                if key is not None:
                    change.measurement_id = ids[key]
        MeasurementChange.objects.bulk_create([change for _, change in changes], batch_size=500)
