"""Who may do what: every view is in the permissions table, and every URL answers every persona as the table says.

One small plan (tests/consuntivi/factories.py) is built once for the module, inside a transaction that is
rolled back at the end; each test runs in its own savepoint. Its Relazione 2017 went the whole way (preview PDF,
year closed, approved, validated by the OIV with the signed document); its 2018 round is open and the Ufficio
eventi (U2) has saved its value of «Eventi organizzati», with an attachment. Personas, in the columns of the tables:

    anon  nobody logged in                      H2  Responsabile of the other unit (U1), same ente
    P     Pianificazione                        V   OIV
    H     Responsabile of U2, the unit          A   Amministratore
                                                X   Pianificazione of another ente
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from consuntivi.models import Evidence, Measurement, MeasurementChange, RiskFlag, Round
from consuntivi.services import measurements_save, risk_flag_set, round_close, unit_submit
from indicators.models import Indicator, Target
from jobs.models import Job, JobKind, JobState
from jobs.services import document_job_start, job_start
from perfplan.permissions import PERMISSIONS, SCOPES, Action, roles_table
from perfplan.roles import Role, user_roles
from plans.lifecycle import plan_year_get, plan_year_transition
from plans.models import (
    Ente,
    Objective,
    OrgUnit,
    Plan,
    PlanRevision,
    PlanYear,
    PlanYearEvent,
    PublicValue,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
    YearState,
)
from reports.models import (
    ArtifactKind,
    ClarificationMessage,
    ClarificationRequest,
    PaperDocument,
    PaperNote,
    Relazione,
    RelazioneArtifact,
    Validation,
)
from reports.services import (
    clarification_open,
    paper_document_add,
    relazione_approve,
    relazione_close_year,
    relazione_get_or_create,
    relazione_reopen,
    relazione_validate,
)
from tests.consuntivi.factories import entry, entry_plan, indicator, open_round, people
from tests.factories import make_user, workbook_bytes
from tests.reports.conftest import add_bilancio, validation_input, write_texts

README = Path(__file__).resolve().parent.parent / "README.md"
REPORT_YEAR = 2017
ROUND_YEAR = 2018
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONSUNTIVI = ["Codice obiettivo", "Codice indicatore", "Nome", "Anno", "Valore", "Numeratore", "Denominatore", "Note"]
PERSONAS = ("anon", "P", "H", "H2", "V", "A", "X")
ROLES = {"P": {Role.PLANNER}, "H": {Role.OFFICE_HEAD}, "H2": {Role.OFFICE_HEAD}, "V": {Role.OIV}}
ROLES |= {"A": {Role.ADMIN}, "X": {Role.PLANNER}, "anon": set()}
# The only views without an action: LoginRequiredMiddleware lets them be.
PUBLIC = {"login", "logout", "favicon", "health"}


def _table(text: str) -> dict[str, dict[str, int | None]]:
    """`url-name  s s s s s s s` lines, one status per persona (· = not requested) → {url name: {persona: status}}."""
    rows = {}
    for line in text.strip().splitlines():
        name, *cells = line.split()
        assert len(cells) == len(PERSONAS), line
        rows[name] = {p: None if c == "·" else int(c) for p, c in zip(PERSONAS, cells, strict=True)}
    return rows


# GET of every URL. 302: to the login page (anon), or a Responsabile sent from the round's overview to «I miei
# indicatori»; 403: the role lacks the view's action, or a Responsabile asks for another unit; 404: another ente's
# object, or an import token that is not in the user's session; 405: the view takes only POST.
GET = _table("""
home                            302  200  200  200  200  200  200
plans:create                    302  200  403  403  403  200  200
plans:template                  302  200  403  403  403  200  200
plans:target_preview            302  200  403  403  403  200  200
plans:import                    302  200  403  403  403  200  200
plans:import_preview            302  404  403  403  403  404  404
plans:import_analysis           302  404  403  403  403  404  404
plans:import_confirm            302  405  405  405  405  405  405
plans:import_cancel             302  405  405  405  405  405  405
plans:import_job                302  200  403  403  403  200  404
plans:detail                    302  200  200  200  200  200  404
plans:print                     302  200  200  200  200  200  404
plans:export                    302  200  403  403  200  200  404
plans:catalogue_values          302  200  403  403  200  200  404
plans:revisions                 302  200  200  200  200  200  404
plans:why                       302  200  200  200  200  200  404
plans:adopt                     302  200  403  403  403  200  404
plans:copy                      302  200  403  403  403  200  404
plans:rules                     302  200  403  403  403  200  404
plans:weights_roots             302  200  403  403  403  200  404
plans:objective_create          302  200  403  403  403  200  404
plans:objective_create_child    302  200  403  403  403  200  404
plans:objective                 302  200  200  200  200  200  404
plans:objective_children        302  200  200  200  200  200  404
plans:objective_edit            302  200  403  403  403  200  404
plans:objective_move            302  200  403  403  403  200  404
plans:objective_delete          302  200  403  403  403  200  404
plans:weights_children          302  200  403  403  403  200  404
plans:weights_indicators        302  200  403  403  403  200  404
plans:indicator_create          302  200  403  403  403  200  404
plans:catalogue_insert          302  200  403  403  403  200  404
plans:indicator_edit            302  200  403  403  403  200  404
plans:indicator_delete          302  200  403  403  403  200  404
plans:target_edit               302  200  403  403  403  200  404
plans:public_values             302  200  200  200  200  200  404
plans:plan_kind                 302  200  403  403  403  200  404
plans:public_value_create       302  200  403  403  403  200  404
plans:public_value_edit         302  200  403  403  403  200  404
plans:public_value_delete       302  200  403  403  403  200  404
plans:impact_indicator_create   302  200  403  403  403  200  404
plans:impact_indicator_edit     302  200  403  403  403  200  404
plans:impact_indicator_delete   302  200  403  403  403  200  404
plans:risk_measure_create       302  200  403  403  403  200  404
plans:risk_measure_delete       302  200  403  403  403  200  404
plans:piao_document             302  405  405  405  405  405  405
scores:units                    302  200  200  200  200  200  404
scores:risks                    302  200  200  200  200  200  404
scores:risk_flag                302  405  405  405  405  405  405
scores:risk_unflag              302  405  405  405  405  405  405
scores:monitoring_download      302  405  405  405  405  405  405
jobs:document                   302  200  200  200  200  200  404
jobs:document_file              302  200  200  200  200  200  404
consuntivi:index                302  200  200  200  200  200  200
consuntivi:round_create         302  405  405  405  405  405  405
consuntivi:year_close           302  200  403  403  403  200  404
consuntivi:round                302  200  302  302  200  200  404
consuntivi:round_close          302  405  405  405  405  405  405
consuntivi:round_reopen         302  405  405  405  405  405  405
consuntivi:round_remind         302  405  405  405  405  405  405
consuntivi:remind_job           302  200  403  403  403  200  404
consuntivi:round_import         302  200  403  403  403  200  404
consuntivi:mine                 302  403  200  200  403  403  403
consuntivi:review               302  200  403  403  200  200  404
consuntivi:unit_save            302  405  405  405  405  405  405
consuntivi:unit_accept          302  405  405  405  405  405  405
consuntivi:unit_sheet           302  200  200  403  403  200  404
consuntivi:preview              302  405  405  405  405  405  405
consuntivi:measurement_save     302  403  200  403  403  403  403
consuntivi:accept               302  405  405  405  405  405  405
consuntivi:return               302  405  405  405  405  405  405
consuntivi:manual               302  405  405  405  405  405  405
consuntivi:history              302  200  403  403  200  200  404
consuntivi:evidence             302  200  200  403  200  200  404
consuntivi:evidence_delete      302  405  405  405  405  405  405
reports:index                   302  200  200  200  200  200  200
reports:detail                  302  200  200  200  200  200  404
reports:edit                    302  200  403  403  403  200  404
reports:approve                 302  405  405  405  405  405  405
reports:validate                302  405  405  405  405  405  405
reports:reopen                  302  405  405  405  405  405  405
reports:render                  302  405  405  405  405  405  405
reports:job                     302  200  403  403  200  200  404
reports:pdf                     302  200  200  200  200  200  404
reports:draft_pdf               302  200  403  403  200  200  404
reports:history_pdf             302  200  403  403  200  200  404
reports:attachment              302  200  403  403  200  200  404
reports:document                302  200  403  403  200  200  404
reports:upload_signed           302  405  405  405  405  405  405
reports:papers                  302  200  403  403  200  403  404
reports:paper_note              302  405  405  405  405  405  405
reports:clarification_open      302  405  405  405  405  405  405
reports:clarification_answer    302  405  405  405  405  405  405
reports:clarification_follow_up 302  405  405  405  405  405  405
reports:clarification_close     302  405  405  405  405  405  405
reports:paper_document_add      302  405  405  405  405  405  405
reports:paper_document          302  403  403  403  200  403  403
reports:xlsx                    302  200  200  200  200  200  404
audit:index                     302  200  403  403  200  200  200
audit:export                    302  200  403  403  200  200  200
password_change                 302  200  200  200  200  200  200
password_change_done            302  200  200  200  200  200  200
""")

# POST to every view that writes, by every persona that may not: the answer, and nothing changes in the database.
# · = a persona allowed to write there (not posted: what it may do is the business of the other tests).
POST_REFUSED = _table("""
plans:create                    302   ·   403  403  403   ·    ·
plans:import                    302   ·   403  403  403   ·    ·
plans:import_confirm            302  404  403  403  403  404  404
plans:import_cancel             302  404  403  403  403  404  404
plans:adopt                     302   ·   403  403  403   ·   404
plans:copy                      302   ·   403  403  403   ·   404
plans:rules                     302   ·   403  403  403   ·   404
plans:weights_roots             302   ·   403  403  403   ·   404
plans:objective_create          302   ·   403  403  403   ·   404
plans:objective_create_child    302   ·   403  403  403   ·   404
plans:objective_edit            302   ·   403  403  403   ·   404
plans:objective_move            302   ·   403  403  403   ·   404
plans:objective_delete          302   ·   403  403  403   ·   404
plans:weights_children          302   ·   403  403  403   ·   404
plans:weights_indicators        302   ·   403  403  403   ·   404
plans:indicator_create          302   ·   403  403  403   ·   404
plans:catalogue_insert          302   ·   403  403  403   ·   404
plans:indicator_edit            302   ·   403  403  403   ·   404
plans:indicator_delete          302   ·   403  403  403   ·   404
plans:target_edit               302   ·   403  403  403   ·   404
plans:plan_kind                 302   ·   403  403  403   ·   404
plans:public_value_create       302   ·   403  403  403   ·   404
plans:public_value_edit         302   ·   403  403  403   ·   404
plans:public_value_delete       302   ·   403  403  403   ·   404
plans:impact_indicator_create   302   ·   403  403  403   ·   404
plans:impact_indicator_edit     302   ·   403  403  403   ·   404
plans:impact_indicator_delete   302   ·   403  403  403   ·   404
plans:risk_measure_create       302   ·   403  403  403   ·   404
plans:risk_measure_delete       302   ·   403  403  403   ·   404
consuntivi:round_create         302   ·   403  403  403   ·   404
consuntivi:year_close           302   ·   403  403  403   ·   404
consuntivi:round_close          302   ·   403  403  403   ·   404
consuntivi:round_reopen         302   ·   403  403  403   ·   404
consuntivi:round_remind         302   ·   403  403  403   ·   404
consuntivi:round_import         302   ·   403  403  403   ·   404
consuntivi:unit_save            302  403   ·   403  403  403  403
consuntivi:unit_accept          302   ·   403  403  403   ·   404
consuntivi:preview              302  403   ·   403  403  403  403
plans:piao_document             302   ·    ·    ·    ·    ·   404
scores:monitoring_download      302   ·    ·    ·    ·    ·   404
consuntivi:measurement_save     302  403   ·   403  403  403  403
consuntivi:accept               302   ·   403  403  403   ·   404
consuntivi:return               302   ·   403  403  403   ·   404
consuntivi:manual               302   ·   403  403  403   ·   404
consuntivi:evidence_delete      302  403   ·   403  403  403  403
scores:risk_flag                302  403   ·   403  403  403  403
scores:risk_unflag              302  403   ·   403  403  403  403
reports:edit                    302   ·   403  403  403   ·   404
reports:approve                 302   ·   403  403  403   ·   404
reports:validate                302  403  403  403   ·   403  403
reports:reopen                  302  403  403  403  403   ·   403
reports:render                  302   ·   403  403   ·    ·   404
reports:upload_signed           302  403  403  403   ·   403  403
reports:paper_note              302  403  403  403   ·   403  403
reports:clarification_open      302  403  403  403   ·   403  403
reports:clarification_answer    302   ·   403  403  403  403  404
reports:clarification_follow_up 302  403  403  403   ·   403  403
reports:clarification_close     302  403  403  403   ·   403  403
reports:paper_document_add      302  403  403  403   ·   403  403
""")

# What the database holds: a refused request must not change a single row of these.
WATCHED = (
    Plan,
    PublicValue,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
    Objective,
    Indicator,
    Target,
    Round,
    Measurement,
    MeasurementChange,
    Evidence,
    PlanRevision,
    PlanYear,
    PlanYearEvent,
    Relazione,
    RelazioneArtifact,
    Validation,
    OrgUnit,
    Job,
    PaperNote,
    ClarificationRequest,
    ClarificationMessage,
    PaperDocument,
    RiskFlag,
)


# --- the world: one plan, built once for the module --------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]  # persona → user (anon: None)
    relazione: Relazione  # 2017, validated
    round: Round  # 2018, open
    unit: OrgUnit  # U2, whose value is saved as a draft
    args: dict[str, dict[str, Any]]  # URL name → reverse() kwargs
    query: dict[str, str]  # URL name → query string of the GET
    posts: dict[str, dict[str, Any]]  # URL name → a POST that would change something, if the guard let it through


def _build() -> World:
    plan = entry_plan()
    who = people(plan)
    planner, head, other_head = who["planner"], who["head_u2"], who["head_u1"]
    elsewhere = Ente.objects.create(code="ALTRO", name="Camera di commercio di Altrove")
    users = {"anon": None, "P": planner, "H": head, "H2": other_head, "V": who["oiv"], "A": who["admin"]}
    users["X"] = make_user("pianificazione_altrove", Role.PLANNER, elsewhere)
    assert {persona: user_roles(user) if user else set() for persona, user in users.items()} == ROLES

    # The Relazione 2017, all the way: year closed, approved, preview, validated with the signed document.
    relazione = relazione_get_or_create(plan=plan, year=REPORT_YEAR)
    relazione_close_year(plan=plan, year=REPORT_YEAR, user=planner, confirmed=True)
    plan.act_text = "Delibera di Giunta n. 1 del 30/01/2017"
    plan.save(update_fields=["act_text"])
    add_bilancio(plan.ente, REPORT_YEAR)
    write_texts(relazione, planner)
    relazione.refresh_from_db()
    # The OIV's working papers, filled before the validation closes them: one request, one document.
    thread = clarification_open(
        relazione=relazione, subject="Fonte dei dati", text="Da dove viene il valore?", user=who["oiv"]
    )
    paper = paper_document_add(
        relazione=relazione, title="Verbale", upload=SimpleUploadedFile("verbale.pdf", PDF), user=who["oiv"]
    )
    relazione.refresh_from_db()
    relazione_approve(
        relazione=relazione, organ="Giunta camerale", number="45", date=dt.date(2018, 6, 20), user=planner
    )
    # The preview of the approved text (a preview of the draft is dropped at approval: it says «BOZZA»).
    draft_job = job_start(kind=JobKind.RELAZIONE_DRAFT, user=planner, plan=plan, year=REPORT_YEAR)  # run at once
    piao_job = document_job_start(kind=JobKind.PLAN_DOCUMENT, user=planner, plan=plan, year=REPORT_YEAR, fmt="docx")
    assert piao_job.state == JobState.DONE and piao_job.file, piao_job.error
    assert draft_job.state == JobState.DONE, draft_job.error
    signed = validation_input(attachment=PDF, attachment_name="validazione-firmata.pdf")
    relazione_validate(relazione=relazione, data=signed, user=who["oiv"])
    final = RelazioneArtifact.objects.get(relazione=relazione, kind=ArtifactKind.FINAL)

    # The 2018 round: U2 has saved its value, with an attachment, as a draft.
    rnd = open_round(plan, planner, year=ROUND_YEAR)
    events = indicator(plan, "Eventi organizzati")
    unit = who["units"]["U2"]
    typed = entry(events, "11", note="Due eventi rinviati al 2019", files=[SimpleUploadedFile("registro.pdf", PDF)])
    assert measurements_save(data_round=rnd, user=head, entries=[typed]).ok
    measurement = Measurement.objects.get(round=rnd, indicator=events)
    risk_flag_set(data_round=rnd, indicator_id=events.pk, user=head, reason="Sala convegni in restauro")
    for user in (head, other_head):
        user.email = f"{user.username}@example.it"
        user.save(update_fields=["email"])
    evidence = Evidence.objects.get(measurement=measurement)
    objective = Objective.objects.get(plan=plan, code="101")  # children and indicators of its own
    # An import and the reminders, as their jobs left them (the rows alone: no file to import, no e-mail sent).
    import_job = Job.objects.create(
        kind=JobKind.PLAN_IMPORT, owner=planner, ente=plan.ente, state=JobState.DONE, result={"ok": True}
    )
    remind_job = Job.objects.create(
        kind=JobKind.ROUND_REMIND, owner=planner, ente=plan.ente, plan=plan, round=rnd, state=JobState.DONE
    )

    # PIAO section 2: an impatto with one indicator, and a reference to a measure of 2.3.
    impatto = PublicValue.objects.create(plan=plan, code="VP1", title="Imprese più digitali")
    impatto.objectives.set([objective])
    impact_indicator = PublicValueIndicator.objects.create(public_value=impatto, name="Pratiche online")
    measure = RiskMeasureLink.objects.create(plan=plan, code="M1", title="Rotazione del personale")

    plan_ = {"plan_id": plan.pk}
    public_value_ = {**plan_, "public_value_id": impatto.pk}
    impact_ = {**plan_, "indicator_id": impact_indicator.pk}
    objective_ = {**plan_, "objective_id": objective.pk}
    indicator_ = {**plan_, "indicator_id": events.pk}
    round_ = {"round_id": rnd.pk}
    unit_ = {**round_, "unit_id": unit.pk}
    value_ = {**round_, "indicator_id": events.pk}
    evidence_ = {"evidence_id": evidence.pk}
    report_ = {**plan_, "year": REPORT_YEAR}
    token_ = {"token": "gettone-di-un-altra-sessione"}
    args = {
        "home": {},
        "password_change": {},
        "password_change_done": {},
        "plans:create": {},
        "plans:template": {},
        "plans:target_preview": {},
        "plans:import": {},
        "plans:import_preview": token_,
        "plans:import_analysis": token_,
        "plans:import_confirm": token_,
        "plans:import_cancel": token_,
        "plans:import_job": {"job_id": import_job.pk},
        "plans:detail": plan_,
        "plans:print": plan_,
        "plans:export": plan_,
        "plans:revisions": plan_,
        "plans:why": {**plan_, "kind": "indicatore", "pk": events.pk},
        "plans:adopt": plan_,
        "plans:copy": plan_,
        "plans:rules": plan_,
        "plans:weights_roots": plan_,
        "plans:objective_create": plan_,
        "plans:objective_create_child": {**plan_, "parent_id": objective.pk},
        "plans:objective": objective_,
        "plans:objective_children": objective_,
        "plans:objective_edit": objective_,
        "plans:objective_move": objective_,
        "plans:objective_delete": objective_,
        "plans:weights_children": objective_,
        "plans:weights_indicators": objective_,
        "plans:indicator_create": objective_,
        "plans:catalogue_insert": objective_,
        "plans:catalogue_values": plan_,
        "plans:indicator_edit": indicator_,
        "plans:indicator_delete": indicator_,
        "plans:target_edit": {**indicator_, "year": ROUND_YEAR},
        "plans:public_values": plan_,
        "plans:plan_kind": plan_,
        "plans:public_value_create": plan_,
        "plans:public_value_edit": public_value_,
        "plans:public_value_delete": public_value_,
        "plans:impact_indicator_create": public_value_,
        "plans:impact_indicator_edit": impact_,
        "plans:impact_indicator_delete": impact_,
        "plans:risk_measure_create": plan_,
        "plans:risk_measure_delete": {**plan_, "measure_id": measure.pk},
        "plans:piao_document": {**plan_, "year": REPORT_YEAR, "fmt": "docx"},
        "scores:units": plan_,
        "scores:risks": plan_,
        "scores:risk_flag": {**plan_, "round_id": rnd.pk},
        "scores:risk_unflag": {**plan_, "round_id": rnd.pk, "indicator_id": events.pk},
        "scores:monitoring_download": {**plan_, "round_id": rnd.pk, "fmt": "docx"},
        "consuntivi:index": {},
        "consuntivi:round_create": plan_,
        "consuntivi:year_close": {**plan_, "year": ROUND_YEAR},
        "consuntivi:round": round_,
        "consuntivi:round_close": round_,
        "consuntivi:round_reopen": round_,
        "consuntivi:round_remind": round_,
        "consuntivi:remind_job": {**round_, "job_id": remind_job.pk},
        "consuntivi:round_import": round_,
        "consuntivi:mine": round_,
        "consuntivi:review": unit_,
        "consuntivi:unit_save": unit_,
        "consuntivi:unit_accept": unit_,
        "consuntivi:unit_sheet": unit_,
        "consuntivi:preview": value_,
        "consuntivi:measurement_save": value_,
        "consuntivi:accept": value_,
        "consuntivi:return": value_,
        "consuntivi:manual": value_,
        "consuntivi:history": value_,
        "consuntivi:evidence": evidence_,
        "consuntivi:evidence_delete": evidence_,
        "reports:index": {},
        "audit:index": {},
        "audit:export": {},
        "reports:history_pdf": {**report_, "artifact_id": final.pk},
        "reports:job": {**report_, "job_id": draft_job.pk},
        "jobs:document": {"job_id": piao_job.pk},
        "jobs:document_file": {"job_id": piao_job.pk},
        **{f"reports:{view}": report_ for view in ("detail", "edit", "approve", "validate", "reopen")},
        **{f"reports:{view}": report_ for view in ("render", "pdf", "draft_pdf", "attachment", "xlsx")},
        **{f"reports:{view}": report_ for view in ("document", "upload_signed")},
        **{f"reports:{view}": report_ for view in ("papers", "paper_note", "clarification_open", "paper_document_add")},
        **{
            f"reports:clarification_{view}": {**report_, "request_id": thread.pk}
            for view in ("answer", "follow_up", "close")
        },
        "reports:paper_document": {**report_, "document_id": paper.pk},
    }
    query = {"plans:why": f"anno={ROUND_YEAR}", "plans:target_preview": "raw=%3E%3D+12&anno=2018"}

    changed = "Testo che nessuno dei rifiutati può scrivere"
    kind = {"kind": "organizational"}
    targets = {"target_2018": ">= 12", "baseline_raw": "8"}
    sheet = workbook_bytes({"Consuntivi": [CONSUNTIVI, ["1011.02", "", events.name, ROUND_YEAR, "14", None, None, ""]]})
    posts = {
        "plans:create": {"title": "Piano della performance 2020-2022", "start_year": 2020, "end_year": 2022},
        "plans:import": {"file": SimpleUploadedFile("piano.xlsx", workbook_bytes().getvalue())},
        "plans:adopt": {"organ": "Giunta camerale", "number": "7", "date": "30/01/2017"},
        "plans:rules": {"missing_policy": "zero", "achieved_threshold": "90", "partial_threshold": "50"},
        "plans:objective_create": {"code": "9", "level": "area", "title": changed, "kind": "organizational"},
        "plans:objective_create_child": {"code": "101.9", "level": "operational", "title": changed, **kind},
        "plans:objective_edit": {"code": "101", "level": objective.level, "title": changed, **kind},
        "plans:objective_move": {"direzione": "giu"},
        "plans:objective_delete": {"reason": changed},
        "plans:weights_roots": {"reason": changed},
        "plans:weights_children": {"reason": changed},
        "plans:weights_indicators": {"reason": changed},
        "plans:indicator_create": {"name": changed, "polarity": "higher_better"},
        "plans:catalogue_insert": {"entry": "1", "reason": changed},
        "plans:indicator_edit": {"name": changed, "polarity": "higher_better", "target_2017": ">= 10", **targets},
        "plans:indicator_delete": {"reason": changed},
        "plans:target_edit": {"raw": ">= 99", "reason": changed},
        "plans:plan_kind": {"kind": "piao", "reason": changed},
        "plans:public_value_create": {"code": "VP9", "title": changed, "dimensions": ["digitalizzazione"]},
        "plans:public_value_edit": {"code": "VP1", "title": changed},
        "plans:public_value_delete": {"reason": changed},
        "plans:impact_indicator_create": {"name": changed, "target_2018": ">= 3", "reason": changed},
        "plans:impact_indicator_edit": {"name": changed, "reason": changed},
        "plans:impact_indicator_delete": {"reason": changed},
        "plans:risk_measure_create": {"code": "M9", "title": changed, "reason": changed},
        "plans:risk_measure_delete": {"reason": changed},
        "plans:import_confirm": {"reason": changed},
        "consuntivi:round_create": {f"p{plan.pk}-year": 2019, f"p{plan.pk}-period": "annual"},
        "consuntivi:year_close": {"conferma": "1"},
        "consuntivi:round_reopen": {"reason": changed},
        "consuntivi:round_import": {"file": SimpleUploadedFile("consuntivi.xlsx", sheet.getvalue())},
        "consuntivi:unit_save": {
            f"m{events.pk}-version": measurement.version,
            f"m{events.pk}-value": "15",
            f"m{events.pk}-note": changed,
            "invia": "1",
        },
        "consuntivi:preview": {f"m{events.pk}-version": measurement.version, f"m{events.pk}-value": "15"},
        "consuntivi:measurement_save": {
            f"m{events.pk}-version": measurement.version,
            f"m{events.pk}-value": "16",
            f"m{events.pk}-note": changed,
        },
        "consuntivi:return": {"comment": changed},
        "scores:risk_flag": {"indicator": events.pk, "reason": changed},
        "scores:risk_unflag": {},
        "consuntivi:manual": {"achievement": "80", "reason": changed, "version": measurement.version},
        "reports:edit": {"section": "testi", "text-premessa": changed},
        "reports:approve": {"organ": "Giunta camerale", "number": "46", "date": "2018-06-21"},
        "reports:validate": {"date": "2018-06-28", "outcome": "non_validata", "text": changed, "members": "OIV"},
        "reports:reopen": {"reason": changed},
        "reports:upload_signed": {"signed": SimpleUploadedFile("firmato.pdf", b"%PDF-1.7\n%%EOF\n")},
        "reports:paper_note": {"topic": "sezione:s1", "text": changed},
        "reports:clarification_open": {"subject": changed, "text": changed},
        "reports:clarification_answer": {"text": changed},
        "reports:clarification_follow_up": {"text": changed},
        "reports:clarification_close": {},
        "reports:paper_document_add": {"title": changed, "file": SimpleUploadedFile("nota.pdf", PDF)},
    }
    return World(users=users, relazione=relazione, round=rnd, unit=unit, args=args, query=query, posts=posts)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def _client(world: World, persona: str) -> Client:
    client = Client()
    if world.users[persona] is not None:
        client.force_login(world.users[persona])
    return client


def _url(world: World, name: str) -> str:
    return reverse(name, kwargs=world.args[name])


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Each watched table: its row count and a hash of every row, in primary-key order."""
    prints = {}
    for model in WATCHED:
        rows = list(model.objects.order_by("pk").values_list())
        prints[model.__name__] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return prints


