"""The yearly values of a plan's catalogue indicators (DFP common indicators and the ente's own), for their export.

The Circolare DFP n. 2/2019's own transmission layout could not be read (the values go to the DFP's online
portal), so the export is the plain table the issue names: per indicator with a catalogue code and per plan year,
the value the score used (typed, or computed from the measures), numerator and denominator of the final round.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from consuntivi.models import Measurement
from consuntivi.scores import plan_score
from indicators.models import Indicator
from plans.models import Plan


@dataclass(frozen=True)
class CatalogueValue:
    ente: str
    catalogue_code: str
    name: str
    objective: str
    year: int
    value: object  # Decimal, date, bool, level or None, as scoring reads it
    numerator: Decimal | None
    denominator: Decimal | None
    unit: str


def catalogue_values(*, plan: Plan) -> list[CatalogueValue]:
    """Rows by catalogue code, objective and year; one scoring per year that has final values (≤ 10 per plan)."""
    indicators = list(
        Indicator.objects.filter(objective__plan=plan)
        .exclude(catalogue_code="")
        .select_related("objective")
        .order_by("catalogue_code", "objective__code", "pk")
    )
    if not indicators:
        return []
    finals = {
        (m.indicator_id, m.year): m
        for m in Measurement.objects.filter(indicator__in=indicators, round__final=True).only(
            "indicator_id", "year", "numerator", "denominator"
        )
    }
    scored_years = sorted({year for _, year in finals})
    scores = {year: plan_score(plan=plan, year=year) for year in scored_years}
    rows = []
    for ind in indicators:
        for year in plan.years:
            m = finals.get((ind.pk, year))
            score = scores[year].indicator(ind.pk) if year in scores else None
            rows.append(
                CatalogueValue(
                    ente=plan.ente.code,
                    catalogue_code=ind.catalogue_code,
                    name=ind.name,
                    objective=ind.objective.code,
                    year=year,
                    value=score.value if score is not None else None,
                    numerator=m.numerator if m is not None else None,
                    denominator=m.denominator if m is not None else None,
                    unit=ind.get_unit_display() if ind.unit else "",
                )
            )
    return rows
