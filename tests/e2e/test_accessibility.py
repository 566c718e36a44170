"""Accessibility in CI (issue 15, item 8): axe-core (npm, node_modules/axe-core; never served to users) runs in
Chromium on every page each role reaches, the Django admin included, at 1366×900 and the main pages at 390×844.
No critical or serious violation is allowed; a failure prints the rule, the element and axe's help.

The pages come from the URL conf: every named URL of the apps is either visited here (PAGES) or listed in SKIPPED
with the reason (a download, a POST-only action, an htmx fragment shown inside a page visited here), and
`test_every_named_url_is_checked_by_axe_or_skipped_with_a_reason` fails when a new URL is in neither. The admin's
pages are read from the admin site's registry: every registered model's changelist and the change form of its
first row, all the pages of the models an administrator works with. Of a long table only the first rows are checked
(ROWS): the others come from the same template.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from consuntivi.models import MeasurementChange, Round
from jobs.models import Job, JobKind, JobState
from perfplan.demo import DEMO_USERS
from plans.models import (
    Level,
    Objective,
    Plan,
    PlanState,
    PublicValue,
    PublicValueIndicator,
    PublicValueTarget,
    RiskMeasureLink,
)
from tests.e2e.conftest import log_in
from tests.e2e.test_csp_pages import Session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
FAILING = ("critical", "serious")

# Named URLs not opened here, with the reason. Everything else is in PAGES.
SKIPPED = {
    "login": "opened by every role's log_in before the session starts: checked in test_the_login_page",
    "logout": "POST only",
    "favicon": "an image",
    "health": "JSON for monitors",
    "plans:template": "a workbook download",
    "plans:export": "a workbook download",
    "plans:target_preview": "htmx fragment of the target forms (target_edit, indicator_edit are checked)",
    "plans:why": "htmx fragment of «perché?», opened inside the plan page here",
    "plans:objective_children": "htmx fragment: a node's rows, fetched inside the plan page in test_plan_lazy.py",
    "plans:import_confirm": "POST only",
    "plans:import_cancel": "POST only",
    "consuntivi:round_create": "POST only",
    "consuntivi:round_close": "POST only",
    "consuntivi:round_reopen": "POST only",
    "consuntivi:round_remind": "POST only",
    "consuntivi:unit_save": "POST only",
    "consuntivi:unit_accept": "POST only",
    "consuntivi:unit_sheet": "a workbook download",
    "consuntivi:preview": "POST only (htmx)",
    "consuntivi:measurement_save": "htmx fragment: one row of «I miei indicatori», checked in that page",
    "consuntivi:accept": "POST only",
    "consuntivi:return": "POST only",
    "consuntivi:manual": "POST only",
    "consuntivi:evidence": "a file download",
    "consuntivi:evidence_delete": "POST only",
    "reports:approve": "POST only",
    "reports:validate": "POST only",
    "reports:reopen": "POST only",
    "reports:render": "POST only",
    "reports:pdf": "a PDF",
    "reports:draft_pdf": "a PDF",
    "reports:history_pdf": "a PDF",
    "reports:attachment": "a PDF",
    "reports:document": "a PDF",
    "reports:upload_signed": "POST only",
    "reports:xlsx": "a workbook download",
    "audit:export": "a workbook download",
    "plans:catalogue_values": "a workbook download",
    "plans:piao_document": "POST only (htmx: the job's fragment, checked on jobs:document)",
    "jobs:document_file": "a PDF or a DOCX",
    "reports:paper_note": "POST only",
    "reports:clarification_open": "POST only",
    "reports:clarification_answer": "POST only",
    "reports:clarification_follow_up": "POST only",
    "reports:clarification_close": "POST only",
    "reports:paper_document_add": "POST only",
    "reports:paper_document": "a file download",
    "scores:risk_flag": "POST only",
    "scores:risk_unflag": "POST only",
    "scores:monitoring_download": "POST only (htmx: the job's fragment, checked on jobs:document)",
}

PLANNER, HEAD, OIV, ADMIN = "pianificazione", "responsabile", "oiv", "admin"


@dataclass
class Ids:
    """The demo's objects each page needs (all 1 for the URL-conf check, which only resolves the URLs)."""

    plan: int = 1
    draft: int = 1
    area: int = 1
    operational: int = 1
    indicator: int = 1
    round: int = 1
    unit: int = 1
    history: int = 1  # an indicator with a history of changes in the round
    import_job: int = 1
    remind_job: int = 1
    report_job: int = 1
    document_job: int = 1
    public_value: int = 1  # an impatto (Valore pubblico) of the plan, with an indicator and a 2.3 reference
    impact_indicator: int = 1
    risk_measure: int = 1
    year: int = 2017