# --- every view is in the table ----------------------------------------------------------------------------------


def _views(patterns, prefix: str = ""):
    """(URL name, view callback) of every URL outside the admin, includes too."""
    for entry_ in patterns:
        if isinstance(entry_, URLResolver):
            if entry_.namespace == "admin":
                continue
            namespace = f"{prefix}{entry_.namespace}:" if entry_.namespace else prefix
            yield from _views(entry_.url_patterns, namespace)
        elif isinstance(entry_, URLPattern):
            yield f"{prefix}{entry_.name}", entry_.callback


def test_every_view_needs_an_action_of_the_permissions_table_or_is_public():
    missing = []
    for name, view in _views(get_resolver().url_patterns):
        action = getattr(view, "required_action", None)
        if name in PUBLIC:
            assert action is None and getattr(view, "login_required", True) is False, name
        elif action not in PERMISSIONS:
            missing.append(name)
    assert missing == [], f"views without @permission_required: {missing}"


def test_the_matrix_lists_every_url_of_the_apps():
    names = {name for name, _ in _views(get_resolver().url_patterns)} - PUBLIC
    assert set(GET) == names
    assert {name for name, row in GET.items() if row["P"] == 405} <= set(POST_REFUSED) <= names  # POST-only views


# Where a role with the view's action is still refused: the Responsabile outside the units they lead (403), another
# ente's objects and import tokens of another session (404). Everything else follows from PERMISSIONS alone.
LED_UNITS = {
    "consuntivi:unit_save",
    "consuntivi:preview",
    "consuntivi:measurement_save",
    "consuntivi:unit_sheet",
    "consuntivi:evidence",
    "consuntivi:evidence_delete",
    "scores:risk_flag",
    "scores:risk_unflag",
}
TOKENS = {"plans:import_preview", "plans:import_analysis", "plans:import_confirm", "plans:import_cancel"}


