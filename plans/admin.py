from django.contrib import admin

from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision, PlanYear, PlanYearEvent, Profile


@admin.register(Ente)
class EnteAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "legal_name"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "ente"]
    list_filter = ["ente"]
    search_fields = ["user__username", "user__last_name"]
    autocomplete_fields = ["user", "ente"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "head", "ente"]
    list_filter = ["ente"]
    search_fields = ["code", "name", "head"]
    autocomplete_fields = ["parent", "leaders"]
    list_select_related = ["parent", "ente"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "ente", "start_year", "end_year", "state"]
    list_filter = ["ente", "state", "start_year"]
    search_fields = ["title", "act_text"]
    list_select_related = ["ente"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "level", "kind", "weight", "org_unit", "plan"]
    list_filter = ["plan", "level", "kind", "gender_relevant", "org_unit"]
    search_fields = ["code", "title", "description", "owner"]
    autocomplete_fields = ["parent", "org_unit"]
    list_select_related = ["org_unit", "plan"]


@admin.register(PlanRevision)
class PlanRevisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "plan", "subject_type", "subject_code", "field", "old_value", "new_value", "user"]
    list_filter = ["plan", "subject_type"]
    search_fields = ["subject_code", "reason", "old_value", "new_value"]
    date_hierarchy = "created_at"


class PlanYearEventInline(admin.TabularInline):
    model = PlanYearEvent
    extra = 0
    readonly_fields = ["from_state", "to_state", "user", "reason", "created_at"]


@admin.register(PlanYear)
class PlanYearAdmin(admin.ModelAdmin):
    list_display = ["plan", "year", "state"]
    list_filter = ["state", "year", "plan__ente"]
    inlines = [PlanYearEventInline]


@admin.register(PlanYearEvent)
class PlanYearEventAdmin(admin.ModelAdmin):
    """State moves of a plan year are a record of who did what: read-only."""

    list_display = ["created_at", "plan_year", "from_state", "to_state", "user", "reason"]
    list_filter = ["to_state"]
    search_fields = ["reason", "plan_year__plan__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
