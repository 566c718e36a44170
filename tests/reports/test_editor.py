"""The Relazione's texts as the editor saves them (every save path sanitised by reports.sanitize), as the page and
the PDF print them, and the BOZZA preview that approval leaves behind."""

from html import unescape

import pytest
from django.core.exceptions import ValidationError

from reports.models import ArtifactKind, RelazioneArtifact
from reports.services import relazione_render_draft, relazione_render_pdf, relazione_update_texts
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import flat, pdf_pages
from tests.reports.test_views import login, url

HOSTILE = (
    "<p>Premessa <strong>in grassetto</strong> e <em>corsivo</em>"
    '<script>alert("rubato")</script><img src=x onerror="alert(1)">'
    '<a href="javascript:alert(1)">trappola</a> <a href="https://www.camcom.it/">sito</a></p>'
    "<h3>Sintesi</h3><ul><li>primo</li></ul>"
)


def test_the_form_stores_only_the_allowed_markup(client, relazione, planner):
    login(client, planner)
    client.post(url("edit", relazione.plan), {"section": "testi", "text-premessa": HOSTILE})
    relazione.refresh_from_db()
    stored = relazione.texts["premessa"]
    for bad in ("<script", "rubato", "onerror", "javascript:", "<img"):
        assert bad not in stored
    for kept in ("<strong>in grassetto</strong>", "<em>corsivo</em>", "<h3>Sintesi</h3>", "<li>primo</li>"):
        assert kept in stored
    assert '<a href="https://www.camcom.it/" rel="noopener noreferrer">sito</a>' in stored


def test_the_editor_page_offers_the_rich_text_editor_not_a_monospace_box(client, relazione, planner):
    login(client, planner)
    page = client.get(url("edit", relazione.plan)).content.decode()
    assert "vendor/quill/quill.js" in page and "js/rich-text.js" in page and "data-rich-text" in page
    assert "font-monospace" not in page


def test_a_text_stored_before_this_allow_list_is_cleaned_again_when_printed(relazione, planner):
    relazione_update_texts(relazione=relazione, texts={"premessa": "<p>Testo</p>"}, user=planner)
    relazione.texts["premessa"] = HOSTILE  # as if written by an older version, straight into the database
    relazione.save(update_fields=["texts"])
    rendered = relazione_render_pdf(plan=relazione.plan, year=YEAR, relazione=relazione)
    text = flat(" ".join(pdf_pages(rendered.content)))
    assert "in grassetto" in text and "Sintesi" in text and "rubato" not in text
    page_html = rendered.data.texts["premessa"]
    assert "<script" not in page_html and "<strong>in grassetto</strong>" in page_html


def test_no_bozza_preview_is_offered_once_the_relazione_is_approved(
    client, closed_relazione, planner, django_capture_on_commit_callbacks
):
    from tests.reports.conftest import add_bilancio, write_texts

    plan = closed_relazione.plan
    relazione_render_draft(relazione=closed_relazione, user=planner)
    login(client, planner)
    assert 'data-testid="draft-download"' in client.get(url("detail", plan)).content.decode()
    stale = RelazioneArtifact.objects.get(relazione=closed_relazione, kind=ArtifactKind.DRAFT)
    storage, name = stale.file.storage, stale.file.name
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, YEAR)
    write_texts(closed_relazione, planner)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes after the commit
        response = client.post(
            url("approve", plan), {"organ": "delibera di Giunta", "number": "45", "date": "2018-06-20"}
        )
    assert response.status_code == 302
    page = unescape(client.get(url("detail", plan)).content.decode())
    assert 'data-testid="relazione-state">Approvata' in page
    assert 'data-testid="draft-download"' not in page
    assert client.get(url("draft_pdf", plan)).status_code == 404
    assert not RelazioneArtifact.objects.filter(kind=ArtifactKind.DRAFT).exists()
    assert not storage.exists(name)


def test_a_preview_still_rendering_when_the_relazione_is_approved_is_not_kept(relazione, planner, monkeypatch):
    from reports import services
    from reports.models import Relazione, RelazioneState

    render = services.relazione_render_pdf

    def approved_meanwhile(**kwargs):
        rendered = render(**kwargs)
        Relazione.objects.filter(pk=relazione.pk).update(state=RelazioneState.APPROVED)
        return rendered

    monkeypatch.setattr(services, "relazione_render_pdf", approved_meanwhile)
    with pytest.raises(ValidationError, match="cambiata di stato"):
        relazione_render_draft(relazione=relazione, user=planner)
    assert not RelazioneArtifact.objects.filter(kind=ArtifactKind.DRAFT).exists()
