"""Template helpers of the Relazione: a CSS string literal for the PDF's running header."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def css_string(value: object) -> SafeString:
    """Quote a text as a CSS string (for `content:` in @page margin boxes); safe inside <style>."""
    text = " ".join(str(value).split())
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
    return mark_safe(f'"{text}"')  # noqa: S308 - escaped above for a CSS string in a <style> element
