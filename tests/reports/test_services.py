import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from plans.lifecycle import Write, require_open
from plans.models import PlanYear, YearState
from reports.models import ArtifactKind, BilancioLine, Relazione, RelazioneArtifact, RelazioneState, Validation
from reports.services import (
    relazione_approve,
    relazione_reopen,
    relazione_update_bilancio,
    relazione_update_texts,
    relazione_validate,
)
from tests.reports.conftest import YEAR, validation_input


def _year_state(relazione: Relazione) -> str:
    return PlanYear.objects.get(plan=relazione.plan, year=relazione.year).state


def test_texts_are_stored_sanitised(relazione, planner):
    relazione_update_texts(
        relazione=relazione, texts={"premessa": "<p onclick='x'>Ciao <b>a tutti</b></p>"}, user=planner
    )
    relazione.refresh_from_db()
    assert relazione.texts["premessa"] == "<p>Ciao <strong>a tutti</strong></p>"


def test_only_the_planning_office_edits_texts(relazione, oiv, office_head):
    for user in (oiv, office_head):
        with pytest.raises(PermissionDenied):
            relazione_update_texts(relazione=relazione, texts={"premessa": "x"}, user=user)
    relazione.refresh_from_db()
    assert relazione.texts == {}


def test_bilancio_refuses_decimals_and_says_which_cell(relazione, planner):
    with pytest.raises(ValidationError) as error:
        relazione_update_bilancio(relazione=relazione, values={(YEAR, "1"): "1.000,50", (YEAR, "2"): "7"}, user=planner)
    assert error.value.message_dict == {f"bilancio-{YEAR}-1": ["Indicare euro interi, senza decimali."]}
    assert not BilancioLine.objects.exists()  # validated first, nothing written


def test_approval_needs_the_year_closed(relazione, planner):
    with pytest.raises(ValidationError, match="Consuntivo chiuso"):
        relazione_approve(
            relazione=relazione, organ="delibera di Giunta", number="1", date=dt.date(2018, 6, 1), user=planner
        )
    relazione.refresh_from_db()
    assert relazione.state == RelazioneState.DRAFT


def test_approval_is_refused_while_blocking_checks_remain(closed_relazione, planner):
    # The small plan has no adopting act.
    with pytest.raises(ValidationError, match="atto di adozione"):
        relazione_approve(
            relazione=closed_relazione, organ="delibera di Giunta", number="1", date=dt.date(2018, 6, 1), user=planner
        )
    assert _year_state(closed_relazione) == YearState.CLOSED


def test_approval_records_the_act_and_moves_the_year(approved_relazione):
    assert approved_relazione.state == RelazioneState.APPROVED
    assert approved_relazione.act_line == "Approvata con delibera di Giunta n. 45 del 20/06/2018"
    assert _year_state(approved_relazione) == YearState.REPORT_APPROVED


def test_texts_are_locked_once_approved(approved_relazione, planner):
    with pytest.raises(ValidationError, match="non sono più modificabili"):
        relazione_update_texts(relazione=approved_relazione, texts={"premessa": "nuovo"}, user=planner)


@pytest.mark.parametrize("persona", ["planner", "admin_user", "office_head"])
def test_only_the_oiv_validates(approved_relazione, persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        relazione_validate(relazione=approved_relazione, data=validation_input(), user=user)
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.APPROVED
    assert _year_state(approved_relazione) == YearState.REPORT_APPROVED
    assert not RelazioneArtifact.objects.exists() and not Validation.objects.exists()


def test_validation_stores_one_final_pdf_with_its_sha256_and_freezes_the_year(validated_relazione):
    import hashlib

    artifact = RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.FINAL)
    content = artifact.file.open("rb").read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == artifact.sha256
    assert artifact.size == len(content) and artifact.summary["ente_score"] == "93.11"
    assert validated_relazione.state == RelazioneState.VALIDATED
    for action, year in [(Write.STRUCTURE, None), (Write.MEASUREMENT, YEAR), (Write.REPORT, YEAR)]:
        with pytest.raises(ValidationError, match="validat"):
            require_open(plan=validated_relazione.plan, action=action, year=year)


def test_writes_are_refused_after_validation(validated_relazione, planner, admin_user):
    ente = validated_relazione.plan.ente
    with pytest.raises(ValidationError):
        relazione_update_texts(relazione=validated_relazione, texts={"premessa": "cambiata"}, user=planner)
    with pytest.raises(ValidationError):
        relazione_update_bilancio(relazione=validated_relazione, values={(YEAR, "1"): "5"}, user=admin_user)
    # The next year's Relazione may not change a bilancio year printed in a validated one either.
    from reports.services import relazione_get_or_create

    next_year = relazione_get_or_create(plan=validated_relazione.plan, year=YEAR + 1)
    with pytest.raises(ValidationError, match="Relazione validata"):
        relazione_update_bilancio(relazione=next_year, values={(YEAR, "1"): "5"}, user=planner)
    relazione_update_bilancio(relazione=next_year, values={(YEAR + 1, "1"): "5"}, user=planner)
    assert BilancioLine.objects.get(ente=ente, year=YEAR, code="1").amount == 9_000_000  # unchanged
    assert BilancioLine.objects.get(ente=ente, year=YEAR + 1, code="1").amount == 5
    validated_relazione.refresh_from_db()
    assert "premessa" not in validated_relazione.texts


