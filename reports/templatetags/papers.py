"""The requests for clarification about a node, shown on the node's page of the plan tree (plans/objective.html)."""

from django import template

from reports.selectors import objective_clarifications

register = template.Library()


@register.inclusion_tag("reports/_node_clarifications.html", takes_context=True)
def node_clarifications(context, objective) -> dict:
    """Nothing for a user who may not read the threads or for a node without requests; one query otherwise."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = objective_clarifications(objective=objective, user=user) if user is not None else []
    return {"rows": rows, "plan_id": objective.plan_id}
