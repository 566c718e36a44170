"""Hostile input to the Relazione editor and downloads (issue 11): malformed keys, ids and amounts are Italian
messages, never a 500, and nothing is written; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from indicators.models import Indicator
from plans.models import Level, Objective
from reports.models import BilancioLine, BudgetLine, KeyIndicator, PromoAmount, Relazione
from tests.factories import PASSWORD
from tests.reports.conftest import YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, planner):
    assert client.login(username=planner.username, password=PASSWORD)
    return client


def _written():
    return (
        list(BilancioLine.objects.order_by("pk").values_list()),
        list(BudgetLine.objects.order_by("pk").values_list()),
        list(PromoAmount.objects.order_by("pk").values_list()),
        list(KeyIndicator.objects.order_by("pk").values_list()),
        list(Relazione.objects.order_by("pk").values_list("pk", "texts", "act_organ", "state")),
    )


def _post(client, relazione, data):
    url = reverse("reports:edit", args=[relazione.plan_id, YEAR])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e999999999", "Il campo «importo (€)» è fuori dall'intervallo ammesso"),
        ("9" * 40, "Il campo «importo (€)» è fuori dall'intervallo ammesso"),
        ("1e999", "Il campo «importo (€)» è fuori dall'intervallo ammesso"),
        ("abc", "«abc» non è un importo valido"),
        ("NaN", "«NaN» non è un importo valido."),
    ],
)
def test_a_bilancio_line_the_column_cannot_hold_is_refused(editor, relazione, amount, message):
    before = _written()
    text = _post(editor, relazione, {"section": "bilancio", f"bilancio-{YEAR}-1": amount})
    assert text.startswith("Dati non salvati:") and message in text
    assert _written() == before


@pytest.mark.parametrize("key", ["bilancio-x", "bilancio-2017", "bilancio-99999999999999999999999-1", "bilancio-"])
def test_a_malformed_bilancio_key_is_refused(editor, relazione, key):
    before = _written()
    text = _post(editor, relazione, {"section": "bilancio", key: "1"})
    assert text.startswith("Dati non salvati: Voce di bilancio non prevista")
    assert _written() == before


def test_a_budget_or_promo_amount_too_large_is_refused(editor, relazione):
    before = _written()
    text = _post(editor, relazione, {"section": "risorse", "budget-proventi": "1e999999999"})
    assert "è troppo grande: al massimo 14 cifre prima della virgola" in text
    strategic = Objective.objects.filter(plan=relazione.plan, level=Level.STRATEGIC).first()
    text = _post(editor, relazione, {"section": "importi", f"promo-{strategic.pk}": "9" * 40})
    assert "è troppo grande: al massimo 14 cifre prima della virgola" in text
    assert _written() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"section": "importi", "promo-abc": "1"}, "Obiettivo strategico non appartenente al piano."),
        ({"section": "importi", "promo-99999999999999999999999": "1"}, "Obiettivo strategico non appartenente"),
        ({"section": "indicatori", "remove": "abc"}, "Indicatore chiave non trovato."),
        ({"section": "indicatori", "indicator": "1e999", "group": "G"}, "Scegliere un indicatore e un ordine"),
        ({"section": "indicatori", "indicator": "9" * 30, "group": "G"}, "Scegliere un indicatore e un ordine"),
        ({"section": "testi", "text-premessa": "a\x00b"}, "non ammesso (NUL)"),
        ({"section": "ignota"}, "Sezione sconosciuta."),
    ],
)
def test_malformed_ids_and_keys_posted_to_the_editor_are_messages_not_crashes(editor, relazione, data, message):
    before = _written()
    text = _post(editor, relazione, data)
    assert text.startswith("Dati non salvati:") and message in text
    assert _written() == before


def test_a_key_indicator_order_too_large_is_refused(editor, relazione):
    indicator = Indicator.objects.filter(objective__plan=relazione.plan).first()
    before = _written()
    data = {"section": "indicatori", "indicator": str(indicator.pk), "group": "Indici", "order": "99999999999"}
    text = _post(editor, relazione, data)
    assert "Il campo «ordine» è fuori dall'intervallo ammesso" in text
    assert _written() == before


def test_an_approving_organ_too_long_is_refused(editor, closed_relazione):
    before = _written()
    url = reverse("reports:approve", args=[closed_relazione.plan_id, YEAR])
    response = editor.post(url, {"organ": "G" * 201, "number": "1", "date": "2018-06-20"}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "troppo lungo: al massimo 200 caratteri (ne ha 201)" in text
    assert _written() == before


def test_a_huge_history_pdf_id_or_year_is_not_found(editor, relazione):
    plan_id = relazione.plan_id
    assert editor.get(f"/relazioni/{plan_id}/{YEAR}/storico/{'9' * 30}.pdf").status_code == 404
    assert editor.get(f"/relazioni/{plan_id}/{YEAR}/storico/{2**63 - 1}.pdf").status_code == 404
    assert editor.get(f"/relazioni/{plan_id}/{'9' * 25}/").status_code == 404
