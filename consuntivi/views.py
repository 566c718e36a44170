"""Consuntivi pages (issue 5): rounds, «I miei indicatori», review by the planning office, history, import/export.

Thin views: check access with the helpers of entry_selectors, validate a form, call one service or selector.
A PermissionDenied raised by a service (other unit, closed round, validated year) becomes HTTP 403.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from consuntivi.forms import EntryForm, ImportForm, ManualForm, ReasonForm, ReturnForm, RoundForm
from consuntivi.models import Evidence
from consuntivi.scores import plan_score
from consuntivi.selectors import (
    EntryPage,
    EntryRow,
    RoundData,
    accepts_values,
    entry_row,
    entry_row_saved,
    late_blocks,
    measurement_history,
    mine_page,
    round_data,
    round_for_user,
    round_year_state,
    rounds_visible_to,
    user_unit_ids,
    visible_unit_ids,
    year_close_pending,
)
from consuntivi.services import (
    EDITABLE_BY_UNIT,
    evidence_delete,
    measurement_accept,
    measurement_differs,
    measurement_preview,
    measurement_return,
    measurement_save,
    measurement_set_manual,
    measurements_save,
    round_close,
    round_open,
    round_reopen,
    unit_submit,
    year_close,
)
from indicators.models import Indicator
from jobs.models import JobKind, JobState
from jobs.services import active_round_job, job_for_user, job_start
from jobs.views import job_response
from perfplan.collector import collector_paused
from perfplan.formats import number_it
from perfplan.permissions import Action, can, permission_required
from perfplan.uploads import bounded_uploads, upload_refusal
from plans.checklist import plan_checklists
from plans.models import PlanYear
from plans.selectors import plan_for_user, plans_visible_to
from workbook.round_sheet import round_import, unit_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def saved_message(count: int) -> str:
    return ngettext("Salvato %(n)s valore in bozza.", "Salvati %(n)s valori in bozza.", count) % {"n": number_it(count)}


def sent_message(count: int) -> str:
    return ngettext(
        "Inviato %(n)s valore all'ufficio pianificazione.", "Inviati %(n)s valori all'ufficio pianificazione.", count
    ) % {"n": number_it(count)}


def accepted_message(count: int, unit_code: str) -> str:
    return ngettext(
        "Accettato %(n)s valore dell'unità %(unit)s.", "Accettati %(n)s valori dell'unità %(unit)s.", count
    ) % {"n": number_it(count), "unit": unit_code}


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Rounds -------------------------------------------------------------------------------------------------


@permission_required(Action.READ)
def index(request):
    """The rounds of the user's plans; the planning office opens new ones here."""
    plans = list(plans_visible_to(user=request.user))
    rounds = list(rounds_visible_to(user=request.user).order_by("plan_id", "-year", "period"))
    states = {
        (py.plan_id, py.year): py for py in PlanYear.objects.filter(plan__in=[p.pk for p in plans])
    }  # one query for every plan's years
    by_plan = {p.pk: [] for p in plans}
    for r in rounds:
        r.year_state = states.get((r.plan_id, r.year))
        by_plan[r.plan_id].append(r)
    opens_rounds = can(request.user, Action.ROUND_MANAGE)
    checklists = plan_checklists(plans=plans, for_round=True) if opens_rounds else {}  # three queries in all
    lines = [
        {
            "plan": p,
            "rounds": by_plan[p.pk],
            "form": RoundForm(years=p.years, prefix=f"p{p.pk}") if opens_rounds else None,
            "checklist": checklists.get(p.pk),
        }
        for p in plans
    ]
    return render(request, "consuntivi/index.html", {"lines": lines})


