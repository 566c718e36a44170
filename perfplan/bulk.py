"""Plain multi-row INSERTs for the volumes of a whole-plan import and its audit history."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.utils import timezone


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (dicts of attname → value) with one executemany, for rows whose ids are never read back.

    bulk_create builds model instances, then the SQL per batch, converting every value through its field: that
    was half of a 10,000-indicator import (benchmarks/README.md). Here fields not given take their default and
    each value goes to the driver as Python gives it; only datetimes and JSON need the backend's form.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = []
    for f in fields:
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            columns.append((f.attname, now, None))
        elif isinstance(f, models.JSONField):
            columns.append((f.attname, f.get_default(), lambda v: json.dumps(v, cls=DjangoJSONEncoder)))
        elif isinstance(f, models.DateTimeField):
            columns.append((f.attname, f.get_default(), connection.ops.adapt_datetimefield_value))
        else:
            columns.append((f.attname, f.get_default(), None))
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES ({placeholders})"
    values = [
        tuple(
            row.get(name, default) if convert is None else convert(row.get(name, default))
            for name, default, convert in columns
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
