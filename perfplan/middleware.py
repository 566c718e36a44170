"""Exceptions that deserve a page of their own instead of a server error."""

from __future__ import annotations

from django.shortcuts import render

from plans.selectors import PlanTooDeep


class PlanTooDeepMiddleware:
    """A plan whose stored tree is deeper than PLAN_MAX_TREE_DEPTH: every page that walks it answers 409 with the
    reason and the nodes to move or delete, so the planning office can repair it (plans.selectors.PlanTooDeep)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PlanTooDeep):
            context = {"plan": exception.plan, "error": exception, "tops": exception.tops[:50]}
            return render(request, "plans/too_deep.html", context, status=409)
        return None
