"""The plan's indicators: Indicator, its Baseline and its yearly Target (the consuntivi are in consuntivi.models)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from indicators.notation import UNIT_SUFFIX, Kind, ParsedTarget, Unit
from perfplan.history import AuditedRecords


class IndicatorUnit(models.TextChoices):
    COUNT = Unit.COUNT.value, UNIT_SUFFIX[Unit.COUNT]  # the suffix a value of the unit is written with: "N."
    PERCENT = Unit.PERCENT.value, UNIT_SUFFIX[Unit.PERCENT]
    EURO = Unit.EURO.value, UNIT_SUFFIX[Unit.EURO]
    DAYS = Unit.DAYS.value, UNIT_SUFFIX[Unit.DAYS]
    DATE = Unit.DATE.value, "data"
    BOOLEAN = Unit.BOOLEAN.value, "SI/NO"


class Polarity(models.TextChoices):
    HIGHER_BETTER = "higher_better", "Crescente (più alto è meglio)"
    LOWER_BETTER = "lower_better", "Decrescente (più basso è meglio)"

    @property
    def word(self) -> str:
        """The label's first word, as the workbook writes it: `crescente`, `decrescente`."""
        return str(self.label).split()[0].lower()


class Indicator(models.Model):
    """A measure of one node; the same indicator text may recur under several objectives."""

    objective = models.ForeignKey(
        "plans.Objective", on_delete=models.CASCADE, related_name="indicators", verbose_name="obiettivo"
    )
    code = models.CharField("codice", max_length=60, blank=True)
    benchmark_code = models.CharField("codice benchmark", max_length=60, blank=True)
    # The code of the catalogue entry it was inserted from (CatalogueIndicator.code, e.g. "DFP 1.3"): the same
    # indicator is recognisable across plans, years and enti even when each plan codes it its own way.
    catalogue_code = models.CharField("codice catalogo", max_length=60, blank=True, db_index=True)
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


class CatalogueIndicator(models.Model):
    """An indicator of the catalogue, ready to be inserted into a plan with its formula (issue 16 item 4).

    The built-in entries (ente empty, `built_in`) are the DFP common indicators for support functions (Circolare DFP
    n. 2/2019), loaded by migration; an ente adds its own (ente set) from the admin or a spreadsheet.
    """

    ente = models.ForeignKey(
        "plans.Ente",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="catalogue_indicators",
        verbose_name="ente",
        help_text="Vuoto per gli indicatori comuni a tutti gli enti.",
    )
    code = models.CharField("codice", max_length=60)
    name = models.TextField("nome")
    description = models.TextField("descrizione", blank=True)
    formula = models.TextField("algoritmo", blank=True, help_text="Con variabili nominate, es. «Dip_Formati / Dip».")
    unit = models.CharField("unità di misura", max_length=10, choices=IndicatorUnit.choices, blank=True)
    polarity = models.CharField("polarità", max_length=20, choices=Polarity.choices, default=Polarity.HIGHER_BETTER)
    source = models.CharField("fonte", max_length=300, blank=True)
    area = models.CharField("funzione", max_length=200, blank=True)
    built_in = models.BooleanField("predefinito", default=False)
    verified = models.BooleanField(
        "verificato",
        default=True,
        help_text="Codice, nome e formula riscontrati su un testo della fonte; se no, da verificare prima dell'uso.",
    )

    class Meta:
        verbose_name = "indicatore del catalogo"
        verbose_name_plural = "catalogo indicatori"
        ordering = ["code"]
        constraints = [
            # One entry per code among the common ones and one per code within an ente.
            models.UniqueConstraint(fields=["code"], condition=Q(ente__isnull=True), name="catalogue_unique_common"),
            models.UniqueConstraint(fields=["ente", "code"], name="catalogue_unique_code_per_ente"),
            # The built-in entries are common to every ente.
            models.CheckConstraint(
                condition=Q(built_in=False) | Q(ente__isnull=True), name="catalogue_built_in_is_common"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name[:80]}"
