"""Plan pages: thin views that check access, parse a form, call one service or selector, render."""

from __future__ import annotations

import time

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from consuntivi.catalogue_values import catalogue_values
from indicators.catalogue import catalogue_for_user
from indicators.models import Indicator, IndicatorUnit, Target
from indicators.notation import format_target
from jobs.models import JobKind, JobState
from jobs.services import document_job_start, job_for_user, job_start, recent_documents
from jobs.views import DOCUMENT_BUTTONS, document_request, job_response
from perfplan.collector import collector_paused, release
from perfplan.limits import MAX_ID
from perfplan.permissions import Action, can, permission_required
from perfplan.roles import user_ente
from perfplan.uploads import bounded_uploads, upload_refusal
from perfplan.xlsx_safe import append_row, new_workbook, workbook_bytes
from plans import editing, public_value
from plans.checklist import plan_checklist
from plans.forms import (
    CatalogueInsertForm,
    ImpactIndicatorForm,
    ImportConfirmForm,
    ImportUploadForm,
    IndicatorForm,
    ObjectiveForm,
    ObjectiveMoveForm,
    PlanAdoptForm,
    PlanCreateForm,
    PlanFilterForm,
    PlanKindForm,
    PublicValueForm,
    ReasonForm,
    RiskMeasureForm,
    RulesForm,
    TargetForm,
    WeightsForm,
)
from plans.home import home_for
from plans.models import Objective, Plan, PlanState, PublicValue, PublicValueIndicator, RiskMeasureLink
from plans.page import PlanFilters, node_children, plan_page, plan_revisions, score_explanation
from plans.selectors import plan_for_user, public_values_of, risk_measures_of
from plans.tree_html import node_children_html
from reports.piao.documents import FORMATS
from workbook.uploads import (
    ENTITY_LABELS,
    forget_import,
    import_discard,
    import_get,
    import_run,
    import_store,
    import_target,
)
from workbook.writer import plan_export, plan_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _service(form, call):
    """Run a service; its ValidationError becomes form errors (on the field it names, else on the form)."""
    try:
        return call(), True
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None, False


def _data(request):
    """The POST data of a form submission, None for a GET (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def _posted(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _objective(plan: Plan, objective_id: int) -> Objective:
    return get_object_or_404(Objective.objects.select_related("plan", "parent"), pk=objective_id, plan=plan)


def _indicator(plan: Plan, indicator_id: int) -> Indicator:
    return get_object_or_404(Indicator.objects.select_related("objective__plan"), pk=indicator_id, objective__plan=plan)


def _node_url(plan: Plan, objective_id: int | None = None) -> str:
    url = plan.get_absolute_url()
    return f"{url}#nodo-{objective_id}" if objective_id else url


def _int(value) -> int | None:
    """A query parameter as an id or a year; garbage, and numbers no database integer holds, read as absent."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= MAX_ID else None


# --- lists and the plan page -----------------------------------------------------------------------------------


@permission_required(Action.READ)
@collector_paused
def home(request):
    """What the user's roles have to do now (plans.home), the charts of the current year and the plans."""
    return render(request, "plans/home.html", {"home": home_for(user=request.user, today=timezone.localdate())})


def _page_filters(request) -> tuple[int | None, PlanFilters]:
    get = request.GET
    filters = PlanFilters(
        area=_int(get.get("area")),
        unit=_int(get.get("unita")),
        level=get.get("livello", "")[:20],
        q=get.get("q", "").strip()[:100],
    )
    return _int(get.get("anno")), filters


@permission_required(Action.READ)
@collector_paused
def plan_detail(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year, filters = _page_filters(request)
    started = time.perf_counter()
    page = plan_page(
        plan=plan,
        year=year,
        filters=filters,
        round_id=_int(request.GET.get("rilevazione")),
        page_number=_int(request.GET.get("pagina")) or 1,
    )
    filter_form = PlanFilterForm(
        initial={
            "anno": page.year,
            "rilevazione": page.data_round.pk if page.data_round else "",
            "area": -1 if page.all_areas else filters.area,
            "unita": filters.unit,
            "livello": filters.level,
            "q": filters.q,
        },  # noqa: E501
        years=page.years,
        rounds=page.rounds,
        areas=page.areas,
        units=page.units,
        levels=page.levels,
        large=page.large,
    )
    response = render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "page": page,
            "filter_form": filter_form,
            "years": page.years,
        },
    )
    release(page.scoring)
    response["Server-Timing"] = f"page;dur={(time.perf_counter() - started) * 1000:.0f}"
    return response


