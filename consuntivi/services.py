"""Writes on consuntivi (issue 5): rounds, data entry, submission, review, manual achievement, evidence, import.

Every write checks role, unit, round and year here (views only translate the exceptions), runs in one transaction
and records each change of a consuntivo in MeasurementChange. Concurrent edits use optimistic locking: a save
carries the version it was based on and `UPDATE … WHERE version = …` refuses it when someone saved in between.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import ngettext

from consuntivi.history import VALUE_FIELDS, differs, measurement_changes
from consuntivi.models import (
    Evidence,
    Measurement,
    MeasurementChange,
    MeasurementStatus,
    RiskFlag,
    Round,
    RoundPeriod,
    RoundState,
)
from consuntivi.scores import indicator_input
from consuntivi.selectors import (
    EntryRow,
    RoundData,
    UnitStatus,
    entry_row,
    one_indicator_tree,
    round_data,
    user_unit_ids,
    year_close_pending,
)
from indicators.models import Indicator
from indicators.scoring import MISSING, IndicatorScore, score_indicator
from perfplan.audit import audited, record_bulk
from perfplan.formats import date_it, megabytes_it
from perfplan.limits import field_problem, fit_errors, problem_message
from perfplan.permissions import Action, require
from plans.checklist import plan_checklist
from plans.lifecycle import Write, plan_year_get, plan_year_transition, require_open
from plans.models import OrgUnit, Plan, PlanYear, YearState

EDITABLE_BY_UNIT = (
    MeasurementStatus.DRAFT,
    MeasurementStatus.RETURNED,
)  # a submitted or accepted value waits for the planning office

# --- Checks shared by every write ---------------------------------------------------------------------------


def require_planner(user, action: Action = Action.ROUND_MANAGE) -> None:
    """The planning office's writes: managing rounds, or (MEASUREMENT_REVIEW) reviewing the units' values."""
    require(user, action)


def require_round_open(data_round: Round) -> None:
    """Only an open round of a year whose consuntivi are not closed accepts values (domain.md §4)."""
    require_open(plan=data_round.plan_id, action=Write.MEASUREMENT, year=data_round.year, error=PermissionDenied)
    if data_round.state != RoundState.OPEN:
        raise PermissionDenied(f"La rilevazione «{data_round}» è chiusa: non accetta valori.")


# --- Rounds -------------------------------------------------------------------------------------------------


@audited
@transaction.atomic
def round_open(
    *,
    plan: Plan,
    year: int,
    period: str,
    user,
    label: str = "",
    reference_date: dt.date | None = None,
    deadline: dt.date | None = None,
) -> Round:
    """Open a round; the first one of a year moves the year from programmazione to monitoraggio.

    The annual round is the final one (its values score the year); a semestrale round is a provisional check.
    Refused while the plan's checklist (plans/checklist.py, read `for_round`) has a blocking item for the year:
    an operational objective without a unit, an unreadable target of the year. Its warnings do not stop it.
    """
    require_planner(user)
    plan_year = plan_year_get(plan=plan, year=year)
    if plan_year.state != YearState.PLANNED and plan_year.state != YearState.MONITORING:
        raise ValidationError(
            f"L'anno {year} è in stato «{plan_year.get_state_display()}»: per raccogliere altri valori va prima "
            "riaperta la rilevazione finale."
        )
    if Round.objects.filter(plan=plan, year=year, period=period).exists():
        raise ValidationError(
            f"Esiste già una rilevazione {RoundPeriod(period).label.lower()} per il {year}: riaprirla invece di "
            "crearne un'altra."
        )
    blocking = plan_checklist(plan=plan, for_round=True).blocking_for(year)
    if blocking:
        raise ValidationError(
            [
                ngettext(
                    "La rilevazione non può essere aperta: %(n)d punto bloccante della lista di controllo è "
                    "ancora aperto.",
                    "La rilevazione non può essere aperta: %(n)d punti bloccanti della lista di controllo sono "
                    "ancora aperti.",
                    len(blocking),
                )
                % {"n": len(blocking)},
                *(item.message for item in blocking),
            ]
        )
    final = period == RoundPeriod.ANNUAL
    if reference_date is None:
        reference_date = dt.date(year, 12, 31) if final else dt.date(year, 6, 30)
    if deadline is not None and deadline < reference_date and final:
        raise ValidationError("La scadenza per le unità non può precedere la data di riferimento.")
    created = Round.objects.create(
        plan=plan,
        year=year,
        period=period,
        label=label.strip() or (f"Consuntivo {year}" if final else f"Monitoraggio semestrale {year}"),
        reference_date=reference_date,
        deadline=deadline,
        state=RoundState.OPEN,
        final=final,
    )
    if plan_year.state == YearState.PLANNED:
        plan_year_transition(plan_year=plan_year, to_state=YearState.MONITORING, user=user)
    return created


@audited
@transaction.atomic
def round_close(*, data_round: Round, user, confirmed: bool = False) -> Round:
    """Close a round; closing the final round closes the year's consuntivo (see year_close)."""
    require_planner(user)
    locked = Round.objects.select_for_update().get(pk=data_round.pk)
    if locked.state == RoundState.CLOSED:
        raise ValidationError("La rilevazione è già chiusa.")
    require_open(plan=data_round.plan_id, action=Write.REPORT, year=data_round.year)
    if locked.final:
        year_close(plan=data_round.plan, year=data_round.year, user=user, confirmed=confirmed)
        locked.refresh_from_db()
    else:
        locked.state = RoundState.CLOSED
        locked.save(update_fields=["state"])
    data_round.state = locked.state
    return locked


