"""Table 2.1: the income statement of the Camere di commercio (DPR 254/2005). Pure: typed lines in, rows out.

Only the numbered lines are typed; totals and results are always computed, so every printed total equals the sum
of the printed lines (relazione.md §3). Oneri are typed as positive amounts and subtracted.
"""

from __future__ import annotations

from dataclasses import dataclass

# (code, label, sign in the result): typed lines, in the order of the statement.
LINES: list[tuple[str, str]] = [
    ("1", "1) Diritto annuale"),
    ("2", "2) Diritti di segreteria"),
    ("3", "3) Contributi trasferimenti e altre entrate"),
    ("4", "4) Proventi da gestione di beni e servizi"),
    ("5", "5) Variazione delle rimanenze"),
    ("6", "6) Personale"),
    ("7", "7) Funzionamento"),
    ("8", "8) Interventi economici"),
    ("9", "9) Ammortamenti e accantonamenti"),
    ("10", "10) Proventi finanziari"),
    ("11", "11) Oneri finanziari"),
    ("12", "12) Proventi straordinari"),
    ("13", "13) Oneri straordinari"),
    ("14", "14) Rivalutazioni attivo patrimoniale"),
    ("15", "15) Svalutazioni attivo patrimoniale"),
]
LABELS = dict(LINES)
CODES = [code for code, _ in LINES]
NEGATIVE_ALLOWED = {"5"}  # Variazione delle rimanenze may be negative

# Layout: ("heading", label) | ("line", code) | ("total", key, label)
LAYOUT: list[tuple[str, ...]] = [
    ("heading", "A) PROVENTI CORRENTI"),
    *[("line", c) for c in ("1", "2", "3", "4", "5")],
    ("total", "A", "Totale proventi correnti (A)"),
    ("heading", "B) ONERI CORRENTI"),
    *[("line", c) for c in ("6", "7", "8", "9")],
    ("total", "B", "Totale oneri correnti (B)"),
    ("total", "AB", "Risultato della gestione corrente (A − B)"),
    ("heading", "C) GESTIONE FINANZIARIA"),
    ("line", "10"),
    ("line", "11"),
    ("total", "C", "Risultato della gestione finanziaria (C)"),
    ("heading", "D) GESTIONE STRAORDINARIA"),
    ("line", "12"),
    ("line", "13"),
    ("total", "D", "Risultato della gestione straordinaria (D)"),
    ("heading", "E) RETTIFICHE DI VALORE ATTIVITÀ FINANZIARIA"),
    ("line", "14"),
    ("line", "15"),
    ("total", "E", "Differenza rettifiche di valore attività finanziaria (E)"),
    ("total", "RESULT", "DISAVANZO/AVANZO ECONOMICO D'ESERCIZIO (A − B ± C ± D ± E)"),
]


def bilancio_totals(lines: dict[str, int]) -> dict[str, int] | None:
    """Totals of one year from its typed lines; None when the year has no line at all (printed N/D)."""
    if not lines:
        return None

    def v(code: str) -> int:
        return lines.get(code, 0)

    a = sum(v(c) for c in ("1", "2", "3", "4", "5"))
    b = sum(v(c) for c in ("6", "7", "8", "9"))
    c = v("10") - v("11")
    d = v("12") - v("13")
    e = v("14") - v("15")
    return {"A": a, "B": b, "AB": a - b, "C": c, "D": d, "E": e, "RESULT": a - b + c + d + e}


@dataclass(frozen=True)
class BilancioRow:
    kind: str  # "heading" | "line" | "total"
    key: str
    label: str
    values: tuple[int | None, ...]  # one per year; None = N/D


def bilancio_rows(years: list[int], typed: dict[int, dict[str, int]]) -> list[BilancioRow]:
    totals = {year: bilancio_totals(typed.get(year, {})) for year in years}
    rows: list[BilancioRow] = []
    for item in LAYOUT:
        if item[0] == "heading":
            rows.append(BilancioRow("heading", "", item[1], tuple(None for _ in years)))
        elif item[0] == "line":
            code = item[1]
            values = tuple(
                (typed[y].get(code, 0) if totals[y] is not None else None) if y in typed else None for y in years
            )
            rows.append(BilancioRow("line", code, LABELS[code], values))
        else:
            key, label = item[1], item[2]
            values = tuple(totals[y][key] if totals[y] is not None else None for y in years)
            rows.append(BilancioRow("total", key, label, values))
    return rows
