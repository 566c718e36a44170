"""Users, units and enti are managed here; plans are read here and changed in the app (perfplan.admin_base)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse

from perfplan.admin_base import (
    AuditedAdmin,
    EnteScopedAdmin,
    ItalianPermissionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SpreadsheetAdminMixin,
    scope_to_ente,
)
from perfplan.forms import FitsModelForm
from perfplan.permissions import Action, can
from perfplan.roles import Role, user_ente
from plans.accounts import user_assign
from plans.models import (
    Ente,
    Objective,
    OrgUnit,
    Plan,
    PlanRevision,
    PlanYear,
    PlanYearEvent,
    Profile,
    PublicValue,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
    YearState,
)
from plans.resources import OrgUnitResource, UserResource
from reports.models import Relazione
from reports.services import relazione_reopen

RelatedOnly = admin.RelatedOnlyFieldListFilter


def _own_ente_only(request, kwargs) -> None:
    """A staff user who is not a superuser assigns only their own ente."""
    if not request.user.is_superuser:
        ente = user_ente(request.user)
        kwargs["queryset"] = Ente.objects.filter(pk=ente.pk if ente else None)


@admin.register(Ente)
class EnteAdmin(AuditedAdmin, EnteScopedAdmin):
    form = FitsModelForm
    ente_path = "pk"
    list_display = ["code", "name"]
    search_fields = ["code", "name", "legal_name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Profile)
class ProfileAdmin(AuditedAdmin, EnteScopedAdmin):
    form = FitsModelForm
    list_display = ["user", "ente"]
    list_filter = [("ente", RelatedOnly)]
    search_fields = ["user__username", "user__last_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "ente"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.exclude(user__is_superuser=True)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ente":
            _own_ente_only(request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(OrgUnit)
class OrgUnitAdmin(SpreadsheetAdminMixin, AuditedAdmin, EnteScopedAdmin):
    """Units of the ente, also from and to a spreadsheet (plans.resources.OrgUnitResource)."""

    resource_classes = [OrgUnitResource]
    form = FitsModelForm
    list_display = ["code", "name", "parent", "head", "ente"]
    list_filter = [("ente", RelatedOnly)]
    search_fields = ["code", "name", "head"]
    autocomplete_fields = ["parent", "leaders"]
    list_select_related = ["parent", "ente"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ente":
            _own_ente_only(request, kwargs)
        elif db_field.name == "parent":
            kwargs["queryset"] = scope_to_ente(OrgUnit.objects.all(), request.user, "ente")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "leaders":
            kwargs["queryset"] = scope_to_ente(User.objects.all(), request.user, "profile__ente")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ItalianPermissionsMixin, DjangoGroupAdmin):
    """Django's own, with the permissions in Italian (superusers only: the roles are the four groups)."""


