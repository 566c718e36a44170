"""The indicator catalogue: the built-in DFP common indicators and the reads of the catalogue (issue 16 item 4).

The built-in entries are the «indicatori comuni per le funzioni di supporto» of the Dipartimento della Funzione
Pubblica (Circolare DFP n. 2/2019). The circular's own text could not be read when the catalogue was written: the
entries whose code, name and meaning appear in a published plan of the seeds (Ravenna-Ferrara 2021, allegato 4,
`DFP 1.3`, `DFP 2.5`, `DFP 4.3`) are marked verified; the others come from the DFP's published list as remembered and
are marked `verified=False` («da verificare») until someone checks them against the circular. Every formula uses
perfplan's formula syntax (indicators/formula.py): a plain `A / B` binds A to Numeratore and B to Denominatore, a
single name is a value entered directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from indicators.models import CatalogueIndicator, IndicatorUnit, Polarity
from perfplan.roles import user_ente

DFP_SOURCE = "Circolare DFP n. 2/2019 – Indicatori comuni per le funzioni di supporto"
HR = "Gestione delle risorse umane"
PROCUREMENT = "Gestione degli approvvigionamenti e degli immobili"
DIGITAL = "Gestione delle risorse informatiche e digitalizzazione"
COMMUNICATION = "Gestione della comunicazione e della trasparenza"
UNVERIFIED = " (Da verificare sul testo della circolare: non disponibile nelle fonti consultate.)"


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    description: str
    formula: str
    unit: str
    polarity: str
    area: str
    verified: bool


UP, DOWN = Polarity.HIGHER_BETTER.value, Polarity.LOWER_BETTER.value
PCT, EUR, NONE = IndicatorUnit.PERCENT.value, IndicatorUnit.EURO.value, ""

# Verified: code, name and description as the Ravenna-Ferrara 2021 plan prints them (seeds, RF:1324-1336, 1411-1416).
DFP_2019: tuple[Entry, ...] = (
    Entry(
        "DFP 1.1",
        "Costo unitario della funzione di gestione delle risorse umane",
        "Costo del personale addetto alla gestione delle risorse umane / N. totale dei dipendenti in servizio."
        + UNVERIFIED,
        "Costo_Pers_RU / Dip_Totali",
        EUR,
        DOWN,
        HR,
        False,
    ),
    Entry(
        "DFP 1.2",
        "Grado di attuazione di forme di organizzazione del lavoro in telelavoro o lavoro agile",
        "N. dipendenti in lavoro agile o telelavoro / N. totale dei dipendenti in servizio." + UNVERIFIED,
        "Dip_Agile / Dip_Totali",
        PCT,
        UP,
        HR,
        False,
    ),
    Entry(
        "DFP 1.3",
        "Grado di copertura delle attività formative dedicate al personale",
        "Indica il grado di coinvolgimento del personale in attività formative: N. di dipendenti che hanno seguito "
        "almeno un'attività formativa nell'anno / Totale personale dipendente (TI+TD).",
        "Dip_Formati / Dip_Totali",
        PCT,
        UP,
        HR,
        True,
    ),
    Entry(
        "DFP 1.4",
        "Grado di copertura delle procedure di valutazione del personale",
        "N. dipendenti che hanno ricevuto almeno un colloquio di valutazione / N. totale dei dipendenti in servizio."
        + UNVERIFIED,
        "Dip_Valutati / Dip_Totali",
        PCT,
        UP,
        HR,
        False,
    ),
    Entry(
        "DFP 1.5",
        "Tasso di mobilità interna del personale non dirigenziale",
        "N. dipendenti non dirigenti che hanno cambiato unità organizzativa / N. totale del personale non dirigente."
        + UNVERIFIED,
        "Dip_Mobilita / Dip_Non_Dirigenti",
        PCT,
        UP,
        HR,
        False,
    ),
    Entry(
        "DFP 2.2",
        "Incidenza del ricorso a convenzioni CONSIP e al mercato elettronico degli acquisti",
        "Spesa per beni e servizi tramite convenzioni quadro o mercato elettronico / Spesa totale per beni e servizi."
        + UNVERIFIED,
        "Spesa_Consip_Mepa / Spesa_Beni_Servizi",
        PCT,
        UP,
        PROCUREMENT,
        False,
    ),
    Entry(
        "DFP 2.3",
        "Spesa per energia elettrica al metro quadro",
        "Costo dell'energia elettrica / N. di metri quadrati disponibili." + UNVERIFIED,
        "Spesa_Energia / Mq_Disponibili",
        EUR,
        DOWN,
        PROCUREMENT,
        False,
    ),
    Entry(
        "DFP 2.5",
        "Efficienza degli spazi",
        "Indica gli spazi medi disponibili per ogni postazione: N. di metri quadrati disponibili / N. di postazioni "
        "di lavoro occupate. (Polarità decrescente assunta: meno metri quadrati per postazione.)",
        "Mq_Disponibili / Postazioni_Occupate",
        NONE,
        DOWN,
        PROCUREMENT,
        True,
    ),
    Entry(
        "DFP 3.2",
        "Grado di utilizzo di SPID nei servizi digitali",
        "N. di accessi unici tramite SPID ai servizi digitali / N. totale di accessi unici ai servizi digitali."
        + UNVERIFIED,
        "Accessi_SPID / Accessi_Servizi",
        PCT,
        UP,
        DIGITAL,
        False,
    ),
    Entry(
        "DFP 3.3",
        "Percentuale di servizi full digital",
        "N. di servizi interamente online / N. totale dei servizi erogati." + UNVERIFIED,
        "Servizi_Digitali / Servizi_Totali",
        PCT,
        UP,
        DIGITAL,
        False,
    ),
    Entry(
        "DFP 3.4",
        "Percentuale di comunicazioni tramite domicili digitali",
        "N. di comunicazioni elettroniche inviate a domicili digitali / N. totale di comunicazioni inviate."
        + UNVERIFIED,
        "Comunicazioni_Digitali / Comunicazioni_Totali",
        PCT,
        UP,
        DIGITAL,
        False,
    ),
    Entry(
        "DFP 3.5",
        "Dematerializzazione procedure",
        "Procedure interamente dematerializzate / Procedure dell'amministrazione." + UNVERIFIED,
        "Procedure_Dematerializzate / Procedure_Totali",
        PCT,
        UP,
        DIGITAL,
        False,
    ),
    Entry(
        "DFP 4.3",
        "Grado di trasparenza dell'amministrazione",
        "Indice composto che esprime il livello di trasparenza dell'ente sulla base delle valutazioni dell'OIV: "
        "indice sintetico di trasparenza dell'amministrazione, inserito direttamente.",
        "Indice_Trasp",
        NONE,
        UP,
        COMMUNICATION,
        True,
    ),
)


def builtin_catalogue_load(model=CatalogueIndicator) -> int:
    """Create or refresh the built-in entries (the data migration passes its historical model); returns how many."""
    for entry in DFP_2019:
        model.objects.update_or_create(
            ente=None,
            code=entry.code,
            defaults={
                "name": entry.name,
                "description": entry.description,
                "formula": entry.formula,
                "unit": entry.unit,
                "polarity": entry.polarity,
                "area": entry.area,
                "source": DFP_SOURCE,
                "built_in": True,
                "verified": entry.verified,
            },
        )
    return len(DFP_2019)


def catalogue_for_user(*, user) -> QuerySet[CatalogueIndicator]:
    """The entries a user may insert: the common ones and those of the user's ente (a superuser: all)."""
    entries = CatalogueIndicator.objects.all()
    if user.is_superuser:
        return entries
    ente = user_ente(user)
    own = Q(ente__isnull=True)
    if ente is not None:
        own |= Q(ente=ente)
    return entries.filter(own)
