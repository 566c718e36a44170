"""Hostile input to «I miei indicatori», the review and the attachments (issue 11): a value the database cannot hold
is a form error in Italian and nothing is saved; an attachment must be what its extension says."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consuntivi.models import Evidence, Measurement, MeasurementChange
from consuntivi.services import evidence_check, measurements_save
from tests.consuntivi.factories import client_for, entry, indicator

TOO_LARGE = "è troppo grande: al massimo 18 cifre prima della virgola"


@pytest.fixture
def eventi(plan):
    return indicator(plan, "Eventi organizzati")  # U2, a number, target >= 10


def _save(client, rnd, unit, eventi, **fields):
    data = {
        f"m{eventi.pk}-version": 0,
        f"m{eventi.pk}-note": "nota",
        **{f"m{eventi.pk}-{k}": v for k, v in fields.items()},
    }
    return client.post(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{unit.pk}/salva/", data)


def _nothing_saved():
    return not Measurement.objects.exists() and not MeasurementChange.objects.exists()


@pytest.mark.parametrize("value", ["9" * 40, "1.000.000.000.000.000.000.000", "1000000000000000000000"])
def test_a_value_too_large_for_its_column_is_a_form_error_and_nothing_is_saved(rnd, who, eventi, value):
    response = _save(client_for(who["head_u2"]), rnd, who["units"]["U2"], eventi, value=value)
    assert response.status_code == 200
    assert response.context["forms"][eventi.pk].errors["value"] == [f"Il campo «Valore» {TOO_LARGE}."]
    assert _nothing_saved()


@pytest.mark.parametrize("value", ["1e999", "NaN", "-Infinity"])
def test_a_number_that_is_not_finite_is_a_form_error(rnd, who, eventi, value):
    response = _save(client_for(who["head_u2"]), rnd, who["units"]["U2"], eventi, value=value)
    assert response.status_code == 200
    assert response.context["forms"][eventi.pk].errors["value"] == [
        f"«{value}» non è un numero (esempi: 1.250 oppure 33,34)."
    ]
    assert _nothing_saved()


def test_the_live_preview_of_a_value_too_large_shows_the_error(rnd, who, eventi):
    client = client_for(who["head_u2"])
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/anteprima/"
    response = client.post(url, {f"m{eventi.pk}-version": 0, f"m{eventi.pk}-value": "9" * 40})
    assert response.status_code == 200
    assert TOO_LARGE in response.content.decode()


def test_the_service_refuses_a_value_too_large_without_a_form(rnd, who, eventi):
    result = measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "9" * 40, note="n")])
    assert result.errors == {eventi.pk: {"value": f"Il campo «valore» {TOO_LARGE}."}}
    assert _nothing_saved()


@pytest.mark.parametrize("achievement", ["9" * 40, "1e999", "100000"])
def test_a_manual_achievement_too_large_is_refused_with_a_message(rnd, who, eventi, achievement):
    client = client_for(who["planner"])
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/manuale/"
    response = client.post(url, {"achievement": achievement, "reason": "Perché sì", "version": 0}, follow=True)
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Raggiungimento manuale non salvato" in text
    assert "troppo grande" in text or "non è un numero" in text
    assert _nothing_saved()


# --- attachments ---------------------------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"})
PLAIN_ZIP = _zip({"segreti.txt": b"non un documento"})


@pytest.mark.parametrize(
    ("name", "content"),
    [("relazione.docx", DOCX), ("tabella.xlsx", XLSX), ("verbale.odt", ODT)],
)
def test_a_real_office_document_is_accepted(name, content):
    assert evidence_check(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("relazione.docx", PLAIN_ZIP, "«relazione.docx»: il contenuto non è un documento DOCX valido"),
        ("tabella.xlsx", DOCX, "«tabella.xlsx»: il contenuto non è un documento XLSX valido"),
        ("verbale.odt", XLSX, "«verbale.odt»: il contenuto non è un documento ODT valido"),
        ("foglio.ods", ODT, "«foglio.ods»: il contenuto non è un documento ODS valido"),
        ("rotto.docx", b"PK\x03\x04 non un vero zip", "«rotto.docx»: il contenuto non è un documento DOCX valido"),
        ("foto.png", b"GIF89a", "«foto.png»: il contenuto non corrisponde a un file PNG."),
        ("atto.pdf", PLAIN_ZIP, "«atto.pdf»: il contenuto non corrisponde a un file PDF."),
    ],
)
def test_a_file_whose_content_is_not_what_its_extension_says_is_refused_and_nothing_is_saved(
    rnd, who, eventi, name, content, message
):
    upload = SimpleUploadedFile(name, content)
    response = _save(client_for(who["head_u2"]), rnd, who["units"]["U2"], eventi, value="12", evidence=upload)
    assert response.status_code == 200
    assert response.context["forms"][eventi.pk].errors["evidence"][0].startswith(message)
    assert _nothing_saved() and not Evidence.objects.exists()