@audited
@transaction.atomic
def year_close(*, plan: Plan, year: int, user, confirmed: bool = False) -> PlanYear:
    """Close the year's consuntivi: every round of the year closes with it (monitoraggio → consuntivo chiuso).

    While units are still at work or values wait for review, closing needs `confirmed` (the page lists what is
    pending first, entry_selectors.year_close_pending); from here on no value of the year can be saved until the
    final round is reopened, with a reason.
    """
    require_planner(user)
    require_open(plan=plan, action=Write.REPORT, year=year)
    pending = year_close_pending(plan=plan, year=year)
    if not pending.is_empty and not confirmed:
        raise ValidationError(
            f"Consuntivi {year} non chiusi: {pending.summary}. Confermare la chiusura dopo averli controllati."
        )
    plan_year = plan_year_get(plan=plan, year=year)
    still_open = Round.objects.filter(plan=plan, year=year, state=RoundState.OPEN)
    if plan_year.state == YearState.PLANNED:  # a year whose values came by import opened no round
        plan_year = plan_year_transition(plan_year=plan_year, to_state=YearState.MONITORING, user=user)
    if plan_year.state == YearState.MONITORING:
        plan_year = plan_year_transition(plan_year=plan_year, to_state=YearState.CLOSED, user=user)
    elif not still_open.exists():
        raise ValidationError(f"Il consuntivo {year} è già chiuso.")
    closing = list(still_open)
    still_open.update(state=RoundState.CLOSED)
    for closed in closing:
        closed.state = RoundState.CLOSED
    record_bulk(Round, closing, history_type="~")
    return plan_year


@audited
@transaction.atomic
def round_reopen(*, data_round: Round, user, reason: str) -> Round:
    """Reopen a closed round; for the final round the year goes back to monitoraggio (a backward move, with reason)."""
    require_planner(user)
    if not reason.strip():
        raise ValidationError("Per riaprire una rilevazione serve la motivazione.")
    locked = Round.objects.select_for_update().get(pk=data_round.pk)
    if locked.state == RoundState.OPEN:
        raise ValidationError("La rilevazione è già aperta.")
    plan_year = plan_year_get(plan=data_round.plan, year=data_round.year)
    if plan_year.state in (YearState.REPORT_APPROVED, YearState.VALIDATED):
        raise PermissionDenied(
            f"L'anno {data_round.year} è in stato «{plan_year.get_state_display()}»: i consuntivi non si riaprono più "
            "da qui."
        )
    if locked.final and plan_year.state == YearState.CLOSED:
        plan_year_transition(plan_year=plan_year, to_state=YearState.MONITORING, user=user, reason=reason)
    elif plan_year.state == YearState.CLOSED:
        raise ValidationError(
            f"Il consuntivo {data_round.year} è chiuso: riaprire prima la rilevazione finale, che riapre l'anno."
        )
    locked.state = RoundState.OPEN
    locked.save(update_fields=["state"])
    data_round.state = locked.state
    return locked


