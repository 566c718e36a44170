"""A small allow-list HTML sanitiser for the Relazione's free texts: p, ul, ol, li, strong, em, br; no attributes.

Everything else is dropped (tags) or escaped (text), so a text typed in the editor can be printed with |safe in the
page and in the PDF. Plain text without tags becomes paragraphs, one per blank-line-separated block.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

ALLOWED = {"p", "ul", "ol", "li", "strong", "em", "br"}
ALIASES = {"b": "strong", "i": "em"}
VOID = {"br"}
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "title", "head"}


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        tag = ALIASES.get(tag, tag)
        if tag in DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED:
            return
        if tag in VOID:
            self.out.append("<br>")
            return
        self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if ALIASES.get(tag, tag) == "br" and not self.skipping:
            self.out.append("<br>")

    def handle_endtag(self, tag: str) -> None:
        tag = ALIASES.get(tag, tag)
        if tag in DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in ALLOWED or tag in VOID or tag not in self.open:
            return
        while self.open:  # close anything left open inside it
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out).strip()


def sanitize_html(text: str) -> str:
    """Keep only the allowed tags, without attributes; wrap tag-less text in paragraphs."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    if not re.search(r"<\s*/?\s*[a-zA-Z]", text):
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
        return "".join("<p>" + escape(b, quote=False).replace("\n", "<br>") + "</p>" for b in blocks)
    cleaner = _Cleaner()
    cleaner.feed(text)
    cleaner.close()
    return cleaner.result()
