"""seed_demo's PIAO: the Ravenna-Ferrara 2021 plan with invented Valore pubblico, downloadable from the browser."""

from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from perfplan.demo import PIAO_USER
from plans.models import Plan, PlanKind
from tests.factories import document_download

pytestmark = pytest.mark.django_db


def test_seed_demo_flags_the_ravenna_ferrara_plan_as_piao_with_invented_impatti(client):
    call_command("seed_demo", stdout=StringIO())
    plan = Plan.objects.get(ente__code="RAFE")
    assert plan.kind == PlanKind.PIAO
    items = list(plan.public_values.order_by("code"))
    assert [i.code for i in items] == ["VP1", "VP2", "VP3"]
    assert all("(esempio inventato)" in i.title for i in items)
    assert all("(esempio inventato)" in ind.name for i in items for ind in i.indicators.all())
    # linked to real strategic objectives of the seed plan (RF: 1.2.D Digitalizzazione, 1.2.S Semplificazione)
    assert [o.title for o in items[0].objectives.order_by("code")] == [
        "Digitalizzazione (D2)",
        "Semplificazione e trasparenza (C1)",
    ]
    assert plan.risk_measures.count() == 2
    # Seeding twice changes nothing.
    call_command("seed_demo", stdout=StringIO())
    assert plan.public_values.count() == 3

    assert client.login(username=PIAO_USER.username, password=PIAO_USER.password)
    page = client.get(reverse("plans:public_values", args=[plan.pk])).content.decode()
    assert "VP2 – Un territorio attrattivo e sostenibile (esempio inventato)" in page
    docx = document_download(client, reverse("plans:piao_document", args=[plan.pk, 2021, "docx"]))
    assert docx["Content-Disposition"] == 'attachment; filename="PIAO-sezione-2-RAFE-2021.docx"'
    headings = [p.text for p in Document(BytesIO(docx.content)).paragraphs if p.style.name.startswith("Heading")]
    assert "2.1 Valore pubblico" in headings
    pdf = document_download(client, reverse("plans:piao_document", args=[plan.pk, 2021, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
