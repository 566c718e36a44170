"""Section 5, Pari opportunità e bilancio di genere: the gender-relevant objectives with their results, the
Valore pubblico impatti of the «pari opportunità» dimension, the planning office's text."""

from html import unescape

import pytest
from django.core.exceptions import ValidationError

from plans.models import Objective, PublicValue, PublicValueIndicator, PublicValueTarget
from reports.parts import Part, render_part
from reports.selectors import relazione_build
from reports.services import relazione_get_or_create, relazione_render_pdf, relazione_update_texts
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdftotext
from tests.reports.test_views import login, url

INSTRUCTION = "Illustrare le azioni realizzate nell'anno per le pari opportunità"


def section_of(text: str) -> str:
    """The text of section 5, from its heading (after the sommario) to section 6."""
    start = text.index("5. Pari opportunità e bilancio di genere", text.index("Premessa", text.index("Sommario") + 300))
    return text[start : text.index("6. Il processo di misurazione e valutazione", start)]


def test_the_pdf_prints_the_gender_relevant_objective_with_its_indicators_and_results(relazione, planner):
    Objective.objects.filter(plan=relazione.plan, code="101").update(gender_relevant=True)
    relazione_update_texts(
        relazione=relazione, texts={"genere": "<p>Il personale è composto per il 68 % da donne.</p>"}, user=planner
    )
    relazione.refresh_from_db()
    rendered = relazione_render_pdf(plan=relazione.plan, year=YEAR, relazione=relazione)
    section = section_of(pdftotext(rendered.content))
    assert "Il personale è composto per il 68 % da donne." in section and INSTRUCTION not in section
    # OS 101 (tests/factories.py): F1 382 against >= 350 → 100 %; 2.900 / 100 = 29 gg against <= 25 →
    # 25 / 29 = 86,21 %; weights 50 / 50 → 93,105, rounded 93,11 % (the ente's score in test_selectors): partial.
    assert "1 obiettivo rilevante in ottica di genere nel 2017: 1 parzialmente raggiunto." in section
    assert "OBIETTIVO STRATEGICO 101 – Informazione economica · Area promozione 93,11 % ◐ parziale" in section
    for row in ("F1 - Pubblicazioni sul sito camerale", ">= 350", "382 N.", "100,00 %", "<= 25", "29 gg", "86,21 %"):
        assert row in section, row
    # The objective of the other branch (1011.01) is not gender-relevant: not here.
    assert "Pubblicazioni sul sito –" not in section and "1011.01" not in section
    # An apostrophe in a printed text stays an apostrophe (no «nell&#x27;anno»).
    assert "&#x27;" not in pdftotext(rendered.content)


def test_a_plan_without_gender_relevant_objectives_says_so(relazione):
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert data.gender_nodes == [] and data.gender_summary == ""
    html = unescape(render_part(Part("genere", 0), data, preview=True))
    assert "Il Piano non indica obiettivi rilevanti in ottica di genere" in html
    assert "«Rilevante in ottica di genere» nella scheda dell'obiettivo" in html  # the hint, on screen only
    assert "«Rilevante in ottica di genere» nella scheda" not in unescape(render_part(Part("genere", 0), data))


def test_the_default_text_is_an_instruction_that_blocks_the_approval(relazione, planner):
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    [check] = [c for c in data.blocking if c.where == "Editor › 5. Pari opportunità e bilancio di genere"]
    assert check.message.startswith("Il testo contiene ancora un'istruzione da sostituire: «Illustrare le azioni")
    relazione_update_texts(relazione=relazione, texts={"genere": "<p>Azioni del CUG nel 2017.</p>"}, user=planner)
    relazione.refresh_from_db()
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert not [c for c in data.blocking if "Pari opportunità" in c.where]


def test_the_editor_saves_the_text_and_only_the_planning_office_may(client, relazione, planner, oiv):
    login(client, oiv)
    assert (
        client.post(url("edit", relazione.plan), {"section": "testi", "text-genere": "<p>OIV</p>"}).status_code == 403
    )
    login(client, planner)
    page = client.get(url("edit", relazione.plan)).content.decode()
    assert 'id="text-genere"' in page and "5. Pari opportunità e bilancio di genere" in page
    client.post(
        url("edit", relazione.plan), {"section": "testi", "text-genere": "<p>Il <b>CUG</b><script>x</script></p>"}
    )
    relazione.refresh_from_db()
    assert relazione.texts["genere"] == "<p>Il <strong>CUG</strong></p>"


def test_the_text_is_locked_in_a_validated_year(validated_relazione, planner):
    with pytest.raises(ValidationError, match="non sono più modificabili"):
        relazione_update_texts(relazione=validated_relazione, texts={"genere": "<p>Dopo</p>"}, user=planner)
    pdf = validated_relazione.artifacts.get(kind="finale").file.open("rb").read()
    section = section_of(pdftotext(pdf))
    assert "il CUG ha promosso due corsi" in section and INSTRUCTION not in section  # conftest.WRITTEN_TEXTS


def test_the_pari_opportunita_impatti_are_printed_with_their_objectives_scores(rf_plan, planner):
    os_13 = Objective.objects.get(plan=rf_plan, code="1.3")
    equal = PublicValue.objects.create(
        plan=rf_plan, code="VP3", title="Pari opportunità nel fare impresa", dimensions=["pari_opportunita"]
    )
    equal.objectives.add(os_13)
    indicator = PublicValueIndicator.objects.create(
        public_value=equal, code="VP3.1", name="Imprese femminili assistite", baseline="31 %", baseline_year=2020
    )
    PublicValueTarget.objects.create(indicator=indicator, year=2021, raw=">= 33 %")
    PublicValueTarget.objects.create(indicator=indicator, year=2022, raw=">= 35 %")
    PublicValue.objects.create(plan=rf_plan, code="VP1", title="Imprese digitali", dimensions=["digitalizzazione"])
    relazione = relazione_get_or_create(plan=rf_plan, year=2021)
    data = relazione_build(plan=rf_plan, year=2021, relazione=relazione)
    [item] = data.gender_values  # VP1 is in another dimension
    assert item["code"] == "VP3" and item["dimensions"] == "Pari opportunità ed equilibrio di genere"
    assert item["indicators"] == [
        {"label": "VP3.1 – Imprese femminili assistite", "source": "", "baseline": "31 % (2020)", "target": ">= 33 %"}
    ]
    [objective] = item["objectives"]
    assert objective["code"] == "1.3" and objective["score_text"] == "N/D"  # RF has no consuntivi
    html = unescape(render_part(Part("genere", 0), data))
    assert "Valore pubblico: pari opportunità ed equilibrio di genere" in html
    assert "VP3 – Pari opportunità nel fare impresa" in html and "Imprese digitali" not in html
