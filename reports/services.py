"""Writes for the Relazione: texts and tables, the workflow bozza → approvata → validata, the PDF.

The yearly lifecycle rules stay in plans.lifecycle (plan_year_transition); these services add the Relazione's own
rules: texts are locked from `approvata` on, a validated year is frozen, only the OIV validates and only an
Amministratore reopens. Each service is one transaction.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from consuntivi.models import Measurement
from consuntivi.services import evidence_check, year_close
from indicators.models import Indicator
from perfplan.audit import audited, delete_with_history, record_bulk
from perfplan.formats import date_it, number_it
from perfplan.limits import field_problem, problem_message, require_fit
from perfplan.permissions import Action, require
from plans.lifecycle import plan_year_get, plan_year_transition
from plans.models import Level, Objective, Plan, PlanYear, YearState
from reports.bilancio import CODES, NEGATIVE_ALLOWED
from reports.criteria import OUTCOME_LABELS
from reports.models import (
    ArtifactKind,
    BilancioLine,
    BudgetLine,
    BudgetVoce,
    ClarificationMessage,
    ClarificationRequest,
    ClarificationState,
    CycleActivity,
    KeyIndicator,
    PaperDocument,
    PaperNote,
    PromoAmount,
    Relazione,
    RelazioneArtifact,
    RelazioneState,
    Validation,
    ValidationOutcome,
)
from reports.pdf import Progress, relazione_pdf, validation_document_pdf
from reports.sanitize import sanitize_html
from reports.sections.common import count_text
from reports.selectors import (
    CALENDARIO_KEY,
    PAPER_TOPICS,
    PendingValidation,
    RelazioneData,
    calendario_snapshot,
    relazione_build,
)
from reports.texts import CHECKLIST, CONCLUSION_SECTIONS, MAX_CONCLUSION_CHARS, TEXT_KEYS

# --- guards ----------------------------------------------------------------------------------------------------


def _require(user, action: Action) -> None:
    require(user, action)


def _locked_relazione(relazione: Relazione) -> Relazione:
    return Relazione.objects.select_for_update().select_related("plan", "plan__ente").get(pk=relazione.pk)


def _require_draft(relazione: Relazione) -> None:
    """Texts and typed tables are editable only while the Relazione is a draft (relazione.md §0)."""
    if relazione.state != RelazioneState.DRAFT:
        raise ValidationError(
            f"La Relazione è «{relazione.get_state_display()}»: testi e tabelle non sono più modificabili."
        )


def relazione_get_or_create(*, plan: Plan, year: int) -> Relazione:
    if year not in plan.years:
        raise ValidationError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
    relazione, _ = Relazione.objects.get_or_create(plan=plan, year=year)
    return relazione


# --- editing ---------------------------------------------------------------------------------------------------


@audited
@transaction.atomic
def relazione_update_texts(*, relazione: Relazione, texts: dict[str, str], user) -> Relazione:
    """Store the free texts, sanitised; an unknown section key is an error, not silently dropped."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    unknown = set(texts) - set(TEXT_KEYS)
    if unknown:
        raise ValidationError(f"Sezioni di testo sconosciute: {', '.join(sorted(unknown))}.")
    stored = dict(relazione.texts)
    for key, value in texts.items():
        stored[key] = sanitize_html(value)
    relazione.texts = stored
    relazione.updated_by = user
    require_fit(relazione)
    relazione.save(update_fields=["texts", "updated_by", "updated_at"])
    return relazione


