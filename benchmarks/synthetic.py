"""Synthetic plan workbooks for benchmarks: a large, valid, deterministic workbook in the import layout.

    synthetic_workbook(areas=5, strategic=10, operational=10, actions=5, indicators=4) -> bytes

builds areas × strategic × operational × actions nodes (5 + 50 + 500 + 2,500 by default) with `indicators`
indicators on every node (`indicators_on="all"`, ≈ 12,200 rows) or on the actions only (`"leaves"`), targets in
several notations (targets.md), weights, baselines, organisational units and, for the first plan year, consuntivi
for about 90 % of the indicators. The same arguments give the same bytes (random.Random(seed), fixed timestamps).

Command line (from the repository root):

    .venv/bin/python benchmarks/synthetic.py OUT.xlsx [--areas N] [--strategic N] [--operational N] [--actions N]
        [--indicators N] [--indicators-on all|leaves] [--years 2025-2027] [--no-measurements] [--seed N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = dt.datetime(2000, 1, 1)
PERCENT_FORMAT = "0.00%"
ROW_RE = re.compile(rb'<row r="(\d+)"')
COLUMN_RE = re.compile(rb'<c r="([A-Z]+)')
MODIFIED_RE = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

PERSPECTIVES = ["Utenti", "Processi interni", "Innovazione e crescita", "Economico-finanziaria"]
TOPICS = [
    "Competitività delle imprese",
    "Internazionalizzazione",
    "Semplificazione amministrativa",
    "Digitalizzazione dei servizi",
    "Regolazione del mercato",
    "Tutela del consumatore",
    "Sostenibilità ambientale",
    "Formazione e lavoro",
    "Turismo e cultura",
    "Efficienza della gestione",
    "Trasparenza e anticorruzione",
    "Registro delle imprese",
]
VERBS = ["Migliorare", "Potenziare", "Ridurre i tempi di", "Semplificare", "Promuovere", "Monitorare", "Razionalizzare"]
MISSIONS = [("011", "005", "04.1"), ("012", "004", "04.1"), ("032", "003", "01.3"), ("016", "005", "04.1")]
OWNERS = ["Segretario generale", "Dirigente Area promozione", "Dirigente Area anagrafe", "Dirigente Area risorse"]
UNITS = [
    ("DIR", "Segreteria generale", "", "Segretario generale"),
    ("A1", "Area promozione e sviluppo", "DIR", "Dirigente Area promozione"),
    ("A2", "Area anagrafe e regolazione", "DIR", "Dirigente Area anagrafe"),
    ("A3", "Area risorse", "DIR", "Dirigente Area risorse"),
    ("U1", "Ufficio internazionalizzazione", "A1", "Responsabile ufficio"),
    ("U2", "Ufficio promozione", "A1", "Responsabile ufficio"),
    ("U3", "Ufficio registro imprese", "A2", "Conservatore"),
    ("U4", "Ufficio metrico", "A2", "Responsabile ufficio"),
    ("U5", "Ufficio ragioneria", "A3", "Responsabile ufficio"),
    ("U6", "Ufficio personale", "A3", "Responsabile ufficio"),
]
OFFICE_UNITS = [code for code, *_ in UNITS if code.startswith("U")]
# Target profiles and how often they occur (the notations of targets.md).
PROFILES = [
    ("count", 24),  # >= 350 (sometimes a typed number), unit N.
    ("days", 12),  # <= 4, unit gg, decrescente
    ("percent", 16),  # >= 95,00 %
    ("bool", 10),  # SI
    ("deadline", 10),  # entro 30/09/2025 (sometimes a typed date)
    ("delta", 8),  # +1% (380) +2% (385) +3% (390)
    ("count_desc", 8),  # 4 N. with polarità decrescente
    ("euro", 7),  # <= 55,00 €, decrescente
    ("ratio", 5),  # >= 1,5 with Algoritmo Liq_Imm / PassCorr and Variabili
]
LEVEL_LETTER = {0: "A", 1: "S", 2: "O", 3: "Z"}


def _ensure_django() -> None:
    """The layout constants live in workbook.reader, which needs Django's app registry."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfplan.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


