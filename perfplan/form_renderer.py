"""The form renderer: the plain widgets drawn without a template each.

A page of «I miei indicatori» draws some 300 widgets (50 rows: value, measures, note, hidden version and so on).
Django draws each through its widget template (`django/forms/widgets/*.html`, a template render with includes):
a third of the page's CPU. The plain ones (the `<input>` kinds, `<textarea>`, `<select>` with its `<option>`s) are
drawn here to the same markup, character for character (stripped, as the renderer strips):
`tests/test_form_renderer.py` renders every kind both ways, with hostile values, and compares. Any other template
(radio lists, file inputs with their current file, multi-widgets, a project's own) goes to Django's renderer
unchanged. Only public APIs are used (`FORM_RENDERER`, `BaseRenderer.render`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
# The widget templates that are `{% include "django/forms/widgets/input.html" %}` and a newline, nothing else.
INPUT_TEMPLATES = frozenset(
    WIDGETS + name
    for name in (
        "checkbox.html",
        "color.html",
        "date.html",
        "datetime.html",
        "email.html",
        "file.html",
        "hidden.html",
        "number.html",
        "password.html",
        "search.html",
        "tel.html",
        "text.html",
        "time.html",
        "url.html",
    )
)
OPTION_TEMPLATE = WIDGETS + "select_option.html"


class _Fallback(Exception):
    """A value the template engine treats specially (a callable it would call, an `items` attribute that hides the
    dict's method): Django's template draws the widget."""


def _shown(value: Any) -> str:
    """`{{ value }}`: Django's render_value_in_context, step by step (localized, made a str, escaped unless safe)."""
    if callable(value):
        raise _Fallback
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the filter (is_safe: a safe input gives a safe output), then `{{ }}`."""
    if callable(value):
        raise _Fallback
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        text = ""
    return _shown(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308 - safe in, safe out


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    if "items" in attrs:
        raise _Fallback
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] == None else f' value="{_formatted(widget["value"])}"'  # noqa: E711 - the template's !=
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


FAST: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **dict.fromkeys(INPUT_TEMPLATES, _input),
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
}


class FormRenderer(DjangoTemplates):
    """Django's default renderer (settings.FORM_RENDERER), with the plain widgets drawn by the functions above."""

    def render(self, template_name, context, request=None):
        draw = FAST.get(template_name)
        if draw is not None and set(context) == {"widget"}:
            try:
                markup = draw(context["widget"])
            except _Fallback:
                markup = None
            if markup is not None:
                return mark_safe(markup)  # noqa: S308 - every value above is escaped as the template escapes it
        return super().render(template_name, context, request)
