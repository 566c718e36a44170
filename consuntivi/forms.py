"""Forms of the consuntivi pages: they parse what was typed (Italian numbers, dates, SI/NO) and nothing more.

Whether a target is met, whether a note is required, who may write what: consuntivi.services decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django import forms

from consuntivi.models import Measurement, RoundPeriod
from consuntivi.selectors import EntryRow
from consuntivi.services import EntryValues
from indicators.notation import ORDINAL_SCALE, Kind, parse_decimal, parse_value
from perfplan.formats import date_it, number_it, value_it
from perfplan.forms import Column, FitsColumnsMixin


def _style(form: forms.Form) -> None:
    """Bootstrap Italia classes on every control."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class ItalianDecimalField(forms.CharField):
    """A number as Italians type it: `1.250`, `33,34`, `33,34 %`, `€ 10,00`, `-7,72`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return None
        number = parse_decimal(text)
        if number is None:
            raise forms.ValidationError(f"«{text}» non è un numero (esempi: 1.250 oppure 33,34).")
        return number


class RoundForm(forms.Form):
    year = forms.TypedChoiceField(label="Anno", coerce=int)
    period = forms.ChoiceField(
        label="Periodo",
        choices=RoundPeriod.choices,
        help_text="La rilevazione annuale è quella finale: i suoi valori danno il punteggio dell'anno.",
    )
    label = forms.CharField(label="Descrizione", required=False, max_length=200)
    deadline = forms.DateField(
        label="Scadenza per le unità", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        _style(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motivazione", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReturnForm(forms.Form):
    comment = forms.CharField(label="Commento per l'unità", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ManualForm(FitsColumnsMixin, forms.Form):
    columns = {"achievement": (Measurement, "manual_achievement"), "version": (Measurement, "version")}
    achievement = ItalianDecimalField(
        label="Raggiungimento manuale (%)", help_text="Lasciare vuoto per tornare al calcolo automatico."
    )
    reason = forms.CharField(
        label="Motivazione", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ImportForm(forms.Form):
    file = forms.FileField(label="Cartella di lavoro (.xlsx) con il foglio «Consuntivi»")
    dry_run = forms.BooleanField(label="Solo verifica (anteprima, non salva nulla)", required=False, initial=True)

    def __init__(self, *args, refused: str | None = None, **kwargs):
        """`refused`: why the upload was stopped while it streamed (perfplan/uploads.py), shown on the field."""
        super().__init__(*args, **kwargs)
        if refused:
            self.fields["file"].error_messages["required"] = refused


class EntryForm(FitsColumnsMixin, forms.Form):
    """One indicator's row of «I miei indicatori»; the controls depend on the target (date, SI/NO, level, number)."""

    columns = {
        "version": (Measurement, "version"),
        "numerator": (Measurement, "numerator"),
        "denominator": (Measurement, "denominator"),
        "note": (Measurement, "note"),
    }

    def column(self, name: str) -> Column | None:
        """A typed number is stored as value_number; a formula's variables are held to the numerator's bound."""
        if name == "value":
            return (Measurement, "value_number") if self.row.input_kind == "number" else (Measurement, "raw")
        if name.startswith("var_"):
            return (Measurement, "numerator")
        return super().column(name)

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # what the row held when the page was drawn: an untouched row of «Salva tutto» is not saved (no false 409)
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    value = forms.CharField(label="Valore", required=False, max_length=200)
    numerator = ItalianDecimalField(label="Numeratore")
    denominator = ItalianDecimalField(label="Denominatore")
    note = forms.CharField(
        label="Note sullo scostamento", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    # A plain file input: an attachment is added, never replaced in place (no «clear» box), and the plain one is drawn
    # without a template render (perfplan/form_renderer.py).
    evidence = forms.FileField(label="Allegato (PDF, immagine, documento)", required=False, widget=forms.FileInput)

    def __init__(self, *args, row: EntryRow, **kwargs) -> None:
        kwargs.setdefault("prefix", f"m{row.indicator.pk}")
        super().__init__(*args, **kwargs)
        self.row = row
        kind = row.input_kind
        value = self.fields["value"]
        if kind == "date":
            value.label = "Data di realizzazione (gg/mm/aaaa)"
            value.widget = forms.DateInput(attrs={"type": "date"})
            value.help_text = (
                "Scegliere la data dal calendario (giorno/mese/anno). Lasciare vuoto e spuntare «Non realizzato» "
                "se l'attività non è stata svolta."
            )
            self.fields["not_done"] = forms.BooleanField(label="Non realizzato", required=False)
        elif kind == "bool":
            value.label = "Realizzato (SI/NO)"
            value.widget = forms.Select(choices=[("", "—"), ("SI", "SI"), ("NO", "NO")])
        elif kind == "level":
            value.label = "Giudizio"
            value.widget = forms.Select(choices=[("", "—"), *[(level, level) for level in ORDINAL_SCALE]])
        else:
            value.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
            if row.variables or row.ratio:
                value.help_text = "Il valore, oppure le misure da cui si calcola."
        for name in row.variables:
            self.fields[f"var_{name}"] = ItalianDecimalField(label=name)
        if kind != "number" or row.variables or not row.ratio:  # only a ratio has Numeratore / Denominatore
            del self.fields["numerator"], self.fields["denominator"]
        self.initial.update(self._initial())
        self.initial["seen"] = self.fingerprint(self.initial)
        _style(self)

    @property
    def noted(self) -> bool:
        """Whether the row's note explains a missed target: the typed note when bound, else the stored one (blanks
        explain nothing: the save refuses them)."""
        return bool(str(self["note"].value() or "").strip())

    def fingerprint(self, texts) -> str:
        """A short hash of the row's typed texts (value, measures, note, «non realizzato»)."""
        names = [n for n in self.fields if n not in ("version", "seen", "evidence")]
        picked = [
            str(bool(texts.get(n))) if n == "not_done" else str(texts.get(n) or "").replace("\r\n", "\n").strip()
            for n in names
        ]
        return hashlib.blake2s(json.dumps(picked).encode(), digest_size=8).hexdigest()

    @property
    def touched(self) -> bool:
        """Whether the user changed the row since the page was drawn (a bound form; a file counts as a change). A row
        not posted at all (on another page of «I miei indicatori») was not changed, and is never emptied."""
        if self.files and self.files.get(self.add_prefix("evidence")):
            return True
        if self.add_prefix("version") not in self.data:
            return False
        posted = {n: self.data.get(self.add_prefix(n)) for n in self.fields}
        return self.data.get(self.add_prefix("seen")) != self.fingerprint(posted)

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        if field in self.fields:  # marked for assistive technologies, tied to its message and styled as invalid
            attrs = self.fields[field].widget.attrs
            attrs["aria-invalid"] = "true"
            described = [f"{self[field].auto_id}-err"]
            if self.fields[field].help_text:
                described.append(f"{self[field].auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)
            attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()

    @property
    def error_links(self) -> list[tuple[str, str, str]]:
        """(anchor id, field label, message) of every error, for the summary at the top of the page."""
        links = []
        for name, errors in self.errors.items():
            if name in self.fields and not isinstance(self.fields[name].widget, forms.HiddenInput):
                links.append((self[name].auto_id, self.fields[name].label, " ".join(errors)))
            else:
                links.append((f"ind-{self.row.indicator.pk}", "", " ".join(errors)))
        return links

    def _initial(self) -> dict:
        m = self.row.measurement
        initial: dict = {"version": self.row.version}
        if m is None:
            return initial
        kind = self.row.input_kind
        if kind == "date":
            initial["value"] = m.value_date.isoformat() if m.value_date else ""
            initial["not_done"] = m.not_done
        elif kind == "bool":
            initial["value"] = value_it(m.value_bool)
        elif kind == "level":
            initial["value"] = m.value_level
        else:
            initial["value"] = m.raw
        initial["numerator"] = number_it(m.numerator)
        initial["denominator"] = number_it(m.denominator)
        for name in self.row.variables:
            stored = (m.variables or {}).get(name)
            initial[f"var_{name}"] = number_it(Decimal(str(stored))) if stored is not None else ""
        initial["note"] = m.note
        return initial

    @property
    def measure_fields(self) -> list:
        names = [n for n in self.fields if n in ("numerator", "denominator") or n.startswith("var_")]
        return [self[n] for n in names]

    def clean_value(self):
        text = (self.cleaned_data.get("value") or "").strip()
        kind = self.row.input_kind
        if not text or kind in ("bool", "level"):
            return text
        if kind == "date":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                parsed = parse_value(text)
                if parsed.kind == Kind.DEADLINE:
                    return parsed.value
                raise forms.ValidationError(f"«{text}» non è una data (gg/mm/aaaa).") from None
        number = parse_decimal(text)
        if number is None:
            raise forms.ValidationError(f"«{text}» non è un numero (esempi: 1.250 oppure 33,34).")
        return number

    def entry(self) -> EntryValues:
        """The typed values as the service takes them (call after is_valid())."""
        data = self.cleaned_data
        kind = self.row.input_kind
        raw_text = (self.data.get(self.add_prefix("value")) or "").strip()
        values = EntryValues(indicator_id=self.row.indicator.pk, version=data.get("version") or 0)
        value = data.get("value")
        if kind == "date":
            values.value_date = value or None
            values.not_done = bool(data.get("not_done"))
            values.raw = "NO" if values.not_done and not value else date_it(value)
        elif kind == "bool":
            values.value_bool = {"SI": True, "NO": False}.get(value)
            values.raw = value or ""
        elif kind == "level":
            values.value_level = value or ""
            values.raw = value or ""
        else:
            values.value_number = value if value != "" else None
            values.raw = raw_text
        values.numerator = data.get("numerator")
        values.denominator = data.get("denominator")
        values.variables = {
            name: str(data[f"var_{name}"]) for name in self.row.variables if data.get(f"var_{name}") is not None
        }
        values.note = (data.get("note") or "").strip()
        if data.get("evidence"):
            values.files = [data["evidence"]]
        return values


class RiskFlagForm(forms.Form):
    """The Responsabile's «a rischio» flag on one of their indicators in a round (monitoring page)."""

    indicator = forms.TypedChoiceField(label="Indicatore", coerce=int)
    reason = forms.CharField(
        label="Motivazione",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Perché il target dell'anno è a rischio (resta nel rapporto di monitoraggio).",
    )

    def __init__(self, *args, indicators=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(ind.pk, ind.label[:120]) for ind in indicators]
        _style(self)
