"""Every bound in one place: what an import may be, how deep a tree may go, and what a column can hold.

Imports, forms, services and the admin ask here instead of keeping their own numbers, so SQLite (which stores
anything) and PostgreSQL (which refuses with a DataError) answer the same Italian message before any write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from perfplan.formats import number_it

# PostgreSQL's integer (Django's IntegerField and PositiveIntegerField).
MAX_INTEGER = 2_147_483_647
MB = 1_048_576
# Memory guards of the xlsx reader, not meant to be tuned: with them an import stays under 300 MB whatever the file
# (benchmarks/bench_hostile_import.py). Real workbooks are far below each one.
RATIO_FLOOR_BYTES = 1 * MB  # the compression ratio is checked on entries larger than this
STRUCTURE_PART_BYTES = 8 * MB  # workbook, relationships and styles parts, read whole
ELEMENT_BYTES = 4 * MB  # XML of one row, or of one shared string, held until it is complete
TEXT_BYTES = 64 * MB  # every text a workbook brings (shared and inline strings), as Python holds it

# Each integer field's range as PostgreSQL holds it (smallint, integer, bigint), by Django's internal type: the same
# bound on SQLite, whose integers are all 64-bit.
INTEGER_RANGES: dict[str, tuple[int, int]] = BaseDatabaseOperations.integer_field_ranges
# The primary keys (BigAutoField): ids in URLs are refused above this before any query (perfplan/converters.py).
MAX_ID = INTEGER_RANGES["BigAutoField"][1]


@dataclass(frozen=True)
class ImportLimits:
    """How big an uploaded workbook may be; each one refused with its own Italian message."""

    upload_bytes: int  # the file as uploaded, counted while it streams
    uncompressed_bytes: int  # every zip entry together, read from the zip directory before parsing
    compression_ratio: int  # one entry's uncompressed size over its compressed size
    rows_per_sheet: int
    rows_total: int  # data rows of all the sheets together: what bounds the memory of an accepted import
    cell_chars: int  # Excel's own limit is 32.767
    errors_listed: int  # the rest is summarised as «e altri N errori»
    pending_hours: int = 24  # an upload neither confirmed nor cancelled is deleted after this
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES
    structure_bytes: int = STRUCTURE_PART_BYTES
    element_bytes: int = ELEMENT_BYTES
    text_bytes: int = TEXT_BYTES


def import_limits() -> ImportLimits:
    return ImportLimits(
        upload_bytes=settings.MAX_WORKBOOK_BYTES,
        uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
        compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        rows_per_sheet=settings.IMPORT_MAX_ROWS_PER_SHEET,
        rows_total=settings.IMPORT_MAX_ROWS_TOTAL,
        cell_chars=settings.IMPORT_MAX_CELL_CHARS,
        errors_listed=settings.IMPORT_MAX_ERRORS_LISTED,
        pending_hours=settings.IMPORT_PENDING_HOURS,
    )


def parse_id(value: Any) -> int | None:
    """A posted or queried id: None for garbage and for numbers no primary key can be (0, negative, too large)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def max_tree_depth() -> int:
    """Levels from an area (1) down to the deepest node; pages, the PDF and exports walk the tree recursively."""
    return settings.PLAN_MAX_TREE_DEPTH


def tree_depth_problem(depth: int) -> str | None:
    limit = max_tree_depth()
    if depth > limit:
        return f"l'albero del piano può avere al massimo {limit} livelli (questo nodo sarebbe al livello {depth})"
    return None


def value_problem(field: models.Field, value: Any) -> str | None:
    """Why `value` cannot be stored in `field`, in Italian (without the field's name), or None when it fits."""
    if value is None or value == "":
        return None
    if isinstance(field, models.DecimalField):
        return _decimal_problem(field, value)
    if isinstance(field, models.IntegerField) and not isinstance(value, bool):
        return _integer_problem(field, value)
    if isinstance(field, models.JSONField):
        return _json_problem(value)
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL's text cannot hold NUL
        return "contiene un carattere non ammesso (NUL)"
    if isinstance(value, str) and field.max_length and len(value) > field.max_length:
        return f"è troppo lungo: al massimo {number_it(field.max_length)} caratteri (ne ha {number_it(len(value))})"
    return None


def field_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    return value_problem(model._meta.get_field(name), value)


def problem_message(label: str, reason: str) -> str:
    """The Italian sentence of a value that does not fit: «Il campo «peso» è troppo grande: …»."""
    return f"Il campo «{label}» {reason}."


def fit_errors(instance: models.Model, *, prefix: str = "") -> dict[str, str]:
    """{field name (with `prefix`): Italian message} for every value of `instance` that its column cannot hold."""
    return {
        f"{prefix}{field.name}": problem_message(str(field.verbose_name), reason)
        for field, reason in _field_problems(instance)
    }


def require_fit(*instances: models.Model, prefix: str = "") -> None:
    """Raise a ValidationError keyed by field name (with `prefix`) when a value of `instances` does not fit its
    column: services call it right before writing, so no write reaches the database with a value it refuses."""
    errors: dict[str, list[str]] = {}
    for instance in instances:
        for name, message in fit_errors(instance, prefix=prefix).items():
            errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)


def _field_problems(instance: models.Model) -> Iterable[tuple[models.Field, str]]:
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.is_relation:
            continue
        reason = value_problem(field, getattr(instance, field.attname))
        if reason:
            yield field, reason


def _decimal_problem(field: models.DecimalField, value: Any) -> str | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "non è un numero"
    if not number.is_finite():
        return "non è un numero finito"
    whole_digits = field.max_digits - field.decimal_places
    largest = Decimal(10) ** whole_digits
    try:
        rounded = number.quantize(Decimal(1).scaleb(-field.decimal_places))
    except InvalidOperation:  # more digits than the context holds: certainly too large
        rounded = largest
    if abs(rounded) >= largest:
        return f"è troppo grande: al massimo {whole_digits} cifre prima della virgola"
    return None


def _integer_problem(field: models.Field, value: Any) -> str | None:
    low, high = INTEGER_RANGES.get(field.get_internal_type(), (-MAX_INTEGER - 1, MAX_INTEGER))
    if not isinstance(value, int):  # text or Decimal: its size is read before int(), which 1e999999999 would hang
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return "non è un numero intero"
        if not number.is_finite() or number != number.to_integral_value():
            return "non è un numero intero"
        value = int(number) if number.adjusted() < 25 else high + 1
    if not low <= value <= high:
        return f"è fuori dall'intervallo ammesso ({number_it(low)}–{number_it(high)})"
    return None


def _json_problem(value: Any) -> str | None:
    try:
        text = json.dumps(value, allow_nan=False, default=str)
    except ValueError:
        return "contiene un numero non finito"
    if "\\u0000" in text:  # PostgreSQL's jsonb cannot hold NUL either
        return "contiene un carattere non ammesso (NUL)"
    return None
