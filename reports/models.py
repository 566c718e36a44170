"""The Relazione sulla performance and the data typed for it (spec/relazione.md §9)."""

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q

from indicators.models import Indicator
from perfplan.formats import date_it
from perfplan.history import AuditedRecords
from plans.models import Ente, Objective, Plan


class RelazioneState(models.TextChoices):
    DRAFT = "bozza", "Bozza"
    APPROVED = "approvata", "Approvata"
    VALIDATED = "validata", "Validata OIV"


class Relazione(models.Model):
    """The report on one year of a plan: its act, its free texts and its settings."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="relazioni", verbose_name="piano")
    year = models.PositiveIntegerField("anno")
    state = models.CharField("stato", max_length=12, choices=RelazioneState.choices, default=RelazioneState.DRAFT)
    act_organ = models.CharField("organo che approva", max_length=200, blank=True)
    act_number = models.CharField("numero atto", max_length=40, blank=True)
    act_date = models.DateField("data atto", null=True, blank=True)
    # Sanitised HTML per section key (reports.texts.TEXT_SECTIONS); a missing key prints the default text.
    texts = models.JSONField("testi", default=dict, blank=True)
    settings = models.JSONField("impostazioni", default=dict, blank=True)
    published_on = models.DateField("data di pubblicazione sul sito", null=True, blank=True)
    created_at = models.DateTimeField("creata il", auto_now_add=True)
    updated_at = models.DateTimeField("modificata il", auto_now=True)
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedRecords()

    class Meta:
        verbose_name = "relazione sulla performance"
        verbose_name_plural = "relazioni sulla performance"
        ordering = ["plan", "year"]
        constraints = [
            # One Relazione per plan year: it mirrors the year's lifecycle.
            models.UniqueConstraint(fields=["plan", "year"], name="relazione_one_per_plan_year"),
        ]

    def __str__(self) -> str:
        return f"Relazione sulla performance {self.year} – {self.plan}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:detail", args=[self.plan_id, self.year])

    @property
    def act_line(self) -> str:
        if not (self.act_organ and self.act_number and self.act_date):
            return ""
        return f"Approvata con {self.act_organ} n. {self.act_number} del {date_it(self.act_date)}"


class BudgetVoce(models.TextChoices):
    """Rows of table 1.2; the consuntivo of each comes from the bilancio line named here (relazione.md §2)."""

    PROVENTI = "proventi", "PROVENTI – Totale risorse (proventi correnti)"
    PROMOZIONALI = "promozionali", "ONERI – Spese promozionali (interventi economici)"
    PERSONALE = "personale", "ONERI – Spese per il personale"
    FUNZIONAMENTO = "funzionamento", "ONERI – Spese per il funzionamento"


class BudgetLine(models.Model):
    """Preventivo (A) of a row of table 1.2, as last updated."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="budget_lines")
    voce = models.CharField("voce", max_length=20, choices=BudgetVoce.choices)
    preventivo = models.DecimalField("preventivo (€)", max_digits=16, decimal_places=2, null=True, blank=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "voce di preventivo"
        verbose_name_plural = "voci di preventivo"
        constraints = [models.UniqueConstraint(fields=["relazione", "voce"], name="budgetline_one_per_voce")]

    def __str__(self) -> str:
        return f"{self.get_voce_display()}: {self.preventivo}"


class BilancioLine(models.Model):
    """One typed line of the income statement of a year (DPR 254/2005), whole euros; reused by four Relazioni."""

    ente = models.ForeignKey(Ente, on_delete=models.CASCADE, related_name="bilancio_lines", verbose_name="ente")
    year = models.PositiveIntegerField("anno")
    code = models.CharField("voce", max_length=4)  # "1" … "15", reports.bilancio.LINES
    amount = models.BigIntegerField("importo (€)")

    history = AuditedRecords()

    class Meta:
        verbose_name = "voce di bilancio"
        verbose_name_plural = "voci di bilancio"
        ordering = ["ente", "year", "code"]
        constraints = [models.UniqueConstraint(fields=["ente", "year", "code"], name="bilancioline_unique")]

    def __str__(self) -> str:
        return f"{self.ente.code} {self.year} voce {self.code}: {self.amount}"


class PromoAmount(models.Model):
    """Amount paid and set aside at 31/12 for a strategic objective (table 2.2)."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="promo_amounts")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+", verbose_name="obiettivo")
    amount = models.DecimalField("importo (€)", max_digits=16, decimal_places=2)

    history = AuditedRecords()

    class Meta:
        verbose_name = "importo per obiettivo strategico"
        verbose_name_plural = "importi per obiettivo strategico"
        constraints = [models.UniqueConstraint(fields=["relazione", "objective"], name="promoamount_one_per_os")]

    def __str__(self) -> str:
        return f"{self.objective.code}: {self.amount}"


class KeyIndicator(models.Model):
    """An indicator chosen for table 1.3, with its group and order."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="key_indicators")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+", verbose_name="indicatore")
    group = models.CharField("gruppo", max_length=200)
    order = models.PositiveIntegerField("ordine", default=0)

    history = AuditedRecords()

    class Meta:
        verbose_name = "indicatore significativo"
        verbose_name_plural = "indicatori significativi"
        ordering = ["relazione", "order", "id"]
        constraints = [
            # An indicator under several objectives is picked once, under the objective chosen (relazione.md §2).
            models.UniqueConstraint(fields=["relazione", "indicator"], name="keyindicator_once")
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.indicator}"


