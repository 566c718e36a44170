from django.http import HttpResponse
from django.shortcuts import render

from perfplan.roles import Role, role_required
from plans.export import plan_export, plan_template
from plans.selectors import plan_for_user, plan_page_lines, plan_tree_rows, plans_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required()
def home(request):
    plans = plans_visible_to(user=request.user)
    return render(request, "plans/home.html", {"plans": plans})


@role_required()
def plan_detail(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    tree = plan_tree_rows(plan=plan)
    lines = plan_page_lines(tree=tree)
    return render(request, "plans/detail.html", {"plan": plan, "lines": lines, "years": plan.years})


@role_required(Role.PLANNER, Role.ADMIN, Role.OIV)
def plan_export_view(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    return _xlsx(plan_export(plan=plan), f"piano-{plan.ente.code}-{plan.start_year}-{plan.end_year}.xlsx")


@role_required(Role.PLANNER, Role.ADMIN)
def template_download(request):
    return _xlsx(plan_template(), "modello-piano-perfplan.xlsx")
