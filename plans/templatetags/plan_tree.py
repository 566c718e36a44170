from django import template

from plans.tree_html import tree_rows_html

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_tree_rows(context):
    """The rows of the tree table of `page` (see plans/tree_html.py); planners get the edit links."""
    return tree_rows_html(
        context["page"], edit=bool(context.get("can", {}).get("plan_edit")), printable=bool(context.get("printable"))
    )