@require_POST
@permission_required(Action.ROUND_MANAGE)
def round_create(request, plan_id: int):
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    form = RoundForm(request.POST, years=plan.years, prefix=f"p{plan.pk}")
    if not form.is_valid():
        messages.error(request, "Rilevazione non aperta: " + "; ".join(e for es in form.errors.values() for e in es))
        return redirect("consuntivi:index")
    try:
        created = round_open(
            plan=plan,
            year=form.cleaned_data["year"],
            period=form.cleaned_data["period"],
            label=form.cleaned_data["label"],
            deadline=form.cleaned_data["deadline"],
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("consuntivi:index")
    messages.success(request, f"Rilevazione «{created}» aperta.")
    return redirect("consuntivi:round", round_id=created.pk)


@permission_required(Action.READ)
@collector_paused
def round_detail(request, round_id: int):
    """The round overview: progress and status per unit, late units, the plan's score with these values."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    if not can(request.user, Action.MEASUREMENT_READ):
        return redirect("consuntivi:mine", round_id=rnd.pk)
    data = round_data(data_round=rnd)
    scoring = plan_score(plan=rnd.plan, year=rnd.year) if rnd.final else None
    context = {
        "round": rnd,
        "data": data,
        "late": late_blocks(data=data, today=timezone.localdate()),
        "today": timezone.localdate(),
        "scoring": scoring,
        "reason_form": ReasonForm(),
        "total": sum(len(b.rows) for b in data.blocks),
        "done": sum(b.done for b in data.blocks),
        "remind_job": active_round_job(user=request.user, data_round=rnd),
    }
    return render(request, "consuntivi/round.html", context)


@require_POST
@permission_required(Action.ROUND_MANAGE)
def round_close_view(request, round_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    if rnd.final:  # closing the final round closes the year: the confirmation page lists what is pending
        return redirect("consuntivi:year_close", plan_id=rnd.plan_id, year=rnd.year)
    try:
        round_close(data_round=rnd, user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Rilevazione «{rnd}» chiusa: non accetta più valori.")
    return redirect("consuntivi:round", round_id=rnd.pk)


@permission_required(Action.ROUND_MANAGE)
def year_close_view(request, plan_id: int, year: int):
    """Close a year's consuntivi after a confirmation that lists what is still pending (units, values)."""
    plan = plan_for_user(user=request.user, plan_id=plan_id)
    if year not in plan.years:
        raise Http404("Anno fuori dal piano.")
    pending = year_close_pending(plan=plan, year=year)
    final = next((r for r in pending.open_rounds if r.final), None)
    back = (
        reverse("reports:detail", args=[plan.pk, year]) if request.GET.get("da") == "relazione" or not final else None
    )
    back = back or reverse("consuntivi:round", args=[final.pk])
    error = ""
    if request.method == "POST":
        try:
            year_close(plan=plan, year=year, user=request.user, confirmed=bool(request.POST.get("conferma")))
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, f"Consuntivi {year} chiusi: le unità non possono più inserire valori.")
            return redirect(back)
    context = {"plan": plan, "year": year, "pending": pending, "back": back, "error": error}
    return render(request, "consuntivi/year_close.html", context, status=400 if error else 200)


