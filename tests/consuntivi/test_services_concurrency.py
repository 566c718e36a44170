"""Two people save the same consuntivo at once: one wins, the other is told, no update is lost silently.

On PostgreSQL the two sessions run in two threads, each with its own connection, released together by a barrier,
so that both saves reach `UPDATE … WHERE version = 1` at the same time. SQLite serialises writers, so there the
same two requests run one after the other: the same logic, without the race.
"""

import threading

import pytest
from django.db import connection, connections

from consuntivi.models import Measurement, MeasurementChange
from perfplan.roles import Role
from tests.consuntivi.factories import client_for, entry_plan, indicator, open_round, people
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def post_both(requests: list[tuple]) -> list[int]:
    """POST every (client, url, data) at the same moment on PostgreSQL, in order elsewhere; the status codes."""
    if connection.vendor != "postgresql":
        return [client.post(url, data).status_code for client, url, data in requests]
    barrier = threading.Barrier(len(requests))
    statuses: list[int | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int, client, url: str, data: dict) -> None:
        try:
            barrier.wait(timeout=10)
            statuses[index] = client.post(url, data).status_code
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


def test_two_sessions_saving_the_same_value_at_once_never_lose_an_update():
    plan = entry_plan()
    who = people(plan)
    rnd = open_round(plan, who["planner"])
    colleague = make_user("vice_eventi", Role.OFFICE_HEAD, plan.ente, units=[who["units"]["U2"]])
    eventi = indicator(plan, "Eventi organizzati")
    url = f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U2'].pk}/salva/"
    first, second = client_for(who["head_u2"]), client_for(colleague)
    assert first.post(url, {f"m{eventi.pk}-version": 0, f"m{eventi.pk}-value": "11"}).status_code == 302

    typed = {first: "12", second: "13"}  # both start from version 1, with value 11
    statuses = post_both(
        [(client, url, {f"m{eventi.pk}-version": 1, f"m{eventi.pk}-value": value}) for client, value in typed.items()]
    )

    assert sorted(statuses) == [302, 409]
    winner = list(typed.values())[statuses.index(302)]
    m = Measurement.objects.get(indicator=eventi)
    assert (m.raw, m.version) == (winner, 2)
    values = MeasurementChange.objects.filter(measurement=m, field="Valore").order_by("id")
    assert [(c.old_value, c.new_value) for c in values] == [("", "11"), ("11", winner)]
