from reports.sanitize import sanitize_html


def test_it_keeps_paragraphs_lists_and_bold_without_attributes():
    html = '<p class="x" onclick="alert(1)">Testo <b>forte</b> e <em>enfasi</em></p><ul><li>uno</li></ul>'
    assert sanitize_html(html) == "<p>Testo <strong>forte</strong> e <em>enfasi</em></p><ul><li>uno</li></ul>"


def test_it_drops_scripts_with_their_content_and_unknown_tags():
    html = '<p>Ciao<script>alert("x")</script> <a href="javascript:x">link</a><img src=x onerror=y></p>'
    assert sanitize_html(html) == "<p>Ciao link</p>"


def test_it_escapes_text_and_closes_open_tags():
    assert sanitize_html("<p>1 < 2 & <strong>3") == "<p>1 &lt; 2 &amp; <strong>3</strong></p>"


def test_plain_text_becomes_paragraphs_separated_by_blank_lines():
    assert sanitize_html("Primo paragrafo\nstessa riga\n\nSecondo <3") == (
        "<p>Primo paragrafo<br>stessa riga</p><p>Secondo &lt;3</p>"
    )
