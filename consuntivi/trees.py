"""The plan tree with a round's consuntivi (the final one by default): what scoring, the pages, the Relazione and the
export read."""

from __future__ import annotations

from collections import defaultdict

from consuntivi.models import Measurement, Round
from plans.models import Plan
from plans.selectors import PlanTree, loaded_rows, plan_tree_rows

# Columns no reader of the tree looks at: the review's bookkeeping.
TREE_SKIPS_MEASUREMENT = ("updated_at", "updated_by_id", "review_comment", "status", "version")


def plan_tree_with_values(*, plan: Plan, year: int | None = None, data_round: Round | None = None) -> PlanTree:
    """plans.selectors.plan_tree_rows plus the final round's values of the year (or of every year): six queries.

    `data_round`: the values of that round instead (the state at its date, for the mid-year monitoring).
    """
    tree = plan_tree_rows(plan=plan, year=year)
    measurements_of: dict[int, list[Measurement]] = defaultdict(list)
    if data_round is not None:
        measurements = Measurement.objects.filter(round=data_round).order_by("year")
    else:
        measurements = Measurement.objects.filter(round__plan=plan, round__final=True).order_by("year")
    if year is not None:
        measurements = measurements.filter(year=year)
    for measurement in loaded_rows(measurements, skip=TREE_SKIPS_MEASUREMENT):
        measurements_of[measurement.indicator_id].append(measurement)
    tree.measurements_of = dict(measurements_of)
    return tree