# URL name → (roles that open it, its URL). Role-independent pages are opened by every role.
ALL = (PLANNER, HEAD, OIV, ADMIN)
PAGES: dict[str, tuple[tuple[str, ...], Callable[[Ids], str]]] = {
    "home": (ALL, lambda i: reverse("home")),
    "password_change": (ALL, lambda i: reverse("password_change")),
    "password_change_done": ((HEAD,), lambda i: reverse("password_change_done")),
    "plans:create": ((PLANNER,), lambda i: reverse("plans:create")),
    "plans:import": ((PLANNER,), lambda i: reverse("plans:import")),
    "plans:import_preview": ((PLANNER,), lambda i: "upload"),  # reached by uploading a workbook, see _import
    "plans:import_analysis": ((PLANNER,), lambda i: "upload"),  # the preview's htmx part, loaded by it
    "plans:import_job": ((PLANNER,), lambda i: reverse("plans:import_job", args=[i.import_job])),
    "plans:detail": (ALL, lambda i: reverse("plans:detail", args=[i.plan])),
    "plans:print": ((PLANNER,), lambda i: reverse("plans:print", args=[i.plan])),
    "plans:revisions": ((PLANNER, OIV), lambda i: reverse("plans:revisions", args=[i.plan])),
    "plans:adopt": ((PLANNER,), lambda i: reverse("plans:adopt", args=[i.draft])),
    "plans:copy": ((PLANNER,), lambda i: reverse("plans:copy", args=[i.plan])),
    "plans:rules": ((PLANNER,), lambda i: reverse("plans:rules", args=[i.plan])),
    "plans:weights_roots": ((PLANNER,), lambda i: reverse("plans:weights_roots", args=[i.plan])),
    "plans:objective_create": ((PLANNER,), lambda i: reverse("plans:objective_create", args=[i.plan])),
    "plans:objective_create_child": (
        (PLANNER,),
        lambda i: reverse("plans:objective_create_child", args=[i.plan, i.area]),
    ),
    "plans:objective": ((PLANNER, HEAD), lambda i: reverse("plans:objective", args=[i.plan, i.operational])),
    "plans:objective_edit": ((PLANNER,), lambda i: reverse("plans:objective_edit", args=[i.plan, i.operational])),
    "plans:objective_move": ((PLANNER,), lambda i: reverse("plans:objective_move", args=[i.plan, i.operational])),
    "plans:objective_delete": ((PLANNER,), lambda i: reverse("plans:objective_delete", args=[i.plan, i.operational])),
    "plans:weights_children": ((PLANNER,), lambda i: reverse("plans:weights_children", args=[i.plan, i.area])),
    "plans:weights_indicators": (
        (PLANNER,),
        lambda i: reverse("plans:weights_indicators", args=[i.plan, i.operational]),
    ),
    "plans:indicator_create": ((PLANNER,), lambda i: reverse("plans:indicator_create", args=[i.plan, i.operational])),
    "plans:indicator_edit": ((PLANNER,), lambda i: reverse("plans:indicator_edit", args=[i.plan, i.indicator])),
    "plans:indicator_delete": ((PLANNER,), lambda i: reverse("plans:indicator_delete", args=[i.plan, i.indicator])),
    "plans:target_edit": ((PLANNER,), lambda i: reverse("plans:target_edit", args=[i.plan, i.indicator, i.year])),
    "scores:units": (ALL, lambda i: reverse("scores:units", args=[i.plan])),
    "consuntivi:index": (ALL, lambda i: reverse("consuntivi:index")),
    "consuntivi:year_close": ((PLANNER,), lambda i: reverse("consuntivi:year_close", args=[i.plan, i.year])),
    "consuntivi:round": ((PLANNER, OIV), lambda i: reverse("consuntivi:round", args=[i.round])),
    "consuntivi:remind_job": ((PLANNER,), lambda i: reverse("consuntivi:remind_job", args=[i.round, i.remind_job])),
    "consuntivi:round_import": ((PLANNER,), lambda i: reverse("consuntivi:round_import", args=[i.round])),
    "consuntivi:mine": ((HEAD,), lambda i: reverse("consuntivi:mine", args=[i.round])),
    "consuntivi:review": ((PLANNER, OIV), lambda i: reverse("consuntivi:review", args=[i.round, i.unit])),
    "consuntivi:history": ((PLANNER,), lambda i: reverse("consuntivi:history", args=[i.round, i.history])),
    "reports:index": (ALL, lambda i: reverse("reports:index")),
    "reports:detail": (ALL, lambda i: reverse("reports:detail", args=[i.plan, i.year])),
    "reports:edit": ((PLANNER,), lambda i: reverse("reports:edit", args=[i.plan, i.year])),
    "reports:job": ((PLANNER,), lambda i: reverse("reports:job", args=[i.plan, i.year, i.report_job])),
    "jobs:document": ((PLANNER,), lambda i: reverse("jobs:document", args=[i.document_job])),
    "audit:index": ((PLANNER, OIV, ADMIN), lambda i: reverse("audit:index")),
    "plans:catalogue_insert": (
        (PLANNER,),
        lambda i: reverse("plans:catalogue_insert", args=[i.plan, i.operational]),
    ),
    "plans:public_values": (ALL, lambda i: reverse("plans:public_values", args=[i.plan])),
    "plans:plan_kind": ((PLANNER,), lambda i: reverse("plans:plan_kind", args=[i.plan])),
    "plans:public_value_create": ((PLANNER,), lambda i: reverse("plans:public_value_create", args=[i.plan])),
    "plans:public_value_edit": (
        (PLANNER,),
        lambda i: reverse("plans:public_value_edit", args=[i.plan, i.public_value]),
    ),
    "plans:public_value_delete": (
        (PLANNER,),
        lambda i: reverse("plans:public_value_delete", args=[i.plan, i.public_value]),
    ),
    "plans:impact_indicator_create": (
        (PLANNER,),
        lambda i: reverse("plans:impact_indicator_create", args=[i.plan, i.public_value]),
    ),
    "plans:impact_indicator_edit": (
        (PLANNER,),
        lambda i: reverse("plans:impact_indicator_edit", args=[i.plan, i.impact_indicator]),
    ),
    "plans:impact_indicator_delete": (
        (PLANNER,),
        lambda i: reverse("plans:impact_indicator_delete", args=[i.plan, i.impact_indicator]),
    ),
    "plans:risk_measure_create": ((PLANNER,), lambda i: reverse("plans:risk_measure_create", args=[i.plan])),
    "plans:risk_measure_delete": (
        (PLANNER,),
        lambda i: reverse("plans:risk_measure_delete", args=[i.plan, i.risk_measure]),
    ),
    "reports:papers": ((PLANNER, OIV), lambda i: reverse("reports:papers", args=[i.plan, i.year])),
    "scores:risks": (ALL, lambda i: reverse("scores:risks", args=[i.plan])),
}
# Also at 390×844: each role's main pages.
PHONE_PAGES = {
    PLANNER: ("home", "plans:detail", "consuntivi:round", "plans:indicator_edit", "reports:detail"),
    HEAD: ("home", "consuntivi:mine", "plans:detail"),
    OIV: ("home", "reports:detail", "scores:units"),
    ADMIN: ("home",),
}
# The admin models an administrator works with: every page of theirs (add form, history, …), not only the lists.
ADMIN_MAIN = {"auth.user", "auth.group", "plans.orgunit", "plans.ente", "plans.profile", "plans.plan"}


