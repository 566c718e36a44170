"""«I miei indicatori» in pages (MINE_PAGE_ROWS): the rows of a page, the way between pages, saving one page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consuntivi.models import Measurement, MeasurementStatus
from consuntivi.selectors import mine_page, round_data, user_unit_ids
from tests.consuntivi.factories import client_for, indicator, open_round, synthetic_round


@pytest.fixture
def rnd(plan, who):
    return open_round(plan, who["planner"], deadline=dt.date(2018, 2, 28))


@pytest.fixture
def u1(plan):
    """U1's three rows in plan order (tests/consuntivi/factories.py): two under 1011.01, one under 1011.0101."""
    return [
        indicator(plan, "Report pubblicati entro la scadenza"),
        indicator(plan, "Indice di liquidità"),
        indicator(plan, "Pratiche evase nei termini"),
    ]


def mine_url(rnd, query: str = "") -> str:
    return f"/consuntivi/rilevazioni/{rnd.pk}/miei/{query}"


def shown(response) -> list[str]:
    return [row.indicator.name for row in response.context["page"].rows]


def test_the_rows_come_in_pages_with_their_place_and_links_to_the_others(rnd, who, u1, settings):
    settings.MINE_PAGE_ROWS = 2
    client = client_for(who["head_u1"])
    first = client.get(mine_url(rnd))
    assert shown(first) == ["Report pubblicati entro la scadenza", "Indice di liquidità"]
    assert set(first.context["forms"]) == {u1[0].pk, u1[1].pk}  # a form only for the rows shown
    html = first.content.decode()
    assert "Indicatori 1–2 di 3 · pagina 1 di 2" in html
    assert 'href="?pagina=2">Successiva</a>' in html and "Pratiche evase nei termini" not in html
    # The unit's counts are the whole unit's, whatever the page.
    assert "0 di 3 inviati" in html

    second = client.get(mine_url(rnd, "?pagina=2"))
    assert shown(second) == ["Pratiche evase nei termini"]
    assert "Indicatori 3–3 di 3 · pagina 2 di 2" in second.content.decode()
    assert 'aria-current="page" href="?pagina=2"' in second.content.decode()
    # A page out of range, or not a number, is the nearest page.
    assert shown(client.get(mine_url(rnd, "?pagina=99"))) == ["Pratiche evase nei termini"]
    assert shown(client.get(mine_url(rnd, "?pagina=x"))) == shown(first)


def test_a_unit_that_fits_in_one_page_has_no_pages(rnd, who, u1):
    response = client_for(who["head_u1"]).get(mine_url(rnd))
    assert len(shown(response)) == 3 and 'data-testid="mine-pages"' not in response.content.decode()


def test_saving_a_page_saves_its_rows_and_leaves_the_rows_of_the_other_pages_alone(rnd, who, u1, settings):
    settings.MINE_PAGE_ROWS = 2
    client = client_for(who["head_u1"])
    unit = who["units"]["U1"]
    save = f"/consuntivi/rilevazioni/{rnd.pk}/unita/{unit.pk}/salva/"
    deadline, liquidity, ratio = (indicator.pk for indicator in u1)
    page_one = {
        "pagina": "1",
        f"m{deadline}-version": 0,
        f"m{deadline}-value": "2017-09-28",
        f"m{liquidity}-version": 0,
        f"m{liquidity}-var_Liq_Imm": "13.092.700",
        f"m{liquidity}-var_PassCorr": "4.352.680",
        "salva": "1",
    }
    assert client.post(save, page_one).status_code == 302
    # Page 2 posts only its row: page 1's values are not emptied (their fields were not on the page).
    response = client.post(
        save,
        {"pagina": "2", f"m{ratio}-version": 0, f"m{ratio}-numerator": "45", f"m{ratio}-denominator": "50"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?pagina=2#unita-{unit.pk}")
    stored = {m.indicator_id: m for m in Measurement.objects.filter(round=rnd)}
    assert stored[deadline].value_date == dt.date(2017, 9, 28)
    assert stored[liquidity].variables == {"Liq_Imm": "13092700", "PassCorr": "4352680"}
    # 45 / 50 = 90 %, the target >= 90 % met: no note needed.
    assert (stored[ratio].numerator, stored[ratio].denominator) == (45, 50)


def test_every_page_of_a_large_unit_runs_the_same_queries_and_draws_only_its_rows(db, settings):
    settings.MINE_PAGE_ROWS = 25
    rnd, head = synthetic_round(12, "SYP")
    client = client_for(head)
    client.get("/consuntivi/")  # the session and the user's roles warmed, as in real use
    counts = []
    for query in ("", "?pagina=2", "?pagina=3"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(mine_url(rnd, query))
        counts.append(len(queries))
        page = response.context["page"]
        assert len(page.rows) == 25 and page.total > 75
        assert len(response.context["forms"]) == 25
        assert response.content.decode().count('data-testid="save-row"') == 25
    assert counts[0] == counts[1] == counts[2]


def test_a_page_read_alone_is_the_slice_of_the_whole_round_with_the_whole_units_counts(db):
    """mine_page reads only a page's rows; round_data reads the round whole. Every page of the first must be the
    matching slice of the second's rows (units by code, objectives in plan order), the units' counts and states the
    same, and a value sent back listed under its unit on every page, as the whole read lists it."""
    rnd, head = synthetic_round(5, "SYQ")
    ids = list(Measurement.objects.filter(round=rnd).order_by("pk").values_list("pk", flat=True))
    Measurement.objects.filter(pk__in=ids[::7]).update(status=MeasurementStatus.RETURNED, review_comment="Rivedere")
    Measurement.objects.filter(pk__in=ids[1::5]).update(status=MeasurementStatus.SUBMITTED)
    units = user_unit_ids(user=head, data_round=rnd)
    whole = round_data(data_round=rnd, unit_ids=units)
    rows = [row.indicator.pk for block in whole.blocks for _, group in block.groups for row in group]
    assert len(rows) > 40 and len(whole.blocks) > 2
    assert sum(len(b.returned_rows) for b in whole.blocks) > 3  # sent back in several units, off most pages
    size, number = 9, 0
    while number * size < len(rows):
        number += 1
        data, page = mine_page(data_round=rnd, unit_ids=units, size=size, number=number)
        assert [row.indicator.pk for row in page.rows] == rows[(number - 1) * size : number * size]
        assert (page.number, page.total, page.pages) == (number, len(rows), -(-len(rows) // size))
        whole_blocks = {b.unit.pk: b for b in whole.blocks}
        for block in data.blocks:
            expected = whole_blocks[block.unit.pk]
            assert (block.status, block.counts, block.total) == (expected.status, expected.counts, len(expected.rows))
            returned = [(r.indicator.pk, r.measurement.review_comment) for r in block.returned_rows]
            assert returned == [(r.indicator.pk, r.measurement.review_comment) for r in expected.returned_rows]
        for row in page.rows:  # the same row, scored the same
            same = whole.row(row.indicator.pk)
            assert (row.objective.pk, row.unit_id, row.target.raw, row.status) == (
                same.objective.pk,
                same.unit_id,
                same.target.raw,
                same.status,
            )
            assert row.score == same.score
    assert [b.unit.pk for b in data.blocks] == [b.unit.pk for b in whole.blocks]
    # The page holding one indicator's row, and a number out of range.
    last = rows[-1]
    assert mine_page(data_round=rnd, unit_ids=units, size=size, indicator_id=last)[1].number == number
    assert mine_page(data_round=rnd, unit_ids=units, size=size, number=999)[1].number == number
