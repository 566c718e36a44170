"""The Relazione's tables as an xlsx workbook, one sheet per table, numbers as numbers (from relazione_build)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from perfplan.xlsx_safe import append_row, new_workbook, workbook_bytes
from reports.sections.data import RelazioneData

BOLD = Font(bold=True)
PERCENT = '0.00" %"'
EURO = '#,##0.00" €"'


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title[:31])
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        append_row(ws, row)  # a title such as '=HYPERLINK("…")' stays text
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))


def _pct(value):
    return float(value) if value is not None else None


def relazione_xlsx(*, data: RelazioneData) -> bytes:
    wb = new_workbook()
    _sheet(
        wb,
        "1.1 Panoramica",
        ["Livello", "Codice", "Titolo", "Peso", "Composizione", "Raggiungimento %", "Valutazione", "Copertura"],
        [
            [r.kind, r.code, r.title, r.weight_text, r.composition, _pct(r.score), r.band.word, r.coverage_text]
            for r in data.overview
        ],
    )
    _sheet(
        wb,
        "Quadro di sintesi",
        ["Livello", "Totale", "Raggiunti", "Parziali", "Non raggiunti", "Non misurabili", "Manuali"],
        [
            [c.label, c.total, c.achieved, c.partial, c.not_achieved, c.none, c.manual]
            for c in [*data.counts, *data.counts_by_area]
        ],
    )
    _sheet(
        wb,
        "1.2 Risorse",
        ["Voce", "Preventivo (A)", "Consuntivo (B)", "Confronto %"],
        [
            [
                b["label"],
                float(b["preventivo"]) if b["preventivo"] is not None else None,
                float(b["consuntivo"]) if b["consuntivo"] is not None else None,
                _pct(b["ratio"]),
            ]
            for b in data.budget
        ],
    )
    _sheet(
        wb,
        "1.3 Indicatori significativi",
        ["Gruppo", "Indicatore", "Valore", "Target", "Raggiungimento %"],
        [[g["name"], i.label, i.value_text, i.target_text, _pct(i.score)] for g in data.key_groups for i in g["rows"]],
    )
    _sheet(
        wb,
        "2.1 Bilancio",
        ["Risorse economiche", *[f"Consuntivo al 31.12.{y}" for y in data.bilancio_years]],
        [[b["label"], *b["values"]] for b in data.bilancio],
    )
    _sheet(
        wb,
        "2.2 Importi per OS",
        ["Area / Obiettivo strategico", "Importo"],
        [
            row
            for a in data.promo
            for row in (
                [[a["label"], float(a["subtotal"])]]
                + [[o["label"], float(o["amount"]) if o["amount"] is not None else None] for o in a["rows"]]
            )
        ],
    )
    _sheet(
        wb,
        "3.0 Albero",
        ["Ambito strategico", "Obiettivo strategico", "Missione", "Programma", "Prospettiva", "COFOG"],
        [[t["area"], t["os"], t["mission"], t["program"], t["perspective"], t["cofog"]] for t in data.tree],
    )
    indicator_header = [
        "Area",
        "Obiettivo",
        "Peso obiettivo",
        "Raggiungimento obiettivo %",
        "Indicatore",
        "Algoritmo",
        "Valori misure",
        "Consuntivo",
        "Target",
        "Peso indicatore",
        "Raggiungimento %",
        "Regola",
    ]
    for title, blocks in (("3.1 Obiettivi strategici", data.strategic), ("3.2 Obiettivi operativi", data.operational)):
        rows = []
        for a in blocks:
            for n in a.nodes:
                if title.startswith("3.2") and n.level == "strategic":
                    continue
                head = [a.code, f"{n.code} – {n.title}", n.weight_text, _pct(n.score)]
                if not n.indicators:
                    rows.append([*head, "", "", "", "", "", "", None, ""])
                for i in n.indicators:
                    rows.append(
                        [
                            *head,
                            i.label,
                            i.formula,
                            i.measures,
                            i.value_text,
                            i.target_text,
                            i.weight_text,
                            _pct(i.score),
                            i.rule,
                        ]
                    )
        _sheet(wb, title, indicator_header, rows)
    _sheet(
        wb,
        "3.3 Unità organizzative",
        ["Tipo", "Livello", "Codice", "Nome", "Peso", "Raggiungimento"],
        [[u["kind"], u["depth"], u["code"], u["name"], u.get("weight_text", ""), u["score_text"]] for u in data.units],
    )
    _sheet(
        wb,
        "Scostamenti",
        ["Obiettivo", "Indicatore", "Raggiungimento %", "Nota"],
        [[d["code"], d["row"].label, _pct(d["row"].score), d["note"]] for d in data.deviations],
    )
    _sheet(
        wb,
        "5 Obiettivi di genere",
        ["Obiettivo", "Raggiungimento obiettivo %", "Indicatore", "Target", "Consuntivo", "Raggiungimento %"],
        [
            [
                f"{n.code} – {n.title}",
                _pct(n.score),
                i.label if i else "",
                i.target_text if i else "",
                i.value_text if i else "",
                _pct(i.score) if i else None,
            ]
            for n in data.gender_nodes
            for i in (n.indicators or [None])
        ],
    )
    _sheet(
        wb,
        "6 Date del ciclo",
        ["Fase", "Soggetto", "Termine", "Data", "Esito", "Atto o riferimento"],
        [
            [d["phase"], d["subject"], d["due_text"], d["date_text"], d["outcome"], d["reference"]]
            for d in data.cycle_dates
        ],
    )
    _sheet(
        wb,
        "6 Modifiche",
        ["Gruppo", "Data", "Atto", "Oggetto", "Modifica", "Motivazione"],
        [
            [g["label"], m["date"], m["act"], m["subject"], m["change"], m["reason"]]
            for g in data.revisions
            for m in g["rows"]
        ],
    )
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if ws.cell(1, cell.column).value and "%" in str(ws.cell(1, cell.column).value):
                    cell.number_format = PERCENT
    return workbook_bytes(wb)