def test_the_expected_statuses_follow_the_permissions_table():
    views = dict(_views(get_resolver().url_patterns))
    for table, method in ((GET, "GET"), (POST_REFUSED, "POST")):
        for name, row in table.items():
            allowed = PERMISSIONS[views[name].required_action][0]
            for persona, status in row.items():
                cell = f"{method} {name} {persona}: {status}"
                if persona == "anon":
                    assert status == 302, cell
                elif not ROLES[persona] & allowed:
                    assert status in ((403, 405) if method == "GET" else (403,)), cell
                elif status == 403:
                    assert persona == "H2" and name in LED_UNITS, cell
                elif status == 404:
                    assert persona == "X" or name in TOKENS, cell
                elif method == "POST":
                    assert status is None, cell


def _ready_to_write(world: World, name: str) -> None:
    """Put the world where the write would go through if the guard let it (inside the test's savepoint)."""
    planner, admin, head = world.users["P"], world.users["A"], world.users["H"]
    relazione, rnd = Relazione.objects.get(pk=world.relazione.pk), Round.objects.get(pk=world.round.pk)
    if name != "reports:reopen":  # a validated year refuses most writes by itself
        relazione_reopen(relazione=relazione, reason="Rettifica dei dati 2017", user=admin)
    if name == "reports:close_year":
        closed = plan_year_get(plan=relazione.plan, year=REPORT_YEAR)
        plan_year_transition(plan_year=closed, to_state=YearState.MONITORING, user=planner, reason="Valori da rivedere")
    if name == "reports:validate":
        relazione_approve(
            relazione=relazione, organ="Giunta camerale", number="46", date=dt.date(2018, 7, 2), user=planner
        )
    if name in ("consuntivi:unit_accept", "consuntivi:accept", "consuntivi:return"):
        assert unit_submit(data_round=rnd, unit_id=world.unit.pk, user=head).ok
    if name == "consuntivi:round_reopen":
        round_close(data_round=rnd, user=planner, confirmed=True)


