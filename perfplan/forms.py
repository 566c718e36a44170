"""What every form of the apps shares: each cleaned value is checked against the column it will be written to."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.db import models

from perfplan.limits import field_problem, fit_errors, problem_message

Column = tuple[type[models.Model], str]


class FitsColumnsMixin:
    """A form whose values the database must hold: a field named in `columns` (form field → (model, model field))
    gets the Italian message of perfplan.limits when its value is too long, too large or not finite, so a form
    refuses on SQLite exactly what PostgreSQL would refuse with a DataError. Forms with fields named at run time
    (a target per year, a weight per row) answer `column()` themselves."""

    columns: ClassVar[dict[str, Column]] = {}

    def column(self, name: str) -> Column | None:
        return self.columns.get(name)

    def _post_clean(self) -> None:
        super()._post_clean()
        for name, value in list(self.cleaned_data.items()):
            column = self.column(name)
            if column is None:
                continue
            reason = field_problem(*column, value)
            if reason:
                self.add_error(name, problem_message(str(self.fields[name].label or name), reason))


class FitsModelForm(forms.ModelForm):
    """The admin's forms: the instance built from the form is checked column by column (perfplan.limits) after
    Django's own validation, so a value PostgreSQL would refuse is a form error on SQLite too."""

    def _post_clean(self) -> None:
        super()._post_clean()
        for name, message in fit_errors(self.instance).items():
            if name not in self.errors:
                self.add_error(name if name in self.fields else None, message)