def _names(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _names(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}"


def test_every_named_url_is_checked_by_axe_or_skipped_with_a_reason():
    names = set(_names(get_resolver().url_patterns))
    assert sorted(names - set(PAGES) - set(SKIPPED)) == [], "URL senza controllo di accessibilità"
    assert sorted((set(PAGES) | set(SKIPPED)) - names) == [], "URL che non esistono più"
    assert set(PAGES).isdisjoint(SKIPPED)
    ids = Ids()
    for name, (_, url) in PAGES.items():
        if url(ids) != "upload":
            assert resolve(url(ids)).view_name == name, name


# --- axe ------------------------------------------------------------------------------------------------------------

# The first rows of each table (whatever its tbody groups) and of each long list: the others come from the same
# template, and axe on the 800 rows of the demo plan's tree or the 5,000 cells of the Relazione takes half a minute.
# The rest are taken out of the page before axe runs (excluding them from axe's context is not enough: it still builds
# its tree of the whole page).
ROWS = 30
LONG = [f".entry-row:nth-of-type(n+{ROWS + 1})", "ul > li:nth-child(n+61)"]
RUN_AXE = """async ([rows, long]) => {
  document.querySelectorAll("table").forEach(table => {
    Array.from(table.querySelectorAll(":scope > tbody > tr")).slice(rows).forEach(tr => tr.remove());
    Array.from(table.tBodies).filter(body => !body.rows.length).forEach(body => body.remove());
  });
  long.forEach(selector => document.querySelectorAll(selector).forEach(el => el.remove()));
  const context = document;
  const result = await window.axe.run(context, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "critical" || v.impact === "serious").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n")[1])
  }));
}"""


class Checker:
    """One role's browser context with axe loaded in every page (an init script: the page's CSP does not apply)."""

    def __init__(self, browser, base_url: str, role: str):
        self.session = Session(browser, base_url)
        self.session.context.add_init_script(path=str(AXE))
        self.page = self.session.page
        self.role = role
        self.violations: list[str] = []
        self.checked = 0
        self.timings: list[tuple[float, str]] = []

    def axe(self, label: str) -> None:
        self.page.wait_for_load_state("load")
        self.checked += 1
        started = time.perf_counter()
        found = self.page.evaluate(RUN_AXE, [ROWS, LONG])
        self.timings.append((time.perf_counter() - started, f"{self.role} {label}"))
        for v in found:
            nodes = "\n      ".join(v["nodes"])
            self.violations.append(f"{self.role} {label} [{v['impact']}] {v['id']}: {v['help']}\n      {nodes}")

    def visit(self, url: str, status: int = 200, label: str = "") -> None:
        response = self.page.goto(url)
        assert response.status == status, f"{self.role} {url}: {response.status}"
        self.axe(label or url)


def _ids() -> Ids:
    plan = Plan.objects.get(title="Piano della performance 2017-2019")
    draft = Plan.objects.create(ente=plan.ente, title="Piano 2020-2022 in preparazione", start_year=2020, end_year=2022)
    assert draft.state == PlanState.DRAFT
    rnd = Round.objects.get(plan=plan, year=2017, final=True)
    operational = Objective.objects.filter(plan=plan, level=Level.OPERATIONAL, org_unit__isnull=False)
    operational = operational.filter(indicators__isnull=False).order_by("position", "pk").first()
    change = MeasurementChange.objects.filter(measurement__round=rnd).order_by("pk").first()
    planner = get_user_model().objects.get(username=PLANNER)

    # The Modena demo has no Valore pubblico (the Ravenna-Ferrara PIAO has, another ente): one impatto for its pages.
    public_value = PublicValue.objects.create(plan=plan, code="VP1", title="Impatto di prova", position=1)
    public_value.objectives.set(Objective.objects.filter(plan=plan, level=Level.STRATEGIC)[:1])
    impact = PublicValueIndicator.objects.create(public_value=public_value, code="VP1.1", name="Indicatore di prova")
    PublicValueTarget.objects.create(indicator=impact, year=2017, raw=">= 80 %")
    measure = RiskMeasureLink.objects.create(plan=plan, code="M01", title="Misura di prova", position=1)

    def job(kind: str, **fields) -> int:
        return Job.objects.create(kind=kind, state=JobState.DONE, owner=planner, ente=plan.ente, **fields).pk

    return Ids(
        plan=plan.pk,
        draft=draft.pk,
        area=Objective.objects.filter(plan=plan, level=Level.AREA).order_by("position").first().pk,
        operational=operational.pk,
        indicator=operational.indicators.order_by("position").first().pk,
        round=rnd.pk,
        unit=operational.org_unit_id,
        history=change.measurement.indicator_id,
        import_job=job(JobKind.PLAN_IMPORT, result={}),
        remind_job=job(JobKind.ROUND_REMIND, plan=plan, round=rnd, result={}),
        report_job=job(JobKind.RELAZIONE_DRAFT, plan=plan, year=2017),
        document_job=job(  # done: its link, on its page and in the list of the PIAO page
            JobKind.PLAN_DOCUMENT,
            plan=plan,
            year=2017,
            params={"fmt": "pdf"},
            file="lavori/documenti/prova/Piano-performance-CCIAA-MO-2017.pdf",
            filename="Piano-performance-CCIAA-MO-2017.pdf",
            message="24 pagine, 310 KB",
            finished_at=timezone.now(),
        ),
        public_value=public_value.pk,
        impact_indicator=impact.pk,
        risk_measure=measure.pk,
    )


@pytest.fixture
def demo(transactional_db) -> Ids:
    call_command("seed_demo", stdout=StringIO())
    return _ids()


def _import(checker: Checker) -> None:
    """The import preview, reached as a planner does: upload a workbook, wait for the dry run's report."""
    page = checker.page
    page.goto(reverse("plans:import"))
    page.locator("input[type=file]").set_input_files(str(ROOT / "fixtures" / "ravenna_ferrara_2021_2023.xlsx"))
    page.get_by_role("button", name="Carica e analizza").click()
    page.wait_for_url("**/importa/*/")
    page.get_by_test_id("import-progress").wait_for(state="detached", timeout=60_000)
    checker.axe("import preview + analysis")


# django-import-export's second step: the confirmed import, POST only (its first step, «Importa», is a GET page).
ADMIN_POST_ONLY = "_process_import"


def _admin_pages() -> list[str]:
    """Every registered model's changelist and first row's change form; all GET pages of the main models."""
    urls = ["/admin/"]
    apps = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        apps.add(meta.app_label)
        first = model._default_manager.order_by("pk").first()
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if first is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
        if meta.label_lower in ADMIN_MAIN:
            for pattern in model_admin.urls:
                name = getattr(pattern, "name", None) or ""
                if name.endswith(("_changelist", "_change", ADMIN_POST_ONLY)) or not name:
                    continue
                arguments = pattern.pattern.regex.groups
                if arguments == 1 and "object_id" in pattern.pattern.regex.groupindex and first is not None:
                    urls.append(reverse(f"admin:{name}", args=[first.pk]))
                elif arguments == 0:
                    urls.append(reverse(f"admin:{name}"))
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(apps)]
    return list(dict.fromkeys(urls))


