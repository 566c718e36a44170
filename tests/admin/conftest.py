"""The Amministratore in the admin, and spreadsheets written with openpyxl posted through the admin's import views."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from perfplan.roles import Role
from tests.factories import make_user

XLSX = "0"  # the first of SpreadsheetAdminMixin.formats


@pytest.fixture
def staff_admin(small_plan):
    user = make_user("amministratore", Role.ADMIN, small_plan.ente)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def foreign_admin(other_ente):
    user = make_user("amministratore_altrove", Role.ADMIN, other_ente)
    user.is_staff = True
    user.save()
    return user


def xlsx(rows: list[list[Any]], name: str = "foglio.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/vnd.ms-excel")


def dry_run(client, url: str, rows: list[list[Any]]):
    """The first step: the upload is read and checked, nothing is saved; the response holds the result."""
    return client.post(url, {"format": XLSX, "import_file": xlsx(rows)})


def confirm(client, url: str, response):
    """The second step: the confirmation form of the dry run, posted as the «Conferma importazione» button does."""
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(url.replace("/import/", "/process_import/"), data)


def exported_rows(response) -> list[list[Any]]:
    book = load_workbook(BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]
