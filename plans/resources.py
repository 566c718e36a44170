"""The admin's spreadsheets of org units and users (django-import-export), scoped to the administrator's ente.

Each row is checked by the same rules as the admin's forms (plans.accounts for users); an error names the sheet's
row (the header is row 1) and its column, in Italian. A row of another ente is refused, a required column missing
stops the file before any row, and the whole file is written in one transaction or not at all
(IMPORT_EXPORT_USE_TRANSACTIONS). Passwords are never read nor written: an imported user has an unusable password
until the administrator sets one on the user's admin page (perfplan has no e-mail password reset yet).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.encoding import force_str
from django.utils.html import format_html
from import_export import resources
from import_export.fields import Field

from indicators.formula import FormulaError, parse_formula
from indicators.models import CatalogueIndicator, IndicatorUnit, Polarity
from perfplan.roles import Role, user_ente
from plans.accounts import check_may_manage, user_assign
from plans.models import Ente, OrgUnit

User = get_user_model()
LIST_SEPARATOR = ","


def sheet_row(row_number: int | None) -> int:
    """The spreadsheet's row of django-import-export's data row (1 = the first row under the header)."""
    return (row_number or 0) + 1


def split_list(value: Any) -> list[str]:
    parts = str(value or "").replace(";", LIST_SEPARATOR).split(LIST_SEPARATOR)
    return [part.strip() for part in parts if part.strip()]


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # a code typed as a number in the spreadsheet: 101, not 101.0
        value = int(value)
    return str(value).strip()


class PlainDiff(resources.Diff):
    """The preview's old → new values as <del>/<ins> without inline styles (the site's CSP refuses them), read as
    the export reads them (the resource's `dehydrate_` methods: roles, units, ente)."""

    # import-export's Diff calls ``Diff._read_field_values`` by name, so an override of that classmethod is never
    # used: both sides are read here.
    def __init__(self, resource, instance, new) -> None:
        self.left, self.right, self.new = self._values(resource, instance), [], new

    def compare_with(self, resource, instance) -> None:
        self.right = self._values(resource, instance)

    @staticmethod
    def _values(resource, instance) -> list:
        if instance is None:
            return ["" for _field in resource.get_import_fields()]
        return [resource.export_field(field, instance) for field in resource.get_import_fields()]

    def as_html(self) -> list[str]:
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            old, new = force_str(old if old is not None else ""), force_str(new if new is not None else "")
            if self.new or old == new:
                cells.append(format_html("{}", new))
            else:
                cells.append(format_html("<del>{}</del> <ins>{}</ins>", old, new))
        return cells


class ScopedResource(resources.ModelResource):
    """A resource that knows who imports: their ente bounds every row, and the columns it needs are checked first."""

    required_columns: tuple[str, ...] = ()

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user

    @classmethod
    def get_diff_class(cls):
        return PlainDiff

    @property
    def own_ente(self) -> Ente | None:
        return user_ente(self.user) if self.user is not None else None

    def before_import(self, dataset, **kwargs) -> None:
        headers = [text(h) for h in (dataset.headers or [])]
        missing = [column for column in self.required_columns if column not in headers]
        if missing:  # a file-wide error (import-export lists it above the rows), not one of a row
            raise ValueError(
                "Nel foglio mancano le colonne: "
                + ", ".join(f"«{c}»" for c in missing)
                + f". La prima riga deve intestare le colonne: {', '.join(self.required_columns)}."
            )

    def row_ente(self, row, row_number, errors: dict[str, str]) -> Ente | None:
        """The row's ente: the column «Ente» must name the administrator's own (a superuser's: any existing one)."""
        code = text(row.get("Ente"))
        where = f"Riga {sheet_row(row_number)}"
        if not code:
            errors["Ente"] = f"{where}: indicare il codice dell'ente."
            return None
        own = self.own_ente
        if self.user is not None and not self.user.is_superuser:
            if own is None or code != own.code:
                errors["Ente"] = (
                    f"{where}: l'ente «{code}» non è il tuo ({own.code if own else 'nessuno'}): "
                    "puoi importare solo righe del tuo ente."
                )
                return None
            return own
        ente = Ente.objects.filter(code=code).first()
        if ente is None:
            errors["Ente"] = f"{where}: ente «{code}» sconosciuto."
        return ente


class OrgUnitResource(ScopedResource):
    """Org units: Ente, Codice, Nome, Codice padre, Responsabile (the head's name as printed in the plan)."""

    required_columns = ("Ente", "Codice", "Nome")

    ente = Field(attribute="ente__code", column_name="Ente")
    code = Field(attribute="code", column_name="Codice")
    name = Field(attribute="name", column_name="Nome")
    parent = Field(attribute="parent__code", column_name="Codice padre")
    head = Field(attribute="head", column_name="Responsabile")

    class Meta:
        model = OrgUnit
        fields = ("ente", "code", "name", "parent", "head")
        export_order = ("ente", "code", "name", "parent", "head")
        skip_unchanged = False

    def get_or_init_instance(self, instance_loader, row):
        ente_code, code = text(row.get("Ente")), text(row.get("Codice"))
        existing = OrgUnit.objects.filter(ente__code=ente_code, code=code).first() if ente_code and code else None
        return (existing, False) if existing is not None else (OrgUnit(), True)

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, str] = {}
        number = kwargs.get("row_number")
        where = f"Riga {sheet_row(number)}"
        ente = self.row_ente(row, number, errors)
        code, name = text(row.get("Codice")), text(row.get("Nome"))
        if not code:
            errors["Codice"] = f"{where}: indicare il codice dell'unità."
        if not name:
            errors["Nome"] = f"{where}: indicare il nome dell'unità."
        parent = None
        parent_code = text(row.get("Codice padre"))
        if parent_code and ente is not None:
            if parent_code == code:
                errors["Codice padre"] = f"{where}: un'unità non può essere padre di sé stessa."
            else:
                parent = OrgUnit.objects.filter(ente=ente, code=parent_code).first()
                if parent is None:
                    errors["Codice padre"] = (
                        f"{where}: unità padre «{parent_code}» sconosciuta nell'ente {ente.code} "
                        "(se è nel foglio, va scritta in una riga precedente)."
                    )
        if errors:
            raise ValidationError(errors)
        instance.ente, instance.code, instance.name = ente, code, name
        instance.parent = parent
        instance.head = text(row.get("Responsabile"))


