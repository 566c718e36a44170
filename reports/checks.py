"""The Relazione's checks (the «controlli» panel of its page): blocking ones stop the approval, warnings are to be
looked at. They read the loaded context and the built sections, never the wording of a message."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import ngettext

from indicators.notation import Kind
from indicators.scoring import MISSING, OVERRIDDEN, WARN_WEIGHT_SUM
from perfplan.formats import number_it, percent_it
from reports.sections.common import bilancio_of_year, euro
from reports.sections.context import RelazioneContext
from reports.sections.data import RelazioneData
from reports.sections.s2 import promo_total
from reports.sections.s5 import revisions_in_year

MAX_WEIGHT_WARNINGS = 20  # beyond that, one line says how many more


@dataclass
class Check:
    message: str
    where: str = ""


def relazione_checks(ctx: RelazioneContext, data: RelazioneData) -> tuple[list[Check], list[Check]]:
    """(blocking, warnings), each in the order of the report."""
    indicator_blocking, indicator_warnings = _indicator_checks(ctx)
    blocking = [*indicator_blocking, *_budget_checks(ctx, data), *_plan_checks(ctx)]
    warnings = [
        *indicator_warnings,
        *_key_indicator_checks(ctx),
        *_bilancio_checks(ctx, data),
        *_revision_checks(ctx),
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
                message = target_warning.get("message") if isinstance(target_warning, dict) else str(target_warning)
                if message:
                    warnings.append(Check(f"Avviso sul target: {message}", where))
    return blocking, warnings


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


def _revision_checks(ctx: RelazioneContext) -> list[Check]:
    return [
        Check("Revisione senza atto.", f"{r.subject_code} · {r.field}") for r in revisions_in_year(ctx) if not r.act
    ]


def _scoring_checks(ctx: RelazioneContext) -> list[Check]:
    """Indicators without consuntivo, weights that do not add up to 100 (by the core's warning kind), the ente's
    own warnings."""
    result = ctx.result
    checks = []
    missing = [s for s in result.indicators.values() if s.status == MISSING]
    if missing:
        checks.append(
            Check(
                ngettext(
                    "%(n)s indicatore senza consuntivo nella rilevazione finale",
                    "%(n)s indicatori senza consuntivo nella rilevazione finale",
                    len(missing),
                )
                % {"n": number_it(len(missing))}
                + f" (copertura dell'ente {percent_it(result.coverage)}).",
                "Consuntivi",
            )
        )
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
