"""The OIV's validation criteria (reports/criteria.py) on the Modena demo, each broken on purpose; the Documento di
validazione generated with the validation, read back; the signed copy."""

import dataclasses
import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from consuntivi.models import Measurement
from indicators.models import Target
from perfplan.roles import Role
from plans.models import Plan, PlanRevision
from reports.criteria import validation_criteria
from reports.models import ArtifactKind, RelazioneArtifact, Validation
from reports.sections.common import IndicatorTable
from reports.sections.context import load
from reports.services import (
    relazione_approve,
    relazione_close_year,
    relazione_get_or_create,
    relazione_validate,
    validation_upload_signed,
)
from tests.factories import FIXTURES, make_user
from tests.reports.conftest import WRITTEN_TEXTS, YEAR, add_bilancio, validation_input, write_texts
from tests.reports.pdf_text import flat, pdf_pages
from tests.reports.test_pdf import assert_archivable_and_tagged
from workbook.plan_import import plan_import

SIGNED = b"%PDF-1.7\n% signed by the OIV\n%%EOF\n"


@pytest.fixture
def modena(db) -> Plan:
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors[:3]
    return Plan.objects.select_related("ente").get(pk=report.plan_id)


def _criteria(plan: Plan, relazione=None) -> dict:
    ctx = load(plan=plan, year=YEAR, relazione=relazione, pending=None)
    return {c.key: c for c in validation_criteria(ctx)}


def _missed_measurement(plan: Plan) -> Measurement:
    """The indicator of Modena's 6021.03.D1.35 achieved at 85,00 % in 2017, with the demo's note on the gap."""
    ctx = load(plan=plan, year=YEAR, relazione=None, pending=None)
    [missed] = [
        i.pk
        for n in ctx.tree.objectives
        if n.code == "6021.03.D1.35"
        for i in ctx.tree.indicators_of[n.pk]
        if ctx.result.indicators[i.pk].achievement == 85
    ]
    return Measurement.objects.get(indicator_id=missed, year=YEAR, round__final=True)


def test_the_modena_demo_meets_every_criterion_but_the_placeholders(modena):
    criteria = _criteria(modena)
    assert list(criteria) == [
        "obiettivi",
        "target",
        "scostamenti",
        "manuali",
        "allegati",
        "punteggio",
        "segnaposto",
        "atto",
    ]
    outcomes = {key: c.outcome for key, c in criteria.items()}
    assert outcomes == {
        "obiettivi": "rispettato",
        "target": "rispettato",
        "scostamenti": "rispettato",
        "manuali": "rispettato",
        "allegati": "non_verificato",
        "punteggio": "rispettato",
        "segnaposto": "eccezioni",
        "atto": "rispettato",
    }
    # 383 objectives and 237 indicators with a 2017 target; 33 misses (derived indicators left out), 1 manual.
    assert criteria["obiettivi"].checked == 620
    assert criteria["obiettivi"].evidence == "383 obiettivi e 237 indicatori con target 2017"
    assert criteria["target"].evidence == "237 target 2017, di cui 0 rimodulati"
    assert criteria["scostamenti"].evidence == "33 indicatori non raggiunti"
    assert criteria["manuali"].evidence == "1 raggiungimento manuale"
    assert criteria["punteggio"].evidence == "3 ambiti: ricalcolato 98,65\u00a0%, stampato 98,65\u00a0%"
    assert criteria["atto"].evidence == "atto del 30/01/2017, primo anno 2017"
    assert len(criteria["segnaposto"].exceptions) == 4


def test_written_texts_meet_the_placeholder_criterion(modena, planner):
    relazione = relazione_get_or_create(plan=modena, year=YEAR)
    write_texts(relazione, planner)
    relazione.refresh_from_db()
    criterion = _criteria(modena, relazione)["segnaposto"]
    assert criterion.outcome == "rispettato" and criterion.checked == 10
    assert len(WRITTEN_TEXTS) == 4


def test_a_miss_without_a_note_is_an_exception_linked_to_the_indicator(modena):
    measurement = _missed_measurement(modena)
    measurement.note = ""
    measurement.save(update_fields=["note"])
    criterion = _criteria(modena)["scostamenti"]
    assert criterion.outcome == "eccezioni" and criterion.blocking
    [exception] = criterion.exceptions
    assert "raggiungimento 85,00\u00a0% senza nota sullo scostamento" in exception.label
    assert exception.url == (
        reverse("plans:why", args=[modena.pk, "indicatore", measurement.indicator_id]) + f"?anno={YEAR}"
    )


def test_a_manual_achievement_without_a_reason_is_an_exception(modena):
    measurement = Measurement.objects.get(
        indicator__objective__plan=modena, year=YEAR, round__final=True, manual_achievement__isnull=False
    )
    measurement.manual_reason = " "
    measurement.save(update_fields=["manual_reason"])
    criterion = _criteria(modena)["manuali"]
    assert criterion.outcome == "eccezioni" and len(criterion.exceptions) == 1
    assert "raggiungimento manuale senza motivazione" in criterion.exceptions[0].label