# --- Data entry ---------------------------------------------------------------------------------------------


@dataclass
class EntryValues:
    """What a unit typed for one indicator, already parsed by the form (Italian numbers, dates, SI/NO)."""

    indicator_id: int
    version: int  # the Measurement.version the user saw; 0 = there was none
    raw: str = ""
    value_number: Decimal | None = None
    value_date: dt.date | None = None
    value_bool: bool | None = None
    value_level: str = ""
    not_done: bool = False
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    variables: dict[str, str] = field(default_factory=dict)
    note: str = ""
    files: list[UploadedFile] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VALUE_FIELDS}

    @property
    def is_empty(self) -> bool:
        return (
            not self.raw
            and self.value_number is None
            and self.value_date is None
            and self.value_bool is None
            and not self.value_level
            and not self.not_done
            and self.numerator is None
            and self.denominator is None
            and not self.variables
            and not self.note
            and not self.files
        )


def _scratch(row: EntryRow, values: EntryValues) -> Measurement:
    """An unsaved consuntivo with the typed values over the stored manual achievement: what scoring reads."""
    current = row.measurement
    return Measurement(
        **values.fields(),
        manual_achievement=current.manual_achievement if current is not None else None,
        manual_reason=current.manual_reason if current is not None else "",
    )


def measurement_preview(*, row: EntryRow, values: EntryValues, plan: Plan) -> IndicatorScore:
    """The live achievement of typed values: the scoring core on an unsaved consuntivo (no business logic in JS)."""
    tree = one_indicator_tree(plan, row.indicator, row.target, row.baseline)
    return score_indicator(indicator_input(row.indicator, tree, row.year, _scratch(row, values)), plan.scoring_rules())


@dataclass
class SaveResult:
    saved: int = 0
    unchanged: int = 0
    errors: dict[int, dict[str, str]] = field(default_factory=dict)  # indicator id → field → Italian message
    conflicts: dict[int, Measurement] = field(default_factory=dict)  # indicator id → the value saved by someone else
    scores: dict[int, IndicatorScore] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflicts


def _check_entry(row: EntryRow, values: EntryValues, plan: Plan, result: SaveResult) -> None:
    """Field errors of one row: a value that the rules cannot read, or a missed target without a note."""
    too_large = {"value" if k == "value_number" else k: v for k, v in fit_errors(_scratch(row, values)).items()}
    if too_large:  # the database could not hold it: nothing to score
        result.errors[row.indicator.pk] = too_large
        return
    score = measurement_preview(row=row, values=values, plan=plan)
    result.scores[row.indicator.pk] = score
    errors: dict[str, str] = {}
    if row.measurement is not None and row.measurement.status not in EDITABLE_BY_UNIT:
        errors["value"] = (
            f"Il valore è «{row.measurement.get_status_display().lower()}»: si può modificare solo dopo che "
            "l'ufficio pianificazione lo restituisce."
        )
    if (values.numerator is None) != (values.denominator is None) and values.value_number is None:
        errors["denominator" if values.denominator is None else "numerator"] = (
            "Indicare sia il numeratore sia il denominatore."
        )
    if score.met is False and not values.note.strip():
        errors["note"] = "Il target non è raggiunto: spiegare lo scostamento nella nota."
    for upload in values.files:
        try:
            evidence_check(upload)
        except ValidationError as error:
            errors["evidence"] = error.messages[0]
    if errors:
        result.errors[row.indicator.pk] = errors


