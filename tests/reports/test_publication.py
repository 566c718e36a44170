"""When and where the Piano was published (Amministrazione trasparente): typed in the Relazione's editor by the
planning office, printed on the cover and in the premessa with a link, warned about while missing."""

import datetime as dt
from html import unescape

import pytest
from django.core.exceptions import ValidationError

from reports.selectors import relazione_build
from reports.services import plan_update_publication, relazione_get_or_create, relazione_render_pdf
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import link_targets, pdf_pages, pdftotext
from tests.reports.test_views import login, url

PAGE = "https://www.mo.camcom.it/amministrazione-trasparente/performance/piano-della-performance"
MISSING = "Mancano la data e l'indirizzo di pubblicazione del Piano in «Amministrazione trasparente»"


def test_the_editor_saves_the_date_and_the_address(client, relazione, planner):
    login(client, planner)
    response = client.post(
        url("edit", relazione.plan), {"section": "pubblicazione", "published_on": "2017-01-31", "published_url": PAGE}
    )
    assert response.status_code == 302 and response["Location"].endswith("#pubblicazione")
    plan = relazione.plan
    plan.refresh_from_db()
    assert (plan.published_on, plan.published_url) == (dt.date(2017, 1, 31), PAGE)
    page = client.get(url("edit", plan)).content.decode()
    assert 'value="2017-01-31"' in page and f'value="{PAGE}"' in page
    # Emptied again: both go.
    client.post(url("edit", plan), {"section": "pubblicazione", "published_on": "", "published_url": ""})
    plan.refresh_from_db()
    assert (plan.published_on, plan.published_url) == (None, "")


@pytest.mark.parametrize(
    ("date", "address", "message"),
    [
        ("31/02/2017", PAGE, "«31/02/2017» non è una data valida"),
        ("2099-01-31", PAGE, "La data di pubblicazione 31/01/2099 è nel futuro."),
        ("2017-01-31", "www.camcom.it/piano", "inizia con https:// o http://"),
        ("2017-01-31", "javascript:alert(1)", "inizia con https:// o http://"),
        ("2017-01-31", "https://example.org/" + "x" * 500, "indirizzo del Piano in Amministrazione trasparente"),
    ],
)
def test_a_bad_date_or_address_is_refused_in_italian_and_nothing_is_stored(
    client, relazione, planner, date, address, message
):
    login(client, planner)
    response = client.post(
        url("edit", relazione.plan),
        {"section": "pubblicazione", "published_on": date, "published_url": address},
        follow=True,
    )
    assert message in unescape(response.content.decode())
    relazione.plan.refresh_from_db()
    assert (relazione.plan.published_on, relazione.plan.published_url) == (None, "")


@pytest.mark.parametrize("persona", ["oiv", "office_head"])
def test_only_the_planning_office_sets_it(client, relazione, persona, request):
    login(client, request.getfixturevalue(persona))
    response = client.post(
        url("edit", relazione.plan), {"section": "pubblicazione", "published_on": "2017-01-31", "published_url": PAGE}
    )
    assert response.status_code == 403
    relazione.plan.refresh_from_db()
    assert relazione.plan.published_url == ""


def test_it_is_read_only_once_the_relazione_is_approved(approved_relazione, planner):
    with pytest.raises(ValidationError, match="non sono più modificabili"):
        plan_update_publication(relazione=approved_relazione, published_on="2017-01-31", url=PAGE, user=planner)


def test_a_validated_relazione_of_the_plan_freezes_it_for_the_other_years(validated_relazione, planner):
    # The 2017 Relazione is validated: its stored PDF states the publication, so the 2018 one cannot change it.
    next_year = relazione_get_or_create(plan=validated_relazione.plan, year=YEAR + 1)
    with pytest.raises(ValidationError, match="già validata"):
        plan_update_publication(relazione=next_year, published_on="2017-01-31", url=PAGE, user=planner)
    # Saving the same values again (the editor's whole form) is not a change.
    plan_update_publication(relazione=next_year, published_on="", url="", user=planner)


def test_the_check_warns_while_missing_and_the_pdf_prints_both_with_a_link(relazione, planner):
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert any(MISSING in c.message for c in data.warnings)
    assert not any(MISSING in c.message for c in data.blocking)  # a warning: approval is not refused for it

    plan_update_publication(relazione=relazione, published_on="31/01/2017", url="", user=planner)
    relazione.plan.refresh_from_db()
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert [c.message for c in data.warnings if "pubblicazione del Piano" in c.message] == [
        "Manca l'indirizzo di pubblicazione del Piano in «Amministrazione trasparente»: la Relazione non dice dove "
        "leggere il Piano."
    ]

    plan_update_publication(relazione=relazione, published_on="31/01/2017", url=PAGE, user=planner)
    relazione.plan.refresh_from_db()
    rendered = relazione_render_pdf(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert not any("pubblicazione del Piano" in c.message for c in rendered.data.warnings)
    text = pdftotext(rendered.content)
    assert "Piano pubblicato in «Amministrazione trasparente» il 31/01/2017:" in text
    assert (
        "Il Piano oggetto della Relazione (Piano della performance 2017-2019) è stato pubblicato il 31/01/2017 "
        "nella sezione «Amministrazione trasparente» del sito istituzionale dell'ente, all'indirizzo"
    ) in text
    # The address may wrap (it breaks anywhere, never hyphenated): it is whole once the line ends are joined.
    assert PAGE in text.replace(" ", "")
    # Clickable on the cover (page 1), in the premessa and in the dates of the cycle (section 6).
    texts = pdf_pages(rendered.content)
    cover, premessa, process = [page for page, uri in link_targets(rendered.content) if uri == PAGE]
    assert cover == 1 and "Premessa" in texts[premessa - 1] and "6. Il processo" in texts[process - 1]


def test_a_publication_dated_before_the_adoption_act_is_flagged(relazione, planner):
    plan = relazione.plan
    plan.act_date = dt.date(2017, 1, 30)
    plan.save(update_fields=["act_date"])
    plan_update_publication(relazione=relazione, published_on="2017-01-15", url=PAGE, user=planner)
    relazione.plan.refresh_from_db()
    data = relazione_build(plan=relazione.plan, year=YEAR, relazione=relazione)
    assert any(
        c.message == "Il Piano risulta pubblicato il 15/01/2017, prima dell'atto di adozione del 30/01/2017: "
        "verificare le date."
        for c in data.warnings
    )
