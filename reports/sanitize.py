"""The one allow-list for the Relazione's free texts, applied by nh3 (ammonia) on every save path and again on print.

Kept: paragraphs, line breaks, bold, italics, lists, h3/h4 headings, links with an http(s)/mailto address and the
basics of a table; every attribute except a link's href (and the rel nh3 adds) is dropped, as are script, style and
the other elements whose content must not show. What the rich-text editor (Quill, static/js/rich-text.js) produces
fits in this list; anything else pasted or typed is removed, so the text can be printed with |safe in the page and
in the PDF. Plain text without tags becomes paragraphs, one per blank-line-separated block.
"""

from __future__ import annotations

import re
from html import escape

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Dropped with what they hold: their text is code or page furniture, never part of the narrative.
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "title", "head", "textarea"}
# Synonyms written by other editors (and Word pastes), renamed before cleaning: <b> is kept as <strong>.
ALIASES = {"b": "strong", "i": "em"}
_ALIAS = re.compile(r"<(/?)(b|i)(?=[\s/>])", re.I)
_EMPTY = re.compile(r"^(?:\s|<p>(?:\s|<br>)*</p>|<br>)*$")


def sanitize_html(text: str) -> str:
    """Keep only the allowed tags and attributes; wrap tag-less text in paragraphs; an empty editor gives ""."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    if not re.search(r"<\s*/?\s*[a-zA-Z]", text):
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
        return "".join("<p>" + escape(b, quote=False).replace("\n", "<br>") + "</p>" for b in blocks)
    text = _ALIAS.sub(lambda m: f"<{m.group(1)}{ALIASES[m.group(2).lower()]}", text)
    clean = nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
    return "" if _EMPTY.match(clean) else clean
