"""Every bound in one place: what an import may be, how deep a tree may go, and what a column can hold.

Imports, forms, services and the admin ask here instead of keeping their own numbers, so SQLite (which stores
anything) and PostgreSQL (which refuses with a DataError) answer the same Italian message before any write.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import models

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


@dataclass(frozen=True)
class ImportLimits:
    """How big an uploaded workbook may be; each one refused with its own Italian message."""

    upload_bytes: int  # the file as uploaded, counted while it streams
    uncompressed_bytes: int  # every zip entry together, read from the zip directory before parsing
    compression_ratio: int  # one entry's uncompressed size over its compressed size
    rows_per_sheet: int
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
        cell_chars=settings.IMPORT_MAX_CELL_CHARS,
        errors_listed=settings.IMPORT_MAX_ERRORS_LISTED,
        pending_hours=settings.IMPORT_PENDING_HOURS,
    )


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
    if isinstance(field, (models.IntegerField, models.PositiveIntegerField)) and not isinstance(value, bool):
        return _integer_problem(field, value)
    if isinstance(value, str) and field.max_length and len(value) > field.max_length:
        return f"è troppo lungo: al massimo {number_it(field.max_length)} caratteri (ne ha {number_it(len(value))})"
    return None


def field_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    return value_problem(model._meta.get_field(name), value)


def instance_problems(instance: models.Model) -> list[tuple[str, str]]:
    """(field verbose name, reason) for every concrete field of `instance` whose value the database cannot hold."""
    problems = []
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.is_relation:
            continue
        reason = value_problem(field, getattr(instance, field.attname))
        if reason:
            problems.append((str(field.verbose_name), reason))
    return problems


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
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return "non è un numero intero"
    low = 0 if isinstance(field, models.PositiveIntegerField) else -MAX_INTEGER - 1
    if not low <= number <= MAX_INTEGER:
        return f"è fuori dall'intervallo ammesso ({number_it(low)}–{number_it(MAX_INTEGER)})"
    return None