def test_a_revised_target_needs_a_revision_with_its_act(modena, planner):
    adopted = Target.objects.get(indicator=_missed_measurement(modena).indicator, year=YEAR, is_current=True)
    adopted.is_current = False
    adopted.save(update_fields=["is_current"])
    revised = Target.objects.create(
        indicator=adopted.indicator,
        year=YEAR,
        version=2,
        raw=">=50",
        kind=adopted.kind,
        comparator=">=",
        number=50,
        unit=adopted.unit,
        reason="Rimodulato a metà anno",
    )
    criterion = _criteria(modena)["target"]
    assert criterion.outcome == "eccezioni"
    assert criterion.evidence == "237 target 2017, di cui 1 rimodulato"
    assert "«>=50» (versione 2) senza rimodulazione con atto e motivazione" in criterion.exceptions[0].label
    indicator = revised.indicator
    subject = f"{indicator.objective.code} / {indicator.code or indicator.name}"
    revision = PlanRevision.objects.create(
        plan=modena,
        reason="Rimodulato a metà anno",
        subject_type="target",
        subject_code=subject,
        field=f"target {YEAR}",
        old_value=adopted.raw,
        new_value=">=50",
        user=planner,
    )
    assert _criteria(modena)["target"].outcome == "eccezioni"  # recorded, but without the act
    revision.act = "Delibera di Giunta n. 80 del 15/07/2017"
    revision.save(update_fields=["act"])
    assert _criteria(modena)["target"].outcome == "rispettato"


def test_an_adoption_act_after_the_plan_year_is_an_exception(modena):
    modena.act_date = dt.date(2018, 3, 1)
    modena.save(update_fields=["act_date"])
    criterion = _criteria(modena)["atto"]
    assert criterion.outcome == "eccezioni"
    assert criterion.exceptions[0].label == "Atto di adozione del 01/03/2018, dopo l'inizio del piano (2017)"


def test_a_score_that_is_not_the_weighted_mean_of_the_rows_is_an_exception(modena):
    ctx = load(plan=modena, year=YEAR, relazione=None, pending=None)
    printed = dataclasses.replace(ctx.result, score=ctx.result.score + 1)  # 99,65 printed: a broken value
    broken = dataclasses.replace(ctx, scoring=dataclasses.replace(ctx.scoring, result=printed))
    criterion = {c.key: c for c in validation_criteria(broken)}["punteggio"]
    assert criterion.outcome == "eccezioni"
    assert criterion.exceptions[0].label == (
        "Punteggio dell'ente stampato 99,65\u00a0%, ricalcolato dalle righe 98,65\u00a0%"
    )


def test_an_indicator_missing_from_the_tables_is_an_exception(modena):
    ctx = load(plan=modena, year=YEAR, relazione=None, pending=None)
    rows = dict(ctx.indicators.rows)
    removed = rows.pop(next(iter(rows)))
    broken = dataclasses.replace(ctx, indicators=IndicatorTable(rows=rows, footnotes=ctx.indicators.footnotes))
    criterion = {c.key: c for c in validation_criteria(broken)}["obiettivi"]
    assert criterion.outcome == "eccezioni" and len(criterion.exceptions) == 1
    assert removed.label in criterion.exceptions[0].label or criterion.exceptions[0].url


def _ready_to_approve(plan: Plan, planner):
    relazione = relazione_get_or_create(plan=plan, year=YEAR)
    relazione_close_year(plan=plan, year=YEAR, user=planner, confirmed=True)
    write_texts(relazione, planner)
    if not plan.ente.bilancio_lines.filter(year=YEAR).exists():
        add_bilancio(plan.ente, YEAR)
    relazione.refresh_from_db()
    return relazione


def test_approval_is_refused_while_a_miss_has_no_note(modena):
    planner = make_user("pianificazione-mo", Role.PLANNER, modena.ente)
    relazione = _ready_to_approve(modena, planner)
    measurement = _missed_measurement(modena)
    note = measurement.note
    measurement.note = ""
    measurement.save(update_fields=["note"])
    with pytest.raises(ValidationError, match="Ogni target non raggiunto ha la nota sullo scostamento: 1 senza nota"):
        relazione_approve(
            relazione=relazione, organ="delibera di Giunta", number="45", date=dt.date(2018, 6, 20), user=planner
        )
    measurement.note = note
    measurement.save(update_fields=["note"])
    approved = relazione_approve(
        relazione=relazione, organ="delibera di Giunta", number="45", date=dt.date(2018, 6, 20), user=planner
    )
    assert approved.state == "approvata"


def test_the_page_shows_each_criterion_with_its_outcome(client, modena):
    client.force_login(make_user("pianificazione-mo", Role.PLANNER, modena.ente))
    response = client.get(reverse("reports:detail", args=[modena.pk, YEAR]))
    html = response.content.decode()
    assert 'data-testid="criterion-scostamenti" data-outcome="rispettato"' in html
    assert 'data-testid="criterion-segnaposto" data-outcome="eccezioni"' in html
    assert "✖ 4 eccezioni" in html
    assert "/relazioni/" in html and "#contesto" in html  # the placeholder's link to its text in the editor


