"""The validation criteria the app checks for the OIV (DFP Linee guida n. 3/2018 §4; art. 14 c. 4 lett. c
D.Lgs. 150/2009): one place, computed from the context already loaded (reports.sections.context.load), no query.

Each criterion says how many items it looked at and lists the exceptions, each with the page where it can be
seen (the objective, or the indicator's page of the year). A blocking criterion that fails stops the approval
(placeholders, a miss without a note, a manual achievement without a reason); the others warn.

Evidence (allegati) is not checked: an indicator has no «richiede allegato» flag in the model and the context does
not load the evidence files, so no rule could say where one is required without guessing. The criterion is listed
as «non verificato» with that reason, so that the OIV knows it must be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from indicators.scoring import BAND_ACHIEVED, OVERRIDDEN, objectives_mean
from perfplan.formats import date_it, percent_it
from reports.sections.common import count_text
from reports.sections.context import RelazioneContext
from reports.texts import TEXT_SECTIONS, placeholder_in

NBSP = "\u00a0"


def _pct(value) -> str:
    """A percentage that never breaks before its sign (page and Documento)."""
    return percent_it(value).replace(" %", f"{NBSP}%")


RESPECTED = "rispettato"
EXCEPTIONS = "eccezioni"
NOT_CHECKED = "non_verificato"
OUTCOME_LABELS = {RESPECTED: "Rispettato", EXCEPTIONS: "Eccezioni", NOT_CHECKED: "Non verificato dall'app"}
MISSES = "scostamenti"
MAX_LISTED = 50  # exceptions listed per criterion; the count says how many in all


@dataclass
class CriterionException:
    label: str
    url: str = ""


@dataclass
class Criterion:
    key: str
    label: str
    blocking: bool
    checked: int  # items looked at
    exceptions: list[CriterionException] = field(default_factory=list)
    evidence: str = ""  # the counts, in Italian
    skipped: str = ""  # why the app cannot check it

    @property
    def outcome(self) -> str:
        if self.skipped:
            return NOT_CHECKED
        return EXCEPTIONS if self.exceptions else RESPECTED

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def fails(self) -> bool:
        return self.outcome == EXCEPTIONS

    @property
    def listed(self) -> list[CriterionException]:
        return self.exceptions[:MAX_LISTED]

    @property
    def more(self) -> int:
        return max(0, len(self.exceptions) - MAX_LISTED)

    def snapshot(self) -> dict:
        """What a validation stores: the outcome as the OIV saw it."""
        return {
            "key": self.key,
            "label": self.label,
            "blocking": self.blocking,
            "outcome": self.outcome,
            "checked": self.checked,
            "exceptions": len(self.exceptions),
            "evidence": self.evidence,
            "skipped": self.skipped,
            "items": [e.label for e in self.listed],
        }


# key → label of every criterion, in the order of the OIV's form: the working papers file notes under these keys.
CRITERION_LABELS: dict[str, str] = {
    "obiettivi": "Ogni obiettivo e ogni indicatore del Piano adottato è rendicontato",
    "target": "Ogni target rendicontato è quello adottato o una rimodulazione con atto e motivazione",
    MISSES: "Ogni target non raggiunto ha la nota sullo scostamento",
    "manuali": "Ogni raggiungimento inserito a mano ha la motivazione",
    "allegati": "Le evidenze sono allegate dove l'indicatore le richiede",
    "punteggio": "Il punteggio complessivo è la media ponderata dei punteggi riportati",
    "segnaposto": "Nessun testo di istruzione resta nella Relazione",
    "atto": "L'atto di adozione del Piano precede l'anno del Piano",
}


def validation_criteria(ctx: RelazioneContext) -> list[Criterion]:
    """Every criterion in the order of the OIV's form."""
    return [
        _objectives_reported(ctx),
        _targets_adopted(ctx),
        _misses_noted(ctx),
        _manual_reasoned(ctx),
        _evidence(),
        _overall_score(ctx),
        _no_placeholder(ctx),
        _act_before_year(ctx),
    ]