@pytest.mark.parametrize("role", ALL)
def test_every_page_of_every_role_has_no_serious_accessibility_violation(browser, live_server, demo, role):
    assert AXE.exists(), "axe-core mancante: `npm ci` (make assets) lo installa in node_modules/"
    started = time.perf_counter()
    user = next(u for u in DEMO_USERS if u.username == role)
    checker = Checker(browser, live_server.url, role)
    page = checker.page
    page.set_viewport_size(WIDE)
    log_in(page, user.username, user.password)
    page.wait_for_url(live_server.url + "/")
    for name, (roles, url) in PAGES.items():
        if role not in roles:
            continue
        if url(demo) == "upload":
            if name == "plans:import_preview":
                _import(checker)
            continue
        checker.visit(url(demo), label=name)
        if name == "home":
            page.screenshot(path=f"test-artifacts/a11y-{role}-home.png", full_page=True)
        if name == "plans:detail":  # the «perché?» panel, opened
            page.locator("details.why summary").first.click()
            page.locator("details.why .why-body").first.wait_for()
            checker.axe("plans:detail with «perché?» open")
    checker.visit("/non-esiste/", status=404, label="404")
    if role == HEAD:
        checker.visit(reverse("plans:create"), status=403, label="403")
        page.screenshot(path="test-artifacts/a11y-403.png")
    if role == ADMIN:
        for url in _admin_pages():
            response = page.goto(url)
            if response.status == 200:
                checker.axe(url)
    page.set_viewport_size(PHONE)
    for name in PHONE_PAGES[role]:
        checker.visit(PAGES[name][1](demo), label=f"{name} 390×844")
    checker.session.close()
    seconds = time.perf_counter() - started
    axe_seconds = sum(t for t, _ in checker.timings)
    print(f"\naxe, {role}: {checker.checked} pagine in {seconds:.0f} s (axe {axe_seconds:.0f} s); le più lente:")
    print("\n".join(f"{t:5.1f} s {label}" for t, label in sorted(checker.timings, reverse=True)[:6]))
    violations = "\n".join(checker.violations)
    assert checker.violations == [], f"{len(checker.violations)} violazioni gravi o critiche:\n{violations}"
    # JavaScript errors fail here too; the CSP has its own test (test_csp_pages.py), and the 403/404 are on purpose.
    expected = ("Content Security Policy", "status of 403", "status of 404")
    errors = [p for p in checker.session.problems if not any(e in p for e in expected)]
    assert errors == [], "\n".join(errors)
    assert checker.checked >= {PLANNER: 40, HEAD: 10, OIV: 12, ADMIN: 60}[role]


def test_the_login_page(browser, live_server, transactional_db):
    checker = Checker(browser, live_server.url, "anonimo")
    for size in (WIDE, PHONE):
        checker.page.set_viewport_size(size)
        checker.visit(reverse("login"), label=f"login {size['width']}")
    checker.session.close()
    assert checker.violations == [], "\n".join(checker.violations)