def accepted_measurement_create(
    *, indicator: Indicator, data_round: Round, user, values: dict[str, Any], action: str
) -> Measurement:
    """A consuntivo the planning office writes (a manual achievement, an import): accepted at once, every value
    recorded as a change from nothing."""
    m = Measurement.objects.create(
        indicator=indicator,
        round=data_round,
        year=data_round.year,
        status=MeasurementStatus.ACCEPTED,
        updated_by=user,
        **values,
    )
    changes = measurement_changes(Measurement(variables={}), values, user, action)
    for change in changes:
        change.measurement = m
    MeasurementChange.objects.bulk_create(changes)
    return m


def measurement_save(
    *, data_round: Round, user, values: EntryValues, data: RoundData | None = None, row: EntryRow | None = None
) -> SaveResult:
    """Save one row's draft values in its own transaction, locked on that measurement's version only.

    A conflict (someone saved this same consuntivo since `values.version`) is reported in `result.conflicts`, a row
    the rules refuse in `result.errors`; nothing of the row is written then. Refuses (PermissionDenied) a closed
    round, a validated year and an indicator outside the user's units. Reads only that row (entry_row), unless the
    caller already read it for this user (`row`: the row's own save) or read the user's round (`data`:
    measurements_save, one read for every row).
    """
    require_round_open(data_round)
    if row is None and data is not None:
        row = data.row(values.indicator_id)
    elif row is None:
        unit_ids = user_unit_ids(user=user, data_round=data_round)
        row = entry_row(data_round=data_round, indicator_id=values.indicator_id, unit_ids=unit_ids)
    result = SaveResult()
    if row is None or row.indicator.pk != values.indicator_id:
        raise PermissionDenied("Puoi inserire i consuntivi solo degli indicatori delle tue unità organizzative.")
    current = row.measurement
    if current is None and values.is_empty:
        return result
    if current is not None and values.version != current.version:
        if values.files or measurement_differs(current, values.fields()):
            result.conflicts[row.indicator.pk] = current
        else:  # the same values as the stored ones: nothing to decide
            result.unchanged += 1
        return result
    if current is not None and not values.files and not measurement_differs(current, values.fields()):
        result.unchanged += 1
        return result
    _check_entry(row, values, data_round.plan, result)
    if result.errors:
        return result
    with transaction.atomic():
        _write_entry(data_round, row, values, user, result)
    return result


def measurements_save(*, data_round: Round, user, entries: list[EntryValues]) -> SaveResult:
    """Save a unit's draft values row by row: each row in its own transaction (measurement_save), so the valid rows
    are saved and the others come back with their errors or conflicts. A row is one consuntivo: no rule spans two
    rows, so saving some and marking the rest leaves nothing half-done (issue 15 item 5).

    Refuses (PermissionDenied) a closed round, a validated year and indicators outside the user's units, before
    writing anything.
    """
    require_round_open(data_round)
    data = round_data(data_round=data_round, unit_ids=user_unit_ids(user=user, data_round=data_round))
    if any(data.row(values.indicator_id) is None for values in entries):
        raise PermissionDenied("Puoi inserire i consuntivi solo degli indicatori delle tue unità organizzative.")
    result = SaveResult()
    for values in entries:
        one = measurement_save(data_round=data_round, user=user, values=values, data=data)
        result.saved += one.saved
        result.unchanged += one.unchanged
        result.errors.update(one.errors)
        result.conflicts.update(one.conflicts)
        result.scores.update(one.scores)
    return result


def measurement_differs(measurement: Measurement, values: dict[str, Any]) -> bool:
    return any(differs(getattr(measurement, k), v) for k, v in values.items())