def _decimal(
    raw: str, field: str, *, column: tuple[type, str], allow_negative: bool = False, whole: bool = False
) -> Decimal | None:
    """An amount as typed (1.234.567,00), refused with an Italian message unless `column` (model, field) holds it."""
    text = (raw or "").strip().replace("€", "").replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or (whole and "." in text):
        text = text.replace(".", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError({field: f"«{raw}» non è un importo valido (es. 1.234.567,00)."}) from exc
    if not value.is_finite():
        raise ValidationError({field: f"«{raw}» non è un importo valido."})
    if value < 0 and not allow_negative:
        raise ValidationError({field: "L'importo non può essere negativo."})
    if whole and value != value.to_integral_value():
        raise ValidationError({field: "Indicare euro interi, senza decimali."})
    model, name = column
    reason = field_problem(model, name, value)
    if reason:
        raise ValidationError({field: problem_message(str(model._meta.get_field(name).verbose_name), reason)})
    return value


@audited
@transaction.atomic
def relazione_update_budget(*, relazione: Relazione, values: dict[str, str], user) -> None:
    """Preventivo (A) of table 1.2; values keyed by BudgetVoce. All validated first, then written."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    errors, parsed = {}, {}
    for voce in BudgetVoce:
        try:
            parsed[voce] = _decimal(values.get(voce, ""), f"budget-{voce.value}", column=(BudgetLine, "preventivo"))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    for voce, amount in parsed.items():
        BudgetLine.objects.update_or_create(relazione=relazione, voce=voce, defaults={"preventivo": amount})


def bilancio_year_is_frozen(*, ente_id: int, year: int) -> bool:
    """A bilancio year printed in a validated Relazione (its year and the three before) stays as printed."""
    return Relazione.objects.filter(
        plan__ente_id=ente_id, state=RelazioneState.VALIDATED, year__gte=year, year__lte=year + 3
    ).exists()


@audited
@transaction.atomic
def relazione_update_bilancio(*, relazione: Relazione, values: dict[tuple[int, str], str], user) -> None:
    """Typed lines of table 2.1 for years N-3..N, whole euros; an empty cell deletes the line."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    ente_id = relazione.plan.ente_id
    years = range(relazione.year - 3, relazione.year + 1)
    errors, parsed = {}, {}
    for (year, code), raw in values.items():
        if year not in years or code not in CODES:
            raise ValidationError(f"Voce di bilancio non prevista: anno {year}, voce {code}.")
        try:
            parsed[(year, code)] = _decimal(
                raw,
                f"bilancio-{year}-{code}",
                column=(BilancioLine, "amount"),
                allow_negative=code in NEGATIVE_ALLOWED,
                whole=True,
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    for year in {y for y, _ in parsed}:
        current = dict(BilancioLine.objects.filter(ente_id=ente_id, year=year).values_list("code", "amount"))
        changed = any(
            (int(v) if v is not None else None) != current.get(c) for (y, c), v in parsed.items() if y == year
        )
        if changed and bilancio_year_is_frozen(ente_id=ente_id, year=year):
            raise ValidationError(
                f"I dati di bilancio {year} sono già in una Relazione validata e non sono più modificabili."
            )
    for (year, code), amount in parsed.items():
        if amount is None:
            BilancioLine.objects.filter(ente_id=ente_id, year=year, code=code).delete()
        else:
            BilancioLine.objects.update_or_create(
                ente_id=ente_id, year=year, code=code, defaults={"amount": int(amount)}
            )


@audited
@transaction.atomic
def relazione_update_promo(*, relazione: Relazione, values: dict[int, str], user) -> None:
    """Amounts per strategic objective (table 2.2); keys are objective ids of this plan's OS."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    allowed = set(Objective.objects.filter(plan=relazione.plan, level=Level.STRATEGIC).values_list("pk", flat=True))
    errors, parsed = {}, {}
    for objective_id, raw in values.items():
        if objective_id not in allowed:
            raise ValidationError("Obiettivo strategico non appartenente al piano.")
        try:
            parsed[objective_id] = _decimal(raw, f"promo-{objective_id}", column=(PromoAmount, "amount"))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    for objective_id, amount in parsed.items():
        if amount is None:
            PromoAmount.objects.filter(relazione=relazione, objective_id=objective_id).delete()
        else:
            PromoAmount.objects.update_or_create(
                relazione=relazione, objective_id=objective_id, defaults={"amount": amount}
            )


@audited
@transaction.atomic
def relazione_add_key_indicator(*, relazione: Relazione, indicator_id: int, group: str, order: int, user) -> None:
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    group = group.strip()
    if not group:
        raise ValidationError({"group": "Indicare il gruppo (es. «Indici economico-finanziari»)."})
    if not Indicator.objects.filter(pk=indicator_id, objective__plan=relazione.plan).exists():
        raise ValidationError({"indicator": "Indicatore non appartenente al piano."})
    if KeyIndicator.objects.filter(relazione=relazione, indicator_id=indicator_id).exists():
        raise ValidationError({"indicator": "Indicatore già selezionato."})
    key = KeyIndicator(relazione=relazione, indicator_id=indicator_id, group=group[:200], order=order)
    require_fit(key)
    key.save()


@audited
@transaction.atomic
def relazione_remove_key_indicator(*, relazione: Relazione, key_id: int, user) -> None:
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    KeyIndicator.objects.filter(relazione=relazione, pk=key_id).delete()


PUBLICATION_URL = URLValidator(schemes=["http", "https"])


def _publication_date(raw: str) -> dt.date | None:
    """A date as the editor sends it (ISO from a date input) or as typed (30/01/2017); "" is no date."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError({"published_on": f"«{raw[:20]}» non è una data valida: scrivere gg/mm/aaaa."})


@audited
@transaction.atomic
def plan_update_publication(*, relazione: Relazione, published_on: str, url: str, user) -> Plan:
    """When and where the Piano was published in Amministrazione trasparente, which the Relazione states.

    A fact of the plan, shared by the Relazioni of its years: typed in a Relazione's editor while it is a draft, and
    no longer changed once a Relazione of the plan is validated (its stored PDF printed them)."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    plan = Plan.objects.select_for_update().get(pk=relazione.plan_id)
    errors = {}
    try:
        date = _publication_date(published_on)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        date = None
    else:
        if date is not None and date > timezone.localdate():
            errors["published_on"] = f"La data di pubblicazione {date_it(date)} è nel futuro."
    url = (url or "").strip()
    if url:
        try:
            PUBLICATION_URL(url)
        except ValidationError:
            errors["published_url"] = "Indicare l'indirizzo completo della pagina, che inizia con https:// o http://."
    if not errors:
        reason = field_problem(Plan, "published_url", url)
        if reason:
            errors["published_url"] = problem_message(str(Plan._meta.get_field("published_url").verbose_name), reason)
    if errors:
        raise ValidationError(errors)
    if (date, url) == (plan.published_on, plan.published_url):
        return plan
    if Relazione.objects.filter(plan=plan, state=RelazioneState.VALIDATED).exists():
        raise ValidationError(
            "Una Relazione di questo piano è già validata e riporta la pubblicazione del Piano: non è più modificabile."
        )
    plan.published_on, plan.published_url = date, url
    plan.save(update_fields=["published_on", "published_url", "updated_at"])
    return plan


@dataclass
class ActivityInput:
    activity: str
    prepares: str
    adopts: str
    start: str  # "dd/mm"
    end: str


def _day_month(raw: str, field: str) -> tuple[int, int]:
    try:
        day, month = (int(part) for part in raw.strip().split("/"))
        dt.date(2001, month, day)
    except (ValueError, TypeError) as exc:
        raise ValidationError({field: f"«{raw}» non è una data valida: scrivere giorno/mese, es. 15/01."}) from exc
    return day, month


@audited
@transaction.atomic
def cycle_activities_replace(*, relazione: Relazione, rows: list[ActivityInput], user) -> None:
    """Replace the ente's timeline rows (all validated first); empty activity rows are skipped."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    errors: dict[str, str] = {}
    built = []
    for index, row in enumerate(rows, start=1):
        if not row.activity.strip():
            continue
        try:
            start_day, start_month = _day_month(row.start, f"riga {index}, inizio")
            end_day, end_month = _day_month(row.end, f"riga {index}, fine")
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if (start_month - 9) % 12 > (end_month - 9) % 12:
            errors[f"riga {index}"] = "La fine viene prima dell'inizio nel ciclo settembre–agosto."
            continue
        built.append(
            CycleActivity(
                ente_id=relazione.plan.ente_id,
                order=len(built) + 1,
                activity=row.activity.strip()[:300],
                prepares=row.prepares.strip()[:200],
                adopts=row.adopts.strip()[:200],
                start_month=start_month,
                start_day=start_day,
                end_month=end_month,
                end_day=end_day,
            )
        )
    if errors:
        raise ValidationError(errors)
    require_fit(*built)
    delete_with_history(CycleActivity.objects.filter(ente_id=relazione.plan.ente_id))
    record_bulk(CycleActivity, CycleActivity.objects.bulk_create(built), history_type="+")


# --- workflow --------------------------------------------------------------------------------------------------


@audited
def relazione_close_year(*, plan: Plan, year: int, user, confirmed: bool = False) -> PlanYear:
    """Close the year's consuntivi (→ consuntivo chiuso, every round closed) so that the Relazione can be approved."""
    return year_close(plan=plan, year=year, user=user, confirmed=confirmed)


@audited
@transaction.atomic
def relazione_approve(*, relazione: Relazione, organ: str, number: str, date: dt.date | None, user) -> Relazione:
    """Record the adopting act: bozza → approvata, and the year consuntivo chiuso → relazione approvata."""
    _require(user, Action.RELAZIONE_EDIT)
    relazione = _locked_relazione(relazione)
    _require_draft(relazione)
    errors = {}
    if not organ.strip():
        errors["organ"] = "Indicare l'organo che approva (es. «delibera di Giunta»)."
    if not number.strip():
        errors["number"] = "Indicare il numero dell'atto."
    if date is None:
        errors["date"] = "Indicare la data dell'atto."
    for name, column, value in (("organ", "act_organ", organ), ("number", "act_number", number)):
        reason = field_problem(Relazione, column, value.strip())
        if reason:
            errors[name] = problem_message(str(Relazione._meta.get_field(column).verbose_name), reason)
    if errors:
        raise ValidationError(errors)
    plan_year = plan_year_get(plan=relazione.plan, year=relazione.year)
    if plan_year.state != YearState.CLOSED:
        raise ValidationError(
            "Per approvare la Relazione l'anno deve essere in «Consuntivo chiuso» "
            f"(ora: «{plan_year.get_state_display()}»)."
        )
    data = relazione_build(plan=relazione.plan, year=relazione.year, relazione=relazione)
    if data.blocking:
        raise ValidationError(
            "Approvazione non possibile: " + "; ".join(f"{c.message} ({c.where})" for c in data.blocking[:5])
        )
    plan_year_transition(plan_year=plan_year, to_state=YearState.REPORT_APPROVED, user=user)
    relazione.act_organ, relazione.act_number, relazione.act_date = organ.strip(), number.strip(), date
    relazione.state = RelazioneState.APPROVED
    relazione.updated_by = user
    require_fit(relazione)
    relazione.save()
    # The preview rendered as a draft carries «BOZZA» and the texts before approval: no longer offered.
    stale = list(RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.DRAFT))
    RelazioneArtifact.objects.filter(pk__in=[a.pk for a in stale]).delete()
    transaction.on_commit(lambda: _discard_files(*(a.file for a in stale)))
    return relazione


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    seconds: float
    data: RelazioneData


def relazione_render_pdf(
    *,
    plan: Plan,
    year: int,
    relazione: Relazione | None = None,
    chunk_rows: int | None = None,
    pending: PendingValidation | None = None,
    progress: Progress | None = None,
) -> RenderedPdf:
    """Render the Relazione to PDF with WeasyPrint: the same section templates as the page, the print stylesheet,
    `chunk_rows` table rows at a time (reports.pdf; default: the RELAZIONE_PDF_CHUNK_ROWS setting) so that a large
    plan does not hold every laid-out page in memory. `progress` hears of each chunk drawn (reports.pdf.Progress);
    `pending`: the validation about to be stored, which the final PDF shows (relazione_validate)."""
    started = time.perf_counter()
    data = relazione_build(plan=plan, year=year, relazione=relazione, pending=pending)
    content, pages = relazione_pdf(data, max_rows=chunk_rows or settings.RELAZIONE_PDF_CHUNK_ROWS, progress=progress)
    return RenderedPdf(content, pages, time.perf_counter() - started, data)


def _store_artifact(*, relazione: Relazione, rendered: RenderedPdf, kind: str, user) -> RelazioneArtifact:
    """The file first (storage is not transactional), then its row: a caller whose transaction rolls back deletes
    the file (`_discard_files`)."""
    sha = hashlib.sha256(rendered.content).hexdigest()
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    name = f"relazione-{relazione.plan.ente.code}-{relazione.year}-{kind}-{stamp}-{sha[:12]}.pdf"
    artifact = RelazioneArtifact(
        relazione=relazione,
        kind=kind,
        sha256=sha,
        size=len(rendered.content),
        pages=rendered.pages,
        render_seconds=Decimal(str(round(rendered.seconds, 2))),
        summary={
            "ente_score": str(rendered.data.ente_score) if rendered.data.ente_score is not None else None,
            "pages": rendered.pages,
        },
        created_by=user,
    )
    artifact.file.save(name, ContentFile(rendered.content), save=False)
    artifact.save()
    return artifact


def _discard_files(*files) -> None:
    for file in files:
        if file and file.name:
            file.storage.delete(file.name)


def relazione_render_draft(*, relazione: Relazione, user, progress: Progress | None = None) -> RelazioneArtifact:
    """Render a preview PDF (BOZZA until approved) and keep only the latest one: rendered outside any transaction,
    then one short transaction swaps the stored file."""
    _require(user, Action.RELAZIONE_RENDER)
    rendered = relazione_render_pdf(plan=relazione.plan, year=relazione.year, relazione=relazione, progress=progress)
    artifact = None
    try:
        with transaction.atomic():
            # Approved while it was rendering: this preview shows «BOZZA» and the texts before approval, stale.
            state_now = Relazione.objects.select_for_update().filter(pk=relazione.pk).values_list("state", flat=True)
            if state_now.first() not in (None, rendered.data.state):
                raise ValidationError(
                    "La Relazione è cambiata di stato durante la generazione: generare di nuovo l'anteprima."
                )
            old = list(RelazioneArtifact.objects.filter(relazione=relazione, kind=ArtifactKind.DRAFT))
            RelazioneArtifact.objects.filter(pk__in=[a.pk for a in old]).delete()
            artifact = _store_artifact(relazione=relazione, rendered=rendered, kind=ArtifactKind.DRAFT, user=user)
    except BaseException:
        _discard_files(artifact.file if artifact else None)
        raise
    _discard_files(*(a.file for a in old))  # after the commit: a rollback keeps the old preview whole
    return artifact


@dataclass
class ValidationInput:
    date: dt.date | None
    outcome: str
    text: str
    members: str
    checklist: list[str]
    attachment_name: str = ""
    attachment: bytes | None = None
    section_conclusions: dict[str, str] = field(default_factory=dict)  # CONCLUSION_SECTIONS key → text, optional


def relazione_validate_check(*, relazione: Relazione, data: ValidationInput, user) -> None:
    """Every refusal of relazione_validate that needs no lock: the role, the state, the form. A page calls it
    before queueing the job, so that a mistake in the form is said at once."""
    _require(user, Action.RELAZIONE_VALIDATE)
    if relazione.state != RelazioneState.APPROVED:
        raise ValidationError("Si può validare solo una Relazione approvata.")
    errors = {}
    if data.date is None:
        errors["date"] = "Indicare la data della validazione."
    if data.outcome not in ValidationOutcome.values:
        errors["outcome"] = "Indicare l'esito."
    if not data.text.strip():
        errors["text"] = "Scrivere le conclusioni dell'OIV."
    if not data.members.strip():
        errors["members"] = "Indicare i componenti dell'OIV."
    for key, label in CONCLUSION_SECTIONS:
        if len((data.section_conclusions.get(key) or "").strip()) > MAX_CONCLUSION_CHARS:
            limit = number_it(MAX_CONCLUSION_CHARS)
            errors[f"section_{key}"] = f"Conclusioni sulla sezione «{label}»: al massimo {limit} caratteri."
    if data.attachment is not None and not data.attachment.startswith(b"%PDF"):
        errors["attachment"] = "Il documento firmato deve essere un file PDF."
    if errors:
        raise ValidationError(errors)


def _validation_row(*, relazione: Relazione, data: ValidationInput, user) -> Validation:
    sections = {key: (data.section_conclusions.get(key) or "").strip() for key, _ in CONCLUSION_SECTIONS}
    validation = Validation(
        relazione=relazione,
        date=data.date,
        outcome=data.outcome,
        text=data.text.strip(),
        section_conclusions={key: text for key, text in sections.items() if text},
        members=data.members.strip()[:500],
        checklist=[key for key, _ in CHECKLIST if key in data.checklist],
        created_by=user,
    )
    require_fit(validation)
    return validation


@audited
def relazione_validate(
    *, relazione: Relazione, data: ValidationInput, user, progress: Progress | None = None
) -> Validation:
    """The OIV's act. «validata»: the final PDF is rendered first, outside any transaction (minutes for a large plan,
    no lock held), as the validated Relazione will be; then one short transaction re-checks the state under lock,
    stores the file with its SHA-256 and the act, and freezes the year. A render that fails stores nothing.
    «non validata»: the year goes back to consuntivo chiuso with the OIV's remarks, the Relazione to bozza."""
    _require(user, Action.RELAZIONE_VALIDATE)
    relazione = Relazione.objects.select_related("plan", "plan__ente").get(pk=relazione.pk)  # as stored now
    relazione_validate_check(relazione=relazione, data=data, user=user)
    if data.outcome == ValidationOutcome.NOT_VALIDATED:
        built = relazione_build(plan=relazione.plan, year=relazione.year, relazione=relazione)
        validation = _validation_row(relazione=relazione, data=data, user=user)
        validation.criteria = [c.snapshot() for c in built.criteria]
        document = _render_document(relazione=relazione, validation=validation, relazione_sha256="")
        with transaction.atomic():
            relazione = _locked_relazione(relazione)
            relazione_validate_check(relazione=relazione, data=data, user=user)
            validation.relazione = relazione
            _attach(validation, data)
            stored_document = None
            try:
                validation.save()
                stored_document = _store_document(
                    relazione=relazione, validation=validation, rendered=document, user=user
                )
                plan_year = plan_year_get(plan=relazione.plan, year=relazione.year)
                plan_year_transition(
                    plan_year=plan_year,
                    to_state=YearState.CLOSED,
                    user=user,
                    reason=f"Non validata dall'OIV: {data.text}",
                )
                relazione.state = RelazioneState.DRAFT
                relazione.save(update_fields=["state", "updated_at"])
            except BaseException:
                _discard_files(validation.attachment, stored_document and stored_document.file)
                raise
            return validation
    # 1. render, no transaction: the Relazione and the year as they will be once validated
    seen = relazione.updated_at
    validation = _validation_row(relazione=relazione, data=data, user=user)
    if data.attachment is not None:
        validation.attachment_sha256 = hashlib.sha256(data.attachment).hexdigest()
        validation.attachment.name = _attachment_name(validation, data)
    validated = copy.copy(relazione)
    validated.state = RelazioneState.VALIDATED
    validated.settings = {**relazione.settings, CALENDARIO_KEY: calendario_snapshot(ente_id=relazione.plan.ente_id)}
    plan_year = copy.copy(plan_year_get(plan=relazione.plan, year=relazione.year))
    plan_year.state = YearState.VALIDATED
    rendered = relazione_render_pdf(
        plan=relazione.plan,
        year=relazione.year,
        relazione=validated,
        pending=PendingValidation(validation=validation, plan_year=plan_year),
        progress=progress,
    )
    validation.criteria = [c.snapshot() for c in rendered.data.criteria]
    document = _render_document(
        relazione=relazione, validation=validation, relazione_sha256=hashlib.sha256(rendered.content).hexdigest()
    )
    # 2. one short transaction: nothing changed meanwhile, then the act, the states and the files
    artifact, stored, stored_document = None, None, None
    try:
        with transaction.atomic():
            relazione = _locked_relazione(relazione)
            relazione_validate_check(relazione=relazione, data=data, user=user)
            if relazione.updated_at != seen:
                raise ValidationError(
                    "La Relazione è stata modificata durante la generazione del PDF: ripetere la validazione."
                )
            validation.relazione = relazione
            if data.attachment is not None:
                chosen = validation.attachment.name
                stored = validation.attachment.name = validation.attachment.storage.save(
                    chosen, ContentFile(data.attachment)
                )
                if stored != chosen:  # taken meanwhile: the PDF printed another name
                    raise ValidationError("Documento firmato: il nome scelto è già occupato, ripetere la validazione.")
            validation.save()
            plan_year_transition(
                plan_year=plan_year_get(plan=relazione.plan, year=relazione.year),
                to_state=YearState.VALIDATED,
                user=user,
            )
            relazione.state = RelazioneState.VALIDATED
            # The calendario is the ente's, edited from any year's Relazione: the validated year keeps its own copy.
            relazione.settings = validated.settings
            relazione.save(update_fields=["state", "settings", "updated_at"])
            artifact = _store_artifact(relazione=relazione, rendered=rendered, kind=ArtifactKind.FINAL, user=user)
            stored_document = _store_document(relazione=relazione, validation=validation, rendered=document, user=user)
    except BaseException:
        # only what we wrote
        _discard_files(
            validation.attachment if stored else None,
            artifact and artifact.file,
            stored_document and stored_document.file,
        )
        raise
    return validation


# --- the Documento di validazione ------------------------------------------------------------------------------


def _document_context(*, relazione: Relazione, validation: Validation, relazione_sha256: str) -> dict:
    labels = dict(CHECKLIST)
    sections = dict(CONCLUSION_SECTIONS)
    criteria = []
    for c in validation.criteria:
        exceptions = c.get("exceptions", 0)
        criteria.append(
            {
                **c,
                "outcome_label": OUTCOME_LABELS.get(c.get("outcome"), ""),
                "exceptions_text": count_text(exceptions, "eccezione", "eccezioni"),
            }
        )
    return {
        "ente_name": relazione.plan.ente.legal_name or relazione.plan.ente.name,
        "plan_title": relazione.plan.title,
        "year": relazione.year,
        "relazione_act": relazione.act_line[:1].lower() + relazione.act_line[1:],
        "relazione_sha256": relazione_sha256,
        "outcome_label": ValidationOutcome(validation.outcome).label,
        "date": date_it(validation.date),
        "members": validation.members,
        "criteria": criteria,
        "checklist": [labels[key] for key in validation.checklist if key in labels],
        "sections": [(sections[key], text) for key, text in validation.section_conclusions.items() if key in sections],
        "text": validation.text,
        "generated": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
    }


def _render_document(*, relazione: Relazione, validation: Validation, relazione_sha256: str) -> RenderedPdf:
    started = time.perf_counter()
    context = _document_context(relazione=relazione, validation=validation, relazione_sha256=relazione_sha256)
    content, pages = validation_document_pdf(context)
    return RenderedPdf(content, pages, time.perf_counter() - started, None)


def _store_document(*, relazione: Relazione, validation: Validation, rendered: RenderedPdf, user) -> RelazioneArtifact:
    """The Documento di validazione next to the Relazione's PDFs, with its SHA-256; the previous ones of the
    Relazione are superseded (one current Documento, the latest validation's)."""
    sha = hashlib.sha256(rendered.content).hexdigest()
    RelazioneArtifact.objects.filter(
        relazione=relazione, kind=ArtifactKind.DOCUMENT, superseded_at__isnull=True
    ).update(superseded_at=timezone.now(), superseded_reason="Nuova validazione dell'OIV.")
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    artifact = RelazioneArtifact(
        relazione=relazione,
        kind=ArtifactKind.DOCUMENT,
        sha256=sha,
        size=len(rendered.content),
        pages=rendered.pages,
        render_seconds=Decimal(str(round(rendered.seconds, 2))),
        summary={"validation_id": validation.pk, "outcome": validation.outcome},
        created_by=user,
    )
    name = f"validazione-{relazione.plan.ente.code}-{relazione.year}-{stamp}-{sha[:12]}.pdf"
    artifact.file.save(name, ContentFile(rendered.content), save=False)
    artifact.save()
    return artifact


def validation_upload_signed(
    *, relazione: Relazione, name: str, content: bytes, user, size: int | None = None
) -> Validation:
    """The OIV's signed copy of the Documento di validazione, uploaded once after the validation: a PDF within
    MAX_SIGNED_PDF_BYTES (`size`: the upload's, when the view did not read a file too large), kept with its
    SHA-256. A signed copy already stored is not replaced."""
    _require(user, Action.RELAZIONE_VALIDATE)
    if (len(content) if size is None else size) > settings.MAX_SIGNED_PDF_BYTES:
        limit = number_it(settings.MAX_SIGNED_PDF_BYTES // (1024 * 1024))
        raise ValidationError({"signed": f"Il documento firmato supera il limite di {limit} MB."})
    if not content.startswith(b"%PDF"):
        raise ValidationError({"signed": "Il documento firmato deve essere un file PDF."})
    with transaction.atomic():
        relazione = _locked_relazione(relazione)
        validation = relazione.validations.select_for_update().first()
        if validation is None:
            raise ValidationError("La Relazione non ha ancora una validazione dell'OIV.")
        if validation.attachment:
            raise ValidationError({"signed": "Il documento firmato è già stato caricato."})
        validation.attachment_sha256 = hashlib.sha256(content).hexdigest()
        safe_name = Path(name or "validazione-firmata.pdf").name[-80:]
        validation.attachment.save(safe_name, ContentFile(content), save=False)
        try:
            validation.save(update_fields=["attachment", "attachment_sha256"])
        except BaseException:
            _discard_files(validation.attachment)
            raise
    return validation


def _attachment_name(validation: Validation, data: ValidationInput) -> str:
    """Where the signed document is stored: the final PDF prints this name, so it is chosen before the render."""
    safe_name = Path(data.attachment_name or "validazione.pdf").name[-80:]
    attachment = validation.attachment
    return attachment.storage.get_available_name(attachment.field.generate_filename(validation, safe_name))


def _attach(validation: Validation, data: ValidationInput) -> None:
    if data.attachment is not None:
        validation.attachment_sha256 = hashlib.sha256(data.attachment).hexdigest()
        safe_name = Path(data.attachment_name or "validazione.pdf").name[-80:]
        validation.attachment.save(safe_name, ContentFile(data.attachment), save=False)


@audited
@transaction.atomic
def relazione_reopen(*, relazione: Relazione, reason: str, user) -> Relazione:
    """An Amministratore's act: validata → the year back to consuntivo chiuso, the Relazione to bozza.
    The stored PDF stays in the history, marked as superseded with the reason."""
    _require(user, Action.YEAR_REOPEN)
    relazione = _locked_relazione(relazione)
    if relazione.state != RelazioneState.VALIDATED:
        raise ValidationError("Solo una Relazione validata può essere riaperta.")
    if not reason.strip():
        raise ValidationError({"reason": "Per riaprire un anno validato serve la motivazione."})
    plan_year = plan_year_get(plan=relazione.plan, year=relazione.year)
    plan_year_transition(plan_year=plan_year, to_state=YearState.CLOSED, user=user, reason=reason)
    RelazioneArtifact.objects.filter(
        relazione=relazione, kind__in=(ArtifactKind.FINAL, ArtifactKind.DOCUMENT), superseded_at__isnull=True
    ).update(superseded_at=timezone.now(), superseded_reason=reason.strip())
    relazione.state = RelazioneState.DRAFT
    relazione.updated_by = user
    relazione.save(update_fields=["state", "updated_by", "updated_at"])
    return relazione


# --- the OIV's working papers (carte di lavoro) ----------------------------------------------------------------

MAX_PAPER_CHARS = 10_000  # a note or a message: a page of text


def _require_papers_open(relazione: Relazione) -> None:
    """A validated Relazione closes the file the OIV worked on: notes, threads and documents stay readable as they
    were when the OIV signed, and nothing is added to them (no new request, message, note or document) until an
    Amministratore reopens the year. Only closing a request left open is still allowed."""
    if relazione.state == RelazioneState.VALIDATED:
        raise ValidationError(
            "La Relazione è validata: le carte di lavoro restano consultabili ma non si aggiungono richieste, "
            "messaggi, note o documenti."
        )


def _paper_text(text: str, field: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_PAPER_CHARS:
        raise ValidationError({field: f"{what} supera {number_it(MAX_PAPER_CHARS)} caratteri."})
    return text


@audited
@transaction.atomic
def paper_note_save(*, relazione: Relazione, topic: str, text: str, user) -> PaperNote:
    """The OIV's note on a criterion or a section (PAPER_TOPICS), written over the previous one; the history keeps
    who changed it and when."""
    _require(user, Action.OIV_PAPERS)
    relazione = _locked_relazione(relazione)
    _require_papers_open(relazione)
    if topic not in PAPER_TOPICS:
        raise ValidationError({"topic": "Criterio o sezione sconosciuti."})
    text = _paper_text(text, "text", "La nota")
    note = PaperNote.objects.filter(relazione=relazione, topic=topic).first()
    if note is None:
        note = PaperNote(relazione=relazione, topic=topic, text=text, updated_by=user)
        require_fit(note)
        note.save()
    elif note.text != text:
        note.text, note.revision, note.updated_by = text, note.revision + 1, user
        require_fit(note)
        note.save(update_fields=["text", "revision", "updated_by", "updated_at"])
    return note


@audited
@transaction.atomic
def clarification_open(
    *,
    relazione: Relazione,
    subject: str,
    text: str,
    user,
    objective_id: int | None = None,
    measurement_id: int | None = None,
    topic: str = "",
) -> ClarificationRequest:
    """The OIV asks the planning office: about a node of the plan, a value of the year, or (neither) the Relazione
    in general; `topic` says which criterion or section prompted it. The question is the thread's first message."""
    _require(user, Action.OIV_PAPERS)
    relazione = _locked_relazione(relazione)
    _require_papers_open(relazione)
    errors = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = "Indicare l'oggetto della richiesta."
    elif len(subject) > 200:
        errors["subject"] = "L'oggetto supera 200 caratteri."
    try:
        text = _paper_text(text, "text", "La richiesta")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not text and "text" not in errors:
        errors["text"] = "Scrivere la richiesta."
    if topic and topic not in PAPER_TOPICS:
        errors["topic"] = "Criterio o sezione sconosciuti."
    if objective_id is not None and measurement_id is not None:
        errors["objective"] = "Una richiesta riguarda un obiettivo oppure un valore, non entrambi."
    objective = measurement = None
    if objective_id is not None:
        objective = Objective.objects.filter(plan=relazione.plan, pk=objective_id).first()
        if objective is None:
            errors["objective"] = "Obiettivo non appartenente al piano."
    if measurement_id is not None:
        measurement = Measurement.objects.filter(
            pk=measurement_id, indicator__objective__plan=relazione.plan, year=relazione.year
        ).first()
        if measurement is None:
            errors["measurement"] = f"Consuntivo non appartenente al piano e all'anno {relazione.year}."
    if errors:
        raise ValidationError(errors)
    request = ClarificationRequest(
        relazione=relazione,
        objective=objective,
        measurement=measurement,
        topic=topic,
        subject=subject,
        created_by=user,
    )
    message = ClarificationMessage(side=ClarificationMessage.Side.OIV, text=text, author=user)
    require_fit(request, message)
    request.save()
    message.request = request
    message.save()
    return request


def _locked_request(request: ClarificationRequest) -> ClarificationRequest:
    return ClarificationRequest.objects.select_for_update().select_related("relazione").get(pk=request.pk)


def _add_message(request: ClarificationRequest, *, side: str, text: str, user, to_state: str) -> ClarificationMessage:
    relazione = _locked_relazione(request.relazione)
    _require_papers_open(relazione)
    request = _locked_request(request)
    if request.state == ClarificationState.CLOSED:
        raise ValidationError("La richiesta è chiusa: non si aggiungono messaggi.")
    text = _paper_text(text, "text", "Il messaggio")
    if not text:
        raise ValidationError({"text": "Scrivere il messaggio."})
    message = ClarificationMessage(request=request, side=side, text=text, author=user)
    require_fit(message)
    message.save()
    if request.state != to_state:
        request.state = to_state
        request.save(update_fields=["state"])
    return message


@audited
@transaction.atomic
def clarification_answer(*, request: ClarificationRequest, text: str, user) -> ClarificationMessage:
    """The planning office answers: the request becomes «risposta», for the OIV to read and close or ask again."""
    _require(user, Action.CLARIFICATION_ANSWER)
    return _add_message(
        request, side=ClarificationMessage.Side.PLANNING, text=text, user=user, to_state=ClarificationState.ANSWERED
    )


@audited
@transaction.atomic
def clarification_follow_up(*, request: ClarificationRequest, text: str, user) -> ClarificationMessage:
    """The OIV asks again on the same thread: the request is «aperta» again, waiting for an answer."""
    _require(user, Action.OIV_PAPERS)
    return _add_message(
        request, side=ClarificationMessage.Side.OIV, text=text, user=user, to_state=ClarificationState.OPEN
    )


@audited
@transaction.atomic
def clarification_close(*, request: ClarificationRequest, user) -> ClarificationRequest:
    """Only the OIV closes a request, answered or not; also after the validation, so that none stays open forever."""
    _require(user, Action.OIV_PAPERS)
    request = _locked_request(request)
    if request.state == ClarificationState.CLOSED:
        raise ValidationError("La richiesta è già chiusa.")
    request.state = ClarificationState.CLOSED
    request.closed_at = timezone.now()
    request.closed_by = user
    request.save(update_fields=["state", "closed_at", "closed_by"])
    return request


@audited
def paper_document_add(*, relazione: Relazione, title: str, upload: UploadedFile, user) -> PaperDocument:
    """A document the OIV collected, checked as the values' evidence is (type by extension and content, size:
    consuntivi.services.evidence_check) and kept with its SHA-256. The file is written first, then its row; a
    refused row deletes the file."""
    _require(user, Action.OIV_PAPERS)
    title = (title or "").strip() or Path(upload.name or "documento").stem
    if len(title) > 200:
        raise ValidationError({"title": "La descrizione supera 200 caratteri."})
    try:
        content_type = evidence_check(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = Path(upload.name or "documento").name[-80:]
    document = None
    try:
        with transaction.atomic():
            locked = _locked_relazione(relazione)
            _require_papers_open(locked)
            document = PaperDocument(
                relazione=locked,
                title=title,
                original_name=name,
                content_type=content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                uploaded_by=user,
            )
            require_fit(document)
            document.file.save(name, upload, save=False)
            document.save()
    except BaseException:
        _discard_files(document.file if document is not None else None)
        raise
    return document