class UserResource(ScopedResource):
    """Users: Utente, Nome, Cognome, Email, Ente, Ruoli, Unità guidate (lists separated by commas). Never a password."""

    required_columns = ("Utente", "Ente", "Ruoli")

    username = Field(attribute="username", column_name="Utente")
    first_name = Field(attribute="first_name", column_name="Nome")
    last_name = Field(attribute="last_name", column_name="Cognome")
    email = Field(attribute="email", column_name="Email")
    ente = Field(column_name="Ente")
    roles = Field(column_name="Ruoli")
    units = Field(column_name="Unità guidate")
    is_active = Field(column_name="Attivo")

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "ente", "roles", "units", "is_active")
        export_order = fields
        skip_unchanged = False

    # A row being imported carries what it will assign (``_import``): the preview shows that, not the state before.
    def dehydrate_ente(self, user) -> str:
        planned = getattr(user, "_import", None)
        if planned is not None:
            return planned["ente"].code if planned["ente"] else ""
        profile = getattr(user, "profile", None)
        return profile.ente.code if profile else ""

    def dehydrate_roles(self, user) -> str:
        planned = getattr(user, "_import", None)
        if planned is None and user.pk is None:
            return ""
        names = set(planned["roles"]) if planned is not None else {group.name for group in user.groups.all()}
        return f"{LIST_SEPARATOR} ".join(role for role in Role.ALL if role in names)

    def dehydrate_units(self, user) -> str:
        planned = getattr(user, "_import", None)
        if planned is None and user.pk is None:
            return ""
        units = planned["units"] if planned is not None else user.led_units.all()
        return f"{LIST_SEPARATOR} ".join(sorted(unit.code for unit in units))

    def dehydrate_is_active(self, user) -> str:
        return "SI" if user.is_active else "NO"

    def get_or_init_instance(self, instance_loader, row):
        username = text(row.get("Utente"))
        existing = User.objects.filter(username=username).first() if username else None
        return (existing, False) if existing is not None else (User(username=username), True)

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, str] = {}
        number = kwargs.get("row_number")
        where = f"Riga {sheet_row(number)}"
        ente = self.row_ente(row, number, errors)
        username = text(row.get("Utente"))
        if not username:
            errors["Utente"] = f"{where}: indicare il nome utente."
        elif instance.pk is not None and self.user is not None:
            try:
                check_may_manage(by=self.user, ente=None, user=instance)
            except PermissionDenied as error:
                errors["Utente"] = f"{where}: {error}"
        roles = split_list(row.get("Ruoli"))
        unknown = [role for role in roles if role not in Role.ALL]
        if not roles:
            errors["Ruoli"] = f"{where}: indicare almeno un ruolo ({', '.join(Role.ALL)})."
        elif unknown:
            errors["Ruoli"] = f"{where}: ruolo sconosciuto «{', '.join(unknown)}»; i ruoli sono: {', '.join(Role.ALL)}."
        unit_codes = split_list(row.get("Unità guidate"))
        units = []
        if ente is not None and unit_codes:
            found = {unit.code: unit for unit in OrgUnit.objects.filter(ente=ente, code__in=unit_codes)}
            missing = [code for code in unit_codes if code not in found]
            if missing:
                errors["Unità guidate"] = f"{where}: unità sconosciuta nell'ente {ente.code}: {', '.join(missing)}."
            units = [found[code] for code in unit_codes if code in found]
        active = text(row.get("Attivo")).upper()
        if active and active not in ("SI", "SÌ", "NO"):
            errors["Attivo"] = f"{where}: scrivere SI o NO."
        if errors:
            raise ValidationError(errors)
        instance.first_name = text(row.get("Nome")) or instance.first_name
        instance.last_name = text(row.get("Cognome")) or instance.last_name
        instance.email = text(row.get("Email")) or instance.email
        if active:
            instance.is_active = active != "NO"
        if instance.pk is None:
            instance.set_unusable_password()  # never from the sheet: a reset, or the administrator, sets it
        instance._import = {"roles": roles, "ente": ente, "units": units}

    def after_save_instance(self, instance, row, **kwargs):
        planned = getattr(instance, "_import", None)
        if planned is not None and self.user is not None:
            user_assign(user=instance, by=self.user, **planned)


