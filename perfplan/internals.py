"""The one switch for the speed-ups that lean on libraries' internals (setting PERFPLAN_PRIVATE_APIS).

Each speed-up has a public-API fallback that gives the same result, slower:

- plans.selectors.loaded_rows reads rows through Django's SQL compiler and converters (`query.get_compiler`,
  `execute_sql`); fallback: `list(queryset.defer(...))`.
- reports.pdf._html_class overrides WeasyPrint's `HTML._ua_stylesheets` (a leaner user-agent stylesheet); fallback:
  WeasyPrint's own stylesheet.
- perfplan.collector and reports.pdf pause the cyclic garbage collector process-wide; fallback: left alone.

An upgrade that breaks an internal makes the normal test run fail; the fallback run (CI runs the suite once with
PERFPLAN_PRIVATE_APIS=false) shows the switch is a way out until the speed-up is mended.
"""

from __future__ import annotations

from django.conf import settings


def private_apis() -> bool:
    """Whether the speed-ups on libraries' internals are on (read at each call: tests switch it per test)."""
    return getattr(settings, "PERFPLAN_PRIVATE_APIS", True)