def test_a_second_validation_is_refused(validated_relazione, oiv):
    with pytest.raises(ValidationError, match="solo una Relazione approvata"):
        relazione_validate(relazione=validated_relazione, data=validation_input(), user=oiv)
    assert RelazioneArtifact.objects.filter(kind=ArtifactKind.FINAL).count() == 1


def test_not_validated_sends_the_year_back_with_the_remarks(approved_relazione, oiv):
    relazione_validate(
        relazione=approved_relazione, data=validation_input(outcome="non_validata", text="Dati incompleti."), user=oiv
    )
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.DRAFT
    assert _year_state(approved_relazione) == YearState.CLOSED
    # no Relazione PDF is kept, only the OIV's Documento di validazione with the outcome
    assert list(RelazioneArtifact.objects.values_list("kind", flat=True)) == [ArtifactKind.DOCUMENT]


def test_the_validation_refuses_missing_fields_and_a_non_pdf_attachment(approved_relazione, oiv):
    with pytest.raises(ValidationError) as error:
        relazione_validate(
            relazione=approved_relazione, data=validation_input(members="", attachment=b"GIF89a"), user=oiv
        )
    assert set(error.value.message_dict) == {"members", "attachment"}
    assert _year_state(approved_relazione) == YearState.REPORT_APPROVED


def test_a_signed_attachment_is_stored_with_its_hash(approved_relazione, oiv):
    import hashlib

    signed = b"%PDF-1.4 firmato"
    validation = relazione_validate(
        relazione=approved_relazione,
        data=validation_input(attachment=signed, attachment_name="validazione OIV.pdf"),
        user=oiv,
    )
    assert validation.attachment_sha256 == hashlib.sha256(signed).hexdigest()
    assert validation.attachment.open("rb").read() == signed


def test_only_an_admin_reopens_a_validated_year_with_a_reason(validated_relazione, planner, oiv, admin_user):
    for user in (planner, oiv):
        with pytest.raises(PermissionDenied):
            relazione_reopen(relazione=validated_relazione, reason="errore", user=user)
    with pytest.raises(ValidationError, match="motivazione"):
        relazione_reopen(relazione=validated_relazione, reason="  ", user=admin_user)
    assert _year_state(validated_relazione) == YearState.VALIDATED

    relazione_reopen(relazione=validated_relazione, reason="Errore nel consuntivo F1", user=admin_user)
    validated_relazione.refresh_from_db()
    assert validated_relazione.state == RelazioneState.DRAFT
    assert _year_state(validated_relazione) == YearState.CLOSED
    artifact = RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.FINAL)
    assert artifact.superseded_at is not None and artifact.superseded_reason == "Errore nel consuntivo F1"


def test_per_section_conclusions_are_stored_in_report_order_and_printed_in_allegato_1(approved_relazione, oiv):
    from tests.reports.pdf_text import pdf_pages

    data = validation_input(
        section_conclusions={"s3": "  Misurazione attendibile.  ", "s1": "Risultati chiari.", "s2": " "}
    )
    validation = relazione_validate(relazione=approved_relazione, data=data, user=oiv)
    assert validation.section_conclusions == {
        "s1": "Risultati chiari.",
        "s3": "Misurazione attendibile.",
    }  # blank left out
    artifact = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.FINAL)
    text = "\n".join(pdf_pages(artifact.file.open("rb").read())).replace("\n", " ")
    allegato = text[text.rindex("Allegato 1 – Validazione della Relazione") :]
    first = allegato.index("1. I principali risultati raggiunti")
    third = allegato.index("3. Misurazione e valutazione della performance organizzativa")
    assert "Conclusioni per sezione" in allegato and first < allegato.index("Risultati chiari.") < third
    assert allegato.index("Misurazione attendibile.") > third
    assert "2. Analisi del contesto e delle risorse Misurazione" not in allegato  # no heading for a blank section


def test_an_overlong_section_conclusion_is_refused_and_says_which_section(approved_relazione, oiv):
    with pytest.raises(ValidationError) as error:
        relazione_validate(
            relazione=approved_relazione, data=validation_input(section_conclusions={"s5": "x" * 10_001}), user=oiv
        )
    assert error.value.message_dict == {
        "section_s5": [
            "Conclusioni sulla sezione «6. Il processo di misurazione e valutazione»: al massimo 10.000 caratteri."
        ]
    }
    assert not Validation.objects.exists()
