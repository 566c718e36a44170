"""Template filters of the consuntivi pages: a consuntivo's value in Italian form."""

from decimal import Decimal

from django import template

from perfplan import formats
from perfplan.formats import number_it

register = template.Library()


@register.filter
def value_it(value) -> str:
    """`382`, `6,33` (at most two decimals), `30/09/2017`, `SI`/`NO`, a level; empty for None (perfplan.formats)."""
    return formats.value_it(value, 2)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def variables_it(variables) -> str:
    """`Liq_Imm = 13.092.700; PassCorr = 4.352.680`; a stored value that is not a number is shown as it is."""
    parts = []
    for name, value in (variables or {}).items():
        try:
            shown = number_it(Decimal(str(value)))
        except ArithmeticError:
            shown = str(value)
        parts.append(f"{name} = {shown}")
    return "; ".join(parts)