def _objective_url(ctx: RelazioneContext, objective_id: int, indicator_id: int | None = None) -> str:
    """The objective's page, or the indicator's page of the year (its value, target and how it scores)."""
    if indicator_id is None:
        return reverse("plans:objective", args=[ctx.plan.pk, objective_id])
    return reverse("plans:why", args=[ctx.plan.pk, "indicatore", indicator_id]) + f"?anno={ctx.year}"


def _indicators(ctx: RelazioneContext):
    """(objective, indicator) for every indicator of the plan, in the tree's order."""
    for node in ctx.tree.objectives:
        for ind in ctx.tree.indicators_of.get(node.pk, []):
            yield node, ind


def _label(node, ind) -> str:
    return f"{node.code} · {ind.code + ' ' if ind.code else ''}{ind.name}"


def _objectives_reported(ctx: RelazioneContext) -> Criterion:
    """Every objective of the adopted Piano has its row (a score, N/D included) and every indicator with a target
    for the year its row in the indicator tables."""
    exceptions = []
    objectives = ctx.tree.objectives
    for node in objectives:
        if node.pk not in ctx.result.nodes:
            exceptions.append(CriterionException(f"{node.code} {node.title}", _objective_url(ctx, node.pk)))
    with_target = 0
    for node, ind in _indicators(ctx):
        if ctx.tree.targets_of.get(ind.pk, {}).get(ctx.year) is None:
            continue
        with_target += 1
        if ind.pk not in ctx.indicators.rows:
            exceptions.append(CriterionException(_label(node, ind), _objective_url(ctx, node.pk, ind.pk)))
    return Criterion(
        "obiettivi",
        CRITERION_LABELS["obiettivi"],
        False,
        len(objectives) + with_target,
        exceptions,
        f"{count_text(len(objectives), 'obiettivo', 'obiettivi')} e "
        f"{count_text(with_target, 'indicatore', 'indicatori')} con target {ctx.year}",
    )


def _targets_adopted(ctx: RelazioneContext) -> Criterion:
    """A target in force is the adopted one (version 1) or a revision recorded with its act and reason
    (plans.editing writes it as subject «code / indicator», field «target year», the new text)."""
    recorded = {
        (r.subject_code, r.field, r.new_value): r for r in ctx.revisions if r.subject_type == "target" and r.act.strip()
    }
    checked, revised, exceptions = 0, 0, []
    for node, ind in _indicators(ctx):
        target = ctx.tree.targets_of.get(ind.pk, {}).get(ctx.year)
        if target is None:
            continue
        checked += 1
        if target.version <= 1:
            continue
        revised += 1
        subject = f"{node.code} / {ind.code or ind.name}"
        revision = recorded.get((subject, f"target {ctx.year}", target.raw))
        if revision is None or not (target.reason.strip() or revision.reason.strip()):
            exceptions.append(
                CriterionException(
                    f"{_label(node, ind)}: target «{target.raw}» (versione {target.version}) senza rimodulazione "
                    "con atto e motivazione",
                    _objective_url(ctx, node.pk, ind.pk),
                )
            )
    return Criterion(
        "target",
        CRITERION_LABELS["target"],
        False,
        checked,
        exceptions,
        f"{count_text(checked, 'target', 'target')} {ctx.year}, di cui "
        f"{count_text(revised, 'rimodulato', 'rimodulati')}",
    )


def _final(ctx: RelazioneContext, indicator_id: int):
    measurements = ctx.tree.measurements_of.get(indicator_id)
    return measurements[0] if measurements else None


def _misses_noted(ctx: RelazioneContext) -> Criterion:
    """A value below the target (achievement under the «raggiunto» band) has a note on the gap. A derived indicator
    (the mean of the actions' indicators) has no value of its own: its gap is explained on the indicators below."""
    checked, exceptions = 0, []
    for node, ind in _indicators(ctx):
        score = ctx.result.indicators.get(ind.pk)
        if score is None or score.achievement is None or score.band == BAND_ACHIEVED or ind.derived:
            continue
        checked += 1
        measurement = _final(ctx, ind.pk)
        if measurement is None or not measurement.note.strip():
            exceptions.append(
                CriterionException(
                    f"{_label(node, ind)}: raggiungimento {_pct(score.achievement)} senza nota sullo scostamento",
                    _objective_url(ctx, node.pk, ind.pk),
                )
            )
    return Criterion(
        MISSES,
        CRITERION_LABELS[MISSES],
        True,
        checked,
        exceptions,
        f"{count_text(checked, 'indicatore non raggiunto', 'indicatori non raggiunti')}",
    )


