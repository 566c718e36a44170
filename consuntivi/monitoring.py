"""Mid-year monitoring: the plan year as it stood at a date, and the objectives at risk (obiettivi a rischio).

The rule that says whether an indicator is at risk (`indicator_risk`) is a pure function of the scoring core's
inputs and result; the selector (`monitoring_state`) scores the round that speaks for the date (one call to
consuntivi.scores.plan_score) and reads the Responsabili's manual flags (one query).

**The at-risk rule** (also in the README, «Monitoraggio infrannuale»). With `f` the share of the year elapsed at the
end of the round's period (days from 1 January to that date, inclusive, over the days of the year: 181/365 at
30/06/2017), an indicator with a value at the period is **at risk** when:

- numeric targets (`>= 350`, `<= 25 gg`, `+2%`, `mantenimento`: the target value the core resolved) — the value is
  behind the pro-rata path to the target. The path runs linearly from a start value to the target over the year:
  expected = start + (target − start) × f. The start is the baseline for a *level* (a rate, a percentage, days, an
  index: they do not restart each year); for a *flow* (unit `N.` or `€`: counts and amounts that accrue from zero
  during the year) the start is 0. A level without a baseline has no path: its expected value is the target itself.
  "Behind" means below the expected value for a target to reach or exceed (`>=`, `>`, `=` with higher_better), above
  it for a target to stay under (`<=`, `<`, `=` with lower_better). A value that already meets the year's target is
  never at risk (a baseline better than the target would otherwise draw a path stricter than the target itself);
- «entro data» targets (`entro 30/09/2017`) — the work was done after the deadline, or it is not done and the
  deadline has passed at the end of the period. Not done with the deadline still ahead is on track;
- SI/NO and judgement targets (`SI`, `buono`) — they have no path: they are judged only when the period ends on
  31/12 (the year is over) and the target is not met. Mid-year, only a manual flag puts them at risk;
- free-text targets, derived indicators (their children are judged) and manual achievements are never at risk by
  the rule; an indicator without a value at the period is listed apart («senza valore»), not at risk.

Besides the rule, the Responsabile of the unit can flag an indicator at risk in a round with a reason
(consuntivi.services.risk_flag_set). An objective is at risk when one of its own indicators is (by the rule or by a
flag); its ancestors count the objectives at risk under them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from consuntivi.models import RiskFlag, Round
from consuntivi.scores import PlanScoring, plan_score, round_at
from indicators.notation import Kind, Unit
from indicators.scoring import (
    LOWER_BETTER,
    MISSING,
    NO_TARGET,
    OVERRIDDEN,
    IndicatorInput,
    IndicatorScore,
    NodeInput,
)
from perfplan.formats import date_it, number_it, value_it
from plans.models import Plan

FLOW_UNITS = (Unit.COUNT, Unit.EURO)  # quantities that accrue from zero during the year
NUMERIC_RULES = (Kind.NUMBER, Kind.DELTA_PCT, Kind.MAINTAIN)


def year_fraction(period_end: dt.date) -> Decimal:
    """The share of the year elapsed at the end of the period: days from 1 January (inclusive) over the year's days."""
    start = dt.date(period_end.year, 1, 1)
    days_in_year = (dt.date(period_end.year + 1, 1, 1) - start).days
    elapsed = min((period_end - start).days + 1, days_in_year)
    return Decimal(elapsed) / Decimal(days_in_year)


@dataclass(frozen=True)
class RiskVerdict:
    """What the rule says of one indicator at the period: at risk or not, and why (Italian, for people)."""

    at_risk: bool
    reason: str
    expected: Decimal | None = None  # the pro-rata value at the period (numeric targets)


def _upward(ind: IndicatorInput, score: IndicatorScore) -> bool:
    """Whether the target is one to reach or exceed; from the comparator, else the sign of a Δ%, else polarity."""
    target = ind.target
    comparator = target.comparator if target is not None else None
    if comparator in (">=", ">"):
        return True
    if comparator in ("<=", "<"):
        return False
    if target is not None and target.kind == Kind.DELTA_PCT and isinstance(target.value, Decimal):
        return target.value >= 0
    return ind.polarity != LOWER_BETTER


def indicator_risk(ind: IndicatorInput, score: IndicatorScore, period_end: dt.date) -> RiskVerdict | None:
    """The at-risk rule of the module docstring for one indicator; None when the rule does not judge it (no value,
    no target, free text, derived, manual achievement)."""
    target = ind.target
    if target is None or score.status in (NO_TARGET, MISSING, OVERRIDDEN) or ind.derived:
        return None
    if target.kind in NUMERIC_RULES:
        if not isinstance(score.value, Decimal) or score.target_value is None:
            return None
        unit = ind.unit or target.unit
        fraction = year_fraction(period_end)
        goal = score.target_value
        if unit in FLOW_UNITS:
            start, start_text = Decimal(0), "da 0 (grandezza che si accumula nell'anno)"
        elif ind.baseline is not None:
            start, start_text = ind.baseline, f"dalla baseline {number_it(ind.baseline)}"
        else:
            start, start_text = goal, None
        expected = start + (goal - start) * fraction
        upward = _upward(ind, score)
        behind = (score.value < expected if upward else score.value > expected) and not score.met
        if start_text is None:
            path = f"senza baseline il riferimento è il target {number_it(goal)}"
        else:
            path = (
                f"percorso {start_text} al target {number_it(goal)}: al {date_it(period_end)} "
                f"({number_it(fraction * 100, 1)} % dell'anno) atteso {number_it(expected, 2)}"
            )
        word = "sotto" if upward else "sopra"
        if behind:
            return RiskVerdict(True, f"Valore {number_it(score.value)} {word} l'atteso: {path}.", expected)
        return RiskVerdict(False, f"Valore {number_it(score.value)} in linea: {path}.", expected)
    if target.kind == Kind.DEADLINE:
        deadline = target.deadline
        if deadline is None:
            return None
        if isinstance(score.value, dt.date):
            if score.met:
                return RiskVerdict(False, f"Realizzato il {date_it(score.value)}, entro il {date_it(deadline)}.")
            late = f"Realizzato il {date_it(score.value)}, oltre la scadenza del {date_it(deadline)}."
            return RiskVerdict(True, late)
        if deadline <= period_end:
            return RiskVerdict(True, f"Non ancora realizzato e la scadenza del {date_it(deadline)} è passata.")
        return RiskVerdict(False, f"Non ancora realizzato; la scadenza del {date_it(deadline)} non è ancora arrivata.")
    if target.kind in (Kind.BOOL, Kind.ORDINAL):
        if period_end < dt.date(period_end.year, 12, 31):
            return None  # no path to a SI/NO or a judgement: only a manual flag, mid-year
        if score.met:
            return RiskVerdict(False, "Target raggiunto.")
        return RiskVerdict(True, "Target non raggiunto a fine anno.")
    return None