class PlacementFields(forms.Form):
    """Ente and led units beside the user's own fields: the one screen of an ente's user (plans.accounts)."""

    ente = forms.ModelChoiceField(
        label="Ente",
        queryset=Ente.objects.all(),
        required=False,
        help_text="Per l'amministratore di un ente è sempre il proprio.",
    )
    units = forms.ModelMultipleChoiceField(
        label="Unità guidate",
        queryset=OrgUnit.objects.select_related("ente").order_by("ente__code", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Le unità di cui l'utente inserisce i consuntivi (ruolo Responsabile).",
    )
    admin_user = None  # set by UserAdmin.get_form: whose ente bounds the choices

    def scope_placement(self) -> None:
        user = self.admin_user
        if user is not None and not user.is_superuser:
            own = user_ente(user)
            self.fields["ente"].queryset = Ente.objects.filter(pk=own.pk if own else None)
            self.fields["ente"].initial = self.fields["ente"].initial or own
            self.fields["units"].queryset = OrgUnit.objects.filter(ente=own).order_by("code")
        self.fields["units"].label_from_instance = lambda unit: f"{unit.code} – {unit.name}"

    def clean_placement(self, cleaned: dict) -> dict:
        user = self.admin_user
        if cleaned.get("ente") is None and user is not None and not user.is_superuser:
            cleaned["ente"] = user_ente(user)
        ente, units = cleaned.get("ente"), cleaned.get("units") or []
        foreign = [unit.code for unit in units if ente is None or unit.ente_id != ente.pk]
        if foreign:
            self.add_error("units", f"Le unità {', '.join(foreign)} non appartengono all'ente scelto.")
        return cleaned


class UserCreateForm(PlacementFields, AdminUserCreationForm):
    roles = forms.MultipleChoiceField(
        label="Ruoli",
        choices=[(role, role) for role in Role.ALL],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_placement()

    def clean(self):
        return self.clean_placement(super().clean())


class UserEditForm(PlacementFields, UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_placement()
        user = self.instance
        if user.pk is not None and not self.is_bound:
            profile = Profile.objects.filter(user=user).first()
            if profile is not None:
                self.initial["ente"] = profile.ente_id
                self.initial["units"] = list(
                    OrgUnit.objects.filter(ente_id=profile.ente_id, leaders=user).values_list("pk", flat=True)
                )

    def clean(self):
        return self.clean_placement(super().clean())


@admin.register(User)
class UserAdmin(SpreadsheetAdminMixin, ItalianPermissionsMixin, AuditedAdmin, EnteScopedAdmin, DjangoUserAdmin):
    """Users of the staff user's ente; a non-superuser grants only the four roles, never superuser powers.

    One screen gives a new user their roles, ente and led units (UserCreateForm → plans.accounts.user_assign); the
    users of the ente also go to and come from a spreadsheet (plans.resources.UserResource), never with passwords."""

    resource_classes = [UserResource]
    add_form = UserCreateForm
    form = UserEditForm
    ente_path = "profile__ente"
    list_display = ["username", "first_name", "last_name", "email", "ente", "is_staff", "is_active"]
    list_select_related = ["profile__ente"]
    add_fieldsets = (
        (None, {"fields": ("username", "usable_password", "password1", "password2")}),
        ("Dati personali", {"fields": ("first_name", "last_name", "email")}),
        ("Ruoli, ente e unità guidate", {"fields": ("roles", "ente", "units")}),
    )
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Ente e unità guidate", {"fields": ("ente", "units")}))

    @admin.display(description="ente", ordering="profile__ente__code")
    def ente(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.ente.code if profile else "—"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.exclude(is_superuser=True)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("groups", "led_units")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"admin_user": request.user})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        return fields

    def get_list_filter(self, request):
        return (
            ["is_staff", "is_active", "groups"] if not request.user.is_superuser else super().get_list_filter(request)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=Role.ALL).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not request.user.is_superuser:  # a user created by an ente's administrator belongs to that ente
            Profile.objects.get_or_create(user=obj, defaults={"ente": user_ente(request.user)})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cleaned = form.cleaned_data
        if "roles" in cleaned:  # the add form: its roles
            roles = cleaned["roles"]
        else:  # the change form: the groups just saved
            roles = form.instance.groups.filter(name__in=Role.ALL).values_list("name", flat=True)
        user_assign(
            user=form.instance, roles=roles, ente=cleaned.get("ente"), units=cleaned.get("units") or [], by=request.user
        )


@admin.register(Plan)
class PlanAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ["title", "ente", "start_year", "end_year", "state"]
    list_filter = [("ente", RelatedOnly), "state", "start_year"]
    search_fields = ["title", "act_text"]
    list_select_related = ["ente"]
    # The Piano's address in Amministrazione trasparente: an address typed without a scheme reads as https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# The PIAO's section 2.1 and 2.3 are written on the plan's «Valore pubblico e PIAO» page (plans.public_value, with
# the plan's lifecycle rules): here they are read only, like the tree.
@admin.register(PublicValue)
class PublicValueAdmin(ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["code", "title", "plan"]
    search_fields = ["code", "title"]
    list_select_related = ["plan"]


@admin.register(PublicValueIndicator)
class PublicValueIndicatorAdmin(ReadOnlyAdmin):
    ente_path = "public_value__plan__ente"
    list_display = ["code", "name", "unit", "baseline", "public_value"]
    search_fields = ["code", "name"]
    list_select_related = ["public_value"]


@admin.register(PublicValueTarget)
class PublicValueTargetAdmin(ReadOnlyAdmin):
    ente_path = "indicator__public_value__plan__ente"
    list_display = ["indicator", "year", "raw"]
    list_select_related = ["indicator"]


@admin.register(RiskMeasureLink)
class RiskMeasureLinkAdmin(ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["code", "title", "link", "plan"]
    search_fields = ["code", "title"]
    list_select_related = ["plan"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default, said now (no warning)


@admin.register(Objective)
class ObjectiveAdmin(AuditedAdmin, ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["code", "title", "level", "kind", "weight", "org_unit", "plan"]
    list_filter = [("plan", RelatedOnly), "level", "kind", "gender_relevant", ("org_unit", RelatedOnly)]
    search_fields = ["code", "title", "description", "owner"]
    list_select_related = ["org_unit", "plan"]


@admin.register(PlanRevision)
class PlanRevisionAdmin(ReadOnlyAdmin):
    ente_path = "plan__ente"
    list_display = ["created_at", "plan", "subject_type", "subject_code", "field", "old_value", "new_value", "user"]
    list_filter = [("plan", RelatedOnly), "subject_type"]
    search_fields = ["subject_code", "reason", "old_value", "new_value"]
    date_hierarchy = "created_at"


class PlanYearEventInline(ReadOnlyInline):
    model = PlanYearEvent
    readonly_fields = ["from_state", "to_state", "user", "reason", "created_at"]


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Motivazione della riapertura",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        error_messages={"required": "Per riaprire un anno validato serve la motivazione."},
    )


@admin.register(PlanYear)
class PlanYearAdmin(AuditedAdmin, ReadOnlyAdmin):
    """The state of a year moves only through the lifecycle (plans.lifecycle): here, only the admin's reopening."""

    ente_path = "plan__ente"
    list_display = ["plan", "year", "state"]
    list_filter = ["state", "year", ("plan__ente", RelatedOnly)]
    list_select_related = ["plan__ente"]
    inlines = [PlanYearEventInline]
    actions = ["reopen_validated"]

    def has_reopen_permission(self, request):
        return can(request.user, Action.YEAR_REOPEN)

    @admin.action(description="Riapri l'anno validato (con motivazione)", permissions=["reopen"])
    def reopen_validated(self, request, queryset):
        form = ReopenForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Riapri l'anno validato",
                "opts": self.model._meta,
                "plan_years": queryset.select_related("plan"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/plans/planyear/reopen.html", context)
        for plan_year in queryset.select_related("plan"):
            if plan_year.state != YearState.VALIDATED:
                self.message_user(request, f"{plan_year}: l'anno non è validato, nulla da riaprire.", messages.WARNING)
                continue
            relazione = Relazione.objects.filter(plan=plan_year.plan, year=plan_year.year).first()
            try:
                if relazione is None:
                    raise ValidationError("l'anno non ha una Relazione validata.")
                relazione_reopen(relazione=relazione, reason=form.cleaned_data["reason"], user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{plan_year}: {text}", messages.ERROR)
                continue
            self.message_user(request, f"{plan_year.plan.title} {plan_year.year}: anno riaperto (consuntivo chiuso).")
        return None


@admin.register(PlanYearEvent)
class PlanYearEventAdmin(ReadOnlyAdmin):
    """State moves of a plan year are a record of who did what: read-only."""

    ente_path = "plan_year__plan__ente"
    list_display = ["created_at", "plan_year", "from_state", "to_state", "user", "reason"]
    list_filter = ["to_state"]
    search_fields = ["reason", "plan_year__plan__title"]
