"""Running a job (the worker's task, jobs/tasks.py): the row goes in_corso, the domain service does the work and
reports its progress into the row, then completato with its result, or fallito with the reason in Italian."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import get_random_string

from consuntivi.monitoring import monitoring_state
from consuntivi.services import round_remind
from jobs.models import DOCUMENT_FOLDER, Job, JobKind, JobState
from perfplan.formats import number_it
from perfplan.permissions import Action, require
from plans.models import Plan
from reports.models import Relazione
from reports.monitoring import monitoring_docx, monitoring_pdf, report_from_state
from reports.piao.data import piao_data
from reports.piao.documents import piao_docx, piao_filename, piao_pdf
from reports.selectors import final_artifact
from reports.services import ValidationInput, relazione_get_or_create, relazione_render_draft, relazione_validate
from workbook.uploads import PendingImport, import_run

logger = logging.getLogger("jobs")

# The action a user needs to start a job of a kind, and to see its state and result.
KIND_ACTION = {
    JobKind.RELAZIONE_DRAFT: Action.RELAZIONE_RENDER,
    JobKind.RELAZIONE_VALIDATE: Action.RELAZIONE_RENDER,  # started by the OIV (RELAZIONE_VALIDATE); planners follow it
    JobKind.PLAN_IMPORT: Action.PLAN_IMPORT,
    JobKind.ROUND_REMIND: Action.ROUND_MANAGE,
    JobKind.PLAN_DOCUMENT: Action.READ,  # a download: whoever reads the plan, the OIV included
    JobKind.MONITORING_REPORT: Action.READ,
}

PROGRESS_EVERY = 0.5  # seconds: progress is written at most this often (always at the end of a step count)
UNEXPECTED = (
    "Errore imprevisto durante il lavoro: nulla è stato salvato. Riprovare; se l'errore si ripete, "
    "segnalarlo all'amministratore indicando il numero del lavoro."
)


class Reporter:
    """Writes a job's progress into its row, one UPDATE at a time, at most every PROGRESS_EVERY seconds.

    A job's service may report from inside its own transaction (the plan import writes all in one): there the
    UPDATE would show only at the commit. On PostgreSQL it then goes through a connection of its own, committed at
    once, so the page sees the rows being written; SQLite lets one writer at a time, so there it waits for the end.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.last = 0.0
        self.side = None  # the connection of its own, opened when first needed

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_aside(done, total, message[:200])
        else:
            Job.objects.filter(pk=self.job.pk).update(done=done, total=total, message=message[:200])

    def _write_aside(self, done: int, total: int, message: str) -> None:
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        ops = self.side.ops
        table, columns = ops.quote_name(Job._meta.db_table), [ops.quote_name(c) for c in ("done", "total", "message")]
        sql = f"UPDATE {table} SET {columns[0]} = %s, {columns[1]} = %s, {columns[2]} = %s WHERE id = %s"
        with self.side.cursor() as cursor:  # autocommit: visible at once
            cursor.execute(sql, [done, total, message, self.job.pk])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None

    def pages(self, done: int, total: int, pages: int) -> None:
        """reports.pdf's progress: steps of the render, and the pages drawn so far."""
        self(done, total, f"Pagine generate: {number_it(pages)}")

    def rows(self, done: int, total: int, message: str) -> None:
        self(done, total, message)

    def mails(self, done: int, total: int) -> None:
        self(done, total, f"Promemoria inviati: {number_it(done)} di {number_it(total)}")


def job_run(job_id: int) -> None:
    """Run one job (the worker's task). Its failure is the job's, in Italian; the task itself always ends well."""
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # run already, or deleted
        return
    job = Job.objects.select_related("owner", "plan", "plan__ente", "round", "round__plan").get(pk=job_id)
    reporter = Reporter(job)
    try:
        if job.owner is None:
            raise PermissionDenied("L'utente che ha chiesto il lavoro non esiste più.")
        require(job.owner, KIND_ACTION[job.kind])
        outcome = RUNNERS[job.kind](job, reporter)
    except ValidationError as error:
        _finish(job, state=JobState.FAILED, error=_validation_text(error))
    except PermissionDenied as error:
        _finish(job, state=JobState.FAILED, error=str(error) or "Operazione non consentita.")
    except (Http404, ObjectDoesNotExist):
        _finish(job, state=JobState.FAILED, error="Quello che il lavoro doveva trattare non esiste più.")
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(job, state=JobState.FAILED, error=UNEXPECTED)
    else:
        _finish(job, **outcome)
    finally:
        reporter.close()
        _drop_inputs(job)


def _finish(job: Job, **fields) -> None:
    """The job's end, in one UPDATE: its state (completato unless told), result, PDF, reason of a failure."""
    fields = {"state": JobState.DONE, "error": "", **fields}
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)


def _validation_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return " ".join(error.messages)


def _drop_inputs(job: Job) -> None:
    name = job.params.get("attachment_path")
    if name:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def _relazione(job: Job) -> Relazione:
    return relazione_get_or_create(plan=job.plan, year=job.year)


def _run_draft(job: Job, reporter: Reporter) -> dict[str, Any]:
    artifact = relazione_render_draft(relazione=_relazione(job), user=job.owner, progress=reporter.pages)
    return {"artifact": artifact, "message": f"Pagine generate: {number_it(artifact.pages)}"}