@dataclass(frozen=True)
class IndicatorAtRisk:
    indicator: object  # indicators.Indicator (a row of the loaded tree)
    verdict: RiskVerdict | None  # the rule's
    flag: RiskFlag | None  # the Responsabile's
    value: str = ""  # the value at the period, as people read it

    @property
    def at_risk(self) -> bool:
        return self.flag is not None or (self.verdict is not None and self.verdict.at_risk)

    def proposal_reason(self, period_end: dt.date) -> str:
        """The reason a «proposta di rimodulazione» of the target starts from (the planner completes it)."""
        return f"Rimodulazione proposta dal monitoraggio al {date_it(period_end)}: " + " ".join(self.reasons)

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.verdict is not None and self.verdict.at_risk:
            reasons.append(self.verdict.reason)
        if self.flag is not None:
            reasons.append(f"Segnalato dal Responsabile: {self.flag.reason}")
        return reasons


@dataclass
class ObjectiveAtRisk:
    objective: object  # plans.Objective
    path: list[object]  # its ancestors, area first
    indicators: list[IndicatorAtRisk]  # its own indicators at risk


@dataclass
class MonitoringState:
    """A plan year at a date: the scored round, each indicator's verdict, the objectives at risk."""

    scoring: PlanScoring
    data_round: Round
    at: dt.date
    verdicts: dict[int, IndicatorAtRisk]  # every indicator with a verdict or a flag
    objectives: list[ObjectiveAtRisk]  # tree order
    without_value: list[tuple[object, object]]  # (objective, indicator) with a target and no value at the period
    flags: dict[int, RiskFlag] = field(default_factory=dict)

    @property
    def period_end(self) -> dt.date:
        return self.data_round.period_end

    @property
    def risky_indicator_count(self) -> int:
        return sum(len(o.indicators) for o in self.objectives)

    def under(self, objective_id: int) -> int:
        """How many objectives at risk sit at or under this node (for the roll-up shown beside areas)."""
        return sum(1 for o in self.objectives if o.objective.pk == objective_id or objective_id in _ids(o.path))


def _ids(nodes: list[object]) -> set[int]:
    return {n.pk for n in nodes}


def _inputs_by_id(roots: tuple[NodeInput, ...]) -> dict[int, IndicatorInput]:
    inputs: dict[int, IndicatorInput] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        for ind in node.indicators:
            inputs[ind.id] = ind
        stack.extend(node.children)
    return inputs


def monitoring_state(*, plan: Plan, year: int, data_round: Round | None = None, at: dt.date | None = None):
    """The year at `at` (the round that speaks for it, consuntivi.scores.round_at) or at `data_round`'s period end:
    plan_score's six queries, one for the rounds, one for the flags. None when no round's period has ended by `at`.
    """
    if data_round is None:
        if at is None:
            raise ValueError("monitoring_state needs a round or a date")
        data_round = round_at(plan=plan, year=year, at=at)
        if data_round is None:
            return None
    at = at or data_round.period_end
    scoring = plan_score(plan=plan, year=year, data_round=data_round)
    flags = {f.indicator_id: f for f in RiskFlag.objects.filter(round=data_round).select_related("flagged_by")}
    inputs = _inputs_by_id(scoring.roots)
    tree = scoring.tree
    parents = {n.pk: n.parent_id for n in tree.objectives}
    by_id = {n.pk: n for n in tree.objectives}
    verdicts: dict[int, IndicatorAtRisk] = {}
    objectives: list[ObjectiveAtRisk] = []
    without_value: list[tuple[object, object]] = []
    period_end = data_round.period_end
    for node in tree.objectives:
        risky = []
        for ind in tree.indicators_of.get(node.pk, ()):
            score = scoring.indicator(ind.pk)
            ind_input = inputs.get(ind.pk)
            if score is None or ind_input is None:
                continue
            if score.status == MISSING and not ind.derived:
                without_value.append((node, ind))
            verdict = indicator_risk(ind_input, score, period_end)
            item = IndicatorAtRisk(ind, verdict, flags.get(ind.pk), value_it(score.value))
            if verdict is not None or item.flag is not None:
                verdicts[ind.pk] = item
            if item.at_risk:
                risky.append(item)
        if risky:
            path, parent = [], parents.get(node.pk)
            while parent is not None:
                path.insert(0, by_id[parent])
                parent = parents.get(parent)
            objectives.append(ObjectiveAtRisk(node, path, risky))
    return MonitoringState(scoring, data_round, at, verdicts, objectives, without_value, flags)
