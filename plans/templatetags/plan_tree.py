from django import template
from django.utils.safestring import mark_safe

from plans.tree_html import tree_rows_html, weight_sum_html

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_tree_rows(context):
    """The rows of the tree table of `page` (see plans/tree_html.py); planners get the edit links."""
    return tree_rows_html(
        context["page"], edit=bool(context.get("can", {}).get("plan_edit")), printable=bool(context.get("printable"))
    )


@register.simple_tag
def weight_sum(total, group):
    """A group's weight sum, as the tree's rows show it (plans/tree_html.py)."""
    return mark_safe(weight_sum_html(total, group))  # numbers and fixed words only
