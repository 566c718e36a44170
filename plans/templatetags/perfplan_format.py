from django import template

from perfplan.formats import date_it, number_it, percent_it

register = template.Library()


@register.filter
def it_number(value, places=None):
    return number_it(value, None if places in (None, "") else int(places))


@register.filter
def it_percent(value, places=2):
    return percent_it(value, int(places))


@register.filter
def it_date(value):
    return date_it(value)


@register.filter
def rest(items, shown):
    """How many of `items` are left after the first `shown` («… e altri N»)."""
    return max(0, len(items) - int(shown))
