"""perfplan.internals: each speed-up on a library's internals and its public-API fallback give the same result.
Both ways in every run; CI also runs the whole suite once with the fallbacks (PERFPLAN_PRIVATE_APIS=false)."""

import gc

import pytest

from indicators.models import Baseline, Indicator, Target
from perfplan.collector import gc_paused
from plans.models import Objective
from plans.selectors import TREE_SKIPS_TARGET, loaded_rows
from reports.services import relazione_render_pdf
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdf_pages
from tests.reports.test_pdf import assert_archivable_and_tagged


def fields(instances) -> list[tuple[type, dict]]:
    return [
        (
            type(i),
            {f.attname: getattr(i, f.attname) for f in i._meta.concrete_fields if f.attname not in TREE_SKIPS_TARGET},
        )
        for i in instances
    ]


@pytest.mark.parametrize("private", [True, False], ids=["internals", "fallback"])
def test_loaded_rows_gives_what_iterating_the_query_gives_in_one_query(
    rf_plan, settings, private, django_assert_num_queries
):
    settings.PERFPLAN_PRIVATE_APIS = private
    querysets = [
        Objective.objects.filter(plan=rf_plan).order_by("position", "id"),
        Indicator.objects.filter(objective__plan=rf_plan).order_by("position", "id"),
        Target.objects.filter(indicator__objective__plan=rf_plan).order_by("id"),
        Baseline.objects.filter(indicator__objective__plan=rf_plan).order_by("id"),
    ]
    for queryset in querysets:
        expected = list(queryset)
        assert expected, queryset.model  # the Ravenna-Ferrara plan has rows of each kind
        skip = TREE_SKIPS_TARGET if queryset.model is Target else ()
        with django_assert_num_queries(1):
            loaded = loaded_rows(queryset, skip=skip)
        assert fields(loaded) == fields(expected)
        assert all(not i._state.adding and i._state.db == "default" for i in loaded)
        assert all(i.get_deferred_fields() == set(skip) for i in loaded)
    # A skipped field is deferred, as with QuerySet.defer(): read, it loads with one query.
    target = loaded_rows(querysets[2], skip=TREE_SKIPS_TARGET)[0]
    changed_at = Target.objects.get(pk=target.pk).changed_at
    with django_assert_num_queries(1):
        assert target.changed_at == changed_at


def test_without_internals_a_long_relazione_in_chunks_reads_as_with_them(small_plan, settings):
    # One row a chunk: 17 chunks (tests/reports/test_pdf.py), joined by pikepdf's public API either way; the fallback
    # draws them with WeasyPrint's own user-agent stylesheet and the collector left alone: the same pages.
    settings.PERFPLAN_PRIVATE_APIS = True
    internals = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)
    settings.PERFPLAN_PRIVATE_APIS = False
    fallback = relazione_render_pdf(plan=small_plan, year=YEAR, chunk_rows=1)
    assert fallback.pages == internals.pages > 17
    assert pdf_pages(fallback.content) == pdf_pages(internals.content)
    assert_archivable_and_tagged(fallback.content)


def test_without_internals_the_garbage_collector_is_left_alone(settings):
    assert gc.isenabled()
    settings.PERFPLAN_PRIVATE_APIS = True
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    settings.PERFPLAN_PRIVATE_APIS = False
    with gc_paused():
        assert gc.isenabled()
    assert gc.isenabled()