# --- the matrix ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "persona"), [(name, persona) for name in GET for persona in PERSONAS])
def test_every_url_answers_every_persona_as_the_table_says(world, db, name, persona):
    url = _url(world, name)
    query = world.query.get(name)
    response = _client(world, persona).get(f"{url}?{query}" if query else url)
    if response.streaming:  # read to the end: the test client then closes the file without closing the connection
        b"".join(response.streaming_content)
    assert response.status_code == GET[name][persona]
    if response.status_code == 302 and persona == "anon":
        assert response.url.startswith(f"{reverse('login')}?next={url}")
    elif response.status_code == 302:
        assert response.url == reverse("consuntivi:mine", kwargs=world.args[name])


@pytest.mark.parametrize(
    ("name", "persona"),
    [(name, persona) for name, row in POST_REFUSED.items() for persona, status in row.items() if status is not None],
)
def test_a_refused_post_changes_nothing_in_the_database(world, db, mailoutbox, name, persona):
    _ready_to_write(world, name)
    data = world.posts.get(name, {})
    for value in data.values():
        if hasattr(value, "seek"):
            value.seek(0)
    before = _fingerprint()
    response = _client(world, persona).post(_url(world, name), data)
    assert response.status_code == POST_REFUSED[name][persona]
    assert _fingerprint() == before
    assert mailoutbox == []