class CycleActivity(models.Model):
    """A row of the timeline of section 5: one phase of the ente's yearly cycle (September → August)."""

    ente = models.ForeignKey(Ente, on_delete=models.CASCADE, related_name="cycle_activities", verbose_name="ente")
    order = models.PositiveIntegerField("ordine", default=0)
    activity = models.CharField("attività", max_length=300)
    prepares = models.CharField("chi predispone", max_length=200, blank=True)
    adopts = models.CharField("chi adotta", max_length=200, blank=True)
    start_month = models.PositiveSmallIntegerField("mese di inizio")
    start_day = models.PositiveSmallIntegerField("giorno di inizio", default=1)
    end_month = models.PositiveSmallIntegerField("mese di fine")
    end_day = models.PositiveSmallIntegerField("giorno di fine")

    history = AuditedRecords()

    class Meta:
        verbose_name = "attività del ciclo"
        verbose_name_plural = "attività del ciclo"
        ordering = ["ente", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_month__gte=1, start_month__lte=12, end_month__gte=1, end_month__lte=12),
                name="cycleactivity_months_valid",
            ),
            models.CheckConstraint(
                condition=Q(start_day__gte=1, start_day__lte=31, end_day__gte=1, end_day__lte=31),
                name="cycleactivity_days_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.activity


class ValidationOutcome(models.TextChoices):
    VALIDATED = "validata", "Validata"
    NOT_VALIDATED = "non_validata", "Non validata"


def validation_upload_to(instance: "Validation", filename: str) -> str:
    return f"relazioni/validazioni/{instance.relazione_id}-{filename}"


class Validation(models.Model):
    """The OIV's validation document (Allegato 1): outcome, conclusions, members, optional signed PDF."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="validations")
    date = models.DateField("data")
    outcome = models.CharField("esito", max_length=12, choices=ValidationOutcome.choices)
    text = models.TextField("conclusioni")
    section_conclusions = models.JSONField("conclusioni per sezione", default=dict, blank=True)  # key → text
    members = models.CharField("componenti dell'OIV", max_length=500)
    checklist = models.JSONField("verifiche svolte", default=list, blank=True)
    # The validation criteria as the app checked them when the OIV validated (reports.criteria, Criterion.snapshot).
    criteria = models.JSONField("criteri di validazione", default=list, blank=True)
    attachment = models.FileField("documento firmato", upload_to=validation_upload_to, blank=True)
    attachment_sha256 = models.CharField("SHA-256 del documento", max_length=64, blank=True)
    created_at = models.DateTimeField("registrata il", auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedRecords()

    class Meta:
        verbose_name = "validazione OIV"
        verbose_name_plural = "validazioni OIV"
        ordering = ["relazione", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.relazione}: {self.get_outcome_display()} il {self.date}"


class ArtifactKind(models.TextChoices):
    DRAFT = "bozza", "Anteprima"
    FINAL = "finale", "Versione validata"
    DOCUMENT = "documento", "Documento di validazione"  # the OIV's act as PDF, generated with the validation


def artifact_upload_to(instance: "RelazioneArtifact", filename: str) -> str:
    return f"relazioni/pdf/{filename}"


class RelazioneArtifact(models.Model):
    """A rendered PDF. The final one is rendered once at validation and then served byte for byte."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField("tipo", max_length=10, choices=ArtifactKind.choices)
    file = models.FileField("file", upload_to=artifact_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("dimensione (byte)")
    pages = models.PositiveIntegerField("pagine")
    render_seconds = models.DecimalField("secondi di elaborazione", max_digits=8, decimal_places=2)
    summary = models.JSONField("sintesi", default=dict, blank=True)  # the key numbers frozen with the file
    created_at = models.DateTimeField("creato il", auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField("sostituito il", null=True, blank=True)
    superseded_reason = models.TextField("motivo", blank=True)

    class Meta:
        verbose_name = "PDF della relazione"
        verbose_name_plural = "PDF della relazione"
        ordering = ["relazione", "-created_at", "-id"]
        constraints = [
            # Exactly one file is "the" validated Relazione; reopened ones stay in the history.
            models.UniqueConstraint(
                fields=["relazione"],
                condition=Q(kind="finale", superseded_at__isnull=True),
                name="artifact_one_current_final",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relazione} – {self.get_kind_display()} ({self.sha256[:12]})"


# --- the OIV's working papers (carte di lavoro, issue 14 item 2) --------------------------------------------------


class PaperNote(models.Model):
    """The OIV's own note on a validation criterion or a section of the Relazione; read by the OIV only.

    The history keeps who changed a note and when, not its text: the audit page is read by the planning office too.
    """

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="paper_notes")
    topic = models.CharField("argomento", max_length=40)  # reports.papers.TOPICS: "criterio:<key>", "sezione:<key>"
    text = models.TextField("nota", blank=True)
    # Counts the edits: the history leaves the text out, so this is what tells one edit from the next.
    revision = models.PositiveIntegerField("versione", default=1)
    updated_at = models.DateTimeField("modificata il", auto_now=True)
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedRecords(excluded_fields=["text"])

    class Meta:
        verbose_name = "nota dell'OIV"
        verbose_name_plural = "note dell'OIV"
        ordering = ["relazione", "topic"]
        constraints = [
            # One note per criterion or section: the box on the page edits it in place.
            models.UniqueConstraint(fields=["relazione", "topic"], name="papernote_one_per_topic"),
        ]

    def __str__(self) -> str:
        return f"Nota OIV {self.topic}"


class ClarificationState(models.TextChoices):
    OPEN = "aperta", "Aperta"
    ANSWERED = "risposta", "Risposta"
    CLOSED = "chiusa", "Chiusa"


class ClarificationRequest(models.Model):
    """A request for clarification from the OIV to the planning office, on a node, a value or the whole Relazione.

    aperta (the OIV asked or asked again) → risposta (the planning office answered) → chiusa (the OIV closed it).
    """

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="clarifications")
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="obiettivo"
    )
    measurement = models.ForeignKey(
        "consuntivi.Measurement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="consuntivo",
    )
    topic = models.CharField("criterio o sezione", max_length=40, blank=True)
    subject = models.CharField("oggetto", max_length=200)
    state = models.CharField(
        "stato", max_length=10, choices=ClarificationState.choices, default=ClarificationState.OPEN
    )
    created_at = models.DateTimeField("aperta il", auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField("chiusa il", null=True, blank=True)
    closed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedRecords()

    class Meta:
        verbose_name = "richiesta di chiarimento"
        verbose_name_plural = "richieste di chiarimento"
        ordering = ["relazione", "-created_at", "-id"]
        indexes = [
            # The open requests of an ente's Relazioni, counted on the OIV's home page.
            models.Index(fields=["relazione", "state"], name="clarification_state"),
        ]
        constraints = [
            # A request is about one thing: a node, or a value, or (neither) the Relazione in general.
            models.CheckConstraint(
                condition=Q(objective__isnull=True) | Q(measurement__isnull=True), name="clarification_one_subject"
            ),
            # Closed exactly when it has a closing date.
            models.CheckConstraint(
                condition=Q(state="chiusa", closed_at__isnull=False) | (~Q(state="chiusa") & Q(closed_at__isnull=True)),
                name="clarification_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Richiesta di chiarimento: {self.subject}"


class ClarificationMessage(models.Model):
    """One message of a clarification thread: the OIV's question or the planning office's answer, with who/when."""

    class Side(models.TextChoices):
        OIV = "oiv", "OIV"
        PLANNING = "pianificazione", "Ufficio pianificazione"

    request = models.ForeignKey(ClarificationRequest, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField("parte", max_length=16, choices=Side.choices)
    text = models.TextField("testo")
    author = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("scritto il", auto_now_add=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "messaggio di chiarimento"
        verbose_name_plural = "messaggi di chiarimento"
        ordering = ["request", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_side_display()}: {self.text[:60]}"


def paper_document_upload_to(instance: "PaperDocument", filename: str) -> str:
    return f"relazioni/carte-oiv/{instance.relazione_id}/{filename}"


class PaperDocument(models.Model):
    """A document the OIV collected for its review, stored with its SHA-256; read by the OIV only."""

    relazione = models.ForeignKey(Relazione, on_delete=models.CASCADE, related_name="paper_documents")
    title = models.CharField("descrizione", max_length=200)
    file = models.FileField("file", upload_to=paper_document_upload_to, max_length=300)
    original_name = models.CharField("nome del file", max_length=200)
    content_type = models.CharField("tipo", max_length=100)
    size = models.PositiveIntegerField("dimensione (byte)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("caricato il", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedRecords()

    class Meta:
        verbose_name = "documento dell'OIV"
        verbose_name_plural = "documenti dell'OIV"
        ordering = ["relazione", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.title
