"""Free-text sections of the Relazione with their default texts, and the default phases of the cycle.

Each free text comes with a default to edit (relazione.md §0); the defaults are plain Italian, already safe HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TextSection:
    key: str
    label: str  # where it is printed, for the editor
    default: str


TEXT_SECTIONS: list[TextSection] = [
    TextSection(
        "premessa",
        "Premessa",
        "<p>La Relazione sulla performance è il documento con cui l'ente conclude il ciclo di gestione della "
        "performance (art. 10 del D.Lgs. 150/2009): illustra ai cittadini, alle imprese e a tutti i portatori di "
        "interesse i risultati organizzativi e individuali raggiunti nell'anno rispetto agli obiettivi "
        "programmati e alle risorse impiegate, con gli eventuali scostamenti.</p>"
        "<p>Il documento risponde a un obbligo di trasparenza e segue le linee guida del Dipartimento della "
        "Funzione pubblica e le indicazioni di Unioncamere per le Camere di commercio.</p>",
    ),
    TextSection(
        "risultati",
        "1. I principali risultati raggiunti – introduzione",
        "<p>Questa sezione presenta in sintesi il grado di raggiungimento della performance dell'ente, delle aree "
        "strategiche e degli obiettivi strategici, le risorse disponibili e gli indicatori più significativi.</p>",
    ),
    TextSection(
        "contesto",
        "2. Analisi del contesto e delle risorse",
        "<p>Descrivere il contesto esterno, lo scenario economico, le novità normative, il personale e "
        "l'organizzazione dell'ente nell'anno.</p>",
    ),
    TextSection(
        "risorse",
        "2.2 Uso delle risorse per obiettivo strategico – introduzione",
        "<p>La tabella seguente riporta, per area e obiettivo strategico, gli importi liquidati e accantonati al "
        "31 dicembre per gli interventi promozionali.</p>",
    ),
    TextSection(
        "giudizio",
        "3.3 Valutazione complessiva – giudizio",
        "<p>Il grado di raggiungimento complessivo della performance organizzativa è calcolato come media "
        "ponderata dei risultati delle aree strategiche, secondo il Sistema di misurazione e valutazione "
        "dell'ente (Allegato 2).</p>",
    ),
    TextSection(
        "misurazione",
        "3.3 Come è stata svolta la misurazione",
        "<p>Indicare quando e come è stata svolta la misurazione, i monitoraggi trasmessi all'OIV, la "
        "valutazione del Segretario Generale e le indagini di customer satisfaction.</p>",
    ),
    TextSection(
        "genere",
        "5. Pari opportunità e bilancio di genere",
        "<p>Illustrare le azioni realizzate nell'anno per le pari opportunità e l'equilibrio di genere (Piano "
        "triennale di azioni positive, Comitato unico di garanzia, conciliazione dei tempi di vita e di lavoro, "
        "formazione) e il bilancio di genere: composizione del personale per genere e qualifica, risorse destinate, "
        "risultati degli obiettivi rilevanti in ottica di genere riportati di seguito.</p>",
    ),
    TextSection(
        "processo",
        "6. Il processo di misurazione e valutazione",
        "<p>Indicare se il calendario del ciclo è stato rispettato, gli eventuali scostamenti e le loro ragioni.</p>",
    ),
    TextSection("modifiche", "6. Modifiche intervenute nel corso dell'anno – introduzione (facoltativa)", ""),
    TextSection(
        "modifiche_pregresse",
        "6. Modifiche apportate prima del caricamento del Piano in perfplan (facoltativa)",
        "",
    ),
]
TEXT_KEYS = [s.key for s in TEXT_SECTIONS]

# An instruction of a default text left in place: an imperative at the start of a sentence («Descrivere il
# contesto…», «Indicare se…») or a bracketed slot («[inserire …]»).
INSTRUCTION_VERBS = "Descrivere|Indicare|Inserire|Illustrare|Specificare|Riportare|Completare|Elencare|Sostituire"
PLACEHOLDER = re.compile(rf"(?:^|[.!?:;]\s+|>\s*)(?:{INSTRUCTION_VERBS})\b|\[[^\]]*(?:inserire|indicare)[^\]]*\]", re.I)
TAG = re.compile(r"<[^>]+>")


def placeholder_in(html: str) -> str:
    """The instruction left in a text (its first words), "" when none."""
    text = " ".join(TAG.sub(" ", html).split())
    match = PLACEHOLDER.search(text)
    if match is None:
        return ""
    start = match.start() + len(match.group(0)) - len(match.group(0).lstrip(" .!?:;>"))
    words = text[start:].split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")


@dataclass(frozen=True)
class DefaultActivity:
    activity: str
    prepares: str
    adopts: str
    start_month: int
    start_day: int
    end_month: int
    end_day: int


# The phases of domain.md §3, on the standard September → August calendar.
DEFAULT_ACTIVITIES: list[DefaultActivity] = [
    DefaultActivity(
        "Avvio della programmazione e analisi del contesto", "S.G., dirigenti, ufficio pianificazione", "", 9, 1, 10, 31
    ),
    DefaultActivity("Relazione previsionale e programmatica", "S.G. – Giunta", "Consiglio", 10, 1, 10, 31),
    DefaultActivity("Analisi dei costi dei processi", "ufficio pianificazione", "", 11, 1, 11, 30),
    DefaultActivity(
        "Budget e proposta degli obiettivi operativi", "dirigenti – ufficio pianificazione", "", 11, 1, 12, 31
    ),
    DefaultActivity("Preventivo economico e PIRA", "Giunta", "Consiglio", 12, 1, 12, 31),
    DefaultActivity("Budget direzionale", "", "Giunta", 12, 15, 12, 31),
    DefaultActivity("Piano della performance", "S.G. – ufficio pianificazione", "Giunta", 1, 1, 1, 31),
    DefaultActivity("Assegnazione degli obiettivi individuali", "S.G. e dirigenti", "Giunta", 2, 1, 2, 28),
    DefaultActivity("Rilevazione dei consuntivi al 31 dicembre", "responsabili delle unità", "", 1, 15, 3, 31),
    DefaultActivity("Bilancio d'esercizio", "Giunta", "Consiglio", 4, 1, 4, 30),
    DefaultActivity("Verifica dei risultati con i dirigenti", "ufficio pianificazione", "", 4, 1, 5, 31),
    DefaultActivity("Relazione sulla performance", "S.G. – ufficio pianificazione", "Giunta", 5, 1, 6, 30),
    DefaultActivity("Validazione della Relazione", "OIV", "", 6, 30, 6, 30),
    DefaultActivity("Monitoraggio intermedio (dati al 30 giugno)", "ufficio pianificazione – OIV", "", 7, 1, 7, 31),
    DefaultActivity("Valutazione individuale", "S.G., dirigenti, OIV", "", 7, 1, 8, 31),
]

# The sections the OIV may conclude on one by one (relazione.md §7), besides its overall conclusions.
CONCLUSION_SECTIONS: list[tuple[str, str]] = [
    ("s1", "1. I principali risultati raggiunti"),
    ("s2", "2. Analisi del contesto e delle risorse"),
    ("s3", "3. Misurazione e valutazione della performance organizzativa"),
    ("s4", "4. Rendicontazione degli obiettivi individuali"),
    ("genere", "5. Pari opportunità e bilancio di genere"),
    ("s5", "6. Il processo di misurazione e valutazione"),
]
MAX_CONCLUSION_CHARS = 10_000

CHECKLIST: list[tuple[str, str]] = [
    ("contenuti", "Contenuti e conformità alle linee guida"),
    ("fonti", "Fonti delle informazioni"),
    ("affidabilita", "Attendibilità dei dati e chiarezza"),
    ("conclusioni", "Conclusioni per sezione"),
    ("carte", "Carte di lavoro"),
]
