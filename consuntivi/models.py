"""Consuntivi: the data-entry rounds, the values the units record, their history and their evidence.

The tables keep the names they had when these models lived in the indicators app (db_table), so moving them
here (migrations consuntivi 0001 and indicators 0004) changed no data.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from indicators.models import Indicator
from perfplan.history import AuditedRecords
from plans.models import Plan


class RoundPeriod(models.TextChoices):
    ANNUAL = "annual", "Annuale"
    SEMESTER = "semester", "Semestrale"


class RoundState(models.TextChoices):
    OPEN = "open", "Aperta"
    CLOSED = "closed", "Chiusa"


class Round(models.Model):
    """A data-entry round (campagna di rilevazione); only the final round's values score the year."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rounds", verbose_name="piano")
    year = models.PositiveIntegerField("anno")
    period = models.CharField("periodo", max_length=10, choices=RoundPeriod.choices, default=RoundPeriod.ANNUAL)
    label = models.CharField("descrizione", max_length=200, blank=True)
    reference_date = models.DateField("data di riferimento", null=True, blank=True)
    deadline = models.DateField("scadenza", null=True, blank=True)
    state = models.CharField("stato", max_length=10, choices=RoundState.choices, default=RoundState.OPEN)
    final = models.BooleanField("rilevazione finale", default=False)

    history = AuditedRecords(table_name="indicators_historicalround")

    class Meta:
        db_table = "indicators_round"
        verbose_name = "rilevazione"
        verbose_name_plural = "rilevazioni"
        ordering = ["plan", "year", "period"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], condition=Q(final=True), name="round_one_final_per_year"),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_period_display()} {self.year}"

    @property
    def period_end(self) -> dt.date:
        """The last day the round's values describe: its reference date, else 30/06 (semester) or 31/12 (annual)."""
        if self.reference_date is not None:
            return self.reference_date
        return dt.date(self.year, 6, 30) if self.period == RoundPeriod.SEMESTER else dt.date(self.year, 12, 31)


class MeasurementStatus(models.TextChoices):
    DRAFT = "bozza", "Bozza"
    SUBMITTED = "inviato", "Inviato"
    ACCEPTED = "verificato", "Verificato"
    RETURNED = "da_rivedere", "Da rivedere"