UNIT_WORDS = {str(label).lower(): value for value, label in IndicatorUnit.choices} | {
    value: value for value in IndicatorUnit.values
}
POLARITY_WORDS = {Polarity(value).word: value for value in Polarity.values} | {v: v for v in Polarity.values}


class CatalogueResource(ScopedResource):
    """The ente's indicator catalogue: Ente, Codice, Nome, Descrizione, Algoritmo, Unità, Polarità, Fonte, Funzione.

    The export carries the common built-in entries too (Ente empty); on import those rows are left as they are."""

    required_columns = ("Ente", "Codice", "Nome")

    ente = Field(attribute="ente__code", column_name="Ente")
    code = Field(attribute="code", column_name="Codice")
    name = Field(attribute="name", column_name="Nome")
    description = Field(attribute="description", column_name="Descrizione")
    formula = Field(attribute="formula", column_name="Algoritmo")
    unit = Field(column_name="Unità")
    polarity = Field(column_name="Polarità")
    source = Field(attribute="source", column_name="Fonte")
    area = Field(attribute="area", column_name="Funzione")

    class Meta:
        model = CatalogueIndicator
        fields = ("ente", "code", "name", "description", "formula", "unit", "polarity", "source", "area")
        export_order = fields
        skip_unchanged = False

    def dehydrate_unit(self, entry) -> str:
        return entry.get_unit_display() if entry.unit else ""

    def dehydrate_polarity(self, entry) -> str:
        return Polarity(entry.polarity).word if entry.polarity else ""

    def get_or_init_instance(self, instance_loader, row):
        ente_code, code = text(row.get("Ente")), text(row.get("Codice"))
        entries = CatalogueIndicator.objects.filter(code=code)
        existing = entries.filter(ente__code=ente_code).first() if ente_code else entries.filter(ente=None).first()
        return (existing, False) if existing is not None else (CatalogueIndicator(), True)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return instance.built_in  # a common entry of the export, given back: nothing of it is changed here

    def import_instance(self, instance, row, **kwargs):
        if instance.built_in:
            return
        errors: dict[str, str] = {}
        number = kwargs.get("row_number")
        where = f"Riga {sheet_row(number)}"
        ente = self.row_ente(row, number, errors)
        code, name = text(row.get("Codice")), text(row.get("Nome"))
        if not code:
            errors["Codice"] = f"{where}: indicare il codice dell'indicatore."
        elif CatalogueIndicator.objects.filter(code=code, ente=None).exists():
            errors["Codice"] = f"{where}: «{code}» è il codice di un indicatore comune: sceglierne un altro."
        if not name:
            errors["Nome"] = f"{where}: indicare il nome dell'indicatore."
        formula = text(row.get("Algoritmo"))
        try:
            parse_formula(formula)
        except FormulaError as error:
            errors["Algoritmo"] = f"{where}: {error}"
        unit_text = text(row.get("Unità")).lower()
        if unit_text and unit_text not in UNIT_WORDS:
            errors["Unità"] = f"{where}: unità «{unit_text}» sconosciuta ({', '.join(IndicatorUnit.labels)})."
        polarity_text = text(row.get("Polarità")).lower()
        if polarity_text and polarity_text not in POLARITY_WORDS:
            errors["Polarità"] = f"{where}: polarità «{polarity_text}» sconosciuta (crescente o decrescente)."
        if errors:
            raise ValidationError(errors)
        instance.ente, instance.code, instance.name = ente, code, name
        instance.description, instance.formula = text(row.get("Descrizione")), formula
        instance.unit = UNIT_WORDS.get(unit_text, "")
        instance.polarity = POLARITY_WORDS.get(polarity_text, Polarity.HIGHER_BETTER.value)
        instance.source, instance.area = text(row.get("Fonte")), text(row.get("Funzione"))
        instance.built_in, instance.verified = False, True
