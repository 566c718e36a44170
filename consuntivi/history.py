"""The history of a consuntivo (MeasurementChange), written the same way by every path that changes one:
data entry, review, manual achievement, round import and the plan workbook import."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from consuntivi.models import Measurement, MeasurementChange
from perfplan.formats import value_it

# The fields a unit writes, with the label the history shows.
VALUE_FIELDS = {
    "raw": "Valore",
    "value_number": "Valore (numero)",
    "value_date": "Data di realizzazione",
    "value_bool": "SI/NO",
    "value_level": "Giudizio",
    "not_done": "Non realizzato",
    "numerator": "Numeratore",
    "denominator": "Denominatore",
    "variables": "Variabili",
    "note": "Note sullo scostamento",
}
MANUAL_FIELDS = {"manual_achievement": "Raggiungimento manuale", "manual_reason": "Motivazione"}
FIELD_LABELS = {**VALUE_FIELDS, **MANUAL_FIELDS, "status": "Stato", "review_comment": "Commento della verifica"}


def change_text(value: Any) -> str:
    """A value as the history shows it, in Italian form."""
    if isinstance(value, dict):
        return "; ".join(f"{k}={change_text(decimal_or_text(v))}" for k, v in value.items())
    return value_it(value)


def decimal_or_text(value: Any) -> Decimal | str:
    """A stored variable as a number when it is one (values written by older imports may not be)."""
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return str(value)


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dict):
        return {k: _normal(decimal_or_text(v)) for k, v in value.items()}
    return value


def differs(old: Any, new: Any) -> bool:
    return _normal(old) != _normal(new)


def measurement_changes(
    measurement: Measurement, values: dict[str, Any], user, action: str, comment: str = ""
) -> list[MeasurementChange]:
    """History rows for the fields that differ (the measurement still holds the old values); not yet saved."""
    rows = []
    for name, new in values.items():
        old = getattr(measurement, name)
        if differs(old, new):
            rows.append(
                MeasurementChange(
                    measurement=measurement,
                    user=user,
                    action=action,
                    field=FIELD_LABELS.get(name, name),
                    old_value=change_text(old),
                    new_value=change_text(new),
                    comment=comment,
                )
            )
    return rows
