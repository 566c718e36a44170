"""The plan and its tree: Ente, OrgUnit, Plan, Objective (spec/domain.md §1)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from simple_history import register

from indicators.models import IndicatorUnit
from indicators.scoring import ScoringRules
from perfplan.history import AuditedRecords

MAX_LOGO_BYTES = 1024 * 1024


MAX_LOGO_PIXELS = 4000  # per side: a small file may declare a huge image, which the PDF would decode whole


def logo_dimensions_ok(content: bytes) -> bool:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(content)) as image:
        width, height = image.size
    return width <= MAX_LOGO_PIXELS and height <= MAX_LOGO_PIXELS


def validate_logo_size(file) -> None:
    if file.size > MAX_LOGO_BYTES:
        raise ValidationError("Il logo supera 1 MB: usare un'immagine più leggera.")
    file.seek(0)
    content = file.read()
    file.seek(0)
    try:
        fits = logo_dimensions_ok(content)
    except Exception:  # noqa: BLE001 - unreadable: ImageField says so in its own message
        return
    if not fits:
        raise ValidationError(
            f"Il logo supera {MAX_LOGO_PIXELS} × {MAX_LOGO_PIXELS} pixel: usare un'immagine più piccola."
        )


class Ente(models.Model):
    code = models.CharField("codice", max_length=20, unique=True)
    name = models.CharField("nome", max_length=200)
    legal_name = models.CharField("denominazione completa", max_length=300, blank=True)
    logo = models.ImageField(
        "logo",
        upload_to="enti/loghi/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"]), validate_logo_size],
        help_text="PNG o JPEG, al massimo 1 MB: stampato sulla copertina della Relazione sulla performance.",
    )

    history = AuditedRecords()

    class Meta:
        verbose_name = "ente"
        verbose_name_plural = "enti"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """The ente a user belongs to; the role is the user's Django group (perfplan.roles)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    ente = models.ForeignKey(Ente, on_delete=models.PROTECT, related_name="profiles", verbose_name="ente")

    history = AuditedRecords()

    class Meta:
        verbose_name = "profilo"
        verbose_name_plural = "profili"

    def __str__(self) -> str:
        return f"{self.user} ({self.ente.code})"