# --- the home page of each role -----------------------------------------------------------------------------------

HOME_SECTIONS = {
    "P": ["Stato dei piani", "Rilevazioni in corso", "Relazioni da preparare"],
    "H": ["Consuntivi da inserire", "Eventi organizzati"],
    "H2": ["Consuntivi da inserire"],
    "V": ["Relazioni da validare"],
    "A": ["Da sistemare nell", "Stato dei piani"],
    "X": ["Stato dei piani", "Nessun piano"],  # a planner of another ente: nothing of this one
}
OTHER_SECTIONS = {"Stato dei piani", "Consuntivi da inserire", "Relazioni da validare", "Da sistemare nell"}


@pytest.mark.parametrize("persona", list(HOME_SECTIONS))
def test_every_role_reaches_its_own_home_and_no_other(world, db, persona):
    page = _client(world, persona).get(reverse("home")).content.decode()
    for section in HOME_SECTIONS[persona]:
        assert section in page, (persona, section)
    for section in OTHER_SECTIONS - set(HOME_SECTIONS[persona]):
        assert section not in page, (persona, section)
    if persona in ("H2", "X"):  # U2's value is not the business of U1's head, nor of another ente
        assert "Eventi organizzati" not in page
    if persona == "X":
        assert world.relazione.plan.title not in page