@permission_required(Action.READ)
def objective_detail(request, plan_id: int, objective_id: int):
    """A node's page: breadcrumbs up to the plan, the node's subtree with scores, and its actions."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year = _int(request.GET.get("anno"))
    round_id = _int(request.GET.get("rilevazione"))
    page = plan_page(plan=plan, year=year, filters=PlanFilters(node=objective_id), round_id=round_id)
    if page.node is None:
        raise Http404("Obiettivo non trovato.")
    node = page.node.node
    response = render(
        request,
        "plans/objective.html",
        {
            "plan": plan,
            "page": page,
            "node": node,
            "years": page.years,
            "child_levels": editing.allowed_child_levels(node.level),
            "has_children": any(r.node.parent_id == node.pk for r in page.rows),
            "has_indicators": bool(page.node.indicators),
        },
    )
    release(page.scoring)
    return response


@require_GET
@permission_required(Action.READ)
@collector_paused
def objective_children(request, plan_id: int, objective_id: int):
    """The rows of a collapsed node of the plan page, fetched (htmx) when it is expanded: its indicators and its
    children, collapsed in turn (`<tr>` rows only; without JavaScript the node's code links to its own page)."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year, round_id = _int(request.GET.get("anno")), _int(request.GET.get("rilevazione"))
    children = node_children(plan=plan, objective_id=objective_id, year=year, round_id=round_id)
    if children is None:
        raise Http404("Obiettivo non trovato.")
    return HttpResponse(node_children_html(children, edit=can(request.user, Action.PLAN_EDIT)))


@permission_required(Action.READ)
def plan_print(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year, filters = _page_filters(request)
    page = plan_page(plan=plan, year=year, filters=filters)
    response = render(request, "plans/print.html", {"plan": plan, "page": page, "years": page.years})
    release(page.scoring)
    return response


@permission_required(Action.READ)
def plan_revision_list(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    return render(request, "plans/revisions.html", {"plan": plan, "revisions": plan_revisions(plan=plan)})


@require_GET
@permission_required(Action.READ)
def score_why(request, plan_id: int, kind: str, pk: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    year = _int(request.GET.get("anno"))
    if year not in plan.years or kind not in ("obiettivo", "indicatore"):
        raise Http404("Anno o oggetto non valido.")
    round_id = _int(request.GET.get("rilevazione"))
    explanation = score_explanation(plan=plan, year=year, kind=kind, pk=pk, round_id=round_id)
    if explanation is None:
        raise Http404("Nessun punteggio per questo elemento.")
    template = "plans/_why.html" if _is_htmx(request) else "plans/why.html"
    return render(request, template, {"plan": plan, "year": year, "why": explanation})


@permission_required(Action.PLAN_EXPORT)
def plan_export_view(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    return _xlsx(plan_export(plan=plan), f"piano-{plan.ente.code}-{plan.start_year}-{plan.end_year}.xlsx")


@permission_required(Action.PLAN_IMPORT)
def template_download(request):
    return _xlsx(plan_template(), "modello-piano-perfplan.xlsx")


# --- plan lifecycle --------------------------------------------------------------------------------------------


@permission_required(Action.PLAN_EDIT)
def plan_create(request):
    ente = user_ente(request.user)
    form = PlanCreateForm(_data(request))
    if ente is None:
        form.add_error(None, "Il tuo utente non è associato a un ente: chiedi a un amministratore di associarlo.")
    elif request.method == "POST" and form.is_valid():
        plan, ok = _service(
            form,
            lambda: editing.plan_create(ente=ente, user=request.user, **form.cleaned_data),
        )
        if ok:
            messages.success(request, f"Piano «{plan.title}» creato in bozza: aggiungi la prima area strategica.")
            return redirect(plan)
    return render(request, "plans/plan_form.html", {"form": form})


@permission_required(Action.PLAN_EDIT)
def plan_adopt(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    if plan.state == PlanState.ADOPTED:
        messages.info(request, "Il piano è già adottato.")
        return redirect(plan)
    checklist = plan_checklist(plan=plan)
    form = PlanAdoptForm(_data(request), warnings=len(checklist.warnings))
    if request.method == "POST" and form.is_valid():
        _, ok = _service(form, lambda: editing.plan_adopt(plan=plan, user=request.user, **form.cleaned_data))
        if ok:
            messages.success(request, "Piano adottato: da ora ogni modifica chiede una motivazione ed è registrata.")
            return redirect(plan)
    return render(request, "plans/adopt.html", {"plan": plan, "form": form, "checklist": checklist})


@permission_required(Action.PLAN_EDIT)
def plan_copy(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = forms.Form(_data(request))
    if request.method == "POST":
        new, ok = _service(form, lambda: editing.plan_copy_to_next_cycle(plan=plan, user=request.user))
        if ok:
            messages.success(request, f"Creato il piano «{new.title}» in bozza, copiato da «{plan.title}».")
            return redirect(new)
    return render(
        request, "plans/copy.html", {"plan": plan, "form": form, "next_title": editing._next_cycle_title(plan)}
    )


@permission_required(Action.PLAN_EDIT)
def plan_rules(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = RulesForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: editing.plan_rules_update(
                plan=plan, user=request.user, reason=form.reason_value(), **form.values()
            ),
        )
        if ok:
            messages.success(request, "Regole di calcolo salvate.")
            return redirect(plan)
    return render(request, "plans/rules.html", {"plan": plan, "form": form})


# --- objectives ------------------------------------------------------------------------------------------------


def _siblings_weight(plan: Plan, parent_id: int | None, exclude_pk: int | None = None):
    from django.db.models import Sum

    rows = Objective.objects.filter(plan=plan, parent_id=parent_id)
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    return rows.aggregate(total=Sum("weight"))["total"] or 0, rows.count()


@permission_required(Action.PLAN_EDIT)
def objective_create(request, plan_id: int, parent_id: int | None = None):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    parent = _objective(plan, parent_id) if parent_id else None
    # «+» on a row of the tree presets the kind of child (?livello=operational); the form still offers the others.
    initial = {"level": request.GET["livello"]} if request.GET.get("livello") else {}
    form = ObjectiveForm(_data(request), plan=plan, parent=parent, initial=initial)
    if request.method == "POST" and form.is_valid():
        node, ok = _service(
            form,
            lambda: editing.objective_create(
                plan=plan, parent=parent, user=request.user, reason=form.reason_value(), **form.values()
            ),
        )
        if ok:
            messages.success(request, f"Obiettivo {node.code} aggiunto.")
            return redirect(_node_url(plan, node.pk))
    others, count = _siblings_weight(plan, parent.pk if parent else None)
    return render(
        request,
        "plans/objective_form.html",
        {"plan": plan, "parent": parent, "form": form, "objective": None, "others_weight": others, "siblings": count},
    )


@permission_required(Action.PLAN_EDIT)
def objective_edit(request, plan_id: int, objective_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    objective = _objective(plan, objective_id)
    form = ObjectiveForm(_data(request), plan=plan, parent=objective.parent, objective=objective)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: editing.objective_update(
                objective=objective, user=request.user, reason=form.reason_value(), **form.values()
            ),
        )
        if ok:
            messages.success(request, f"Obiettivo {objective.code} salvato.")
            return redirect(_node_url(plan, objective.pk))
        objective.refresh_from_db()
    others, count = _siblings_weight(plan, objective.parent_id, exclude_pk=objective.pk)
    return render(
        request,
        "plans/objective_form.html",
        {
            "plan": plan,
            "parent": objective.parent,
            "form": form,
            "objective": objective,
            "others_weight": others,
            "siblings": count,
        },
    )


@permission_required(Action.PLAN_EDIT)
def objective_move(request, plan_id: int, objective_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    objective = _objective(plan, objective_id)
    direction = request.POST.get("direzione") if request.method == "POST" else None
    if direction in ("su", "giu"):
        siblings = list(
            Objective.objects.filter(plan=plan, parent_id=objective.parent_id)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        index = siblings.index(objective.pk) + (-1 if direction == "su" else 1)
        try:
            editing.objective_move(
                objective=objective, parent=objective.parent, position=max(index, 0), user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(_node_url(plan, objective.pk))
    excluded = editing._descendant_ids(plan, objective.pk)
    candidates = [n for n in Objective.objects.filter(plan=plan).order_by("code") if n.pk not in excluded]
    siblings = list(Objective.objects.filter(plan=plan, parent_id=objective.parent_id).order_by("position", "id"))
    form = ObjectiveMoveForm(
        _data(request),
        plan=plan,
        objective=objective,
        candidates=candidates,
        initial={
            "parent": str(objective.parent_id or ""),
            "position": [s.pk for s in siblings].index(objective.pk) + 1,
        },
    )
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: editing.objective_move(
                objective=objective,
                parent=form.cleaned_data["parent"],
                position=form.cleaned_data["position"] - 1,
                user=request.user,
                reason=form.reason_value(),
            ),
        )
        if ok:
            messages.success(request, f"Obiettivo {objective.code} spostato.")
            return redirect(_node_url(plan, objective.pk))
    return render(request, "plans/objective_move.html", {"plan": plan, "objective": objective, "form": form})


@permission_required(Action.PLAN_EDIT)
def objective_delete(request, plan_id: int, objective_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    objective = _objective(plan, objective_id)
    impact = editing.objective_delete_impact(objective=objective)
    form = ReasonForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form, lambda: editing.objective_delete(objective=objective, user=request.user, reason=form.reason_value())
        )
        if ok:
            messages.success(request, f"Obiettivo {objective.code} eliminato.")
            return redirect(_node_url(plan, objective.parent_id))
    return render(
        request,
        "plans/delete.html",
        {"plan": plan, "subject": f"l'obiettivo {objective.code} – {objective.title}", "impact": impact, "form": form},
    )


@permission_required(Action.PLAN_EDIT)
def weights_edit(request, plan_id: int, objective_id: int | None = None, of: str = "obiettivi"):
    """The weights of one group of siblings: the children of a node (or the areas), or a node's indicators."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    parent = _objective(plan, objective_id) if objective_id else None
    if of == "indicatori" and parent is not None:
        items = list(Indicator.objects.filter(objective=parent).select_related("objective").order_by("position", "id"))
    else:
        items = list(Objective.objects.filter(plan=plan, parent=parent).order_by("position", "id"))
    if not items:
        raise Http404("Nessun elemento di cui impostare i pesi.")
    form = WeightsForm(_data(request), plan=plan, items=items)
    if request.method == "POST" and form.is_valid():
        changed, ok = _service(
            form,
            lambda: editing.weights_set(
                plan=plan, items=items, weights=form.weights(), user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            saved = ngettext("Pesi salvati (%(n)d modificato).", "Pesi salvati (%(n)d modificati).", changed)
            messages.success(request, saved % {"n": changed})
            return redirect(_node_url(plan, parent.pk if parent else None))
    return render(
        request,
        "plans/weights.html",
        {"plan": plan, "parent": parent, "form": form, "of": of, "shares": editing.equal_shares(len(items))},
    )


# --- indicators and targets ------------------------------------------------------------------------------------


@permission_required(Action.PLAN_EDIT)
def indicator_create(request, plan_id: int, objective_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    objective = _objective(plan, objective_id)
    form = IndicatorForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        ind, ok = _service(
            form,
            lambda: editing.indicator_create(
                objective=objective,
                user=request.user,
                reason=form.reason_value(),
                targets=form.targets(),
                baseline_year=form.cleaned_data["baseline_year"],
                baseline_raw=form.cleaned_data["baseline_raw"],
                **form.values(),
            ),
        )
        if ok:
            messages.success(request, f"Indicatore «{ind.name}» aggiunto a {objective.code}.")
            return redirect(_node_url(plan, objective.pk))
    return render(
        request, "plans/indicator_form.html", {"plan": plan, "objective": objective, "form": form, "indicator": None}
    )


CATALOGUE_VALUES_HEADER = [
    "Ente",
    "Codice catalogo",
    "Indicatore",
    "Obiettivo",
    "Anno",
    "Valore",
    "Numeratore",
    "Denominatore",
    "Unità",
]


@permission_required(Action.PLAN_EXPORT)
def catalogue_values_export(request, plan_id: int):
    """The yearly values of the plan's catalogue indicators (DFP common indicators) as an .xlsx table."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    wb = new_workbook()
    ws = wb.create_sheet("Indicatori catalogo")
    append_row(ws, CATALOGUE_VALUES_HEADER)
    for row in catalogue_values(plan=plan):
        values = (row.ente, row.catalogue_code, row.name, row.objective, row.year, row.value)
        append_row(ws, [*values, row.numerator, row.denominator, row.unit])
    response = HttpResponse(workbook_bytes(wb), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="indicatori-catalogo-{plan.pk}.xlsx"'
    return response


@permission_required(Action.PLAN_EDIT)
def catalogue_insert(request, plan_id: int, objective_id: int):
    """«Inserisci dal catalogo»: the catalogue (common DFP indicators and the ente's own), one button per entry."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    objective = _objective(plan, objective_id)
    entries = catalogue_for_user(user=request.user).filter(Q(ente__isnull=True) | Q(ente=plan.ente_id))
    form = CatalogueInsertForm(_data(request), plan=plan, entries=entries)
    if request.method == "POST" and form.is_valid():
        ind, ok = _service(
            form,
            lambda: editing.indicator_insert_from_catalogue(
                objective=objective, entry=form.cleaned_data["entry"], user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            messages.success(
                request, f"Indicatore «{ind.code} – {ind.name}» inserito dal catalogo in {objective.code}."
            )
            return redirect(_node_url(plan, objective.pk))
    used = set(
        Indicator.objects.filter(objective=objective)
        .exclude(catalogue_code="")
        .values_list("catalogue_code", flat=True)
    )
    return render(
        request,
        "plans/catalogue_insert.html",
        {"plan": plan, "objective": objective, "form": form, "entries": entries.select_related("ente"), "used": used},
    )


@permission_required(Action.PLAN_EDIT)
def indicator_edit(request, plan_id: int, indicator_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    indicator = _indicator(plan, indicator_id)
    targets = {t.year: t for t in Target.objects.filter(indicator=indicator, is_current=True)}
    form = IndicatorForm(
        _data(request), plan=plan, indicator=indicator, baseline=indicator.baselines.first(), targets=targets
    )
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: editing.indicator_update(
                indicator=indicator,
                user=request.user,
                reason=form.reason_value(),
                targets=form.targets(),
                baseline_year=form.cleaned_data["baseline_year"],
                baseline_raw=form.cleaned_data["baseline_raw"],
                **form.values(),
            ),
        )
        if ok:
            messages.success(request, f"Indicatore «{indicator.name}» salvato.")
            return redirect(_node_url(plan, indicator.objective_id))
    return render(
        request,
        "plans/indicator_form.html",
        {"plan": plan, "objective": indicator.objective, "form": form, "indicator": indicator},
    )


@permission_required(Action.PLAN_EDIT)
def indicator_delete(request, plan_id: int, indicator_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    indicator = _indicator(plan, indicator_id)
    impact = editing.indicator_delete_impact(indicator=indicator)
    form = ReasonForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form, lambda: editing.indicator_delete(indicator=indicator, user=request.user, reason=form.reason_value())
        )
        if ok:
            messages.success(request, f"Indicatore «{indicator.name}» eliminato.")
            return redirect(_node_url(plan, indicator.objective_id))
    return render(
        request,
        "plans/delete.html",
        {"plan": plan, "subject": f"l'indicatore «{indicator.label}»", "impact": impact, "form": form},
    )


@permission_required(Action.PLAN_EDIT)
def target_edit(request, plan_id: int, indicator_id: int, year: int):
    """One target in place: htmx swaps the table cell with this form and back with the saved, parsed target."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    indicator = _indicator(plan, indicator_id)
    if year not in plan.years:
        raise Http404("Anno fuori dal piano.")
    current = Target.objects.filter(indicator=indicator, year=year, is_current=True).first()
    htmx = _is_htmx(request)
    context = {"plan": plan, "indicator": indicator, "year": year, "inline": htmx, "here": f"Target {year}"}
    context["shown"] = format_target(current.parsed()) if current is not None else ""
    if request.GET.get("cella") and htmx:
        return render(request, "plans/_target_cell.html", context)
    # ?motivo=…: a «proposta di rimodulazione» from the monitoring page arrives with its reason written
    initial = {"raw": current.raw if current else "", "reason": request.GET.get("motivo", "")[:2000]}
    form = TargetForm(_data(request), plan=plan, year=year, initial=initial)
    if request.method == "POST" and form.is_valid():
        target, ok = _service(
            form,
            lambda: editing.target_set(
                indicator=indicator,
                year=year,
                raw=form.cleaned_data["raw"],
                reason=form.reason_value(),
                user=request.user,
            ),
        )
        if ok:
            if htmx:
                shown = format_target(target.parsed()) if target is not None else ""
                return render(request, "plans/_target_cell.html", {**context, "shown": shown, "saved": True})
            messages.success(request, f"Target {year} di «{indicator.name}» salvato.")
            return redirect(_node_url(plan, indicator.objective_id))
    context["form"] = form
    return render(request, "plans/_target_form.html" if htmx else "plans/target_edit.html", context)


@require_GET
@permission_required(Action.PLAN_EDIT)
def target_preview(request):
    """The live preview under a target field: the target as it will be read, or the Italian error."""
    year = _int(request.GET.get("anno"))
    unit = request.GET.get("unita") or request.GET.get("unit", "")
    raw = request.GET.get("raw", "")
    if not raw:  # the field name is target_<year> in the indicator form
        raw = next((v for k, v in request.GET.items() if k.startswith("target_")), "")
    check = editing.target_check(raw=raw[:300], year=year, unit=unit if unit in IndicatorUnit.values else "")
    return render(request, "plans/_target_preview.html", {"check": check})


# --- browser import --------------------------------------------------------------------------------------------


@bounded_uploads
@permission_required(Action.PLAN_IMPORT)
def import_upload(request):
    form = ImportUploadForm(*_posted(request), refused=upload_refusal(request))
    if request.method == "POST" and form.is_valid():
        pending = import_store(session=request.session, user=request.user, upload=form.cleaned_data["file"])
        return redirect("plans:import_preview", token=pending.token)
    return render(request, "plans/import_upload.html", {"form": form})


@permission_required(Action.PLAN_IMPORT)
def import_preview(request, token: str):
    """The preview page; the dry run itself is loaded by htmx (large files take seconds: a spinner shows it)."""
    pending = import_get(session=request.session, token=token)
    return render(request, "plans/import_preview.html", {"pending": pending})


def _report_context(report) -> dict:
    rows = [
        (label, report.created[key], report.updated[key], report.unchanged[key]) for key, label in ENTITY_LABELS.items()
    ]
    return {"report": report, "count_rows": rows}


@permission_required(Action.PLAN_IMPORT)
def import_analysis(request, token: str):
    pending = import_get(session=request.session, token=token)
    started = time.perf_counter()
    report = import_run(pending=pending, user=request.user, dry_run=True)
    target = import_target(pending=pending)
    form = ImportConfirmForm(reason_required=bool(target and target.needs_reason))
    context = {
        "pending": pending,
        "target": target,
        "form": form,
        "seconds": time.perf_counter() - started,
        **_report_context(report),
    }
    template = "plans/_import_report.html" if _is_htmx(request) else "plans/import_analysis.html"
    return render(request, template, context)


@require_POST
@permission_required(Action.PLAN_IMPORT)
def import_confirm(request, token: str):
    pending = import_get(session=request.session, token=token)
    target = import_target(pending=pending)
    form = ImportConfirmForm(request.POST, reason_required=bool(target and target.needs_reason))
    if form.is_valid():
        # The import runs as a job (jobs/): the page follows its progress, rows checked then written.
        params = {"token": pending.token, "name": pending.name, "size": pending.size}
        job = job_start(
            kind=JobKind.PLAN_IMPORT, user=request.user, params={**params, "reason": form.cleaned_data["reason"]}
        )
        forget_import(session=request.session, pending=pending)  # the job owns the file now
        if job.state == JobState.DONE and job.plan is not None:  # finished already (immediate backend)
            messages.success(
                request,
                f"Importazione completata: piano «{job.plan.title}»"
                + (
                    ngettext(", %(n)d revisione registrata.", ", %(n)d revisioni registrate.", revisions)
                    % {"n": revisions}
                    if (revisions := job.result.get("revisions"))
                    else "."
                ),
            )
            url = job.plan.get_absolute_url()
        elif job.state == JobState.FAILED:  # refused already: its report here, nothing was written
            return job_response(request, job, back_url=reverse("plans:import"), back_label="Importa")
        else:
            url = job.status_url
        if _is_htmx(request):
            response = HttpResponse("")
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    else:
        report = import_run(pending=pending, user=request.user, dry_run=True)
    context = {"pending": pending, "target": target, "form": form, "seconds": None, **_report_context(report)}
    template = "plans/_import_report.html" if _is_htmx(request) else "plans/import_analysis.html"
    return render(request, template, context)


@permission_required(Action.PLAN_IMPORT)
def import_job(request, job_id: int):
    """An import running as a job: rows checked, then written; then its report (errors: nothing was written)."""
    job = job_for_user(user=request.user, job_id=job_id, kinds=(JobKind.PLAN_IMPORT,))
    return job_response(request, job, back_url=reverse("plans:import"), back_label="Importa")


@require_POST
@permission_required(Action.PLAN_IMPORT)
def import_cancel(request, token: str):
    pending = import_get(session=request.session, token=token)
    import_discard(session=request.session, pending=pending)
    messages.info(request, "Importazione annullata: il file caricato è stato eliminato.")
    return redirect(reverse("plans:import"))


# --- PIAO section 2: Valore pubblico (2.1), references of 2.3, the document --------------------------------------


def _public_value(plan: Plan, pk: int) -> PublicValue:
    return get_object_or_404(PublicValue.objects.select_related("plan__ente"), pk=pk, plan=plan)


def _impact_indicator(plan: Plan, pk: int) -> PublicValueIndicator:
    return get_object_or_404(
        PublicValueIndicator.objects.select_related("public_value__plan__ente"), pk=pk, public_value__plan=plan
    )


def _public_values_url(plan: Plan) -> str:
    return reverse("plans:public_values", args=[plan.pk])


@permission_required(Action.READ)
def public_values(request, plan_id: int):
    """The PIAO page of a plan: its document kind, the impatti of Valore pubblico, the references of 2.3, the
    downloads of section 2 (PDF, DOCX)."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    context = {
        "plan": plan,
        "items": public_values_of(plan=plan),
        "measures": risk_measures_of(plan=plan),
        "documents": recent_documents(user=request.user, kind=JobKind.PLAN_DOCUMENT, plan=plan),
        "formats": DOCUMENT_BUTTONS,
    }
    return render(request, "plans/public_values.html", context)


@permission_required(Action.PLAN_EDIT)
def plan_kind(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = PlanKindForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.plan_kind_set(
                plan=plan, kind=form.cleaned_data["kind"], user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            messages.success(request, "Documento del piano salvato.")
            return redirect(_public_values_url(plan))
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": "Documento del piano"})


@permission_required(Action.PLAN_EDIT)
def public_value_create(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = PublicValueForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        item, ok = _service(
            form,
            lambda: public_value.public_value_create(
                plan=plan, user=request.user, reason=form.reason_value(), **form.values()
            ),
        )
        if ok:
            messages.success(request, f"Impatto «{item.code}» aggiunto.")
            return redirect(_public_values_url(plan))
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": "Nuovo impatto"})


@permission_required(Action.PLAN_EDIT)
def public_value_edit(request, plan_id: int, public_value_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    item = _public_value(plan, public_value_id)
    form = PublicValueForm(_data(request), plan=plan, public_value=item)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.public_value_update(
                public_value=item, user=request.user, reason=form.reason_value(), **form.values()
            ),
        )
        if ok:
            messages.success(request, f"Impatto «{item.code}» salvato.")
            return redirect(_public_values_url(plan))
    title = f"Modifica l'impatto {item.code}"
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": title})


@permission_required(Action.PLAN_EDIT)
def public_value_delete(request, plan_id: int, public_value_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    item = _public_value(plan, public_value_id)
    form = ReasonForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.public_value_delete(public_value=item, user=request.user, reason=form.reason_value()),
        )
        if ok:
            messages.success(request, f"Impatto «{item.code}» eliminato.")
            return redirect(_public_values_url(plan))
    return render(
        request,
        "plans/public_value_delete.html",
        {"plan": plan, "subject": f"l'impatto «{item.code} – {item.title[:80]}»", "form": form},
    )


@permission_required(Action.PLAN_EDIT)
def impact_indicator_create(request, plan_id: int, public_value_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    item = _public_value(plan, public_value_id)
    form = ImpactIndicatorForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.impact_indicator_create(
                public_value=item, data=form.data_value(), user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            messages.success(request, f"Indicatore di impatto aggiunto a {item.code}.")
            return redirect(_public_values_url(plan))
    title = f"Nuovo indicatore di impatto di {item.code}"
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": title})


@permission_required(Action.PLAN_EDIT)
def impact_indicator_edit(request, plan_id: int, indicator_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    indicator = _impact_indicator(plan, indicator_id)
    form = ImpactIndicatorForm(_data(request), plan=plan, indicator=indicator)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.impact_indicator_update(
                indicator=indicator, data=form.data_value(), user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            messages.success(request, "Indicatore di impatto salvato.")
            return redirect(_public_values_url(plan))
    title = f"Modifica l'indicatore di impatto di {indicator.public_value.code}"
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": title})


@permission_required(Action.PLAN_EDIT)
def impact_indicator_delete(request, plan_id: int, indicator_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    indicator = _impact_indicator(plan, indicator_id)
    form = ReasonForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.impact_indicator_delete(
                indicator=indicator, user=request.user, reason=form.reason_value()
            ),
        )
        if ok:
            messages.success(request, "Indicatore di impatto eliminato.")
            return redirect(_public_values_url(plan))
    subject = f"l'indicatore di impatto «{indicator.name[:80]}»"
    return render(request, "plans/public_value_delete.html", {"plan": plan, "subject": subject, "form": form})


@permission_required(Action.PLAN_EDIT)
def risk_measure_create(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = RiskMeasureForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        measure, ok = _service(
            form,
            lambda: public_value.risk_measure_create(
                plan=plan,
                user=request.user,
                code=form.cleaned_data["code"],
                title=form.cleaned_data["title"],
                link=form.cleaned_data["link"],
                reason=form.reason_value(),
            ),
        )
        if ok:
            messages.success(request, f"Misura «{measure.code}» aggiunta alla tabella della sottosezione 2.3.")
            return redirect(_public_values_url(plan))
    title = "Nuovo riferimento a una misura della sottosezione 2.3"
    return render(request, "plans/public_value_form.html", {"plan": plan, "form": form, "title": title})


@permission_required(Action.PLAN_EDIT)
def risk_measure_delete(request, plan_id: int, measure_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    measure = get_object_or_404(RiskMeasureLink, pk=measure_id, plan=plan)
    form = ReasonForm(_data(request), plan=plan)
    if request.method == "POST" and form.is_valid():
        _, ok = _service(
            form,
            lambda: public_value.risk_measure_delete(measure=measure, user=request.user, reason=form.reason_value()),
        )
        if ok:
            messages.success(request, f"Misura «{measure.code}» tolta dalla tabella.")
            return redirect(_public_values_url(plan))
    subject = f"il riferimento alla misura «{measure.code}»"
    return render(request, "plans/public_value_delete.html", {"plan": plan, "subject": subject, "form": form})


@require_POST
@permission_required(Action.READ)
def piao_document(request, plan_id: int, year: int, fmt: str):
    """Ask for section 2 of the PIAO (or the plain Piano della performance) of one year: a job makes it (a
    10.000-indicator plan is 580 pages, 100 s), the answer is its progress, then its link (jobs/)."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    if year not in plan.years or f".{fmt}" not in FORMATS:
        raise Http404("Anno o formato non disponibili per questo piano.")
    return document_request(
        request,
        start=lambda: document_job_start(kind=JobKind.PLAN_DOCUMENT, user=request.user, plan=plan, year=year, fmt=fmt),
        documents=lambda: recent_documents(user=request.user, kind=JobKind.PLAN_DOCUMENT, plan=plan),
        back_url=_public_values_url(plan),
    )
