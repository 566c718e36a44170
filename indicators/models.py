"""Indicators and their numbers: Indicator, Baseline, Target, Round, Measurement (consuntivo)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from indicators.notation import Kind, ParsedTarget, Unit
from perfplan.history import AuditedRecords
from plans.models import Objective, Plan


class IndicatorUnit(models.TextChoices):
    COUNT = Unit.COUNT.value, "N."
    PERCENT = Unit.PERCENT.value, "%"
    EURO = Unit.EURO.value, "€"
    DAYS = Unit.DAYS.value, "gg"
    DATE = Unit.DATE.value, "data"
    BOOLEAN = Unit.BOOLEAN.value, "SI/NO"


class Polarity(models.TextChoices):
    HIGHER_BETTER = "higher_better", "Crescente (più alto è meglio)"
    LOWER_BETTER = "lower_better", "Decrescente (più basso è meglio)"


class Indicator(models.Model):
    """A measure of one node; the same indicator text may recur under several objectives."""

    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="indicators", verbose_name="obiettivo"
    )
    code = models.CharField("codice", max_length=60, blank=True)
    benchmark_code = models.CharField("codice benchmark", max_length=60, blank=True)
    name = models.TextField("nome")
    description = models.TextField("descrizione", blank=True)
    formula = models.TextField("algoritmo", blank=True)
    unit = models.CharField("unità di misura", max_length=10, choices=IndicatorUnit.choices, blank=True)
    polarity = models.CharField("polarità", max_length=20, choices=Polarity.choices, default=Polarity.HIGHER_BETTER)
    source = models.CharField("fonte", max_length=300, blank=True)
    weight = models.DecimalField("peso", max_digits=7, decimal_places=2, null=True, blank=True)
    derived = models.BooleanField("derivato", default=False)
    position = models.PositiveIntegerField("ordine", default=0)

    history = AuditedRecords()

    class Meta:
        verbose_name = "indicatore"
        verbose_name_plural = "indicatori"
        ordering = ["objective", "position", "id"]
        constraints = [
            # The workbook keys an indicator by (objective, code), or (objective, name) when uncoded.
            models.UniqueConstraint(
                fields=["objective", "code"], condition=~Q(code=""), name="indicator_unique_code_per_objective"
            ),
            models.UniqueConstraint(
                fields=["objective", "name"], condition=Q(code=""), name="indicator_unique_name_per_objective"
            ),
            models.CheckConstraint(condition=Q(weight__isnull=True) | Q(weight__gte=0), name="indicator_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name[:80]}" if self.code else self.name[:80]

    @property
    def label(self) -> str:
        return f"{self.code} - {self.name}" if self.code else self.name


class Baseline(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="baselines")
    year = models.PositiveIntegerField("anno", null=True, blank=True)
    value = models.DecimalField("valore", max_digits=20, decimal_places=6, null=True, blank=True)
    raw = models.CharField("testo originale", max_length=200, blank=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "baseline"
        verbose_name_plural = "baseline"
        constraints = [
            # One starting value per indicator (and year, when the plan states it).
            models.UniqueConstraint(fields=["indicator"], name="baseline_one_per_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.raw} ({self.year})" if self.year else self.raw


class TargetKind(models.TextChoices):
    NONE = Kind.NONE.value, "Nessun target"
    BOOL = Kind.BOOL.value, "SI/NO"
    DEADLINE = Kind.DEADLINE.value, "Scadenza"
    DELTA_PCT = Kind.DELTA_PCT.value, "Variazione %"
    MAINTAIN = Kind.MAINTAIN.value, "Mantenimento"
    ORDINAL = Kind.ORDINAL.value, "Giudizio"
    NUMBER = Kind.NUMBER.value, "Numero"
    TEXT = Kind.TEXT.value, "Testo libero"


_KINDS = {kind.value: kind for kind in Kind}  # Kind(text) is an enum lookup; parsed() runs for every target
_UNITS = {unit.value: unit for unit in Unit}


class Target(models.Model):
    """A target of one year: the raw text and its parsed form (spec/targets.md §5).

    A revision after adoption adds a new version and keeps the old one (scoring.md §6).
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveIntegerField("anno")
    version = models.PositiveIntegerField("versione", default=1)
    is_current = models.BooleanField("in vigore", default=True)
    raw = models.CharField("testo", max_length=300)
    kind = models.CharField("tipo", max_length=12, choices=TargetKind.choices)
    comparator = models.CharField("confronto", max_length=2, blank=True)
    number = models.DecimalField("valore", max_digits=24, decimal_places=6, null=True, blank=True)
    flag = models.BooleanField("valore SI/NO", null=True, blank=True)
    level = models.CharField("livello", max_length=20, blank=True)
    unit = models.CharField("unità", max_length=10, choices=IndicatorUnit.choices, blank=True)
    deadline = models.DateField("scadenza", null=True, blank=True)
    absolute = models.DecimalField("valore assoluto", max_digits=24, decimal_places=6, null=True, blank=True)
    qualifier = models.CharField("qualificazione", max_length=200, blank=True)
    warnings = models.JSONField("avvisi", default=list, blank=True)
    changed_at = models.DateTimeField("data", auto_now_add=True)
    reason = models.TextField("motivazione", blank=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "target"
        verbose_name_plural = "target"
        ordering = ["indicator", "year", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"], condition=Q(is_current=True), name="target_one_current_per_year"
            ),
            models.UniqueConstraint(fields=["indicator", "year", "version"], name="target_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.raw}"

    def parsed(self) -> ParsedTarget:
        """The structured target, as the notation parser gave it (spec/targets.md §5)."""
        value: Decimal | bool | str | None = None
        if self.kind in (Kind.NUMBER, Kind.DELTA_PCT):
            value = self.number.normalize() if self.number is not None else None
        elif self.kind == Kind.BOOL:
            value = self.flag
        elif self.kind == Kind.ORDINAL:
            value = self.level
        return ParsedTarget(
            kind=_KINDS[self.kind],
            raw=self.raw,
            comparator=self.comparator or None,
            value=value,
            unit=_UNITS[self.unit] if self.unit else None,
            deadline=self.deadline,
            absolute=self.absolute.normalize() if self.absolute is not None else None,
            qualifier=self.qualifier or None,
        )


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

    history = AuditedRecords()

    class Meta:
        verbose_name = "rilevazione"
        verbose_name_plural = "rilevazioni"
        ordering = ["plan", "year", "period"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], condition=Q(final=True), name="round_one_final_per_year"),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_period_display()} {self.year}"


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
        verbose_name = "allegato"
        verbose_name_plural = "allegati"
        ordering = ["measurement", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