class Measurement(models.Model):
    """A consuntivo: the actual value of an indicator in a round, or the measures it comes from."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="measurements", verbose_name="rilevazione")
    year = models.PositiveIntegerField("anno")
    raw = models.CharField("valore (testo)", max_length=200, blank=True)
    value_number = models.DecimalField("valore", max_digits=24, decimal_places=6, null=True, blank=True)
    value_date = models.DateField("data", null=True, blank=True)
    value_bool = models.BooleanField("SI/NO", null=True, blank=True)
    value_level = models.CharField("giudizio", max_length=20, blank=True)
    not_done = models.BooleanField("non realizzato", default=False)
    numerator = models.DecimalField("numeratore", max_digits=24, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField("denominatore", max_digits=24, decimal_places=6, null=True, blank=True)
    variables = models.JSONField("variabili", default=dict, blank=True)
    note = models.TextField("note sullo scostamento", blank=True)
    manual_achievement = models.DecimalField(
        "raggiungimento manuale (%)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    manual_reason = models.TextField("motivazione", blank=True)
    review_comment = models.TextField("commento della verifica", blank=True)  # why it was returned (da rivedere)
    status = models.CharField(
        "stato", max_length=12, choices=MeasurementStatus.choices, default=MeasurementStatus.DRAFT
    )
    version = models.PositiveIntegerField("versione", default=1)  # optimistic locking for concurrent edits
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("modificato il", auto_now=True)

    class Meta:
        db_table = "indicators_measurement"
        verbose_name = "consuntivo"
        verbose_name_plural = "consuntivi"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "round"], name="measurement_one_per_indicator_round"),
            # A manual achievement always carries its reason (scoring.md §1).
            models.CheckConstraint(
                condition=Q(manual_achievement__isnull=True) | ~Q(manual_reason=""),
                name="measurement_manual_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(manual_achievement__isnull=True) | Q(manual_achievement__gte=0),
                name="measurement_manual_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}: {self.raw}"


class MeasurementChange(models.Model):
    """One change to a consuntivo (who, when, what: old → new), written by the service that made it."""

    class Action(models.TextChoices):
        SAVE = "save", "Salvataggio"
        SUBMIT = "submit", "Invio"
        ACCEPT = "accept", "Accettazione"
        RETURN = "return", "Restituzione"
        MANUAL = "manual", "Raggiungimento manuale"
        IMPORT = "import", "Importazione"
        EVIDENCE = "evidence", "Allegato"

    measurement = models.ForeignKey(
        Measurement, on_delete=models.CASCADE, related_name="changes", verbose_name="consuntivo"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="utente",
    )
    at = models.DateTimeField("data", auto_now_add=True)
    action = models.CharField("operazione", max_length=10, choices=Action.choices)
    field = models.CharField("campo", max_length=60, blank=True)
    old_value = models.TextField("valore precedente", blank=True)
    new_value = models.TextField("nuovo valore", blank=True)
    comment = models.TextField("commento", blank=True)

    class Meta:
        db_table = "indicators_measurementchange"
        verbose_name = "modifica di un consuntivo"
        verbose_name_plural = "storico dei consuntivi"
        ordering = ["measurement", "-at", "-id"]
        # The history page reads one consuntivo's changes, newest first.
        indexes = [models.Index(fields=["measurement", "at"], name="measurementchange_by_time")]

    def __str__(self) -> str:
        return f"{self.measurement_id} {self.field}: {self.old_value} → {self.new_value}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    """Files live under the round, so a plan's evidence can be found (and purged) together."""
    return f"evidenze/rilevazione-{instance.measurement.round_id}/{instance.measurement.indicator_id}/{filename}"


class Evidence(models.Model):
    """A document that supports a consuntivo (PDF, image, office file); type and size checked on upload."""

    measurement = models.ForeignKey(
        Measurement, on_delete=models.CASCADE, related_name="evidence", verbose_name="consuntivo"
    )
    file = models.FileField("file", upload_to=evidence_path, max_length=300)
    original_name = models.CharField("nome del file", max_length=200)
    content_type = models.CharField("tipo", max_length=100)
    size = models.PositiveIntegerField("dimensione (byte)")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("caricato il", auto_now_add=True)

    class Meta:
        db_table = "indicators_evidence"
        verbose_name = "allegato"
        verbose_name_plural = "allegati"
        ordering = ["measurement", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RiskFlag(models.Model):
    """An indicator flagged «a rischio» in a round by the Responsabile of its unit, with the reason (monitoring).

    It adds to the automatic pro-rata rule (consuntivi.monitoring): the objective is listed at risk either way.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="risk_flags", verbose_name="rilevazione")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="risk_flags", verbose_name="indicatore"
    )
    reason = models.TextField("motivazione")
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="segnalato da",
    )
    flagged_at = models.DateTimeField("segnalato il", auto_now=True)

    class Meta:
        verbose_name = "segnalazione di rischio"
        verbose_name_plural = "segnalazioni di rischio"
        ordering = ["round", "indicator"]
        constraints = [
            # One flag per indicator and round: setting it again changes the reason.
            models.UniqueConstraint(fields=["round", "indicator"], name="riskflag_one_per_indicator_round"),
            # A flag always says why (the monitoring report prints it).
            models.CheckConstraint(condition=~Q(reason=""), name="riskflag_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} a rischio ({self.round})"


class PlanDataToken(models.Model):
    """A token of a plan's scored data, changed by database triggers on every write to it (consuntivi.data_version).

    No foreign key: the triggers write it, also while a plan is being deleted."""

    plan_id = models.BigIntegerField(primary_key=True)
    token = models.BigIntegerField()

    class Meta:
        verbose_name = "versione dei dati del piano"
        verbose_name_plural = "versioni dei dati dei piani"

    def __str__(self) -> str:
        return f"piano {self.plan_id}: {self.token}"
