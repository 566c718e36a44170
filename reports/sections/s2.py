"""Section 2, the resources: 2.1 the bilancio of four years, 2.2 the amounts per strategic objective."""

from __future__ import annotations

from decimal import Decimal

from perfplan.formats import number_it
from plans.models import Level
from reports.bilancio import bilancio_rows
from reports.sections.common import area_label, euro
from reports.sections.context import RelazioneContext


def build(ctx: RelazioneContext) -> dict:
    promo = _promo(ctx)
    return {
        "bilancio_years": ctx.bilancio_years,
        "bilancio": _bilancio(ctx),
        "promo": promo,
        "promo_total_text": euro(promo_total(promo) if ctx.promo_of else None),
    }


def promo_total(promo: list[dict]) -> Decimal:
    return sum((area["subtotal"] for area in promo), Decimal(0))


def _bilancio(ctx: RelazioneContext) -> list[dict]:
    return [
        {
            "kind": row.kind,
            "label": row.label,
            "values": list(row.values),
            "texts": ["" if row.kind == "heading" else ("N/D" if v is None else number_it(v)) for v in row.values],
        }
        for row in bilancio_rows(ctx.bilancio_years, ctx.bilancio_amounts)
    ]


def _promo(ctx: RelazioneContext) -> list[dict]:
    promo = []
    for area in ctx.tree.roots:
        items = []
        subtotal = Decimal(0)
        typed = False
        for os_node in ctx.tree.children_of.get(area.pk, []):
            if os_node.level != Level.STRATEGIC:
                continue
            amount = ctx.promo_of.get(os_node.pk)
            subtotal += amount or 0
            typed = typed or amount is not None
            items.append({"label": f"{os_node.code} – {os_node.title}", "amount": amount, "text": euro(amount)})
        # An area whose amounts are all N/D has no subtotal (N/D), not € 0,00.
        promo.append(
            {"label": area_label(area), "rows": items, "subtotal": subtotal, "text": euro(subtotal if typed else None)}
        )
    return promo