# ---------------------------------------------------------------------------------------------------------------
# Italian number text


def it_number(value: float, decimals: int = 0) -> str:
    """1250.5 → "1.250,50" (decimals=2); thousands grouped with "."."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def _even_split(n: int) -> list[int]:
    """100 % in n shares, in cents, summing to exactly 10,000 (33,34 + 33,33 + 33,33)."""
    cents = [10000 // n] * n
    for i in range(10000 - sum(cents)):
        cents[i] += 1
    return cents


def _random_split(rng: random.Random, n: int) -> list[int]:
    """100 % in n whole-number shares (multiples of 5 when possible), in cents."""
    if n == 1:
        return [10000]
    step = 5 if n <= 20 else 1
    units = 100 // step
    cuts = sorted(rng.sample(range(1, units), n - 1)) if units > n else list(range(1, n))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
    return [p * step * 100 for p in parts]


class _Weights:
    """Weights for one group of siblings: all blank, or summing to 100 written in a few ways."""

    def __init__(self, rng: random.Random, n: int) -> None:
        roll = rng.random()
        self.style = rng.choice(["number", "number", "text", "percent_cell"])
        if roll < 0.35:
            self.cents: list[int] | None = None
        elif roll < 0.75:
            self.cents = _even_split(n)
        else:
            self.cents = _random_split(rng, n)

    def cell(self, index: int, ws, make_cell) -> Any:
        if self.cents is None:
            return None
        cents = self.cents[index]
        if self.style == "text":
            return it_number(cents / 100, 2) + " %"
        if self.style == "percent_cell":
            return make_cell(ws, cents / 10000, PERCENT_FORMAT)
        return cents // 100 if cents % 100 == 0 else cents / 100


# ---------------------------------------------------------------------------------------------------------------
# Indicators


def _indicator(rng: random.Random, profile: str, years: Sequence[int], node_title: str) -> dict[str, Any]:
    """Columns of one indicator (no code/objective/weight) plus "_measure": a function giving its consuntivo."""
    first = years[0]
    subject = node_title.split(" – ")[0].lower()
    row: dict[str, Any] = {"Baseline anno": first - 1, "Derivato": "NO"}
    targets: dict[int, Any] = {}
    measure: dict[str, Any] = {}
    if profile == "count":
        base = rng.randrange(20, 2500)
        row.update(Nome=f"Numero di imprese coinvolte ({subject})", Unità="N.", Polarità="crescente")
        row["Baseline"] = base if rng.random() < 0.5 else it_number(base)
        typed = rng.random() < 0.2
        for i, year in enumerate(years):
            goal = round(base * (1 + 0.03 * (i + 1)))
            targets[year] = goal if typed else f">= {it_number(goal)}"
        got = round(base * rng.uniform(0.9, 1.15))
        measure["Valore"] = got if rng.random() < 0.6 else it_number(got)
        row["Fonte"] = "Gestionale interno"
    elif profile == "days":
        base = rng.randrange(4, 30)
        row.update(
            Nome=f"Tempo medio di evasione delle pratiche ({subject})",
            Unità="gg",
            Polarità="decrescente",
            Algoritmo="Giorni totali / N. pratiche",
        )
        row["Baseline"] = it_number(base + rng.random(), 1)
        for i, year in enumerate(years):
            targets[year] = f"<= {max(1, base - i)}"
        if rng.random() < 0.5:
            pratiche = rng.randrange(50, 2000)
            measure.update(Numeratore=round(pratiche * base * rng.uniform(0.8, 1.1)), Denominatore=pratiche)
        else:
            measure["Valore"] = it_number(base * rng.uniform(0.8, 1.1), 1)
    elif profile == "percent":
        base = rng.uniform(60, 97)
        row.update(
            Nome=f"Percentuale di pratiche evase nei termini ({subject})",
            Unità="%",
            Polarità="crescente",
            Algoritmo="N. pratiche evase nei termini / N. pratiche",
        )
        row["Baseline"] = it_number(base, 2) + " %"
        goal = min(99.0, round(base + 2))
        for i, year in enumerate(years):
            targets[year] = f">= {it_number(min(100.0, goal + i), 2)} %"
        if rng.random() < 0.5:
            total = rng.randrange(100, 5000)
            measure.update(
                Numeratore=round(total * min(1.0, base / 100 + rng.uniform(-0.05, 0.05))), Denominatore=total
            )
        else:
            measure["Valore"] = it_number(min(100.0, base + rng.uniform(-3, 5)), 2) + " %"
    elif profile == "bool":
        row.update(Nome=f"Adozione del regolamento ({subject})", Unità="SI/NO", Baseline="---")
        for year in years:
            targets[year] = "SI"
        measure["Valore"] = "SI" if rng.random() < 0.85 else "NO"
    elif profile == "deadline":
        row.update(Nome=f"Approvazione della relazione ({subject})", Unità="data", Baseline="N/D")
        day = rng.choice([(30, 6), (30, 9), (31, 12), (31, 3)])
        typed = rng.random() < 0.2
        for year in years:
            targets[year] = dt.date(year, day[1], day[0]) if typed else f"entro {day[0]:02d}/{day[1]:02d}/{year}"
        done = dt.date(first, day[1], 1) + dt.timedelta(days=rng.randrange(0, 45))
        roll = rng.random()
        measure["Valore"] = done if roll < 0.5 else done.strftime("%d/%m/%Y") if roll < 0.9 else "NO"
    elif profile == "delta":
        base = rng.randrange(200, 3000)
        row.update(Nome=f"Numero di servizi erogati ({subject})", Unità="N.", Polarità="crescente", Baseline=base)
        for i, year in enumerate(years):
            targets[year] = f"+{i + 1}% ({round(base * (1 + (i + 1) / 100))})"
        measure["Valore"] = round(base * rng.uniform(0.98, 1.05))
    elif profile == "count_desc":
        base = rng.randrange(3, 9)
        row.update(
            Nome=f"Giorni di attesa per la prenotazione ({subject})",
            Unità="N.",
            Polarità="decrescente",
            Baseline=f"{base} N.",
        )
        for year in years:
            targets[year] = f"{max(1, base - 1)} N."
        measure["Valore"] = max(0, base + rng.randrange(-3, 2))
    elif profile == "euro":
        base = rng.uniform(30, 80)
        row.update(
            Nome=f"Costo medio per impresa ({subject})",
            Unità="€",
            Polarità="decrescente",
            Algoritmo="Costi del processo / N. imprese",
        )
        row["Baseline"] = it_number(base, 2) + " €"
        for i, year in enumerate(years):
            targets[year] = f"<= {it_number(base - 2 - i, 2)} €"
        if rng.random() < 0.3:
            imprese = rng.randrange(1000, 30000)
            measure.update(Numeratore=round(imprese * base * rng.uniform(0.9, 1.05), 2), Denominatore=imprese)
        else:
            measure["Valore"] = it_number(base * rng.uniform(0.9, 1.05), 2) + " €"
    elif profile == "ratio":
        row.update(Nome=f"Indice di liquidità immediata ({subject})", Algoritmo="Liq_Imm / PassCorr", Baseline="1,2")
        for i, year in enumerate(years):
            targets[year] = f">= {it_number(1.3 + i / 10, 1)}"
        liq, passive = rng.randrange(5_000_000, 20_000_000), rng.randrange(2_000_000, 8_000_000)
        measure["Variabili"] = f"Liq_Imm={it_number(liq)}; PassCorr={it_number(passive)}"
    else:  # pragma: no cover - PROFILES lists them all
        raise ValueError(profile)
    if profile not in ("bool", "deadline") and rng.random() < 0.1:
        row["Unità"] = ""  # inferred from the targets
    if row.get("Polarità") == "crescente" and rng.random() < 0.2:
        row["Polarità"] = ""  # crescente is the default
    if rng.random() < 0.05:
        targets.pop(years[-1], None)  # no target in the last year
    if rng.random() < 0.15:
        row["Descrizione"] = f"Misura l'andamento di: {row['Nome'].lower()}."
    if measure and rng.random() < 0.1:
        measure["Note"] = "Scostamento dovuto alla riorganizzazione degli uffici."
    if measure and rng.random() < 0.005:
        measure["Raggiungimento manuale"] = rng.choice([80, 90, 100])
        measure["Motivazione"] = "Valutazione del Nucleo di valutazione."
    row["_targets"] = targets
    row["_measure"] = measure
    return row


def _derived_indicator(years: Sequence[int]) -> dict[str, Any]:
    return {
        "Nome": "Grado di raggiungimento delle azioni collegate (media ponderata)",
        "Unità": "%",
        "Polarità": "crescente",
        "Derivato": "SI",
        "_targets": dict.fromkeys(years, ">= 90 %"),
        "_measure": {},
    }


# ---------------------------------------------------------------------------------------------------------------
# The workbook


def _nodes(areas: int, strategic: int, operational: int, actions: int) -> Iterable[tuple[str, int, str]]:
    """(code, depth, parent code) in sheet order: each area followed by its subtree."""
    for a in range(1, areas + 1):
        yield f"{a}", 0, ""
        for s in range(1, strategic + 1):
            yield f"{a}.{s}", 1, f"{a}"
            for o in range(1, operational + 1):
                yield f"{a}.{s}.{o}", 2, f"{a}.{s}"
                for z in range(1, actions + 1):
                    yield f"{a}.{s}.{o}.{z}", 3, f"{a}.{s}.{o}"


def _children_counts(areas: int, strategic: int, operational: int, actions: int) -> dict[int, int]:
    return {-1: areas, 0: strategic, 1: operational, 2: actions}


def _with_dimension(sheet_xml: bytes) -> bytes:
    """Add the <dimension ref="A1:P123"/> that Excel and openpyxl's normal mode write but write_only mode leaves
    out: without it openpyxl's read-only reader parses every sheet twice, which real uploads do not cost."""
    if b"<dimension" in sheet_xml:
        return sheet_xml
    rows = [int(r) for r in ROW_RE.findall(sheet_xml[sheet_xml.rfind(b"<row ") :])] or [1]
    columns = {c.decode() for c in COLUMN_RE.findall(sheet_xml)} or {"A"}
    last_column = max(columns, key=lambda c: (len(c), c))
    tag = f'<dimension ref="A1:{last_column}{rows[0]}" />'.encode()
    anchor = b"<sheetViews>" if b"<sheetViews>" in sheet_xml else b"<sheetData"
    return sheet_xml.replace(anchor, tag + anchor, 1)


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the xlsx with fixed member timestamps, so the same arguments give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the time of saving
                content = MODIFIED_RE.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            elif info.filename.startswith("xl/worksheets/sheet"):
                content = _with_dimension(content)
            dst.writestr(fixed, content)
    return out.getvalue()


