"""The cyclic garbage collector around large reads.

A 10,000-indicator plan is some 300,000 live container objects (model rows, scoring inputs and results). Each
automatic collection while they are alive walks all of them again, to free nothing: about 0.1 s a pass, and a page
that scores a plan and renders it would pay several. Reference counting still frees everything as usual; only
cycles wait until the collector is back on.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from perfplan.internals import private_apis

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the automatic collections for the block; switched back on (if it was on) when the block ends.

    Leaving the block while its objects are still alive costs one pass over them (≈ 0.1 s for a 10,000-indicator
    plan): callers that keep using the results (a page) pause for longer, see `collector_paused`.
    """
    was_enabled = gc.isenabled() and private_apis()  # the fallback (perfplan.internals): the collector left alone
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collector_paused(view: Callable[P, R]) -> Callable[P, R]:
    """A view that scores or renders a whole plan runs with the collector paused and pays for one pass over the
    plan's objects when it returns, not one every few hundred allocations while it renders. (Not none: Django's
    template Context holds the page data in a reference cycle, so the collector is what frees it.)"""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return view(*args, **kwargs)

    return wrapper


def release(drawn: object) -> None:
    """Let reference counting free the data of a page already drawn, not the collector.

    Django's template Context is a reference cycle (its RequestContext keeps a ContextDict that points back at it), so
    whatever the view passed to the template lives until the next collection, and that collection walks all of it: a
    pass over some 260,000 objects (0,1–0,3 s) for a 10,000-indicator plan's page. Emptying the object that holds the
    bulk (the plan page's scoring: its tree and results) once the response's text is made frees all it held at once;
    the cycle keeps only the shell and the rows shown.
    """
    vars(drawn).clear()
