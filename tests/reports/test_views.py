import hashlib
from html import unescape

import pytest
from django.urls import reverse

from plans.models import PlanYear, YearState
from reports.models import ArtifactKind, BilancioLine, Relazione, RelazioneArtifact, RelazioneState
from tests.factories import PASSWORD
from tests.reports.conftest import YEAR


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def url(name: str, plan, *extra) -> str:
    return reverse(f"reports:{name}", args=[plan.pk, YEAR, *extra])


def test_every_role_of_the_ente_reads_the_preview_with_its_checks(client, small_plan, planner, oiv, office_head):
    for user in (planner, oiv, office_head):
        login(client, user)
        response = client.get(url("detail", small_plan))
        assert response.status_code == 200
        page = unescape(response.content.decode())
        assert "93,11 %" in page and "Il piano non ha l'atto di adozione." in page


def test_a_user_without_role_gets_403_and_an_outsider_404(client, small_plan, no_role_user, outsider):
    login(client, no_role_user)
    assert client.get(reverse("reports:index")).status_code == 403
    login(client, outsider)
    assert client.get(url("detail", small_plan)).status_code == 404
    assert client.post(f"/consuntivi/piano/{small_plan.pk}/anno/{YEAR}/chiudi/", {"conferma": "1"}).status_code == 404
    assert not PlanYear.objects.filter(plan=small_plan, year=YEAR).exclude(state=YearState.PLANNED).exists()


def test_anonymous_users_are_sent_to_the_login(client, small_plan):
    response = client.get(url("detail", small_plan))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["oiv", "office_head"])
def test_only_the_planning_office_edits(client, relazione, persona, request):
    login(client, request.getfixturevalue(persona))
    assert client.get(url("edit", relazione.plan)).status_code == 403
    response = client.post(url("edit", relazione.plan), {"section": "testi", "text-premessa": "Testo cambiato"})
    assert response.status_code == 403
    relazione.refresh_from_db()
    assert relazione.texts == {}


def test_the_editor_saves_texts_and_reports_a_bad_cell_in_italian(client, relazione, planner):
    login(client, planner)
    response = client.post(
        url("edit", relazione.plan), {"section": "testi", "text-premessa": "<p>Nuova <b>premessa</b></p>"}
    )
    assert response.status_code == 302
    relazione.refresh_from_db()
    assert relazione.texts["premessa"] == "<p>Nuova <strong>premessa</strong></p>"

    response = client.post(
        url("edit", relazione.plan),
        {"section": "bilancio", f"bilancio-{YEAR}-1": "9.000.000", f"bilancio-{YEAR}-6": "quattro"},
        follow=True,
    )
    assert "«quattro» non è un importo valido" in unescape(response.content.decode())
    assert not BilancioLine.objects.exists()
    client.post(url("edit", relazione.plan), {"section": "bilancio", f"bilancio-{YEAR}-1": "9.000.000"})
    assert BilancioLine.objects.get(year=YEAR, code="1").amount == 9_000_000


def test_the_oiv_cannot_approve_and_the_planner_cannot_validate(
    client, closed_relazione, approved_relazione, oiv, planner
):
    login(client, oiv)
    # approved_relazione is the same record, now approved: the OIV may not approve another act over it either.
    response = client.post(url("approve", approved_relazione.plan), {"organ": "x", "number": "1", "date": "2018-06-01"})
    assert response.status_code == 403
    login(client, planner)
    response = client.post(
        url("validate", approved_relazione.plan),
        {"date": "2018-06-28", "outcome": "validata", "text": "ok", "members": "X"},
    )
    assert response.status_code == 403
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.APPROVED
    assert not RelazioneArtifact.objects.exists()


def test_the_planner_closes_the_year_and_approves_from_the_page(client, relazione, planner):
    from tests.reports.conftest import add_bilancio, write_texts

    plan = relazione.plan
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, YEAR)
    login(client, planner)
    response = client.post(
        url("approve", plan), {"organ": "delibera di Giunta", "number": "45", "date": "2018-06-20"}, follow=True
    )
    assert "Consuntivo chiuso" in unescape(response.content.decode())  # refused: the year is still open
    client.post(f"/consuntivi/piano/{plan.pk}/anno/{YEAR}/chiudi/", {"conferma": "1"})
    # The default texts of sections 2, 3.3 and 5 are instructions («Descrivere…», «Indicare…»): refused.
    response = client.post(
        url("approve", plan), {"organ": "delibera di Giunta", "number": "45", "date": "2018-06-20"}, follow=True
    )
    assert "istruzione da sostituire: «Descrivere il contesto esterno" in unescape(response.content.decode())
    relazione.refresh_from_db()
    assert relazione.state == RelazioneState.DRAFT
    write_texts(relazione, planner)
    client.post(url("approve", plan), {"organ": "delibera di Giunta", "number": "45", "date": "2018-06-20"})
    relazione.refresh_from_db()
    assert relazione.state == RelazioneState.APPROVED
    assert PlanYear.objects.get(plan=plan, year=YEAR).state == YearState.REPORT_APPROVED


