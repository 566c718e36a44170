"""Browser import: upload → dry-run preview (counts, errors with sheet/row/column) → confirm; own ente only."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import Target
from plans import editing
from plans.models import Plan, PlanRevision
from tests.factories import BASE_SHEETS, PASSWORD, sheets, workbook_bytes

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, content=None, name="piano.xlsx"):
    data = workbook_bytes(content).getvalue()
    response = client.post(reverse("plans:import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:500]
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def with_target(raw: str):
    rows = [list(r) for r in BASE_SHEETS["Indicatori"]]
    rows[1][10] = raw  # F1, Target 2018
    return sheets(Indicatori=rows)


def test_the_preview_counts_what_will_change_and_writes_nothing(client, planner, small_plan):
    login(client, planner)
    token = upload(client, with_target(">= 360"))
    preview = client.get(reverse("plans:import_preview", args=[token])).content.decode()
    assert "Analisi del file in corso" in preview and "hx-get" in preview
    response = client.get(reverse("plans:import_analysis", args=[token]), HTTP_HX_REQUEST="true")
    report = response.context["report"]
    assert report.ok and report.updated["target"] == 1 and report.unchanged["obiettivi"] == 4
    assert "Nessun errore" in response.content.decode() and "<html" not in response.content.decode()
    assert Target.objects.get(indicator__code="F1", year=2018, is_current=True).raw == ">= 350"


def test_errors_are_listed_with_sheet_row_and_column_and_confirm_is_not_offered(client, planner, small_plan):
    login(client, planner)
    rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    rows[2][4] = "tanto"  # row 3, column Peso
    token = upload(client, sheets(Obiettivi=rows))
    page = client.get(reverse("plans:import_analysis", args=[token])).content.decode()
    assert "1 errore" in page and "Obiettivi" in page and '<td class="num">3</td>' in page and "Peso" in page
    assert "Conferma l&#x27;importazione" not in page
    response = client.post(reverse("plans:import_confirm", args=[token]))  # a job, refused at once: its report
    page = response.content.decode()
    assert response.status_code == 200
    assert "Importazione non eseguita: 1 errore nel file; nulla è stato scritto." in page and "Peso" in page
    assert small_plan.objectives.get(code="101").weight == Decimal("100.00")


def test_confirm_imports_the_same_file_and_forgets_it(client, planner, small_plan):
    login(client, planner)
    token = upload(client, with_target(">= 360"))
    response = client.post(reverse("plans:import_confirm", args=[token]))
    assert response.status_code == 302 and response.url == small_plan.get_absolute_url()
    assert Target.objects.get(indicator__code="F1", year=2018, is_current=True).raw == ">= 360"
    assert client.get(reverse("plans:import_preview", args=[token])).status_code == 404


def test_an_adopted_plan_needs_a_reason_and_each_change_becomes_a_revision(client, planner, small_plan):
    editing.plan_adopt(
        plan=small_plan, organ="Giunta", number="4", date=__import__("datetime").date(2017, 2, 1), user=planner
    )
    login(client, planner)
    token = upload(client, with_target(">= 360"))
    page = client.get(reverse("plans:import_analysis", args=[token])).content.decode()
    assert "adottato" in page and 'name="reason"' in page
    response = client.post(reverse("plans:import_confirm", args=[token]), {"reason": ""})
    assert response.status_code == 200 and "motivazione" in response.content.decode()
    assert Target.objects.get(indicator__code="F1", year=2018, is_current=True).raw == ">= 350"
    client.post(reverse("plans:import_confirm", args=[token]), {"reason": "Rimodulazione"})
    revision = PlanRevision.objects.get()
    assert (revision.old_value, revision.new_value, revision.reason) == (">= 350", ">= 360", "Rimodulazione")


def test_a_workbook_of_another_ente_is_refused(client, outsider, small_plan):
    login(client, outsider)
    token = upload(client)
    page = client.get(reverse("plans:import_analysis", args=[token])).content.decode()
    assert "puoi importare solo piani del tuo ente" in page
    client.post(reverse("plans:import_confirm", args=[token]))
    assert Plan.objects.count() == 1


def test_a_token_belongs_to_the_session_that_uploaded_it(client, planner, admin_user, small_plan):
    login(client, planner)
    token = upload(client)
    client.logout()
    login(client, admin_user)
    assert client.get(reverse("plans:import_preview", args=[token])).status_code == 404
    assert client.post(reverse("plans:import_confirm", args=[token])).status_code == 404


def test_a_file_that_is_not_xlsx_is_refused_at_upload(client, planner):
    login(client, planner)
    response = client.post(reverse("plans:import"), {"file": SimpleUploadedFile("piano.xls", b"\xd0\xcf\x11\xe0")})
    assert response.status_code == 200 and ".xlsx" in response.context["form"].errors["file"][0]


def test_a_damaged_xlsx_is_reported_in_the_preview(client, planner):
    login(client, planner)
    response = client.post(reverse("plans:import"), {"file": SimpleUploadedFile("piano.xlsx", b"non un file excel")})
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(reverse("plans:import_analysis", args=[token])).content.decode()
    assert "non è una cartella di lavoro Excel" in page


def test_readers_cannot_import(client, oiv):
    login(client, oiv)
    assert client.get(reverse("plans:import")).status_code == 403
    assert client.post(reverse("plans:import"), {"file": SimpleUploadedFile("p.xlsx", b"x")}).status_code == 403