# --- the Documento di validazione and its signed copy --------------------------------------------------------


def test_the_validation_stores_the_criteria_and_the_documento_with_its_sha256(validated_relazione):
    validation = Validation.objects.get(relazione=validated_relazione)
    keys = [c["key"] for c in validation.criteria]
    assert keys == ["obiettivi", "target", "scostamenti", "manuali", "allegati", "punteggio", "segnaposto", "atto"]
    assert {c["key"]: c["outcome"] for c in validation.criteria}["segnaposto"] == "rispettato"
    document = RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.DOCUMENT)
    content = document.file.read()
    assert hashlib.sha256(content).hexdigest() == document.sha256 and document.size == len(content)
    assert document.summary == {"validation_id": validation.pk, "outcome": "validata"}
    assert_archivable_and_tagged(content)
    text = flat("\n".join(pdf_pages(content)))
    assert "Documento di validazione della Relazione sulla performance 2017" in text
    assert "Relazione validata in data 28/06/2018" in text
    assert "Mario Rossi (presidente), Anna Bianchi" in text
    assert "art. 14, comma 4, lettera c), del D.Lgs. 27 ottobre 2009, n. 150" in text
    assert "Linee guida del Dipartimento della Funzione Pubblica n. 3/2018" in text
    assert (
        "Ogni target non raggiunto ha la nota sullo scostamento (bloccante) Rispettato 1 indicatore non raggiunto"
        in text
    )
    assert "approvata con delibera di Giunta n. 45 del 20/06/2018" in text
    # the small plan's act is a text without a date: the criterion cannot confirm it
    assert "L'atto di adozione del Piano precede l'anno del Piano Eccezioni: 1 eccezione" in text
    assert "Nessun testo di istruzione resta nella Relazione (bloccante) Rispettato 10 testi letti" in text
    assert "La Relazione è conforme, comprensibile e attendibile." in text
    final = RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.FINAL)
    assert final.sha256 in text.replace(" ", "")  # the Documento names the file it validates


def test_a_not_validated_outcome_has_its_documento_too(approved_relazione, oiv):
    data = validation_input(outcome="non_validata", text="Mancano le note sugli scostamenti.")
    data.section_conclusions = {"s3": "La sezione 3 va completata."}
    relazione_validate(relazione=approved_relazione, data=data, user=oiv)
    document = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.DOCUMENT)
    text = flat("\n".join(pdf_pages(document.file.read())))
    assert "Relazione non validata in data 28/06/2018" in text
    assert "3. Misurazione e valutazione della performance organizzativa La sezione 3 va completata." in text


def test_the_signed_copy_is_stored_once_with_its_sha256(validated_relazione, oiv):
    validation = validation_upload_signed(relazione=validated_relazione, name="firmato.pdf", content=SIGNED, user=oiv)
    assert validation.attachment_sha256 == hashlib.sha256(SIGNED).hexdigest()
    assert validation.attachment.read() == SIGNED
    with pytest.raises(ValidationError, match="già stato caricato"):
        validation_upload_signed(relazione=validated_relazione, name="altro.pdf", content=SIGNED, user=oiv)


def test_the_signed_copy_refuses_a_non_pdf_a_large_file_and_other_roles(validated_relazione, oiv, planner):
    with pytest.raises(ValidationError, match="deve essere un file PDF"):
        validation_upload_signed(relazione=validated_relazione, name="x.docx", content=b"PK\x03\x04", user=oiv)
    with override_settings(MAX_SIGNED_PDF_BYTES=10), pytest.raises(ValidationError, match="supera il limite"):
        validation_upload_signed(relazione=validated_relazione, name="x.pdf", content=SIGNED, user=oiv)
    with pytest.raises(PermissionDenied):
        validation_upload_signed(relazione=validated_relazione, name="x.pdf", content=SIGNED, user=planner)
    assert not Validation.objects.get(relazione=validated_relazione).attachment


def test_planner_and_oiv_download_the_documento_others_are_refused(
    client, validated_relazione, planner, oiv, office_head, outsider
):
    url = reverse("reports:document", args=[validated_relazione.plan_id, YEAR])
    document = RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.DOCUMENT)
    for user in (planner, oiv):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256
    client.force_login(office_head)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_oiv_uploads_the_signed_copy_from_the_page(client, validated_relazione, oiv, planner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("reports:upload_signed", args=[validated_relazione.plan_id, YEAR])
    client.force_login(planner)
    assert client.post(url, {"signed": SimpleUploadedFile("f.pdf", SIGNED)}).status_code == 403
    client.force_login(oiv)
    response = client.post(url, {"signed": SimpleUploadedFile("f.txt", b"plain text")}, follow=True)
    assert "Il documento firmato deve essere un file PDF." in response.content.decode()
    response = client.post(url, {"signed": SimpleUploadedFile("f.pdf", SIGNED)}, follow=True)
    html = response.content.decode()
    assert hashlib.sha256(SIGNED).hexdigest() in html and 'data-testid="download-signed"' in html