def test_the_oiv_validates_and_everyone_downloads_the_stored_bytes(client, approved_relazione, oiv, office_head):
    login(client, oiv)
    response = client.post(
        url("validate", approved_relazione.plan),
        {
            "date": "2018-06-28",
            "outcome": "validata",
            "text": "Conforme.",
            "members": "Mario Rossi",
            "checklist": ["fonti"],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == approved_relazione.get_absolute_url()
    artifact = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.FINAL)
    stored = artifact.file.open("rb").read()

    login(client, office_head)
    first = client.get(url("pdf", approved_relazione.plan))
    body = b"".join(first.streaming_content)
    assert body == stored and hashlib.sha256(body).hexdigest() == artifact.sha256
    assert first["ETag"] == f'"{artifact.sha256}"'
    assert first["Content-Disposition"] == 'attachment; filename="relazione-performance-PR-2017.pdf"'
    second = client.get(url("pdf", approved_relazione.plan))
    assert b"".join(second.streaming_content) == stored
    assert client.get(url("pdf", approved_relazione.plan), HTTP_IF_NONE_MATCH=f'"{artifact.sha256}"').status_code == 304
    # downloads never render again: the validated Relazione and the Documento di validazione, once each
    assert sorted(RelazioneArtifact.objects.values_list("kind", flat=True)) == ["documento", "finale"]
    page = unescape(client.get(url("detail", approved_relazione.plan)).content.decode())
    assert artifact.sha256 in page


def test_the_validated_pdf_is_404_before_validation(client, relazione, planner):
    login(client, planner)
    assert client.get(url("pdf", relazione.plan)).status_code == 404


def test_the_oiv_list_shows_reports_to_validate_and_validated_ones(client, approved_relazione, oiv):
    login(client, oiv)
    page = unescape(client.get(reverse("reports:index")).content.decode())
    assert 'data-testid="to-validate"' in page and "Relazione sulla performance 2017" in page
    assert "Nessuna Relazione validata." in page


def test_reopening_needs_the_admin_and_a_reason(client, validated_relazione, planner, admin_user):
    login(client, planner)
    assert client.post(url("reopen", validated_relazione.plan), {"reason": "errore"}).status_code == 403
    login(client, admin_user)
    response = client.post(url("reopen", validated_relazione.plan), {"reason": ""}, follow=True)
    assert "serve la motivazione" in unescape(response.content.decode())
    validated_relazione.refresh_from_db()
    assert validated_relazione.state == RelazioneState.VALIDATED
    client.post(url("reopen", validated_relazione.plan), {"reason": "Consuntivo F1 errato"})
    validated_relazione.refresh_from_db()
    assert validated_relazione.state == RelazioneState.DRAFT


def test_the_preview_pdf_is_rendered_on_request_with_the_watermark(client, small_plan, planner):
    from tests.reports.pdf_text import pdf_pages

    login(client, planner)
    response = client.post(url("render", small_plan), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Anteprima PDF pronta" in unescape(response.content.decode())
    download = client.get(url("draft_pdf", small_plan))
    pages = pdf_pages(b"".join(download.streaming_content))
    assert all("BOZZA" in page for page in pages)
    assert Relazione.objects.filter(plan=small_plan, year=YEAR).exists()


def test_the_xlsx_export_has_one_sheet_per_table(client, small_plan, planner):
    from io import BytesIO

    from openpyxl import load_workbook

    login(client, planner)
    response = client.get(url("xlsx", small_plan))
    wb = load_workbook(BytesIO(response.content))
    assert "1.1 Panoramica" in wb.sheetnames and "2.1 Bilancio" in wb.sheetnames
    overview = wb["1.1 Panoramica"]
    assert overview.cell(2, 3).value == "Camera di commercio di Prova" and overview.cell(2, 6).value == 93.11


def test_the_preview_page_runs_a_constant_number_of_queries(client, large_plan, django_assert_max_num_queries):
    from perfplan.roles import Role
    from tests.factories import make_user

    user = make_user("pianificatore-grande", Role.PLANNER, large_plan.ente)
    login(client, user)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("reports:detail", args=[large_plan.pk, large_plan.start_year]))
    assert response.status_code == 200
