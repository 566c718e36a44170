"""The Relazione's checks (the «controlli» panel of its page): blocking ones stop the approval, warnings are to be
looked at. They read the loaded context and the built sections, never the wording of a message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from indicators.notation import MESSAGES as TARGET_MESSAGES
from indicators.notation import Kind
from indicators.scoring import MISSING, OVERRIDDEN, WARN_WEIGHT_SUM
from perfplan.formats import date_it, number_it, percent_it
from plans.models import Objective
from reports.sections.common import bilancio_of_year, count_text, euro
from reports.sections.context import RelazioneContext
from reports.sections.data import RelazioneData
from reports.sections.s2 import promo_total
from reports.sections.s5 import revisions_in_year
from reports.texts import TEXT_SECTIONS, placeholder_in

MAX_WEIGHT_WARNINGS = 20  # beyond that, one line says how many more
CODE = re.compile(r"[A-Z]_[A-Z_]+")  # an internal code (W_DEADLINE_BEFORE_YEAR): never shown as such


@dataclass
class Check:
    message: str
    where: str = ""


def relazione_checks(ctx: RelazioneContext, data: RelazioneData) -> tuple[list[Check], list[Check]]:
    """(blocking, warnings), each in the order of the report."""
    indicator_blocking, indicator_warnings = _indicator_checks(ctx)
    blocking = [*indicator_blocking, *_budget_checks(ctx, data), *_plan_checks(ctx), *_text_checks(ctx)]
    warnings = [
        *_act_checks(ctx),
        *_publication_checks(ctx),
        *indicator_warnings,
        *_key_indicator_checks(ctx),
        *_bilancio_checks(ctx, data),
        *_revision_checks(ctx),
        *_calendar_checks(data),
        *_scoring_checks(ctx),
    ]
    return blocking, warnings


def _indicator_checks(ctx: RelazioneContext) -> tuple[list[Check], list[Check]]:
    """Manual achievements and targets the scoring could not read on its own, target warnings."""
    tree, result, year = ctx.tree, ctx.result, ctx.year
    blocking: list[Check] = []
    warnings: list[Check] = []
    for node in tree.objectives:
        for ind in tree.indicators_of.get(node.pk, []):
            where = f"{node.code} · {ind.label}"
            score = result.indicators.get(ind.pk)
            target = tree.targets_of.get(ind.pk, {}).get(year)
            measurements = tree.measurements_of.get(ind.pk)
            measurement = measurements[0] if measurements else None
            manual = score is not None and score.status == OVERRIDDEN and measurement is not None
            if manual and not measurement.manual_reason.strip():
                blocking.append(Check("Raggiungimento manuale senza motivazione.", where))
            if target is None:
                continue
            if target.kind == Kind.TEXT and (measurement is None or measurement.manual_achievement is None):
                blocking.append(Check("Target testuale senza raggiungimento manuale.", f"{where} ({target.raw})"))
            if (
                target.kind in (Kind.DELTA_PCT, Kind.MAINTAIN)
                and target.absolute is None
                and tree.baseline_of.get(ind.pk) is None
            ):
                warnings.append(Check("Variazione o mantenimento senza baseline.", where))
            for target_warning in target.warnings or ():
                message = target_warning_text(target_warning)
                if message:
                    warnings.append(Check(f"Avviso sul target «{target.raw}»: {message}", where))
    return blocking, warnings


def target_warning_text(warning: object) -> str:
    """A stored target warning in Italian: the stored message, else the sentence of its code (`W_…`), never the
    code alone."""
    if isinstance(warning, dict):
        message, code = str(warning.get("message") or ""), str(warning.get("code") or "")
    else:
        message, code = "", str(warning)
    if message and message not in TARGET_MESSAGES:
        return message
    code = code or message
    template = TARGET_MESSAGES.get(code)
    if template is None:
        return "" if CODE.fullmatch(code) else code
    try:
        return template.format(**(warning.get("params") or {})) if isinstance(warning, dict) else template
    except (KeyError, IndexError, AttributeError):
        return template.split("(")[0].strip() if "{" in template else template


def _text_checks(ctx: RelazioneContext) -> list[Check]:
    """A free text that still holds an instruction of its default («Descrivere…», «Indicare…») blocks approval."""
    checks = []
    for section in TEXT_SECTIONS:
        text = ctx.relazione.texts.get(section.key, section.default)
        found = placeholder_in(text)
        if found:
            checks.append(
                Check(f"Il testo contiene ancora un'istruzione da sostituire: «{found}».", f"Editor › {section.label}")
            )
    return checks


def _act_checks(ctx: RelazioneContext) -> list[Check]:
    """The plan's adoption act dated after the first year of the plan: often a later act (a results annex) typed
    in its place."""
    plan = ctx.plan
    if plan.act_date is not None and plan.act_date.year > plan.start_year:
        return [
            Check(
                f"L'atto di adozione del piano è datato {date_it(plan.act_date)}, dopo il primo anno del piano "
                f"({plan.start_year}): verificare che sia l'atto di adozione e non un atto successivo.",
                "Piano › atto di adozione",
            )
        ]
    return []


def _publication_checks(ctx: RelazioneContext) -> list[Check]:
    """The Relazione states when and where the Piano was published (Amministrazione trasparente): warn while the
    editor lacks either, or when the date comes before the adoption act."""
    plan = ctx.plan
    missing = [
        label for label, value in (("la data", plan.published_on), ("l'indirizzo", plan.published_url)) if not value
    ]
    if missing:
        verb = "Mancano" if len(missing) > 1 else "Manca"
        return [
            Check(
                f"{verb} {' e '.join(missing)} di pubblicazione del Piano in «Amministrazione trasparente»: la "
                "Relazione non dice dove leggere il Piano.",
                "Editor › Pubblicazione del Piano",
            )
        ]
    if plan.act_date is not None and plan.published_on < plan.act_date:
        return [
            Check(
                f"Il Piano risulta pubblicato il {date_it(plan.published_on)}, prima dell'atto di adozione del "
                f"{date_it(plan.act_date)}: verificare le date.",
                "Editor › Pubblicazione del Piano",
            )
        ]
    return []


def _budget_checks(ctx: RelazioneContext, data: RelazioneData) -> list[Check]:
    _, totals = bilancio_of_year(ctx)
    if data.budget_enabled and totals is None:
        return [Check(f"Tabella 2.1: mancano i dati di bilancio dell'anno {ctx.year}.", "Editor › Bilancio")]
    return []


def _plan_checks(ctx: RelazioneContext) -> list[Check]:
    plan = ctx.plan
    if not (plan.act_text or (plan.act_number and plan.act_date)):
        return [Check("Il piano non ha l'atto di adozione.", "Piano")]
    return []


def _key_indicator_checks(ctx: RelazioneContext) -> list[Check]:
    objective_of = {i.pk: n for n in ctx.tree.objectives for i in ctx.tree.indicators_of.get(n.pk, [])}
    checks = []
    for key in ctx.key_indicators:
        row = ctx.indicators.rows.get(key.indicator_id)
        if row is not None and row.value_text == "N/D":
            node = objective_of.get(key.indicator_id)
            checks.append(Check("Indicatore significativo senza valore.", f"{node.code if node else ''} · {row.label}"))
    return checks


def _bilancio_checks(ctx: RelazioneContext, data: RelazioneData) -> list[Check]:
    checks = [
        Check(f"Tabella 2.1: mancano i dati di bilancio dell'anno {year} (stampato N/D).", "Bilancio")
        for year in ctx.bilancio_years
        if year not in ctx.bilancio_amounts and year != ctx.year
    ]
    year_lines, totals = bilancio_of_year(ctx)
    total = promo_total(data.promo)
    if ctx.promo_of and totals is not None and total != Decimal(year_lines.get("8", 0)):
        checks.append(
            Check(
                f"Tabella 2.2: il totale ({euro(total)}) è diverso dalla voce 8 «Interventi economici» "
                f"del bilancio {ctx.year} ({euro(year_lines.get('8', 0))}).",
                "Editor › Importi per obiettivo strategico",
            )
        )
    return checks


def _calendar_checks(data: RelazioneData) -> list[Check]:
    if data.timeline:
        return []
    return [
        Check(
            "L'ente non ha inserito il proprio calendario del ciclo: la sezione 6 riporta solo le date registrate "
            "(l'editor lo propone precompilato con le fasi standard, da adattare e salvare).",
            "Editor › Calendario",
        )
    ]


def _revision_checks(ctx: RelazioneContext) -> list[Check]:
    return [
        Check("Revisione senza atto.", f"{r.subject_code} · {r.field}") for r in revisions_in_year(ctx) if not r.act
    ]


def _takes_part(ctx: RelazioneContext, node: Objective | None) -> bool:
    """Whether an indicator of `node` reaches the ente's score: each node on its way up uses the part it comes from
    (scoring.md §2, the share actually used)."""
    from_indicators = True
    while node is not None:
        score = ctx.result.nodes.get(node.pk)
        if score is None:
            return False
        if (from_indicators and score.share <= 0) or (not from_indicators and score.share >= 100):
            return False
        from_indicators = False
        node = ctx.objectives.get(node.parent_id) if node.parent_id else None
    return True


def _scoring_checks(ctx: RelazioneContext) -> list[Check]:
    """Indicators without consuntivo, weights that do not add up to 100 (by the core's warning kind), the ente's
    own warnings."""
    result = ctx.result
    checks = []
    missing = [s for s in result.indicators.values() if s.status == MISSING]
    if missing:
        owner = {i.pk: n for n in ctx.tree.objectives for i in ctx.tree.indicators_of.get(n.pk, [])}
        counted = sum(1 for s in missing if _takes_part(ctx, owner.get(s.id)))
        message = f"{count_text(len(missing), 'indicatore', 'indicatori')} senza consuntivo nella rilevazione finale"
        if counted == len(missing):
            message += f": esclusi dal calcolo, copertura dell'ente {percent_it(result.coverage)}."
        elif counted:
            message += (
                f": {number_it(counted)} concorrono al punteggio e ne sono esclusi (copertura dell'ente "
                f"{percent_it(result.coverage)}); gli altri sono sotto obiettivi misurati dai propri indicatori o "
                "da una quota che non li conta."
            )
        else:
            message += (
                ": nessuno concorre al punteggio dell'ente (sono sotto obiettivi misurati dai propri indicatori, "
                f"quota indicatori 100 %), per questo la copertura dell'ente è {percent_it(result.coverage)}."
            )
        checks.append(Check(message, "Consuntivi"))
    weight_warnings = [
        (ctx.objectives[node_id].code, warning)
        for node_id, score in result.nodes.items()
        for warning in score.warnings
        if warning.kind == WARN_WEIGHT_SUM and node_id in ctx.objectives
    ]
    checks += [Check(str(warning), code) for code, warning in weight_warnings[:MAX_WEIGHT_WARNINGS]]
    if len(weight_warnings) > MAX_WEIGHT_WARNINGS:
        checks.append(Check(f"… e altri {len(weight_warnings) - MAX_WEIGHT_WARNINGS} avvisi sui pesi.", ""))
    checks += [Check(str(warning), "Ente") for warning in result.warnings]
    return checks