def synthetic_workbook(
    *,
    areas: int = 5,
    strategic: int = 10,
    operational: int = 10,
    actions: int = 5,
    indicators: int = 4,
    indicators_on: str = "all",
    years: Sequence[int] = (2025, 2026, 2027),
    with_measurements: bool = True,
    seed: int = 1,
    ente_code: str = "SYN",
    title: str | None = None,
) -> bytes:
    """A valid plan workbook (spec/workbook.md) of the given size, as .xlsx bytes. See the module docstring."""
    return build_workbook(
        areas=areas,
        strategic=strategic,
        operational=operational,
        actions=actions,
        indicators=indicators,
        indicators_on=indicators_on,
        years=years,
        with_measurements=with_measurements,
        seed=seed,
        ente_code=ente_code,
        title=title,
    )[0]


def build_workbook(
    *,
    areas: int,
    strategic: int,
    operational: int,
    actions: int,
    indicators: int,
    indicators_on: str,
    years: Sequence[int],
    with_measurements: bool,
    seed: int,
    ente_code: str,
    title: str | None,
) -> tuple[bytes, dict[str, int]]:
    """synthetic_workbook's bytes and the row counts written per sheet."""
    _ensure_django()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from plans.models import Level, ObjectiveKind
    from workbook.reader import (
        INDICATOR_COLUMNS,
        KIND_LABELS,
        LEVEL_LABELS,
        MEASUREMENT_COLUMNS,
        OBJECTIVE_COLUMNS,
        SHEET_INDICATORS,
        SHEET_MEASUREMENTS,
        SHEET_OBJECTIVES,
        SHEET_PLAN,
        SHEET_UNITS,
        UNIT_COLUMNS,
    )

    if indicators_on not in ("all", "leaves"):
        raise ValueError('indicators_on must be "all" or "leaves"')
    years = sorted(years)
    if not years or years != list(range(years[0], years[-1] + 1)):
        raise ValueError("years must be consecutive, e.g. (2025, 2026, 2027)")
    if min(areas, strategic, operational, actions) < 1 or indicators < 0:
        raise ValueError("every level needs at least one node")
    rng = random.Random(seed)
    title = title or f"Piano sintetico {years[0]}-{years[-1]}"
    levels = [Level.AREA, Level.STRATEGIC, Level.OPERATIONAL, Level.ACTION]
    profiles, profile_weights = zip(*PROFILES, strict=True)

    def make_cell(ws, value: Any, number_format: str) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell

    wb = Workbook(write_only=True)
    wb.properties.creator = "perfplan benchmarks"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    ws_plan = wb.create_sheet(SHEET_PLAN)
    ws_plan.append(["Voce", "Valore"])
    for row in (
        ("Ente", f"Ente sintetico {ente_code}"),
        ("Codice ente", ente_code),
        ("Titolo", title),
        ("Anno inizio", years[0]),
        ("Anno fine", years[-1]),
        ("Delibera", f"Delibera di Giunta n. {rng.randrange(1, 200)} del 30/01/{years[0]}"),
        ("Quota indicatori", 30),
    ):
        ws_plan.append(list(row))

    ws_obj = wb.create_sheet(SHEET_OBJECTIVES)
    ws_obj.append(OBJECTIVE_COLUMNS)
    ws_ind = wb.create_sheet(SHEET_INDICATORS)
    ind_headers = [*INDICATOR_COLUMNS, *[f"Target {y}" for y in years]]
    ws_ind.append(ind_headers)
    ws_meas = wb.create_sheet(SHEET_MEASUREMENTS) if with_measurements else None
    if ws_meas is not None:
        ws_meas.append(MEASUREMENT_COLUMNS)
    ws_units = wb.create_sheet(SHEET_UNITS)
    ws_units.append(UNIT_COLUMNS)
    for unit in UNITS:
        ws_units.append(list(unit))

    counts = {"objectives": 0, "indicators": 0, "targets": 0, "measurements": 0, "units": len(UNITS)}
    children = _children_counts(areas, strategic, operational, actions)
    group_weights: dict[str, _Weights] = {}
    sibling_index: dict[str, int] = {}
    for code, depth, parent in _nodes(areas, strategic, operational, actions):
        # -- the objective row
        if parent not in group_weights:
            group_weights[parent] = _Weights(rng, children[depth - 1])
        index = sibling_index.get(parent, 0)
        sibling_index[parent] = index + 1
        level = levels[depth]
        topic = TOPICS[(int(code.split(".")[0]) - 1) % len(TOPICS)]
        node_title = topic if depth == 0 else f"{rng.choice(VERBS)} {topic.lower()} – {LEVEL_LABELS[level]} {code}"
        mission = rng.choice(MISSIONS) if depth == 1 else ("", "", "")
        values: dict[str, Any] = {
            "Codice": code,
            "Tipo": LEVEL_LABELS[level],
            "Codice padre": parent,
            "Titolo": node_title,
            "Descrizione": f"Descrizione dell'obiettivo {code}." if rng.random() < 0.3 else "",
            "Peso": group_weights[parent].cell(index, ws_obj, make_cell),
            "Quota indicatori": rng.choice([None, None, None, 50, 20]) if depth in (1, 2) else None,
            "Prospettiva": PERSPECTIVES[index % len(PERSPECTIVES)] if depth == 0 else "",
            "Missione": mission[0],
            "Programma DM": mission[1],
            "COFOG": mission[2],
            "Unità organizzativa": rng.choice(OFFICE_UNITS) if depth == 2 and rng.random() < 0.6 else "",
            "Responsabile": rng.choice(OWNERS) if depth <= 2 else "",
            "Ottica di genere": "SI" if rng.random() < 0.05 else "NO",
            "Natura": KIND_LABELS[
                ObjectiveKind.OFFICE if depth == 3 and rng.random() < 0.1 else ObjectiveKind.ORGANIZATIONAL
            ],
        }
        ws_obj.append([values.get(c) for c in OBJECTIVE_COLUMNS])
        counts["objectives"] += 1

        # -- its indicators
        if indicators_on == "leaves" and depth != 3:
            continue
        weights = _Weights(rng, indicators) if indicators else None
        letter = LEVEL_LETTER[depth]
        for k in range(indicators):
            if k == 0 and depth == 1 and rng.random() < 0.3:
                ind = _derived_indicator(years)
            else:
                profile = rng.choices(profiles, weights=profile_weights)[0]
                ind = _indicator(rng, profile, years, node_title)
            targets: dict[int, Any] = ind.pop("_targets")
            measure: dict[str, Any] = ind.pop("_measure")
            ind_code = f"{letter}{k + 1:02d}"
            ind["Codice obiettivo"] = code
            ind["Codice indicatore"] = ind_code
            ind["Peso"] = weights.cell(k, ws_ind, make_cell) if weights else None
            for year, target in targets.items():
                ind[f"Target {year}"] = target
            ws_ind.append([ind.get(c) for c in ind_headers])
            counts["indicators"] += 1
            counts["targets"] += len(targets)
            if ws_meas is not None and measure and rng.random() < 0.9:
                measure.update({"Codice obiettivo": code, "Codice indicatore": ind_code, "Anno": years[0]})
                ws_meas.append([measure.get(c) for c in MEASUREMENT_COLUMNS])
                counts["measurements"] += 1

    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic_zip(buffer.getvalue()), counts


