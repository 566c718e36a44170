"""A background job as the pages see it: what it does, for whom, how far it got, and how it ended.

The queue itself is django-tasks' (its database backend's table, `django_tasks_db.DBTaskResult`); a Job is our row
beside it, written by the running task (progress) and read by the page that polls it (jobs/views.py). It outlives a
page reload: the page finds the job again by its plan and year, or by its id in the URL.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plans.models import PlanKind


class JobKind(models.TextChoices):
    RELAZIONE_DRAFT = "relazione_anteprima", "Anteprima PDF della Relazione"
    RELAZIONE_VALIDATE = "relazione_validazione", "Validazione della Relazione e PDF definitivo"
    PLAN_IMPORT = "piano_importazione", "Importazione del piano da Excel"
    ROUND_REMIND = "rilevazione_promemoria", "Promemoria della rilevazione"
    PLAN_DOCUMENT = "piano_documento", "Sezione 2 del PIAO (o Piano della performance)"
    MONITORING_REPORT = "rapporto_monitoraggio", "Rapporto di monitoraggio"


def worker_alive(*, now: dt.datetime | None = None) -> bool:
    """A worker took or finished a job in the last JOBS_MAX_WAIT_SECONDS, or is on one it took less than
    JOBS_ABANDONED_SECONDS ago (a longer one was abandoned by a killed worker): busy, maybe, but not down."""
    now = now or timezone.now()
    recent = now - dt.timedelta(seconds=settings.JOBS_MAX_WAIT_SECONDS)
    results = DBTaskResult.objects
    if results.filter(Q(started_at__gte=recent) | Q(finished_at__gte=recent)).exists():
        return True
    taken_since = now - dt.timedelta(seconds=settings.JOBS_ABANDONED_SECONDS)
    return results.running().filter(started_at__gte=taken_since).exists()


# The jobs that make a file to download (a PIAO section, a monitoring report): kept JOBS_DOCUMENT_HOURS, then deleted.
DOCUMENT_KINDS = (JobKind.PLAN_DOCUMENT, JobKind.MONITORING_REPORT)
DOCUMENT_FOLDER = "lavori/documenti"


class JobState(models.TextChoices):
    QUEUED = "in_coda", "In coda"
    RUNNING = "in_corso", "In corso"
    DONE = "completato", "Completato"
    FAILED = "fallito", "Non riuscito"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    kind = models.CharField("tipo", max_length=30, choices=JobKind.choices)
    state = models.CharField("stato", max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="richiesto da"
    )
    ente = models.ForeignKey("plans.Ente", on_delete=models.CASCADE, null=True, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    year = models.PositiveIntegerField("anno", null=True, blank=True)
    round = models.ForeignKey("consuntivi.Round", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    params = models.JSONField("parametri", default=dict, blank=True)  # what the task needs beyond the ids above
    done = models.PositiveIntegerField("fatto", default=0)
    total = models.PositiveIntegerField("totale", default=0)
    message = models.CharField("avanzamento", max_length=200, blank=True)
    result = models.JSONField("esito", default=dict, blank=True)  # the import report, the units reminded, …
    artifact = models.ForeignKey(
        "reports.RelazioneArtifact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the PDF made
    file = models.FileField("documento", upload_to=DOCUMENT_FOLDER, blank=True, max_length=300)  # DOCUMENT_KINDS
    filename = models.CharField("nome del file", max_length=200, blank=True)  # as the browser saves it
    error = models.TextField("errore", blank=True)  # in Italian, for the page
    task_id = models.CharField("id del task", max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField("creato", auto_now_add=True)
    started_at = models.DateTimeField("iniziato", null=True, blank=True)
    finished_at = models.DateTimeField("finito", null=True, blank=True)

    class Meta:
        verbose_name = "lavoro in background"
        verbose_name_plural = "lavori in background"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["plan", "year", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def active(self) -> bool:
        """Queued or running, and not abandoned: the page polls it, and a new request follows it."""
        return self.state in ACTIVE_STATES and not self.abandoned

    @property
    def abandoned(self) -> bool:
        """Running for longer than JOBS_ABANDONED_SECONDS: its worker was killed in the middle (the biggest render
        takes minutes), so the job will not end; it can be asked again."""
        if self.state != JobState.RUNNING or self.started_at is None:
            return False
        return (timezone.now() - self.started_at).total_seconds() > settings.JOBS_ABANDONED_SECONDS

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def is_document(self) -> bool:
        return self.kind in DOCUMENT_KINDS

    @property
    def kept_until(self):
        """When a document's file is deleted (jobs.services.documents_prune): JOBS_DOCUMENT_HOURS after it was made."""
        return self.finished_at + dt.timedelta(hours=settings.JOBS_DOCUMENT_HOURS) if self.finished_at else None

    @property
    def expired(self) -> bool:
        """A document whose file is gone, or past kept_until (documents_prune deletes it when the next is asked)."""
        return not self.file or (self.kept_until is not None and self.kept_until < timezone.now())

    @property
    def display_name(self) -> str:
        """What the job is, for its page: a document says which (year or date, format)."""
        name = self.get_kind_display()
        if self.kind == JobKind.PLAN_DOCUMENT:
            name = "Sezione 2 del PIAO" if self.plan.kind == PlanKind.PIAO else "Piano della performance"
            return f"{name} {self.year}, {self.params.get('fmt', '').upper()}"
        if self.kind == JobKind.MONITORING_REPORT:
            return f"{name} al {self.round.period_end:%d/%m/%Y}, {self.params.get('fmt', '').upper()}"
        return name

    @property
    def status_url(self) -> str:
        """The page (and the htmx fragment) of the job, under the URLs of its app (jobs' own for a document)."""
        if self.is_document:
            return reverse("jobs:document", args=[self.pk])
        if self.kind == JobKind.PLAN_IMPORT:
            return reverse("plans:import_job", args=[self.pk])
        if self.kind == JobKind.ROUND_REMIND:
            return reverse("consuntivi:remind_job", args=[self.round_id, self.pk])
        return reverse("reports:job", args=[self.plan_id, self.year, self.pk])

    @property
    def waiting_too_long(self) -> bool:
        """Still queued after JOBS_MAX_WAIT_SECONDS and no worker alive: it seems stopped (the health check agrees);
        a worker busy with other jobs is not stopped."""
        waited = (timezone.now() - self.created_at).total_seconds()
        return self.state == JobState.QUEUED and waited > settings.JOBS_MAX_WAIT_SECONDS and not worker_alive()