# --- public views, the login ---------------------------------------------------------------------------------------


def test_only_the_login_and_logout_views_the_icon_and_the_health_check_are_public(client, db):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("health")).json() == {"status": "ok", "database": "ok", "jobs": "ok"}
    assert client.get("/admin/login/").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon.url.endswith("/static/favicon.svg")
    assert client.get("/admin/").url == "/admin/login/?next=/admin/"  # the admin guards itself
    assert client.post(reverse("logout")).url == reverse("login")


def test_a_refusal_says_in_italian_what_the_role_may_not_do(world, db):
    response = _client(world, "V").get(_url(world, "plans:adopt"))
    assert response.status_code == 403
    assert PERMISSIONS[Action.PLAN_EDIT][1] in response.content.decode()


# --- the README ----------------------------------------------------------------------------------------------------


def test_the_readme_roles_table_is_the_permissions_table():
    header = "| azione | Pianificazione | Responsabile | OIV | Amministratore |"
    rows = [
        "| " + " | ".join([label, *("✔" if role in roles else "" for role in Role.ALL)]) + " |"
        for label, roles in roles_table()
    ]
    text = README.read_text()
    lines = text[text.index(header) :].splitlines()
    assert lines[2 : 2 + len(rows)] == rows
    scopes = lines[2 + len(rows) : lines.index("", 2)]  # then one line per scope (SCOPES), to the end of the table
    assert [line.split(" | ")[0] for line in scopes] == [
        "| *limite*: solo i piani e i dati del proprio ente",
        "| *limite*: solo i consuntivi delle unità che guida e delle loro sottounità",
    ]
    assert len(scopes) == len(SCOPES)