# ---------------------------------------------------------------------------------------------------------------
# Command line


def _years(text: str) -> tuple[int, ...]:
    if "-" in text:
        start, end = (int(part) for part in text.split("-", 1))
        return tuple(range(start, end + 1))
    return tuple(int(part) for part in text.split(","))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic plan workbook (.xlsx) for benchmarks.")
    parser.add_argument("out", help="the .xlsx file to write")
    parser.add_argument("--areas", type=int, default=5)
    parser.add_argument("--strategic", type=int, default=10, help="strategic objectives per area")
    parser.add_argument("--operational", type=int, default=10, help="operational objectives per strategic one")
    parser.add_argument("--actions", type=int, default=5, help="actions per operational objective")
    parser.add_argument("--indicators", type=int, default=4, help="indicators per node")
    parser.add_argument("--indicators-on", choices=["all", "leaves"], default="all")
    parser.add_argument("--years", type=_years, default=(2025, 2026, 2027), help="e.g. 2025-2027")
    parser.add_argument("--no-measurements", action="store_true", help="leave out the Consuntivi sheet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ente-code", default="SYN")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    data, counts = build_workbook(
        areas=args.areas,
        strategic=args.strategic,
        operational=args.operational,
        actions=args.actions,
        indicators=args.indicators,
        indicators_on=args.indicators_on,
        years=args.years,
        with_measurements=not args.no_measurements,
        seed=args.seed,
        ente_code=args.ente_code,
        title=args.title,
    )
    Path(args.out).write_bytes(data)
    summary = ", ".join(f"{name}: {count:,}" for name, count in counts.items())
    print(f"{args.out}: {len(data) / 1_048_576:.2f} MB; {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