def _manual_reasoned(ctx: RelazioneContext) -> Criterion:
    checked, exceptions = 0, []
    for node, ind in _indicators(ctx):
        score = ctx.result.indicators.get(ind.pk)
        measurement = _final(ctx, ind.pk)
        if score is None or score.status != OVERRIDDEN or measurement is None:
            continue
        checked += 1
        if not measurement.manual_reason.strip():
            exceptions.append(
                CriterionException(
                    f"{_label(node, ind)}: raggiungimento manuale senza motivazione",
                    _objective_url(ctx, node.pk, ind.pk),
                )
            )
    return Criterion(
        "manuali",
        CRITERION_LABELS["manuali"],
        True,
        checked,
        exceptions,
        f"{count_text(checked, 'raggiungimento manuale', 'raggiungimenti manuali')}",
    )


def _evidence() -> Criterion:
    return Criterion(
        "allegati",
        CRITERION_LABELS["allegati"],
        False,
        0,
        skipped="Il Piano non indica quali indicatori richiedono un allegato: verificare le evidenze a campione.",
    )


def _overall_score(ctx: RelazioneContext) -> Criterion:
    """The ente's score recomputed from the area rows printed (score and adopted weight) with the core's rule of
    a weighted mean (indicators.scoring.objectives_mean), compared with the score printed."""
    roots = [node for node in ctx.tree.objectives if node.parent_id is None]
    recomputed = objectives_mean(ctx.result, [(node.pk, node.weight) for node in roots])
    printed = ctx.result.score
    exceptions = []
    if recomputed != printed:
        exceptions.append(
            CriterionException(
                f"Punteggio dell'ente stampato {_pct(printed)}, ricalcolato dalle righe {_pct(recomputed)}",
                reverse("plans:detail", args=[ctx.plan.pk]),
            )
        )
    return Criterion(
        "punteggio",
        CRITERION_LABELS["punteggio"],
        False,
        len(roots),
        exceptions,
        f"{count_text(len(roots), 'ambito', 'ambiti')}: ricalcolato {_pct(recomputed)}, stampato {_pct(printed)}",
    )


def _no_placeholder(ctx: RelazioneContext) -> Criterion:
    exceptions = []
    edit = reverse("reports:edit", args=[ctx.plan.pk, ctx.year])
    for section in TEXT_SECTIONS:
        found = placeholder_in(ctx.relazione.texts.get(section.key, section.default))
        if found:
            exceptions.append(CriterionException(f"{section.label}: «{found}»", f"{edit}#{section.key}"))
    return Criterion(
        "segnaposto",
        CRITERION_LABELS["segnaposto"],
        True,
        len(TEXT_SECTIONS),
        exceptions,
        f"{count_text(len(TEXT_SECTIONS), 'testo', 'testi')} letti",
    )


def _act_before_year(ctx: RelazioneContext) -> Criterion:
    """The Piano is adopted by the start of its first year (by 31 January, art. 10 D.Lgs. 150/2009): an act dated
    in a later year is a later act typed in its place."""
    plan = ctx.plan
    exceptions = []
    if plan.act_date is None:
        exceptions.append(CriterionException("Atto di adozione senza data", reverse("plans:detail", args=[plan.pk])))
    elif plan.act_date.year > plan.start_year:
        exceptions.append(
            CriterionException(
                f"Atto di adozione del {date_it(plan.act_date)}, dopo l'inizio del piano ({plan.start_year})",
                reverse("plans:detail", args=[plan.pk]),
            )
        )
    when = date_it(plan.act_date) if plan.act_date else "senza data"
    return Criterion(
        "atto",
        CRITERION_LABELS["atto"],
        False,
        1,
        exceptions,
        f"atto del {when}, primo anno {plan.start_year}" if plan.act_date else "atto senza data",
    )


def blocking_failures(criteria: list[Criterion]) -> list[Criterion]:
    return [c for c in criteria if c.blocking and c.fails]