class OrgUnit(models.Model):
    ente = models.ForeignKey(Ente, on_delete=models.CASCADE, related_name="org_units", verbose_name="ente")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children", verbose_name="unità padre"
    )
    code = models.CharField("codice", max_length=40)
    name = models.CharField("nome", max_length=200)
    head = models.CharField("responsabile", max_length=200, blank=True)
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_units", verbose_name="utenti responsabili"
    )

    history = AuditedRecords(m2m_fields=["leaders"])

    class Meta:
        verbose_name = "unità organizzativa"
        verbose_name_plural = "unità organizzative"
        ordering = ["ente", "code"]
        constraints = [
            # The workbook links objectives to units by code, so a code names one unit per ente.
            models.UniqueConstraint(fields=["ente", "code"], name="orgunit_unique_code_per_ente"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class PlanState(models.TextChoices):
    DRAFT = "bozza", "Bozza"
    ADOPTED = "adottato", "Adottato"


class MissingPolicy(models.TextChoices):
    EXCLUDE = "exclude", "Escludi e rinormalizza i pesi"
    ZERO = "zero", "Conta come zero"


class PlanKind(models.TextChoices):
    """Which document the plan is printed as: since DM 132/2022 a Camera adopts the PIAO, whose section 2 holds it."""

    PERFORMANCE = "performance", "Piano della performance"
    PIAO = "piao", "PIAO (Piano integrato di attività e organizzazione)"


class Plan(models.Model):
    ente = models.ForeignKey(Ente, on_delete=models.PROTECT, related_name="plans", verbose_name="ente")
    title = models.CharField("titolo", max_length=300)
    start_year = models.PositiveIntegerField("anno inizio")
    end_year = models.PositiveIntegerField("anno fine")
    state = models.CharField("stato", max_length=20, choices=PlanState.choices, default=PlanState.DRAFT)
    kind = models.CharField("documento", max_length=12, choices=PlanKind.choices, default=PlanKind.PERFORMANCE)
    act_text = models.CharField("delibera di adozione", max_length=300, blank=True)
    act_organ = models.CharField("organo", max_length=200, blank=True)
    act_number = models.CharField("numero atto", max_length=40, blank=True)
    act_date = models.DateField("data atto", null=True, blank=True)
    # Where the adopted Piano is published (Amministrazione trasparente), stated by its Relazioni (art. 10 c. 8
    # D.Lgs. 33/2013 for the publication; the Relazione's editor types it).
    published_on = models.DateField("data di pubblicazione del Piano", null=True, blank=True)
    published_url = models.URLField("indirizzo del Piano in Amministrazione trasparente", max_length=500, blank=True)
    # Scoring settings (ScoringRules, spec/scoring.md): the ente's SMVP, editable by the planning office.
    cap = models.BooleanField("limita al 100 %", default=True)
    min_threshold = models.DecimalField("soglia minima (%)", max_digits=6, decimal_places=2, null=True, blank=True)
    missing_policy = models.CharField(
        "dati mancanti", max_length=10, choices=MissingPolicy.choices, default=MissingPolicy.EXCLUDE
    )
    default_indicator_share = models.DecimalField(
        "quota indicatori predefinita (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    equality_tolerance = models.DecimalField("tolleranza per «=»", max_digits=12, decimal_places=4, default=Decimal(0))
    achieved_threshold = models.DecimalField("soglia «raggiunto» (%)", max_digits=6, decimal_places=2, default=100)
    partial_threshold = models.DecimalField("soglia «parziale» (%)", max_digits=6, decimal_places=2, default=50)
    created_at = models.DateTimeField("creato il", auto_now_add=True)
    updated_at = models.DateTimeField("modificato il", auto_now=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "piano"
        verbose_name_plural = "piani"
        ordering = ["ente", "-start_year", "title"]
        constraints = [
            # Re-import finds a plan by (ente, title): it must be one plan.
            models.UniqueConstraint(fields=["ente", "title"], name="plan_unique_title_per_ente"),
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="plan_years_ordered"),
            models.CheckConstraint(
                condition=Q(default_indicator_share__isnull=True)
                | Q(default_indicator_share__gte=0, default_indicator_share__lte=100),
                name="plan_share_is_percent",
            ),
            models.CheckConstraint(condition=Q(equality_tolerance__gte=0), name="plan_tolerance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.ente.code})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("plans:detail", args=[self.pk])

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def scoring_rules(self):
        return ScoringRules(
            cap=self.cap,
            min_threshold=self.min_threshold,
            missing=self.missing_policy,
            default_indicator_share=self.default_indicator_share,
            equality_tolerance=self.equality_tolerance,
            achieved_threshold=self.achieved_threshold,
            partial_threshold=self.partial_threshold,
        )


class Level(models.TextChoices):
    AREA = "area", "Area strategica"
    STRATEGIC = "strategic", "Obiettivo strategico"
    PROGRAM = "program", "Programma"
    OPERATIONAL = "operational", "Obiettivo operativo"
    ACTION = "action", "Azione"


LEVEL_ORDER = [Level.AREA, Level.STRATEGIC, Level.PROGRAM, Level.OPERATIONAL, Level.ACTION]


class ObjectiveKind(models.TextChoices):
    ORGANIZATIONAL = "organizational", "Organizzativo"
    INDIVIDUAL = "individual", "Individuale"
    OFFICE = "office", "Di ufficio"


class Objective(models.Model):
    """A node of the plan tree (adjacency list: parent + level + sibling position)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives", verbose_name="piano")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name="padre"
    )
    level = models.CharField("tipo", max_length=20, choices=Level.choices)
    kind = models.CharField(
        "natura", max_length=20, choices=ObjectiveKind.choices, default=ObjectiveKind.ORGANIZATIONAL
    )
    code = models.CharField("codice", max_length=60)
    title = models.TextField("titolo")
    description = models.TextField("descrizione", blank=True)
    position = models.PositiveIntegerField("ordine", default=0)
    weight = models.DecimalField("peso", max_digits=7, decimal_places=2, null=True, blank=True)
    indicator_share = models.DecimalField("quota indicatori (%)", max_digits=5, decimal_places=2, null=True, blank=True)
    perspective = models.CharField("prospettiva", max_length=200, blank=True)
    mission = models.CharField("missione", max_length=200, blank=True)
    budget_program = models.CharField("programma DM", max_length=200, blank=True)
    cofog = models.CharField("COFOG", max_length=200, blank=True)
    process_code = models.CharField("codice processo", max_length=40, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="objectives", verbose_name="unità"
    )
    owner = models.CharField("responsabile", max_length=200, blank=True)
    gender_relevant = models.BooleanField("ottica di genere", default=False)

    history = AuditedRecords()

    class Meta:
        verbose_name = "obiettivo"
        verbose_name_plural = "obiettivi"
        ordering = ["plan", "position", "id"]
        constraints = [
            # The workbook's key for a node.
            models.UniqueConstraint(fields=["plan", "code"], name="objective_unique_code_per_plan"),
            models.CheckConstraint(condition=Q(weight__isnull=True) | Q(weight__gte=0), name="objective_weight_gte_0"),
            models.CheckConstraint(
                condition=Q(indicator_share__isnull=True) | Q(indicator_share__gte=0, indicator_share__lte=100),
                name="objective_share_is_percent",
            ),
            # Only areas are roots.
            models.CheckConstraint(
                condition=Q(level="area") | Q(parent__isnull=False), name="objective_non_area_has_parent"
            ),
        ]
        indexes = [models.Index(fields=["plan", "parent", "position"], name="objective_tree_idx")]

    def __str__(self) -> str:
        return f"{self.code} – {self.title[:80]}"


class PublicValueDimension(models.TextChoices):
    """The dimensions of public value DM 132/2022 (art. 3) asks the PIAO to state."""

    SIMPLIFICATION = "semplificazione", "Semplificazione"
    DIGITALISATION = "digitalizzazione", "Digitalizzazione"
    ACCESSIBILITY = "accessibilita", "Accessibilità"
    EQUAL_OPPORTUNITY = "pari_opportunita", "Pari opportunità ed equilibrio di genere"


class PublicValue(models.Model):
    """An impatto of the PIAO's section 2.1 (Valore pubblico): the value the plan means to create, measured by its
    own impact indicators and pursued by strategic objectives (one objective may serve several impatti)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="public_values", verbose_name="piano")
    code = models.CharField("codice", max_length=60)
    title = models.TextField("titolo")
    description = models.TextField("descrizione", blank=True)
    # A list of PublicValueDimension values: four fixed words, a join table would say nothing more.
    dimensions = models.JSONField("dimensioni", default=list, blank=True)
    objectives = models.ManyToManyField(
        Objective, blank=True, related_name="public_values", verbose_name="obiettivi strategici collegati"
    )
    position = models.PositiveIntegerField("ordine", default=0)

    class Meta:
        verbose_name = "impatto (valore pubblico)"
        verbose_name_plural = "impatti (valore pubblico)"
        ordering = ["plan", "position", "id"]
        constraints = [
            # The workbook's key for an impatto.
            models.UniqueConstraint(fields=["plan", "code"], name="publicvalue_unique_code_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title[:80]}"

    @property
    def dimension_labels(self) -> list[str]:
        labels = dict(PublicValueDimension.choices)
        return [str(labels[d]) for d in self.dimensions if d in labels]


class PublicValueIndicator(models.Model):
    """An impact indicator of an impatto, with its baseline and a target per plan year.

    Not an indicators.Indicator: that one hangs on an Objective (a non-null FK) and is scored with the tree, while
    an impact is read, not scored, in the performance cycle (DM 132/2022: the impatti are monitored over the plan).
    """

    public_value = models.ForeignKey(
        PublicValue, on_delete=models.CASCADE, related_name="indicators", verbose_name="impatto"
    )
    code = models.CharField("codice", max_length=60, blank=True)
    name = models.TextField("nome")
    unit = models.CharField("unità di misura", max_length=10, choices=IndicatorUnit.choices, blank=True)
    source = models.CharField("fonte", max_length=300, blank=True)
    baseline_year = models.PositiveIntegerField("baseline anno", null=True, blank=True)
    baseline = models.CharField("baseline", max_length=200, blank=True)
    position = models.PositiveIntegerField("ordine", default=0)

    class Meta:
        verbose_name = "indicatore di impatto"
        verbose_name_plural = "indicatori di impatto"
        ordering = ["public_value", "position", "id"]
        constraints = [
            # The workbook keys an impact indicator by (impatto, name).
            models.UniqueConstraint(fields=["public_value", "name"], name="publicvalueindicator_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name[:80]}" if self.code else self.name[:80]


class PublicValueTarget(models.Model):
    """The target of an impact indicator for one plan year, as written (targets.md notation, checked on save)."""

    indicator = models.ForeignKey(
        PublicValueIndicator, on_delete=models.CASCADE, related_name="targets", verbose_name="indicatore di impatto"
    )
    year = models.PositiveIntegerField("anno")
    raw = models.CharField("target", max_length=300)

    class Meta:
        verbose_name = "target di impatto"
        verbose_name_plural = "target di impatto"
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="publicvaluetarget_one_per_year")]

    def __str__(self) -> str:
        return f"{self.year}: {self.raw}"


class RiskMeasureLink(models.Model):
    """A reference to a measure of the PIAO's section 2.3 (rischi corruttivi e trasparenza), which another office
    writes: the plan only lists code, title and where to read it, for the table of section 2."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="risk_measures", verbose_name="piano")
    code = models.CharField("codice", max_length=60)
    title = models.CharField("misura", max_length=300)
    link = models.URLField("collegamento", max_length=500, blank=True)
    position = models.PositiveIntegerField("ordine", default=0)

    class Meta:
        verbose_name = "misura della sezione 2.3"
        verbose_name_plural = "misure della sezione 2.3"
        ordering = ["plan", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="riskmeasurelink_unique_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} – {self.title[:80]}"


class PlanRevision(models.Model):
    """One change made after adoption (rimodulazione): what, old → new, when, who, why."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions", verbose_name="piano")
    created_at = models.DateTimeField("data", auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="utente",
    )
    reason = models.TextField("motivazione")
    act = models.CharField("atto", max_length=300, blank=True)
    subject_type = models.CharField("oggetto", max_length=20)  # objective | indicator | target | weight | unit
    subject_code = models.CharField("codice", max_length=200)
    field = models.CharField("campo", max_length=60)
    old_value = models.TextField("valore precedente", blank=True)
    new_value = models.TextField("nuovo valore", blank=True)

    class Meta:
        verbose_name = "revisione del piano"
        verbose_name_plural = "revisioni del piano"
        ordering = ["plan", "-created_at", "-id"]
        constraints = [
            # A revision without a reason is not a revision (domain.md §4).
            models.CheckConstraint(condition=~Q(reason=""), name="revision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_code} {self.field}: {self.old_value} → {self.new_value}"


class YearState(models.TextChoices):
    PLANNED = "programmazione", "Programmazione"
    MONITORING = "monitoraggio", "Monitoraggio"
    CLOSED = "consuntivo_chiuso", "Consuntivo chiuso"
    REPORT_APPROVED = "relazione_approvata", "Relazione approvata"
    VALIDATED = "validata", "Validata OIV"


class PlanYear(models.Model):
    """The lifecycle of one year of a plan (domain.md §4); a validated year is frozen."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="plan_years", verbose_name="piano")
    year = models.PositiveIntegerField("anno")
    state = models.CharField("stato", max_length=24, choices=YearState.choices, default=YearState.PLANNED)

    history = AuditedRecords()

    class Meta:
        verbose_name = "anno del piano"
        verbose_name_plural = "anni del piano"
        ordering = ["plan", "year"]
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="planyear_unique")]

    def __str__(self) -> str:
        return f"{self.plan} – {self.year} ({self.get_state_display()})"


class PlanYearEvent(models.Model):
    """Every move of a year's state, forward or backward, with who, when and why."""

    plan_year = models.ForeignKey(PlanYear, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField("da", max_length=24, choices=YearState.choices)
    to_state = models.CharField("a", max_length=24, choices=YearState.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField("motivazione", blank=True)
    created_at = models.DateTimeField("data", auto_now_add=True)

    class Meta:
        verbose_name = "cambio di stato dell'anno"
        verbose_name_plural = "cambi di stato dell'anno"
        ordering = ["plan_year", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_year}: {self.from_state} → {self.to_state}"


# Users' roles (their groups) are audited like the plan data; the historical user lives in this app's migrations.
register(
    User,
    app="plans",
    records_class=AuditedRecords,
    m2m_fields=["groups"],
    excluded_fields=["password", "last_login"],
)
