"""The form renderer draws the plain widgets to exactly the markup of Django's widget templates.

perfplan.form_renderer skips a template render per widget (a third of «I miei indicatori»'s CPU): each kind is
drawn here both ways, with ordinary, empty, localized and hostile values and attributes, and the two must be equal
character for character. A Django upgrade that changes a widget template fails here, not on a page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.signals import template_rendered
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from perfplan.form_renderer import FAST, FormRenderer

HOSTILE = '"><script>alert(1)</script>&amp;'
ATTRS = [
    {},
    {"class": "form-control", "inputmode": "decimal", "autocomplete": "off"},
    {"required": True, "disabled": False, "aria-describedby": "id_x_help", "data-x": HOSTILE, "rows": 2},
    {"title": mark_safe("<b>già sicuro</b>"), "maxlength": 4000, "step": Decimal("0.01")},
]
VALUES = [None, "", "0", 0, 1250, Decimal("1250.5"), "testo «Qualità» & <altro>", HOSTILE, mark_safe("<i>x</i>")]
WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.Textarea,
    forms.CheckboxInput,
    forms.FileInput,
    forms.ColorInput,
    forms.SearchInput,
    forms.TelInput,
]
CHOICES = [
    [("", "—"), ("SI", "SI"), ("NO", "NO")],
    [(1, "Uno"), (2, HOSTILE), ("<x>", mark_safe("<b>ok</b>")), (Decimal("2.5"), 1250)],
    [("Gruppo «A»", [("a1", "A uno"), ("a2", "A due")]), ("b", "Bi"), (HOSTILE, [(HOSTILE, HOSTILE)])],
]


def both(widget: forms.Widget, name: str, value, attrs: dict) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=FormRenderer()),
        widget.render(name, value, attrs=attrs, renderer=DjangoTemplates()),
    )


@pytest.mark.parametrize("widget_class", WIDGETS)
def test_every_input_kind_and_the_textarea_are_drawn_as_their_templates(widget_class, settings):
    settings.USE_THOUSAND_SEPARATOR = True  # the harder case (the project's is off): {{ 1250 }} gets a dot
    for attrs in ATTRS:
        for value in [*VALUES, dt.date(2017, 9, 30), dt.datetime(2017, 9, 30, 12, 5), True, False]:
            ours, django = both(widget_class(attrs={"data-w": "1"}), f"v-{HOSTILE}", value, dict(attrs))
            assert ours == django, (widget_class.__name__, attrs, value)


@pytest.mark.parametrize("choices", CHOICES)
def test_selects_are_drawn_as_their_templates(choices, settings):
    settings.USE_THOUSAND_SEPARATOR = True  # as above
    for attrs in ATTRS:
        for value in [None, "", "SI", 2, "a2", HOSTILE, Decimal("2.5")]:
            for widget in (forms.Select(choices=choices), forms.SelectMultiple(choices=choices)):
                ours, django = both(
                    widget, "scelta", [value] if isinstance(widget, forms.SelectMultiple) else value, dict(attrs)
                )
                assert ours == django, (choices, attrs, value)


class Html:
    """Not a str, but says it is markup (__html__): Django makes it a str first, so escapes it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return self.text


class SafeWhenStr:
    def __str__(self) -> str:
        return mark_safe("<b>x</b>")


class BadStr:
    def __str__(self) -> str:
        raise TypeError("no text")


def called() -> str:
    return "CHIAMATA"


ODD = [
    # what the template engine does with unusual values: made str before escaping, called, or an empty text
    forms.Select(choices=[("a", Html(HOSTILE)), ("b", SafeWhenStr()), ("c", gettext_lazy("Sì <b>"))]),
    forms.Select(choices=[(Html("<g>"), [("a", "A")]), (0, [("b", "B")])]),
    forms.Select(choices=[("a", called), (called, "B")]),
    forms.TextInput(attrs={Html("<x>"): "1", "data-s": mark_safe(gettext_lazy("<b>s</b>")), "data-t": (1, 2)}),
    forms.TextInput(attrs={"data-c": called, "data-l": lambda: True, "data-b": BadStr()}),
    forms.TextInput(attrs={"items": "ab"}),  # hides the dict's items() from the template
    forms.Textarea(attrs={"rows": 3}),
]


@pytest.mark.parametrize("widget", ODD, ids=range(len(ODD)))
def test_odd_values_are_drawn_as_the_template_engine_draws_them(widget):
    for value in ["a", 1250, called, Html(HOSTILE), None]:
        try:
            django = widget.render("x", value, renderer=DjangoTemplates())
        except Exception as error:  # noqa: BLE001 - then ours must fail the same way
            with pytest.raises(type(error)):
                widget.render("x", value, renderer=FormRenderer())
            continue
        assert widget.render("x", value, renderer=FormRenderer()) == django, (widget, value)


def test_the_plain_widgets_are_drawn_without_a_template_render():
    """Without this the tests above would pass with the fast path switched off."""
    rendered: list[str] = []

    def count(sender, template, **kwargs):
        rendered.append(template.origin.template_name)

    template_rendered.connect(count)
    try:
        for widget in [forms.TextInput(), forms.Textarea(), forms.Select(choices=[("a", "A")]), forms.HiddenInput()]:
            widget.render("x", "a", renderer=FormRenderer())
        assert rendered == []
        forms.TextInput().render("x", "a", renderer=DjangoTemplates())
        assert rendered  # the signal does fire for a template render
        rendered.clear()
        forms.TextInput(attrs={"data-c": called}).render("x", "a", renderer=FormRenderer())
        assert rendered  # and the odd cases go to Django's template
    finally:
        template_rendered.disconnect(count)


def test_every_template_drawn_here_is_one_compared_above():
    compared = {widget.template_name for widget in WIDGETS} | {forms.Select.template_name}
    assert set(FAST) == compared


def test_other_widgets_are_left_to_django_templates():
    """A radio list, a file input showing its current file, a split date: Django's templates, unchanged."""
    for widget, value in [
        (forms.RadioSelect(choices=[("a", "A"), ("b", HOSTILE)]), "a"),
        (forms.CheckboxSelectMultiple(choices=[("a", "A")]), ["a"]),
        (forms.SplitDateTimeWidget(), dt.datetime(2017, 9, 30, 12, 5)),
        (forms.SelectDateWidget(years=[2017]), dt.date(2017, 9, 30)),
    ]:
        ours, django = both(widget, "x", value, {})
        assert ours == django and "<" in ours
