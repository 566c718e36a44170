"""The home page: what each role has to do now (issue 15, item 1). Interface level: it gathers the reads of every
app (plans, consuntivi, reports) for one page; the reads themselves are selectors of their layers.

The plans' health is the checklist read before adoption (plans/checklist.py): the same items, blocking or
warnings, each linked to the page that fixes it. A constant number of queries whatever the number and size of the
plans: the plans list, the plans' checklists (three), the open rounds with their units (six, seven for a
Responsabile), the Relazioni (two), the requests for clarification not closed (one), the administrator's lists (two)
and the charts of one plan year (seven).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consuntivi.scores import YearOverview, year_overview
from consuntivi.selectors import RoundProgress, RoundWork, open_rounds_progress, open_rounds_work
from perfplan.permissions import Action, can
from plans.checklist import Checklist, plan_checklists
from plans.models import OrgUnit, Plan, PlanState
from plans.selectors import plans_visible_to, units_without_head, users_to_set_up
from reports.selectors import PendingClarifications, PendingRelazione, clarifications_pending, relazioni_pending

LISTED = 8  # items shown per list before «… e altri N»


@dataclass
class Home:
    plans: list[Plan]
    planner: bool = False
    head: bool = False
    oiv: bool = False
    admin: bool = False
    leads_units: bool = False  # a Responsabile who leads at least one unit
    health: list[Checklist] = field(default_factory=list)  # the checklist before adoption, for each plan
    rounds: list[RoundProgress] = field(default_factory=list)
    work: list[RoundWork] = field(default_factory=list)
    to_prepare: list[PendingRelazione] = field(default_factory=list)
    to_validate: list[PendingRelazione] = field(default_factory=list)
    clarifications: list[PendingClarifications] = field(default_factory=list)  # requests not closed, per Relazione
    users: list = field(default_factory=list)
    units: list[OrgUnit] = field(default_factory=list)
    overview: YearOverview | None = None
    listed: int = LISTED

    @property
    def late_units(self) -> list:
        return [(progress.round, unit) for progress in self.rounds for unit in progress.late_units]


def chart_plan(plans: list[Plan], today) -> Plan | None:
    """The adopted plan whose years hold today's, else the most recent adopted one."""
    adopted = [plan for plan in plans if plan.state == PlanState.ADOPTED]
    current = [plan for plan in adopted if plan.start_year <= today.year <= plan.end_year]
    chosen = current or sorted(adopted, key=lambda plan: (plan.start_year, plan.pk), reverse=True)
    return chosen[0] if chosen else None


def home_for(*, user, today) -> Home:
    planner = can(user, Action.PLAN_EDIT) and can(user, Action.ROUND_MANAGE)
    head = can(user, Action.MEASUREMENT_ENTER)
    oiv = can(user, Action.RELAZIONE_VALIDATE)
    admin = can(user, Action.ADMIN_SITE)
    visible = list(plans_visible_to(user=user).order_by("-start_year", "title"))
    plans = visible
    if not (planner or oiv or admin):  # a Responsabile is shown adopted plans: drafts are the planning office's
        plans = [plan for plan in visible if plan.state == PlanState.ADOPTED]
    home = Home(plans=plans, planner=planner, head=head, oiv=oiv, admin=admin)
    if planner:
        home.health = list(plan_checklists(plans=plans).values())
        home.rounds = open_rounds_progress(plans=plans, today=today)
    if head:
        home.leads_units = user.led_units.exists()
        # A round the planning office opened is the Responsabile's business, whatever the state of its plan.
        home.work = open_rounds_work(user=user, plans=visible, today=today)
    if planner or oiv:
        home.to_prepare, home.to_validate = relazioni_pending(plans=plans)
        home.clarifications = clarifications_pending(plans=plans)
    if admin:
        home.users = users_to_set_up(user=user)
        home.units = units_without_head(user=user)
    plan = chart_plan(plans, today)
    if plan is not None:
        home.overview = year_overview(plan=plan, today=today)
    return home
