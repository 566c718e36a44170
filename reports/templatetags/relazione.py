"""Template helpers of the Relazione: a CSS string literal for the PDF's running header, sommario page numbers,
numbers and dates kept on one line."""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from reports.parts import body_parts, front_part, render_part

register = template.Library()


@register.filter
def css_string(value: object) -> SafeString:
    """Quote a text as a CSS string (for `content:` in @page margin boxes); safe inside <style>."""
    text = " ".join(str(value).split())
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
    return mark_safe(f'"{text}"')  # noqa: S308 - escaped above for a CSS string in a <style> element


# A number or a date as it is printed, with its comparator, sign, currency and unit: `<=31/12/2017`, `>= +1,2 %`,
# `€ 1.234,00`, `12.773.636.372 €`, `4.166`, `10 gg`. Never broken across lines (it may still wrap before or after).
NUMBER = re.compile(r"(?:(?:&lt;|&gt;|[<>≤≥=])=?\s?)?(?:€\s?)?[+\-−]?\d[\d.,/]*(?:\s?(?:%|€|N\.|gg))?(?![\d])")

ENTITY = re.compile(r"(&#x?[0-9a-fA-F]+;)")  # a numeric character reference


@register.filter
def nobreak(value: object) -> SafeString:
    """The text escaped, each number or date in it wrapped in <span class="nw"> (white-space: nowrap)."""
    pieces = ENTITY.split(str(conditional_escape(value)))
    # Entities (`&#x27;` of an apostrophe) are left whole: their digits are not a number.
    text = "".join(
        piece if ENTITY.fullmatch(piece) else NUMBER.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', piece)
        for piece in pieces
    )
    return mark_safe(text)  # noqa: S308 - escaped above


@register.simple_tag(takes_context=True)
def toc_page(context, anchor: str) -> SafeString:
    """` data-page="N"` on a sommario link when the PDF knows the page of its heading; nothing in the preview."""
    page = (context.get("toc_pages") or {}).get(anchor)
    return format_html(' data-page="{}"', page) if page is not None else mark_safe("")


@register.simple_tag
def relazione_body(r, preview: bool = False) -> SafeString:
    """Cover, sommario and every section whole: the parts that the PDF renders in chunks (reports.parts)."""
    parts = [front_part(), *body_parts(r)]
    return mark_safe("".join(render_part(part, r, preview=preview) for part in parts))  # noqa: S308 - templates
