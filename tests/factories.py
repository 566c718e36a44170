"""Small builders for tests: workbooks written with openpyxl, users with a role and an ente."""

from __future__ import annotations

import copy
from io import BytesIO
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from openpyxl import Workbook

from plans.models import Ente, OrgUnit, Plan, Profile
from workbook.plan_import import plan_import

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSWORD = "una-password-di-prova"

# A small valid plan: one branch area → OS → OO → action, three indicators, two consuntivi.
BASE_SHEETS: dict[str, list[list[Any]]] = {
    "Piano": [
        ["Voce", "Valore"],
        ["Ente", "Camera di commercio di Prova"],
        ["Codice ente", "PR"],
        ["Titolo", "Piano della performance 2017-2019"],
        ["Anno inizio", 2017],
        ["Anno fine", 2019],
        ["Delibera", ""],
        ["Quota indicatori", None],
    ],
    "Unita organizzative": [
        ["Codice", "Nome", "Codice padre", "Responsabile"],
        ["A1", "Area promozione", "", "Dirigente"],
        ["U1", "Ufficio studi", "A1", "Responsabile ufficio"],
    ],
    "Obiettivi": [
        ["Codice", "Tipo", "Codice padre", "Titolo", "Peso", "Quota indicatori", "Unità organizzativa"],
        ["1", "Area strategica", "", "Competitività delle imprese", 100, None, ""],
        ["101", "Obiettivo strategico", "1", "Informazione economica", 100, None, "A1"],
        ["1011.01", "Obiettivo operativo", "101", "Pubblicazioni sul sito", 100, None, "U1"],
        ["1011.0101", "Azione", "1011.01", "Aggiornamenti bimestrali", None, None, ""],
    ],
    "Indicatori": [
        [
            "Codice obiettivo",
            "Codice indicatore",
            "Nome",
            "Algoritmo",
            "Unità",
            "Polarità",
            "Peso",
            "Baseline anno",
            "Baseline",
            "Target 2017",
            "Target 2018",
            "Target 2019",
        ],
        [
            "101",
            "F1",
            "Pubblicazioni sul sito camerale",
            "",
            "N.",
            "crescente",
            50,
            2016,
            "382",
            ">= 350",
            ">= 350",
            "---",
        ],
        ["101", "", "Tempo medio di pagamento", "", "gg", "decrescente", 50, None, "18", "<= 25", "<= 20", "<= 18"],
        ["1011.01", "", "Report pubblicati entro la scadenza", "", "", "", None, None, "", "entro 30/09/2017", "", ""],
    ],
    "Consuntivi": [
        ["Codice obiettivo", "Codice indicatore", "Nome", "Anno", "Valore", "Numeratore", "Denominatore", "Note"],
        ["101", "F1", "", 2017, "382", None, None, ""],
        ["101", "", "Tempo medio di pagamento", 2017, "", 2900, 100, "Ritardi di fine anno"],
    ],
}


def sheets(**changes: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """A deep copy of the base plan with whole sheets replaced (pass None to drop one)."""
    result = copy.deepcopy(BASE_SHEETS)
    for name, rows in changes.items():
        name = name.replace("_", " ")
        if rows is None:
            result.pop(name, None)
        else:
            result[name] = rows
    return result


def workbook_bytes(content: dict[str, list[list[Any]]] | None = None) -> BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (content if content is not None else BASE_SHEETS).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def make_user(username: str, role: str | None, ente: Ente | None, *, units: list[OrgUnit] = ()):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if ente is not None:
        Profile.objects.create(user=user, ente=ente)
    for unit in units:
        unit.leaders.add(user)
    return user


INDICATOR_HEADER = ["Codice obiettivo", "Codice indicatore", "Nome", "Algoritmo", "Unità", "Polarità", "Peso"]
VALUES_HEADER = ["Codice obiettivo", "Codice indicatore", "Nome", "Anno", "Valore", "Numeratore", "Denominatore"]


def plan_with_values(title: str, years: range, indicators: list[list], values: list[list], ente: str = "YY"):
    """A plan of the base tree (objectives 1, 101, 1011.01, 1011.0101) with these indicators, targets and final
    values, imported as a workbook. indicators: [objective, code, name, unit, polarity, target of every year];
    values: [objective, code, name, year, value, numerator, denominator]."""
    fields = {"Titolo": title, "Anno inizio": years[0], "Anno fine": years[-1], "Codice ente": ente}
    piano = [[name, fields.get(name, value)] for name, value in BASE_SHEETS["Piano"]]
    header = INDICATOR_HEADER + [f"Target {y}" for y in years]
    rows = [
        [obj, code, name, "", unit, polarity, None, *targets]
        for obj, code, name, unit, polarity, *targets in indicators
    ]
    content = sheets(Piano=piano, Indicatori=[header, *rows], Consuntivi=[VALUES_HEADER, *values])
    report = plan_import(source=workbook_bytes(content))
    assert report.ok, report.errors[:3]
    return Plan.objects.get(pk=report.plan_id)


def document_download(client, url: str):
    """Ask for a document as its page does (a POST that starts its job; the tests' immediate backend runs it at
    once), follow the job's page and download the file its link points to: the file's response."""
    from django.http import HttpResponse
    from django.urls import reverse

    from jobs.models import Job, JobState

    asked = client.post(url)
    assert asked.status_code == 302, asked.status_code
    job = Job.objects.get(pk=int(asked.url.rstrip("/").rsplit("/", 1)[1]))
    assert job.state == JobState.DONE, job.error
    page = client.get(asked.url).content.decode()
    link = reverse("jobs:document_file", args=[job.pk])
    assert f'href="{link}"' in page
    streamed = client.get(link)
    response = HttpResponse(b"".join(streamed.streaming_content), status=streamed.status_code)
    for header, value in streamed.items():
        response[header] = value
    return response
