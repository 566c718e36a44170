"""Forms of the planning office: they parse the request; the rules live in plans/editing.py."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from indicators.models import Baseline, CatalogueIndicator, Indicator, IndicatorUnit, Polarity
from indicators.notation import Kind, parse_value
from perfplan.formats import date_it
from perfplan.forms import Column, FitsColumnsMixin
from perfplan.limits import field_problem, import_limits, problem_message
from perfplan.uploads import too_large_message
from plans.editing import allowed_child_levels, target_check
from plans.models import (
    Level,
    MissingPolicy,
    Objective,
    ObjectiveKind,
    OrgUnit,
    Plan,
    PlanKind,
    PlanState,
    PublicValue,
    PublicValueDimension,
    PublicValueIndicator,
    RiskMeasureLink,
)
from plans.public_value import ImpactIndicatorData, linkable_objectives

RULE_COLUMNS = (
    "min_threshold",
    "default_indicator_share",
    "equality_tolerance",
    "achieved_threshold",
    "partial_threshold",
)
REASON_HELP = "Il piano è adottato: la modifica sarà registrata come revisione con questa motivazione."


def _decimal(label: str, *, required: bool = False, help_text: str = "", **kwargs) -> forms.DecimalField:
    """An Italian decimal input (`33,34`): a text box with a decimal keyboard, not a spinner."""
    return forms.DecimalField(
        label=label,
        required=required,
        localize=True,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def _columns(model, *names: str, **renamed: str) -> dict[str, Column]:
    """Form field → the column it is written to: same-named fields of `model`, and form name=model field."""
    return {**{name: (model, name) for name in names}, **{form: (model, name) for form, name in renamed.items()}}


class StyledForm(FitsColumnsMixin, forms.Form):
    """Bootstrap Italia classes and the ARIA links (help text, errors) on every widget, set when rendered; every
    value checked against its column (perfplan.forms.FitsColumnsMixin)."""

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        widget = bound.field.widget
        if not getattr(widget, "_styled", False):
            widget._styled = True
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.FileInput):
                css = "form-control form-control-file"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            described = []
            if bound.help_text:
                described.append(f"{bound.auto_id}_help")
            if self.is_bound and bound.errors:
                described.append(f"{bound.auto_id}_error")
                widget.attrs["aria-invalid"] = "true"
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)
        return bound


class ReasonMixin:
    """Adds a required "Motivazione" field when the plan is adopted (every change is then a revision)."""

    def add_reason(self, plan: Plan, *, required: bool = True) -> None:
        if plan.state == PlanState.ADOPTED:
            self.fields["reason"] = forms.CharField(
                label="Motivazione della modifica",
                required=required,
                help_text=REASON_HELP,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": "Indicare la motivazione: il piano è adottato."},
            )

    def reason_value(self) -> str:
        return self.cleaned_data.get("reason", "") if "reason" in self.fields else ""


class PlanCreateForm(StyledForm):
    columns = _columns(Plan, "title", "start_year", "end_year")
    title = forms.CharField(label="Titolo", max_length=300, help_text="Es. «Piano della performance 2025-2027».")
    start_year = forms.IntegerField(label="Anno di inizio", min_value=1990, max_value=2100)
    end_year = forms.IntegerField(label="Anno di fine", min_value=1990, max_value=2100)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", "L'anno di fine è precedente all'anno di inizio.")
        return data


class PlanAdoptForm(StyledForm):
    columns = _columns(Plan, organ="act_organ", number="act_number")
    organ = forms.CharField(label="Organo", max_length=150, initial="Giunta camerale")
    number = forms.CharField(label="Numero dell'atto", max_length=40)
    date = forms.DateField(
        label="Data dell'atto",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"placeholder": "gg/mm/aaaa", "inputmode": "numeric"}, format="%d/%m/%Y"),
        error_messages={"invalid": "Scrivere la data come gg/mm/aaaa, es. 30/01/2025."},
    )

    def __init__(self, *args, warnings: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        if warnings:  # the checklist's warnings: the planner confirms having read them (the service checks it)
            self.fields["warnings_read"] = forms.BooleanField(
                label=ngettext(
                    "Ho letto l'avviso della lista di controllo",
                    "Ho letto i %(n)d avvisi della lista di controllo",
                    warnings,
                )
                % {"n": warnings},
                required=False,
            )


class RulesForm(ReasonMixin, StyledForm):
    columns = _columns(Plan, *RULE_COLUMNS)
    cap = forms.BooleanField(label="Limita ogni punteggio al 100 %", required=False)
    min_threshold = _decimal(
        "Soglia minima (%)", help_text="Sotto questa soglia un raggiungimento vale 0. Vuoto: nessuna soglia."
    )
    missing_policy = forms.ChoiceField(label="Dati mancanti", choices=MissingPolicy.choices)
    default_indicator_share = _decimal(
        "Quota indicatori predefinita (%)",
        help_text="Parte del punteggio di un nodo che viene dai suoi indicatori quando ha anche obiettivi figli. "
        "Vuoto: 100 %.",
        min_value=Decimal(0),
        max_value=Decimal(100),
    )
    equality_tolerance = _decimal(
        "Tolleranza per «=»", help_text="Differenza assoluta ammessa per i target «= valore».", min_value=Decimal(0)
    )
    achieved_threshold = _decimal("Soglia «raggiunto» (%)", required=True)
    partial_threshold = _decimal("Soglia «parziale» (%)", required=True)

    def __init__(self, *args, plan: Plan, **kwargs):
        initial = {name: getattr(plan, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)
        self.add_reason(plan)

    def clean(self):
        data = super().clean()
        achieved, partial = data.get("achieved_threshold"), data.get("partial_threshold")
        if achieved is not None and partial is not None and partial > achieved:
            self.add_error("partial_threshold", "La soglia «parziale» non può superare la soglia «raggiunto».")
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.base_fields}


class ObjectiveForm(ReasonMixin, StyledForm):
    columns = _columns(Objective, "code", "title", "description", "weight", "indicator_share", "owner", "perspective")
    code = forms.CharField(label="Codice", max_length=60, help_text="Unico nel piano, es. 1.2.3 o 1011.01.")
    level = forms.ChoiceField(label="Tipo")
    title = forms.CharField(label="Titolo", widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label="Descrizione", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    weight = _decimal("Peso (%)", min_value=Decimal(0), help_text="Peso tra i nodi fratelli.")
    indicator_share = _decimal(
        "Quota indicatori (%)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text="Vuoto: vale la quota predefinita del piano.",
    )
    org_unit = forms.ModelChoiceField(label="Unità organizzativa", queryset=OrgUnit.objects.none(), required=False)
    owner = forms.CharField(label="Responsabile", max_length=200, required=False)
    kind = forms.ChoiceField(label="Natura", choices=ObjectiveKind.choices, initial=ObjectiveKind.ORGANIZATIONAL)
    perspective = forms.CharField(label="Prospettiva", max_length=200, required=False)
    gender_relevant = forms.BooleanField(label="Rilevante in ottica di genere", required=False)

    def __init__(self, *args, plan: Plan, parent: Objective | None, objective: Objective | None = None, **kwargs):
        if objective is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(objective, name) for name in self.base_fields if name != "org_unit"},
                    "org_unit": objective.org_unit_id,
                },
            )
        super().__init__(*args, **kwargs)
        levels = allowed_child_levels(parent.level if parent else None)
        self.fields["level"].choices = [(lvl, Level(lvl).label) for lvl in levels]
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(ente_id=plan.ente_id).order_by("code")
        self.fields["org_unit"].empty_label = "— come il nodo padre —"
        self.add_reason(plan)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.base_fields}


class ObjectiveMoveForm(ReasonMixin, StyledForm):
    parent = forms.ChoiceField(label="Nuovo nodo padre")
    position = forms.IntegerField(
        label="Posizione tra i fratelli", min_value=1, help_text="1 = primo. Oltre l'ultimo: in fondo."
    )

    def __init__(self, *args, plan: Plan, objective: Objective, candidates: list[Objective], **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if objective.level == Level.AREA:
            choices.append(("", "— primo livello del piano —"))
        for node in candidates:
            if objective.level in allowed_child_levels(node.level):
                choices.append((str(node.pk), f"{node.code} – {node.title[:80]}"))
        self.fields["parent"].choices = choices
        self.candidates = {str(n.pk): n for n in candidates}
        self.add_reason(plan, required=False)

    def clean_parent(self):
        value = self.cleaned_data["parent"]
        return self.candidates.get(value) if value else None


class TargetField(forms.CharField):
    """A target in the notation of targets.md: refused only when the parser says it is an error (E_MULTI, E_NUMBER)."""

    def __init__(self, *, year: int, **kwargs):
        self.year = year
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        check = target_check(raw=value, year=self.year)
        if check.error:
            raise ValidationError(check.error)
        return value


class IndicatorForm(ReasonMixin, StyledForm):
    columns = {
        **_columns(Indicator, "code", "name", "description", "formula", "source", "weight"),
        **_columns(Baseline, baseline_year="year", baseline_raw="raw"),
    }
    code = forms.CharField(label="Codice", max_length=60, required=False, help_text="Facoltativo, es. F101.")
    name = forms.CharField(label="Nome", widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label="Descrizione", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    formula = forms.CharField(
        label="Algoritmo",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Es. «N. risposte positive / N. risposte» o con variabili «Liq_Imm / PassCorr».",
    )
    source = forms.CharField(label="Fonte", max_length=300, required=False)
    unit = forms.ChoiceField(label="Unità di misura", choices=[("", "—"), *IndicatorUnit.choices], required=False)
    polarity = forms.ChoiceField(label="Polarità", choices=Polarity.choices, initial=Polarity.HIGHER_BETTER)
    weight = _decimal("Peso (%)", min_value=Decimal(0), help_text="Peso tra gli indicatori dell'obiettivo.")
    derived = forms.BooleanField(label="Derivato (vale il punteggio degli obiettivi figli)", required=False)
    baseline_year = forms.IntegerField(label="Anno della baseline", required=False, min_value=1990, max_value=2100)
    baseline_raw = forms.CharField(label="Baseline", max_length=200, required=False, help_text="Es. 382, N/D.")

    def __init__(self, *args, plan: Plan, indicator: Indicator | None = None, baseline=None, targets=None, **kwargs):
        if indicator is not None:
            initial = {name: getattr(indicator, name) for name in self.base_fields if hasattr(indicator, name)}
            if baseline is not None:
                initial.update(baseline_year=baseline.year, baseline_raw=baseline.raw)
            for year, target in (targets or {}).items():
                initial[f"target_{year}"] = target.raw
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.years = plan.years
        for year in plan.years:
            self.fields[f"target_{year}"] = TargetField(
                year=year,
                label=f"Target {year}",
                help_text=f"Es. ≥ 350, <= 25, SI, entro il 30/09/{year}, +2% (385), N/D.",
            )
        self.add_reason(plan)

    def clean_baseline_raw(self):
        """The number read from the baseline text is stored too (Baseline.value): it must fit as well."""
        raw = self.cleaned_data["baseline_raw"]
        parsed = parse_value(raw.strip())
        if parsed.kind == Kind.NUMBER:
            reason = field_problem(Baseline, "value", parsed.value)
            if reason:
                raise ValidationError(problem_message("baseline", reason))
        return raw

    def target_fields(self):
        return [self[f"target_{year}"] for year in self.years]

    def values(self) -> dict:
        skip = {"baseline_year", "baseline_raw"}
        return {name: self.cleaned_data[name] for name in self.base_fields if name not in skip}

    def targets(self) -> dict[int, str]:
        return {year: self.cleaned_data.get(f"target_{year}", "") for year in self.years}


class TargetForm(ReasonMixin, StyledForm):
    raw = forms.CharField(label="Target", max_length=300, required=False)

    def __init__(self, *args, plan: Plan, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["raw"] = TargetField(year=year, label=f"Target {year}")
        self.add_reason(plan)


class WeightsForm(ReasonMixin, StyledForm):
    """The weights of one group of siblings, saved together."""

    def __init__(self, *args, plan: Plan, items: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            label = f"{item.code} – {item.title}" if isinstance(item, Objective) else item.label
            self.fields[f"w_{item.pk}"] = _decimal(label[:120], min_value=Decimal(0), initial=item.weight)
        self.add_reason(plan, required=False)

    def column(self, name: str) -> Column | None:
        return (type(self.items[0]), "weight") if name.startswith("w_") else None

    def rows(self):
        return [(item, self[f"w_{item.pk}"]) for item in self.items]

    def weights(self) -> list[Decimal | None]:
        return [self.cleaned_data.get(f"w_{item.pk}") for item in self.items]


class ReasonForm(ReasonMixin, StyledForm):
    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_reason(plan)


class ImportUploadForm(StyledForm):
    file = forms.FileField(
        label="Cartella di lavoro (.xlsx)",
        help_text="Il file con i fogli Piano, Obiettivi, Indicatori (e facoltativi Consuntivi, Unita organizzative).",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, refused: str | None = None, **kwargs):
        """`refused`: why the upload handler stopped the file (perfplan/uploads.py), shown on the field."""
        super().__init__(*args, **kwargs)
        if refused:  # the file never arrived: say why instead of «required»
            self.fields["file"].error_messages["required"] = refused

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError("Caricare un file Excel .xlsx (il vecchio formato .xls non è supportato).")
        limit = import_limits().upload_bytes
        if upload.size > limit:  # the upload handler stops it first; this covers any other way in
            raise ValidationError(too_large_message(limit))
        return upload


class ImportConfirmForm(StyledForm):
    reason = forms.CharField(
        label="Motivazione",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obbligatoria se il piano esiste ed è già adottato: ogni modifica sarà registrata come revisione.",
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Il piano è già adottato: indicare la motivazione della reimportazione."
            )


class PlanFilterForm(StyledForm):
    """The plan page's filters (GET): they never change data."""

    anno = forms.TypedChoiceField(label="Anno", coerce=int, required=False)
    rilevazione = forms.TypedChoiceField(label="Situazione al", coerce=int, required=False, empty_value=None)
    area = forms.TypedChoiceField(label="Area", coerce=int, required=False, empty_value=None)
    unita = forms.TypedChoiceField(label="Unità", coerce=int, required=False, empty_value=None)
    livello = forms.ChoiceField(label="Tipo", required=False)
    q = forms.CharField(label="Cerca", required=False, max_length=100)

    def __init__(self, *args, years, areas, units, levels, rounds=(), large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anno"].choices = [(y, str(y)) for y in years]
        # «Situazione al»: the year's non-final rounds by the end of their period; empty = the year's final state.
        self.fields["rilevazione"].choices = [("", "Fine anno (consuntivo)")] + [
            (r.pk, f"{date_it(r.period_end)} ({r.get_period_display().lower()})") for r in rounds if not r.final
        ]
        # -1 asks for every area explicitly: a large plan otherwise opens on the areas and their first level, deeper
        # rows fetched on demand (plans/page.py), and shows every area a page at a time.
        every = [("", "Tutte le aree (chiuse)"), (-1, "Tutte le aree (a pagine)")] if large else [(-1, "Tutte le aree")]
        self.fields["area"].choices = [*every, *[(a.pk, f"{a.code} – {a.title[:60]}") for a in areas]]
        self.fields["unita"].choices = [("", "Tutte le unità"), *[(u.pk, f"{u.code} – {u.name[:60]}") for u in units]]
        self.fields["livello"].choices = [("", "Tutti i tipi"), *levels]


# --- PIAO section 2: the document, Valore pubblico (2.1), the references of 2.3 ---------------------------------


def _checkboxes(field: forms.Field) -> forms.Field:
    """A multiple choice as a list of Bootstrap Italia check boxes (the template draws a fieldset with a legend)."""
    field.widget.attrs["class"] = "form-check-input"
    field.widget._styled = True
    return field


class PlanKindForm(ReasonMixin, StyledForm):
    kind = forms.ChoiceField(
        label="Documento",
        choices=PlanKind.choices,
        help_text="Dal 2022 le Camere adottano il PIAO: il piano ne diventa la sezione 2 (DM 132/2022).",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        kwargs.setdefault("initial", {"kind": plan.kind})
        super().__init__(*args, **kwargs)
        self.add_reason(plan)


class PublicValueForm(ReasonMixin, StyledForm):
    columns = _columns(PublicValue, "code", "title", "description")
    code = forms.CharField(label="Codice", max_length=60, help_text="Es. VP1.")
    title = forms.CharField(label="Impatto", widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label="Descrizione", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    dimensions = _checkboxes(
        forms.MultipleChoiceField(
            label="Dimensioni del valore pubblico (DM 132/2022)",
            choices=PublicValueDimension.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    )
    objectives = _checkboxes(  # choices, not a queryset: a posted id is matched among them, never queried
        forms.MultipleChoiceField(
            label="Obiettivi strategici che lo perseguono", required=False, widget=forms.CheckboxSelectMultiple
        )
    )

    def __init__(self, *args, plan: Plan, public_value: PublicValue | None = None, **kwargs):
        if public_value is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": public_value.code,
                    "title": public_value.title,
                    "description": public_value.description,
                    "dimensions": public_value.dimensions,
                    "objectives": [str(o.pk) for o in public_value.objectives.all()],
                },
            )
        super().__init__(*args, **kwargs)
        self.linkable = {str(o.pk): o for o in linkable_objectives(plan=plan)}
        self.fields["objectives"].choices = [(pk, f"{o.code} – {o.title}") for pk, o in self.linkable.items()]
        self.add_reason(plan)

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in ("code", "title", "description", "dimensions")}
        values["objectives"] = [self.linkable[pk] for pk in self.cleaned_data["objectives"]]
        return values


class ImpactIndicatorForm(ReasonMixin, StyledForm):
    columns = _columns(PublicValueIndicator, "code", "name", "source", "baseline_year", "baseline")
    code = forms.CharField(label="Codice", max_length=60, required=False, help_text="Facoltativo, es. VP1.1.")
    name = forms.CharField(label="Indicatore di impatto", widget=forms.Textarea(attrs={"rows": 2}))
    unit = forms.ChoiceField(label="Unità di misura", choices=[("", "—"), *IndicatorUnit.choices], required=False)
    source = forms.CharField(label="Fonte", max_length=300, required=False)
    baseline_year = forms.IntegerField(label="Anno della baseline", required=False, min_value=1990, max_value=2100)
    baseline = forms.CharField(label="Baseline", max_length=200, required=False, help_text="Es. 78 %, 4.200, N/D.")

    def __init__(self, *args, plan: Plan, indicator: PublicValueIndicator | None = None, **kwargs):
        if indicator is not None:
            initial = {name: getattr(indicator, name) for name in self.base_fields}
            initial.update({f"target_{t.year}": t.raw for t in indicator.targets.all()})
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.years = plan.years
        for year in plan.years:
            self.fields[f"target_{year}"] = TargetField(year=year, label=f"Target {year}", help_text="Es. >= 85 %.")
        self.add_reason(plan)

    def target_fields(self):
        return [self[f"target_{year}"] for year in self.years]

    def data_value(self) -> ImpactIndicatorData:
        data = self.cleaned_data
        return ImpactIndicatorData(
            name=data["name"],
            code=data["code"],
            unit=data["unit"],
            source=data["source"],
            baseline_year=data["baseline_year"],
            baseline=data["baseline"],
            targets={year: data.get(f"target_{year}", "") for year in self.years},
        )


class RiskMeasureForm(ReasonMixin, StyledForm):
    columns = _columns(RiskMeasureLink, "code", "title", "link")
    code = forms.CharField(label="Codice della misura", max_length=60, help_text="Es. M01.")
    title = forms.CharField(label="Misura", max_length=300)
    link = forms.URLField(
        label="Collegamento",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Dove leggere la misura nella sottosezione 2.3 (facoltativo).",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_reason(plan)


class CatalogueInsertForm(ReasonMixin, StyledForm):
    """One click on a catalogue entry's button inserts it (the button carries `entry`); after adoption, the reason."""

    entry = forms.ModelChoiceField(
        queryset=CatalogueIndicator.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Indicatore del catalogo non disponibile."},
    )

    def __init__(self, *args, plan: Plan, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = entries
        self.add_reason(plan)
