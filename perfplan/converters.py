"""The one path converter of the apps' URLs: an id (or a year) that a database integer can hold.

Django's `<int:…>` takes any number of digits: a 30-digit id reached the query and crashed it (OverflowError on
SQLite, DataError on PostgreSQL). `<id:…>` matches 1 to 19 digits and refuses, as "no such URL" (404), zero and
anything above the largest primary key (perfplan.limits.MAX_ID), so every view gets an id that can exist.
"""

from __future__ import annotations

from perfplan.limits import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")  # Django answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
