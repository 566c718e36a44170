"""Users, units and enti are managed here; plans are read here and changed in the app (perfplan.admin_base)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from perfplan.admin_base import (
    AuditedAdmin,
    EnteScopedAdmin,
    ItalianPermissionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    scope_to_ente,
)
from perfplan.forms import FitsModelForm
from perfplan.permissions import Action, can
from perfplan.roles import Role, user_ente
from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision, PlanYear, PlanYearEvent, Profile, YearState
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
class OrgUnitAdmin(AuditedAdmin, EnteScopedAdmin):
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


@admin.register(User)
class UserAdmin(ItalianPermissionsMixin, AuditedAdmin, EnteScopedAdmin, DjangoUserAdmin):
    """Users of the staff user's ente; a non-superuser grants only the four roles, never superuser powers."""

    ente_path = "profile__ente"
    list_display = ["username", "first_name", "last_name", "email", "ente", "is_staff", "is_active"]
    list_select_related = ["profile__ente"]

    @admin.display(description="ente", ordering="profile__ente__code")
    def ente(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.ente.code if profile else "—"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.exclude(is_superuser=True)

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


@admin.register(Plan)
class PlanAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ["title", "ente", "start_year", "end_year", "state"]
    list_filter = [("ente", RelatedOnly), "state", "start_year"]
    search_fields = ["title", "act_text"]
    list_select_related = ["ente"]


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