@require_POST
@permission_required(Action.ROUND_MANAGE)
def round_reopen_view(request, round_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    form = ReasonForm(request.POST)
    try:
        round_reopen(data_round=rnd, user=request.user, reason=form.data.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Rilevazione «{rnd}» riaperta.")
    return redirect("consuntivi:round", round_id=rnd.pk)


@require_POST
@permission_required(Action.ROUND_MANAGE)
def round_remind_view(request, round_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    link = request.build_absolute_uri(reverse("consuntivi:mine", args=[rnd.pk]))
    job = job_start(kind=JobKind.ROUND_REMIND, user=request.user, data_round=rnd, plan=rnd.plan, params={"link": link})
    if job.state == JobState.FAILED:
        messages.error(request, job.error)
    elif job.state != JobState.DONE:  # the e-mails go out in the background: the job's page follows them
        return redirect(job.status_url)
    sent, without = job.result.get("sent", []), job.result.get("without_recipient", [])
    if sent:
        messages.success(request, "Promemoria inviato alle unità: " + ", ".join(sent) + ".")
    if without:
        messages.warning(request, "Unità senza responsabili con indirizzo e-mail: " + ", ".join(without) + ".")
    if job.state == JobState.DONE and not sent and not without:
        messages.info(request, "Tutte le unità hanno già inviato i loro valori.")
    return redirect("consuntivi:round", round_id=rnd.pk)


@permission_required(Action.ROUND_MANAGE)
def remind_job(request, round_id: int, job_id: int):
    """The reminders of a round being sent by a job: how many so far, then to which units."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    job = job_for_user(user=request.user, job_id=job_id, kinds=(JobKind.ROUND_REMIND,))
    if job.round_id != rnd.pk:
        raise Http404("Lavoro non trovato.")
    return job_response(request, job, back_url=reverse("consuntivi:round", args=[rnd.pk]), back_label=str(rnd))


# --- «I miei indicatori» ------------------------------------------------------------------------------------


def _entry_forms(rows, bound=None, files=None) -> dict[int, EntryForm]:
    """A form for each of `rows` that the unit may still change (the others are shown, not edited)."""
    return {
        row.indicator.pk: EntryForm(bound, files, row=row)
        for row in rows
        if row.status in (*EDITABLE_BY_UNIT, "mancante")
    }


def _page_number(value) -> int:
    try:
        return int(value or 1)
    except (TypeError, ValueError):
        return 1


def _mine_page(request, rnd, *, number=None, indicator_id: int | None = None) -> tuple[RoundData, EntryPage]:
    """The page of «I miei indicatori» asked (or the one holding `indicator_id`), read for that page alone."""
    return mine_page(
        data_round=rnd,
        unit_ids=visible_unit_ids(data_round=rnd, user=request.user),
        size=settings.MINE_PAGE_ROWS,
        number=_page_number(number),
        indicator_id=indicator_id,
    )


def _render_mine(
    request,
    data: RoundData,
    page: EntryPage,
    forms: dict[int, EntryForm],
    status: int = 200,
    conflicts=None,
    pending=None,
):
    """The page, with the typed values and their errors when a save was refused (409 when it was a conflict).

    `pending`: indicator id → the achievement of values typed but not saved (the live panel says so)."""
    invalid = [form for form in forms.values() if form.is_bound and form.errors]
    return render(
        request,
        "consuntivi/mine.html",
        {
            "round": data.round,
            "data": data,
            "page": page,
            "forms": forms,
            "editable": data.accepts_values,
            "conflicts": conflicts or {},
            "pending": pending or {},
            "invalid": invalid,
        },
        status=status,
    )


@permission_required(Action.MEASUREMENT_ENTER)
def mine(request, round_id: int):
    """«I miei indicatori»: the indicators of the units the Responsabile leads (and their sub-units)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    data, page = _mine_page(request, rnd, number=request.GET.get("pagina"))
    return _render_mine(request, data, page, _entry_forms(page.rows) if data.accepts_values else {})


def _writable_data(request, rnd, unit_id: int) -> RoundData:
    if unit_id not in user_unit_ids(user=request.user, data_round=rnd):
        raise PermissionDenied("Puoi inserire i consuntivi solo delle tue unità organizzative.")
    data = round_data(data_round=rnd, unit_ids={unit_id})
    if not data.accepts_values:
        raise PermissionDenied("La rilevazione è chiusa o l'anno è validato: i valori non si possono modificare.")
    return data


def _mark(form: EntryForm, result) -> None:
    """A refused row: the rules' errors on their fields, a conflict's current version taken for the next save."""
    for field, message in result.errors.get(form.row.indicator.pk, {}).items():
        form.add_error(field if field in form.fields else None, message)
    current = result.conflicts.get(form.row.indicator.pk)
    if current is not None:
        form.data = form.data.copy()
        form.data[form.add_prefix("version")] = str(current.version)


@require_POST
@permission_required(Action.MEASUREMENT_ENTER)
def unit_save(request, round_id: int, unit_id: int):
    """«Salva tutto» without JavaScript: the rows the user changed, each in its own transaction (measurements_save);
    the valid ones are saved, the others come back marked. With `invia`, the unit is submitted when all saved."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    data = _writable_data(request, rnd, unit_id)
    block = data.block(unit_id)
    forms = _entry_forms(block.rows if block else [], request.POST, request.FILES)
    touched = [form for form in forms.values() if form.touched]  # rows on the page posted, changed
    valid = [form for form in touched if form.is_valid()]
    result = measurements_save(data_round=rnd, user=request.user, entries=[f.entry() for f in valid])
    for form in valid:
        _mark(form, result)
    if result.saved:
        messages.success(request, saved_message(result.saved))
    kept = {f.row.indicator.pk: f for f in touched if f.errors or f.row.indicator.pk in result.conflicts}
    if kept:
        messages.error(request, not_saved_message(len(kept)))
        shown, page = _mine_page(request, rnd, number=request.POST.get("pagina"))
        return _render_mine(
            request,
            shown,
            page,
            {**_entry_forms(page.rows), **kept},
            status=409 if result.conflicts else 200,
            conflicts=result.conflicts,
            pending={pk: score for pk, score in result.scores.items() if pk in kept},
        )
    if request.POST.get("invia"):
        submitted = unit_submit(data_round=rnd, unit_id=unit_id, user=request.user)
        if submitted.ok:
            messages.success(request, sent_message(submitted.submitted))
        else:
            messages.error(request, "Invio non effettuato: " + "; ".join(submitted.problems))
    elif not result.saved:
        messages.info(request, "Nessuna modifica da salvare.")
    return redirect(_mine_url(rnd, request.POST.get("pagina"), f"unita-{unit_id}"))


def _mine_url(rnd, number, anchor: str) -> str:
    """«I miei indicatori» at page `number` (the first without a query) and `anchor`."""
    query = f"?pagina={number}" if _page_number(number) > 1 else ""
    return reverse("consuntivi:mine", args=[rnd.pk]) + query + f"#{anchor}"


def not_saved_message(count: int) -> str:
    return ngettext(
        "%(n)s valore non salvato: correggere il campo segnalato (elenco qui sopra).",
        "%(n)s valori non salvati: correggere i campi segnalati (elenco qui sopra).",
        count,
    ) % {"n": number_it(count)}


def _row_response(request, rnd, form: EntryForm, *, status=200, conflict=None, pending=None, saved=False):
    return render(
        request,
        "consuntivi/_entry_row.html",
        {
            "round": rnd,
            "row": form.row,
            "form": form,
            "editable": True,
            "conflict": conflict,
            "pending_score": pending,
            "saved": saved,
        },
        status=status,
    )


def _row_for_user(request, rnd, indicator_id: int) -> EntryRow | None:
    """The user's row of the indicator, read alone (entry_row: whatever the size of the plan), or None."""
    unit_ids = user_unit_ids(user=request.user, data_round=rnd)
    return entry_row(data_round=rnd, indicator_id=indicator_id, unit_ids=unit_ids)


def _mine_with(request, rnd, form: EntryForm, **kwargs):
    """The whole page with this row's typed values and errors: a row saved without htmx and refused."""
    data, page = _mine_page(request, rnd, indicator_id=form.row.indicator.pk)
    return _render_mine(request, data, page, {**_entry_forms(page.rows), form.row.indicator.pk: form}, **kwargs)


@permission_required(Action.MEASUREMENT_ENTER)
def measurement_save_view(request, round_id: int, indicator_id: int):
    """One row saved on its own (htmx): the row's new state and live achievement, or the row with its errors, or
    (409) both values when the same consuntivo was saved by someone else meanwhile. GET: the row as stored (the
    «keep the stored value» choice). Without htmx the page is drawn again (or the browser sent back to it).

    Reads that row alone, never the round (issue 13 item 4: a save in a few milliseconds on any plan)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    row = _row_for_user(request, rnd, indicator_id)
    if row is None:
        if not Indicator.objects.filter(pk=indicator_id).exists():
            raise Http404("Indicatore inesistente.")
        raise PermissionDenied("Puoi inserire i consuntivi solo degli indicatori delle tue unità organizzative.")
    open_ = accepts_values(data_round=rnd, year_state=round_year_state(data_round=rnd))
    if not open_ or row.status not in (*EDITABLE_BY_UNIT, "mancante"):
        raise PermissionDenied("La rilevazione è chiusa o il valore non è modificabile.")
    htmx = request.headers.get("HX-Request") == "true"
    if request.method == "GET":
        return _row_response(request, rnd, EntryForm(row=row))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    form = EntryForm(request.POST, request.FILES, row=row)
    if not form.is_valid():
        return _row_response(request, rnd, form) if htmx else _mine_with(request, rnd, form)
    values = form.entry()
    result = measurement_save(data_round=rnd, user=request.user, values=values, row=row)
    conflict = result.conflicts.get(indicator_id)
    if not result.ok:
        _mark(form, result)
        pending = result.scores.get(indicator_id)
        if not htmx:
            return _mine_with(
                request,
                rnd,
                form,
                status=409 if conflict is not None else 200,
                conflicts=result.conflicts,
                pending={indicator_id: pending} if pending else {},
            )
        return _row_response(request, rnd, form, status=409 if conflict else 200, conflict=conflict, pending=pending)
    if not htmx:
        if result.saved:
            messages.success(request, saved_message(result.saved))
        return redirect(_mine_url(rnd, request.POST.get("pagina"), f"ind-{indicator_id}"))  # the unit form's page
    saved_row = entry_row_saved(
        data_round=rnd, row=row, score=result.scores.get(indicator_id), uploaded=bool(values.files)
    )
    return _row_response(request, rnd, EntryForm(row=saved_row), saved=bool(result.saved))


@require_POST
@permission_required(Action.MEASUREMENT_ENTER)
def entry_preview(request, round_id: int, indicator_id: int):
    """htmx: the live achievement of the values being typed (the scoring core decides, never JavaScript)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    row = _row_for_user(request, rnd, indicator_id)
    if row is None:
        raise PermissionDenied("Indicatore non di una tua unità.")
    form = EntryForm(request.POST, row=row)
    form.fields["evidence"].required = False
    if not form.is_valid():
        return render(request, "consuntivi/_achievement.html", {"row": row, "score": None, "errors": form.errors})
    values = form.entry()
    score = measurement_preview(row=row, values=values, plan=rnd.plan)
    stored = row.measurement
    unsaved = measurement_differs(stored, values.fields()) if stored is not None else not values.is_empty
    computed = values.value_number is None and (values.numerator is not None or bool(values.variables))
    context = {"row": row, "score": score, "live": True, "unsaved": unsaved, "computed": computed, "noted": form.noted}
    return render(request, "consuntivi/_achievement.html", context)


# --- Review -------------------------------------------------------------------------------------------------


def _review_block(request, rnd, unit_id: int):
    data = round_data(data_round=rnd, unit_ids={unit_id})
    block = data.block(unit_id)
    if block is None:
        raise Http404("L'unità non ha indicatori in questa rilevazione.")
    return data, block


@permission_required(Action.MEASUREMENT_READ)
def unit_review(request, round_id: int, unit_id: int):
    """A unit's consuntivi for the planning office (accept, return, manual achievement) and the OIV (read only)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    data, block = _review_block(request, rnd, unit_id)
    return render(
        request,
        "consuntivi/review.html",
        {
            "round": rnd,
            "data": data,
            "unit_block": block,
            "can_review": can(request.user, Action.MEASUREMENT_REVIEW) and data.accepts_values,
        },
    )


def _back_to_unit(rnd, indicator_id: int):
    data = round_data(data_round=rnd)
    row = data.row(indicator_id)
    if row is None:
        raise Http404("Indicatore senza valori da rivedere in questa rilevazione.")
    return redirect(reverse("consuntivi:review", args=[rnd.pk, row.unit_id]) + f"#ind-{indicator_id}")


@require_POST
@permission_required(Action.MEASUREMENT_REVIEW)
def unit_accept(request, round_id: int, unit_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    _, block = _review_block(request, rnd, unit_id)
    try:
        count = measurement_accept(
            data_round=rnd, indicator_ids=[r.indicator.pk for r in block.rows], user=request.user
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, accepted_message(count, block.unit.code))
    return redirect("consuntivi:review", round_id=rnd.pk, unit_id=unit_id)


@require_POST
@permission_required(Action.MEASUREMENT_REVIEW)
def indicator_accept(request, round_id: int, indicator_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    try:
        measurement_accept(data_round=rnd, indicator_ids=[indicator_id], user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Valore accettato.")
    return _back_to_unit(rnd, indicator_id)


@require_POST
@permission_required(Action.MEASUREMENT_REVIEW)
def indicator_return(request, round_id: int, indicator_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    form = ReturnForm(request.POST)
    try:
        measurement_return(
            data_round=rnd, indicator_id=indicator_id, user=request.user, comment=form.data.get("comment", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Valore restituito all'unità con il commento.")
    return _back_to_unit(rnd, indicator_id)


@require_POST
@permission_required(Action.MEASUREMENT_REVIEW)
def indicator_manual(request, round_id: int, indicator_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    form = ManualForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Raggiungimento manuale non salvato. " + " ".join(e for es in form.errors.values() for e in es)
        )
        return _back_to_unit(rnd, indicator_id)
    try:
        measurement_set_manual(
            data_round=rnd,
            indicator_id=indicator_id,
            user=request.user,
            achievement=form.cleaned_data["achievement"],
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        messages.error(request, "Raggiungimento manuale non salvato. " + _error_text(error))
    else:
        messages.success(request, "Raggiungimento manuale aggiornato.")
    return _back_to_unit(rnd, indicator_id)


@permission_required(Action.MEASUREMENT_READ)
def indicator_history(request, round_id: int, indicator_id: int):
    """Every change to the consuntivo: who, when, old → new (planning office and OIV)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    data = round_data(data_round=rnd)
    row = data.row(indicator_id)
    if row is None:
        raise Http404("Indicatore non presente in questa rilevazione.")
    changes = measurement_history(data_round=rnd, indicator_id=indicator_id)
    return render(request, "consuntivi/history.html", {"round": rnd, "row": row, "changes": changes})


# --- Bulk: import into a round, a unit's sheet --------------------------------------------------------------


@bounded_uploads
@permission_required(Action.ROUND_MANAGE)
def round_import_view(request, round_id: int):
    rnd = round_for_user(user=request.user, round_id=round_id)
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, refused=upload_refusal(request))
        if form.is_valid():
            report = round_import(
                data_round=rnd,
                source=form.cleaned_data["file"],
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.ok and not report.dry_run:
                messages.success(
                    request,
                    f"Importati i consuntivi: {report.counts['creati']} nuovi, "
                    f"{report.counts['aggiornati']} aggiornati, {report.counts['invariati']} invariati.",
                )
                return redirect("consuntivi:round", round_id=rnd.pk)
    else:
        form = ImportForm()
    return render(request, "consuntivi/import.html", {"round": rnd, "form": form, "report": report})


@permission_required(Action.UNIT_SHEET)
def unit_sheet_view(request, round_id: int, unit_id: int):
    """The unit's `Consuntivi` sheet to fill offline (planning office, or the unit's own Responsabile)."""
    rnd = round_for_user(user=request.user, round_id=round_id)
    if not can(request.user, Action.MEASUREMENT_READ) and unit_id not in user_unit_ids(
        user=request.user, data_round=rnd
    ):
        raise PermissionDenied("Puoi scaricare solo il foglio delle tue unità organizzative.")
    data = round_data(data_round=rnd, unit_ids={unit_id})
    block = data.block(unit_id)
    if block is None:
        raise Http404("L'unità non ha indicatori in questa rilevazione.")
    response = HttpResponse(unit_sheet(data=data, unit_id=unit_id), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="consuntivi-{rnd.year}-{block.unit.code}.xlsx"'
    return response


# --- Evidence -----------------------------------------------------------------------------------------------


def _evidence_for_user(user, evidence_id: int) -> Evidence:
    evidence = get_object_or_404(
        Evidence.objects.select_related("measurement__round__plan"),
        pk=evidence_id,
        measurement__round__plan__in=plans_visible_to(user=user),
    )
    if not can(user, Action.MEASUREMENT_READ):
        rnd = evidence.measurement.round
        unit_ids = user_unit_ids(user=user, data_round=rnd)
        if entry_row(data_round=rnd, indicator_id=evidence.measurement.indicator_id, unit_ids=unit_ids) is None:
            raise PermissionDenied("Allegato di un'altra unità organizzativa.")
    return evidence


@permission_required(Action.READ)
def evidence_download(request, evidence_id: int):
    evidence = _evidence_for_user(request.user, evidence_id)
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@require_POST
@permission_required(Action.MEASUREMENT_ENTER)
def evidence_delete_view(request, evidence_id: int):
    evidence = _evidence_for_user(request.user, evidence_id)
    rnd = evidence.measurement.round
    try:
        evidence_delete(evidence=evidence, user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Allegato «{evidence.original_name}» rimosso.")
    return redirect("consuntivi:mine", round_id=rnd.pk)
