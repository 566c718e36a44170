"""The allow-list of the Relazione's texts (reports.sanitize, nh3): what an attacker or a paste tries is removed,
what the editor writes is kept as written."""

import pytest

from reports.sanitize import sanitize_html


def test_it_keeps_paragraphs_lists_and_bold_without_attributes():
    html = '<p class="x" onclick="alert(1)">Testo <b>forte</b> e <em>enfasi</em></p><ul><li>uno</li></ul>'
    assert sanitize_html(html) == "<p>Testo <strong>forte</strong> e <em>enfasi</em></p><ul><li>uno</li></ul>"


def test_it_drops_scripts_with_their_content_and_unknown_tags():
    html = '<p>Ciao<script>alert("x")</script> <a href="javascript:x">link</a><img src=x onerror=y></p>'
    assert sanitize_html(html) == '<p>Ciao <a rel="noopener noreferrer">link</a></p>'


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onmouseover="alert(1)">x</p>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="  javascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<svg onload="alert(1)"><script>alert(1)</script></svg>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>p{background:url(javascript:alert(1))}</style><p>x</p>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<scr<script>ipt>alert(1)</script>",
    ],
)
def test_it_strips_script_event_handlers_and_javascript_urls(hostile):
    clean = sanitize_html(hostile).lower()
    for bad in ("<script", "onerror", "onload", "onmouseover", "javascript:", "data:", "<iframe", "<svg", "style"):
        assert bad not in clean, (hostile, clean)


def test_it_keeps_the_allowed_markup_as_the_editor_writes_it():
    html = (
        "<h3>Titolo</h3><h4>Sotto</h4><p>Uno<br>due <strong>tre</strong> <em>quattro</em></p>"
        "<ol><li>a</li></ol><ul><li>b</li></ul>"
        '<p><a href="https://www.camcom.it/trasparenza">link</a> <a href="mailto:oiv@camcom.it">mail</a></p>'
        "<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
    )
    rel = ' rel="noopener noreferrer">'
    assert sanitize_html(html) == html.replace('">link', f'"{rel}link').replace('">mail', f'"{rel}mail')
    clean = sanitize_html(html)
    for tag in ("<h3>", "<h4>", "<br>", "<strong>", "<em>", "<ol>", "<ul>", "<li>", "<table>", "<th>", "<td>"):
        assert tag in clean
    assert 'href="https://www.camcom.it/trasparenza"' in clean
    assert 'href="mailto:oiv@camcom.it"' in clean


def test_an_empty_editor_is_an_empty_text():
    assert sanitize_html("<p><br></p>") == ""
    assert sanitize_html("  <p></p> ") == ""


def test_it_escapes_text_and_closes_open_tags():
    assert sanitize_html("<p>1 < 2 & <strong>3") == "<p>1 &lt; 2 &amp; <strong>3</strong></p>"


def test_plain_text_becomes_paragraphs_separated_by_blank_lines():
    assert sanitize_html("Primo paragrafo\nstessa riga\n\nSecondo <3") == (
        "<p>Primo paragrafo<br>stessa riga</p><p>Secondo &lt;3</p>"
    )