def _run_validate(job: Job, reporter: Reporter) -> dict[str, Any]:
    p = job.params
    attachment = None
    if p.get("attachment_path"):
        with default_storage.open(p["attachment_path"], "rb") as handle:
            attachment = handle.read()
    data = ValidationInput(
        date=dt.date.fromisoformat(p["date"]) if p.get("date") else None,
        outcome=p.get("outcome", ""),
        text=p.get("text", ""),
        members=p.get("members", ""),
        checklist=list(p.get("checklist", [])),
        attachment_name=p.get("attachment_name", ""),
        attachment=attachment,
        section_conclusions=dict(p.get("section_conclusions", {})),
    )
    relazione = Relazione.objects.select_related("plan", "plan__ente").get(plan=job.plan, year=job.year)
    relazione_validate(relazione=relazione, data=data, user=job.owner, progress=reporter.pages)
    artifact = final_artifact(relazione=relazione)
    pages = artifact.pages if artifact else 0
    return {"artifact": artifact, "message": f"Pagine generate: {number_it(pages)}"}


def _run_import(job: Job, reporter: Reporter) -> dict[str, Any]:
    p = job.params
    pending = PendingImport(token=p["token"], name=p.get("name", ""), size=p.get("size", 0))
    if not default_storage.exists(pending.path):
        raise ValidationError("Il file caricato non è più disponibile: caricarlo di nuovo.")
    report = import_run(
        pending=pending, user=job.owner, dry_run=False, reason=p.get("reason", ""), progress=reporter.rows
    )
    default_storage.delete(pending.path)  # imported, or refused: either way a new try is a new upload
    outcome: dict[str, Any] = {"result": report.as_dict()}
    if report.ok:
        outcome["plan"] = Plan.objects.get(pk=report.plan_id)
        return outcome
    errors = f"{number_it(report.error_count)} {'errore' if report.error_count == 1 else 'errori'}"
    outcome["state"] = JobState.FAILED
    outcome["error"] = f"Importazione non eseguita: {errors} nel file; nulla è stato scritto."
    return outcome


def _run_remind(job: Job, reporter: Reporter) -> dict[str, Any]:
    result = round_remind(
        data_round=job.round, user=job.owner, link=job.params.get("link", ""), progress=reporter.mails
    )
    sent = len(result.sent)
    return {
        "result": {"sent": result.sent, "without_recipient": result.without_recipient},
        "message": f"Promemoria inviati: {number_it(sent)}",
        "done": sent,
        "total": sent,
    }


def _run_plan_document(job: Job, reporter: Reporter) -> dict[str, Any]:
    """Section 2 of the PIAO (or the plain plan) of a year: a 10.000-indicator plan is 580 pages and 100 s."""
    fmt = job.params["fmt"]
    reporter(0, 3, "Lettura del piano")
    data = piao_data(plan=job.plan, year=job.year)
    reporter(1, 3, "Impaginazione del PDF" if fmt == "pdf" else "Scrittura del documento Word")
    content, pages = piao_pdf(data) if fmt == "pdf" else (piao_docx(data), 0)
    return _document(job, reporter, content, piao_filename(data, f".{fmt}"), pages)


def _run_monitoring_report(job: Job, reporter: Reporter) -> dict[str, Any]:
    """The rapporto di monitoraggio at the round's period end, dated the day it was asked."""
    fmt = job.params["fmt"]
    reporter(0, 3, "Calcolo dello stato degli obiettivi")
    data_round = job.round
    state = monitoring_state(plan=job.plan, year=data_round.year, data_round=data_round)
    report = report_from_state(state, today=dt.date.fromisoformat(job.params["today"]))
    reporter(1, 3, "Impaginazione del PDF" if fmt == "pdf" else "Scrittura del documento Word")
    content, pages = monitoring_pdf(report) if fmt == "pdf" else (monitoring_docx(report), 0)
    name = f"monitoraggio-{job.plan.ente.code}-{data_round.period_end:%Y-%m-%d}.{fmt}"
    return _document(job, reporter, content, name, pages)


def _document(job: Job, reporter: Reporter, content: bytes, filename: str, pages: int) -> dict[str, Any]:
    """Store the file made under a random name (two jobs may make the same file; the browser gets `filename`) and
    say what it is."""
    reporter(2, 3, "Salvataggio del documento")
    suffix = filename[filename.rfind(".") :]
    name = default_storage.save(f"{DOCUMENT_FOLDER}/{get_random_string(32)}{suffix}", ContentFile(content))
    size = f"{number_it(max(1, round(len(content) / 1024)))} KB"
    message = f"{number_it(pages)} pagine, {size}" if pages else size
    result = {"pages": pages, "bytes": len(content)}
    return {"file": name, "filename": filename, "result": result, "message": message, "done": 3, "total": 3}


RUNNERS: dict[str, Callable[[Job, Reporter], dict[str, Any]]] = {
    JobKind.RELAZIONE_DRAFT: _run_draft,
    JobKind.RELAZIONE_VALIDATE: _run_validate,
    JobKind.PLAN_IMPORT: _run_import,
    JobKind.ROUND_REMIND: _run_remind,
    JobKind.PLAN_DOCUMENT: _run_plan_document,
    JobKind.MONITORING_REPORT: _run_monitoring_report,
}