def _write_entry(data_round: Round, row: EntryRow, values: EntryValues, user, result: SaveResult) -> None:
    current = row.measurement
    fields = values.fields()
    if current is None:
        try:
            with transaction.atomic():
                current = Measurement.objects.create(
                    indicator=row.indicator,
                    round=data_round,
                    year=data_round.year,
                    updated_by=user,
                    status=MeasurementStatus.DRAFT,
                    **fields,
                )
        except IntegrityError:  # created by someone else since the page was loaded
            result.conflicts[row.indicator.pk] = Measurement.objects.get(indicator=row.indicator, round=data_round)
            return
        blank = Measurement(variables={})
        changes = measurement_changes(blank, fields, user, MeasurementChange.Action.SAVE)
    else:
        changes = measurement_changes(current, fields, user, MeasurementChange.Action.SAVE)
        new_status = MeasurementStatus.DRAFT
        if current.status != new_status:
            changes += measurement_changes(current, {"status": new_status}, user, MeasurementChange.Action.SAVE)
        updated = Measurement.objects.filter(pk=current.pk, version=values.version).update(
            **fields, status=new_status, version=F("version") + 1, updated_by=user, updated_at=timezone.now()
        )
        if updated == 0:
            result.conflicts[row.indicator.pk] = Measurement.objects.get(pk=current.pk)
            return
    for change in changes:
        change.measurement = current
    MeasurementChange.objects.bulk_create(changes)
    for upload in values.files:
        _evidence_store(current, upload, user)
    result.saved += 1


@dataclass
class SubmitResult:
    submitted: int = 0
    problems: list[str] = field(default_factory=list)  # Italian, one per indicator that blocks the submission

    @property
    def ok(self) -> bool:
        return not self.problems


def unit_submit(*, data_round: Round, unit_id: int, user) -> SubmitResult:
    """Submit every draft value of a unit at once; refused while a value is missing, returned or unexplained."""
    require_round_open(data_round)
    if unit_id not in user_unit_ids(user=user, data_round=data_round):
        raise PermissionDenied("Puoi inviare solo i consuntivi delle tue unità organizzative.")
    data = round_data(data_round=data_round, unit_ids={unit_id})
    block = data.block(unit_id)
    result = SubmitResult()
    if block is None:
        result.problems.append("L'unità non ha indicatori da misurare in questa rilevazione.")
        return result
    drafts: list[Measurement] = []
    for row in block.rows:
        label = row.indicator.label
        if row.measurement is None or (row.score.status == MISSING and row.measurement.manual_achievement is None):
            result.problems.append(f"{label}: manca il valore ({row.score.reason})")
        elif row.status == MeasurementStatus.RETURNED:
            result.problems.append(f"{label}: restituito dall'ufficio pianificazione, correggere e salvare")
        elif row.score.met is False and not row.measurement.note.strip():
            result.problems.append(f"{label}: target non raggiunto, manca la nota sullo scostamento")
        elif row.status == MeasurementStatus.DRAFT:
            drafts.append(row.measurement)
    if result.problems:
        return result
    if not drafts:
        result.problems.append("Non ci sono valori in bozza da inviare.")
        return result
    with transaction.atomic():
        changes = []
        for m in drafts:
            updated = Measurement.objects.filter(pk=m.pk, version=m.version, status=MeasurementStatus.DRAFT).update(
                status=MeasurementStatus.SUBMITTED, review_comment="", version=F("version") + 1, updated_by=user
            )
            if updated == 0:
                transaction.set_rollback(True)
                return SubmitResult(
                    problems=[f"{m.indicator.label}: modificato da un altro utente, ricaricare la pagina"]
                )
            changes += measurement_changes(
                m, {"status": MeasurementStatus.SUBMITTED}, user, MeasurementChange.Action.SUBMIT
            )
        MeasurementChange.objects.bulk_create(changes)
    result.submitted = len(drafts)
    return result


# --- Review by the planning office --------------------------------------------------------------------------


def _measurement_for_review(data_round: Round, indicator_id: int) -> Measurement:
    m = Measurement.objects.select_related("indicator").filter(round=data_round, indicator_id=indicator_id).first()
    if m is None:
        raise ValidationError("Non c'è ancora un consuntivo per questo indicatore.")
    return m


