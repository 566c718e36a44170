"""Locust users of the load test (benchmarks/bench_load.py builds the data and runs this file; issue 13 item 7).

- OfficeHead (Responsabile): logs in through the login form, opens «I miei indicatori», then every 5–15 s saves ONE
  value of its indicators through the row's htmx endpoint (with the optimistic-lock version the page gave it),
  and now and then reloads the page. A 409 (the value was changed by someone else meanwhile) is not an error: the
  row it gets back carries the stored version; half the time the head keeps its own value and saves again.
- Planner (Pianificazione): the plan page, the unit scores, the round overview.

Input: LOAD_PLAN, the JSON file bench_load.py wrote (plan, round, password, users and their indicators).
Output: LOAD_RECORDS, a JSON file written when locust quits: every accepted save (indicator, value, the version the
server returned, time) and every 409 (indicator, version sent, version stored): bench_load.py checks them against
the database (lost updates) and counts the races.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115, PTH123 - read once at import
ROUND = PLAN["round_id"]
HEADS = iter(PLAN["heads"])
PLANNERS = itertools.cycle(PLAN["planners"])
RECORDS: dict = {"round_id": ROUND, "saves": [], "conflicts": []}
PENDING: dict[tuple[int, str], dict] = {}  # saves sent and not answered (yet): their outcome is unknown
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'name="m(\d+)-version" value="(\d+)"')
SEEN_RE = re.compile(r'name="m(\d+)-seen" value="([^"]*)"')


@events.quitting.add_listener
def _write_records(environment, **kwargs) -> None:
    with open(os.environ["LOAD_RECORDS"], "w") as f:  # noqa: PTH123
        json.dump({**RECORDS, "unanswered": list(PENDING.values())}, f)


class Person(HttpUser):
    abstract = True
    wait_time = between(5, 15)
    username = ""

    def log_in(self) -> None:
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF_RE.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": self.username,
                "password": PLAN["password"],
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused ({response.status_code})")

    def page(self, url: str, name: str, marker: str):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code == 200 and marker not in response.text:
                response.failure(f"{name}: {marker!r} missing")
        return response


class OfficeHead(Person):
    """Several heads per unit, each with a few indicators of the unit: two of them may save the same value."""

    def on_start(self) -> None:
        me = next(HEADS)
        self.username = me["username"]
        self.indicators = me["indicators"]
        self.number = me["number"]
        self.sequence = 0
        self.versions: dict[int, int] = {}
        self.seen: dict[int, str] = {}
        self.log_in()
        self.open_mine("mine")

    def open_mine(self, name: str) -> None:
        response = self.page(f"/consuntivi/rilevazioni/{ROUND}/miei/", name, "entry-row")
        if response.status_code == 200:
            self.read_row(response.text)

    def read_row(self, html: str) -> None:
        for pk, version in VERSION_RE.findall(html):
            self.versions[int(pk)] = int(version)
        for pk, seen in SEEN_RE.findall(html):
            self.seen[int(pk)] = seen

    @task(6)
    def save_one_value(self) -> None:
        indicator = random.choice(self.indicators)
        self.sequence += 1
        self.save(indicator, str(self.number * 100_000 + self.sequence))

    def save(self, indicator: int, value: str, retry: bool = False) -> None:
        if indicator not in self.versions:
            return
        prefix = f"m{indicator}-"
        sent = self.versions[indicator]
        PENDING[indicator, value] = {"indicator": indicator, "value": value, "sent_version": sent}
        with self.client.post(
            f"/consuntivi/rilevazioni/{ROUND}/indicatori/{indicator}/salva/",
            data={
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
                prefix + "version": str(sent),
                prefix + "seen": self.seen.get(indicator, ""),
                prefix + "value": value,
                prefix + "note": f"Valore rilevato da {self.username}",
            },
            headers={"HX-Request": "true", "Referer": f"{self.host}/consuntivi/rilevazioni/{ROUND}/miei/"},
            name="save (retry)" if retry else "save",
            catch_response=True,
        ) as response:
            if response.status_code:  # answered (0: no answer, the connection failed: the outcome is unknown)
                PENDING.pop((indicator, value), None)
            if response.status_code == 409:
                response.success()  # the optimistic lock doing its job: counted apart
                self.read_row(response.text)
                RECORDS["conflicts"].append(
                    {"indicator": indicator, "sent_version": sent, "stored_version": self.versions.get(indicator, -1)}
                )
            elif response.status_code == 200:
                if 'data-testid="saved"' not in response.text:
                    response.failure("200 without «Salvato»: the value was refused")
                    return
                self.read_row(response.text)
                RECORDS["saves"].append(
                    {"indicator": indicator, "value": value, "version": self.versions[indicator], "at": time.time()}
                )
                return
            else:
                return
        if not retry and random.random() < 0.5:  # «Tieni il mio valore», after reading both values
            time.sleep(random.uniform(1, 3))
            self.save(indicator, value, retry=True)

    @task(1)
    def reload_mine(self) -> None:
        self.open_mine("mine (reload)")


class Planner(Person):
    fixed_count = len(PLAN["planners"])

    def on_start(self) -> None:
        self.username = next(PLANNERS)
        self.log_in()

    @task(2)
    def plan_page(self) -> None:
        self.page(f"/piani/{PLAN['plan_id']}/", "plan", "</html>")

    @task(1)
    def scores(self) -> None:
        self.page(f"/punteggi/{PLAN['plan_id']}/unita/", "scores", "</html>")

    @task(2)
    def round_overview(self) -> None:
        self.page(f"/consuntivi/rilevazioni/{ROUND}/", "round", "</html>")
