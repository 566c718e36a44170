"""perfplan.collector.release: a page's data freed by reference counting once drawn, not left to the collector.

Django's RequestContext is a reference cycle, so what a view hands its template outlives the response until a
collection walks it (0,1–0,3 s on a 10,000-indicator plan page, benchmarks/bench_plan_page.py).
"""

from __future__ import annotations

import gc
import weakref

from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory

from perfplan.collector import release


class Payload:
    """Stands for a plan's scores: big, and referred to only by the page."""

    name = "punteggi"


class Page:
    def __init__(self) -> None:
        self.payload = Payload()


def draw(page: Page) -> str:
    template = engines["django"].from_string("{{ page.payload.name }}")
    request = RequestFactory().get("/")
    request.user = AnonymousUser()  # the context processors ask for it
    return template.render({"page": page}, request)


def test_a_released_page_frees_its_data_at_once_and_without_release_only_the_collector_does():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        kept = Page()
        kept_payload = weakref.ref(kept.payload)
        assert draw(kept) == "punteggi"
        del kept
        assert kept_payload() is not None  # the template's context cycle still holds it: why release exists

        page = Page()
        payload = weakref.ref(page.payload)
        assert draw(page) == "punteggi"
        release(page)
        del page
        assert payload() is None  # freed by reference counting, the collector still off
    finally:
        if was_enabled:
            gc.enable()
    gc.collect()
    assert kept_payload() is None