@transaction.atomic
def measurement_accept(*, data_round: Round, indicator_ids: list[int], user) -> int:
    """Accept submitted values (inviato → verificato); returns how many were accepted."""
    require_planner(user, Action.MEASUREMENT_REVIEW)
    require_round_open(data_round)
    measurements = list(
        Measurement.objects.filter(
            round=data_round, indicator_id__in=indicator_ids, status=MeasurementStatus.SUBMITTED
        ).select_for_update()
    )
    if not measurements:
        raise ValidationError("Nessun valore inviato da accettare.")
    changes = []
    for m in measurements:
        changes += measurement_changes(m, {"status": MeasurementStatus.ACCEPTED}, user, MeasurementChange.Action.ACCEPT)
    Measurement.objects.filter(pk__in=[m.pk for m in measurements]).update(
        status=MeasurementStatus.ACCEPTED, version=F("version") + 1, updated_by=user
    )
    MeasurementChange.objects.bulk_create(changes)
    return len(measurements)


@transaction.atomic
def measurement_return(*, data_round: Round, indicator_id: int, user, comment: str) -> Measurement:
    """Return a value to its unit (da rivedere) with the comment that says what to fix."""
    require_planner(user, Action.MEASUREMENT_REVIEW)
    require_round_open(data_round)
    if not comment.strip():
        raise ValidationError("Per restituire un valore serve un commento che dica cosa correggere.")
    m = _measurement_for_review(data_round, indicator_id)
    if m.status not in (MeasurementStatus.SUBMITTED, MeasurementStatus.ACCEPTED):
        raise ValidationError("Si può restituire solo un valore inviato o verificato.")
    changes = measurement_changes(
        m, {"status": MeasurementStatus.RETURNED}, user, MeasurementChange.Action.RETURN, comment.strip()
    )
    Measurement.objects.filter(pk=m.pk).update(
        status=MeasurementStatus.RETURNED, review_comment=comment.strip(), version=F("version") + 1, updated_by=user
    )
    MeasurementChange.objects.bulk_create(changes)
    m.refresh_from_db()
    return m


@transaction.atomic
def measurement_set_manual(
    *, data_round: Round, indicator_id: int, user, achievement: Decimal | None, reason: str, version: int
) -> Measurement:
    """Set (or clear, with None) a manual achievement; only the planning office, always with a reason."""
    require_planner(user, Action.MEASUREMENT_REVIEW)
    require_round_open(data_round)
    reason = reason.strip()
    if achievement is not None and not reason:
        raise ValidationError({"reason": "Il raggiungimento manuale richiede la motivazione."})
    if achievement is not None and achievement < 0:
        raise ValidationError({"achievement": "Il raggiungimento non può essere negativo."})
    reason_too_large = field_problem(Measurement, "manual_achievement", achievement)
    if reason_too_large:
        raise ValidationError({"achievement": problem_message("raggiungimento manuale", reason_too_large)})
    indicator = Indicator.objects.filter(pk=indicator_id, objective__plan_id=data_round.plan_id).first()
    if indicator is None:
        raise ValidationError("L'indicatore non appartiene al piano della rilevazione.")
    values = {
        "manual_achievement": achievement.quantize(Decimal("0.01")) if achievement is not None else None,
        "manual_reason": reason if achievement is not None else "",
    }
    m = Measurement.objects.filter(round=data_round, indicator=indicator).first()
    if m is None:
        if version != 0:
            raise _conflict()
        return accepted_measurement_create(
            indicator=indicator, data_round=data_round, user=user, values=values, action=MeasurementChange.Action.MANUAL
        )
    changes = measurement_changes(m, values, user, MeasurementChange.Action.MANUAL)
    updated = Measurement.objects.filter(pk=m.pk, version=version).update(
        **values, version=F("version") + 1, updated_by=user
    )
    if updated == 0:
        raise _conflict()
    for change in changes:
        change.measurement = m
    MeasurementChange.objects.bulk_create(changes)
    m.refresh_from_db()
    return m


# --- Monitoring: the Responsabile's «a rischio» flag --------------------------------------------------------------


def _require_flaggable(data_round: Round, indicator_id: int, user) -> None:
    """Only the Responsabile of the indicator's unit (or a parent unit), in a year whose consuntivi are not closed.

    The round itself may be closed: a flag is a monitoring judgement on its values, not a value.
    """
    require(user, Action.MEASUREMENT_ENTER)
    require_open(plan=data_round.plan_id, action=Write.MEASUREMENT, year=data_round.year, error=PermissionDenied)
    unit_ids = user_unit_ids(user=user, data_round=data_round)
    if entry_row(data_round=data_round, indicator_id=indicator_id, unit_ids=unit_ids) is None:
        raise PermissionDenied("Puoi segnalare a rischio solo gli indicatori delle tue unità organizzative.")


@transaction.atomic
def risk_flag_set(*, data_round: Round, indicator_id: int, user, reason: str) -> RiskFlag:
    """Flag an indicator «a rischio» in a round, with the reason (set again: the reason changes)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Per segnalare un indicatore a rischio serve la motivazione."})
    problem = field_problem(RiskFlag, "reason", reason)
    if problem:
        raise ValidationError({"reason": problem_message("motivazione", problem)})
    _require_flaggable(data_round, indicator_id, user)
    flag, _ = RiskFlag.objects.update_or_create(
        round=data_round, indicator_id=indicator_id, defaults={"reason": reason, "flagged_by": user}
    )
    return flag


@transaction.atomic
def risk_flag_clear(*, data_round: Round, indicator_id: int, user) -> bool:
    """Remove the flag (the indicator is judged by the rule alone again); whether there was one."""
    _require_flaggable(data_round, indicator_id, user)
    deleted, _ = RiskFlag.objects.filter(round=data_round, indicator_id=indicator_id).delete()
    return bool(deleted)


def _conflict() -> ValidationError:
    return ValidationError(
        "Il consuntivo è stato modificato da un altro utente mentre lo guardavi: ricarica la pagina e riprova.",
        code="conflict",
    )


# --- Reminders ----------------------------------------------------------------------------------------------


@dataclass
class ReminderResult:
    sent: list[str] = field(default_factory=list)  # unit codes reminded
    without_recipient: list[str] = field(default_factory=list)  # units whose leaders have no e-mail address


REMIND_BATCH = 20  # messages handed to the e-mail connection at a time, each batch reported to `progress`


def round_remind(
    *, data_round: Round, user, link: str, progress: Callable[[int, int], None] | None = None
) -> ReminderResult:
    """E-mail the leaders of every unit that has not submitted yet (Django's e-mail backend), over one connection;
    `progress(sent, total)` after each batch of messages."""
    require_planner(user)
    require_round_open(data_round)
    data = round_data(data_round=data_round)
    pending = [b for b in data.blocks if b.status in (UnitStatus.NOT_STARTED, UnitStatus.DRAFT, UnitStatus.RETURNED)]
    leaders: dict[int, list[str]] = {}
    for unit in OrgUnit.objects.filter(pk__in=[b.unit.pk for b in pending]).prefetch_related("leaders"):
        leaders[unit.pk] = sorted({u.email for u in unit.leaders.all() if u.email})
    result = ReminderResult()
    deadline = f" entro il {date_it(data_round.deadline)}" if data_round.deadline else ""
    messages = []
    for block in pending:
        recipients = leaders.get(block.unit.pk, [])
        if not recipients:
            result.without_recipient.append(block.unit.code)
            continue
        missing = len(block.rows) - block.done
        still = ngettext("%(n)d consuntivo", "%(n)d consuntivi", missing) % {"n": missing}
        body = (
            f"Gentile responsabile,\n\nnella rilevazione «{data_round}» del piano «{data_round.plan.title}» l'unità "
            f"{block.unit.code} – {block.unit.name} ha ancora {still} da inviare{deadline}.\n"
            f"Stato attuale: {block.status_label.lower()}.\n\nPer inserirli: {link}\n\n"
            "Ufficio pianificazione e controllo di gestione"
        )
        messages.append(
            EmailMessage(
                subject=f"Promemoria: consuntivi {data_round} – {block.unit.code}",
                body=body,
                to=recipients,
            )
        )
        result.sent.append(block.unit.code)
    if progress is not None:
        progress(0, len(messages))
    if messages:
        with get_connection() as connection_:
            for start in range(0, len(messages), REMIND_BATCH):
                connection_.send_messages(messages[start : start + REMIND_BATCH])
                if progress is not None:
                    progress(min(start + REMIND_BATCH, len(messages)), len(messages))
    return result


# --- Evidence -----------------------------------------------------------------------------------------------

EVIDENCE_TYPES = {
    # extension → (content type, magic bytes at the start of the file)
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
}


# Zip-based documents: the first bytes only say "zip"; the package must also hold the part its format requires.
OOXML_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
ODF_MIMETYPE = {
    ".odt": b"application/vnd.oasis.opendocument.text",
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
}


def _is_package(upload: UploadedFile, extension: str) -> bool:
    """Whether a zip upload is really the OOXML or ODF document its extension says (read from the zip directory and
    the tiny `mimetype` entry only), so a zip renamed .docx is refused."""
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
            if extension in OOXML_MAIN_PART:
                return "[Content_Types].xml" in names and OOXML_MAIN_PART[extension] in names
            if extension in ODF_MIMETYPE:
                info = package.getinfo("mimetype")
                return info.file_size < 200 and package.read(info).strip() == ODF_MIMETYPE[extension]
            return True
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
        return False
    finally:
        upload.seek(0)


def evidence_max_bytes() -> int:
    return getattr(settings, "MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)


def evidence_check(upload: UploadedFile) -> str:
    """The content type of an acceptable attachment: by extension AND by the file's first bytes."""
    name = upload.name or ""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(sorted({e.lstrip(".").upper() for e in EVIDENCE_TYPES}))
    if extension not in EVIDENCE_TYPES:
        raise ValidationError(f"«{name}»: tipo di file non ammesso (ammessi: {allowed}).")
    limit = evidence_max_bytes()
    if upload.size > limit:
        raise ValidationError(
            f"«{name}» è troppo grande ({megabytes_it(upload.size)}): il limite è {megabytes_it(limit)}."
        )
    content_type, signatures = EVIDENCE_TYPES[extension]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = extension.lstrip(".").upper()
    if not any(head.startswith(signature) for signature in signatures):
        raise ValidationError(f"«{name}»: il contenuto non corrisponde a un file {kind}.")
    if signatures == (b"PK\x03\x04",) and not _is_package(upload, extension):
        raise ValidationError(f"«{name}»: il contenuto non è un documento {kind} valido (è un altro archivio zip?).")
    return content_type


def _evidence_store(measurement: Measurement, upload: UploadedFile, user) -> Evidence:
    content_type = evidence_check(upload)
    evidence = Evidence(
        measurement=measurement,
        original_name=(upload.name or "allegato")[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=user,
    )
    evidence.file.save(upload.name or "allegato", upload, save=False)
    evidence.save()
    MeasurementChange.objects.create(
        measurement=measurement,
        user=user,
        action=MeasurementChange.Action.EVIDENCE,
        field="Allegato",
        new_value=evidence.original_name,
    )
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, user) -> None:
    """Remove an attachment while its value is still editable by the unit."""
    measurement = evidence.measurement
    require_round_open(measurement.round)
    if measurement.round.plan.ente_id is None or measurement.indicator_id is None:
        raise PermissionDenied
    unit_ids = user_unit_ids(user=user, data_round=measurement.round)
    if entry_row(data_round=measurement.round, indicator_id=measurement.indicator_id, unit_ids=unit_ids) is None:
        raise PermissionDenied("Puoi rimuovere solo gli allegati delle tue unità organizzative.")
    if measurement.status not in EDITABLE_BY_UNIT:
        raise ValidationError("Il valore è già stato inviato: l'allegato non si può più rimuovere.")
    MeasurementChange.objects.create(
        measurement=measurement,
        user=user,
        action=MeasurementChange.Action.EVIDENCE,
        field="Allegato",
        old_value=evidence.original_name,
    )
    evidence.file.delete(save=False)
    evidence.delete()
