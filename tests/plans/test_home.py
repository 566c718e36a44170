"""The home page per role (issue 15, item 1): what each role has to do now, the charts' tables, the refusals, and a
constant number of queries whatever the size of the plan."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import Round
from consuntivi.selectors import open_rounds_progress, round_data
from consuntivi.services import measurement_return, measurements_save, unit_submit
from perfplan.roles import Role
from plans.models import Ente, Objective, Plan
from reports.models import Relazione
from tests.consuntivi.factories import entry, entry_plan, indicator, open_round, people
from tests.factories import make_user
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db

COMMENT = "Manca il registro delle presenze: allegarlo e salvare di nuovo"
DRAFT_TITLE = "Piano della performance 2020-2022 in preparazione"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def home_of(user) -> str:
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def world():
    """The consuntivi plan with its 2017 round open and past its deadline; U2 sent «Eventi organizzati» and the
    planning office returned it with a comment; U1 has not started. The weights under 101 add up to 90; a draft
    plan of the planning office sits next to the adopted one."""
    plan = entry_plan()
    plan.state = "adottato"
    plan.save(update_fields=["state"])
    who = people(plan)
    rnd = open_round(plan, who["planner"], year=2017)
    Round.objects.filter(pk=rnd.pk).update(deadline=dt.date(2018, 1, 31))
    rnd.refresh_from_db()
    events = indicator(plan, "Eventi organizzati")
    assert measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(events, "11")]).ok
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    measurement_return(data_round=rnd, indicator_id=events.pk, user=who["planner"], comment=COMMENT)
    Objective.objects.filter(plan=plan, code="1011.02").update(weight=30)
    Plan.objects.create(ente=plan.ente, title=DRAFT_TITLE, start_year=2020, end_year=2022)
    return {"plan": plan, "round": rnd, **who}


# --- Pianificazione --------------------------------------------------------------------------------------------


def test_the_planner_sees_plan_health_rounds_late_units_and_relazioni_to_prepare(world):
    page = home_of(world["planner"])
    assert "Stato dei piani" in page and DRAFT_TITLE in page
    # The plans' health is the checklist before adoption (plans/checklist.py): its items, each with its link.
    health = re.search(r'data-testid="plan-health">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"\(consuntivi\)</a></th>\s*<td>Adottato</td>\s*<td class=\"num\">nessuno</td>", health)
    assert '<span class="band band-partial">2</span>' in health  # two warnings
    details = re.search(r'data-testid="health-details">(.*?)</div>', page, re.S).group(1)
    assert "I pesi degli obiettivi figli dell&#x27;obiettivo 101 sommano a 90 invece di 100" in details
    children = reverse("plans:weights_children", args=[world["plan"].pk, Objective.objects.get(code="101").pk])
    assert children in details
    # a strategic indicator without its 2019 target, with a link to add it
    assert "Indicatore F1 - Pubblicazioni sul sito camerale (obiettivo 101): nessun target per il 2019." in details
    # The round with each unit's progress: U2 returned, U1 not started, both late (deadline 31/01/2018).
    progress = re.search(r'data-testid="round-progress".*?</table>', page, re.S).group(0)
    assert "Scadenza: <strong>31/01/2018</strong>" in progress
    assert re.search(r"U1 – Ufficio studi</th><td>Non iniziato <span class=\"badge bg-danger\">In ritardo", progress)
    assert re.search(r"U2 – Ufficio eventi</th><td>Restituito <span class=\"badge bg-danger\">In ritardo", progress)
    late = re.search(r'data-testid="late-units">(.*?)</ul>', page, re.S).group(1)
    assert "U1 – Ufficio studi" in late and "U2 – Ufficio eventi" in late
    prepare = re.search(r'data-testid="to-prepare">(.*?)</ul>', page, re.S).group(1)
    assert "Relazione sulla performance 2017" in prepare and reverse("reports:detail", args=[world["plan"].pk, 2017])


def test_the_round_progress_agrees_with_the_round_page(world):
    progress = open_rounds_progress(plans=[world["plan"]], today=dt.date(2018, 2, 1))[0]
    data = round_data(data_round=world["round"])
    assert [(u.unit.code, u.total, u.done, u.status) for u in progress.units] == [
        (b.unit.code, len(b.rows), b.done, b.status) for b in data.blocks
    ]
    assert not open_rounds_progress(plans=[world["plan"]], today=dt.date(2018, 1, 31))[0].late_units


def test_a_planner_without_rounds_or_plans_is_told_what_to_do_next(db, other_ente):
    planner = make_user("pianificazione_nuova", Role.PLANNER, other_ente)
    page = home_of(planner)
    assert "Nessuna rilevazione aperta" in page and "Nessun piano" in page
    assert reverse("plans:import") in page and "Nessuna Relazione da preparare" in page


# --- Responsabile ----------------------------------------------------------------------------------------------


def test_a_responsabile_sees_the_values_returned_to_their_unit_with_the_comment_and_nothing_else(world):
    page = home_of(world["head_u2"])
    assert "Le mie attività" in page
    returned = re.search(r'data-testid="returned">(.*?)</ul>', page, re.S).group(1)
    assert "Eventi organizzati" in returned and COMMENT in returned
    assert "Scadenza: <strong>31/01/2018</strong>" in page
    assert reverse("consuntivi:mine", args=[world["round"].pk]) in page
    for elsewhere in ("Report pubblicati entro la scadenza", "Indice di liquidità", "U1 – Ufficio studi"):
        assert elsewhere not in page
    assert DRAFT_TITLE not in page  # never the planning office's drafts
    assert "Stato dei piani" not in page and "Relazioni da preparare" not in page


def test_another_responsabile_sees_only_the_indicators_of_their_unit(world):
    page = home_of(world["head_u1"])
    to_fill = re.search(r'data-testid="to-fill">(.*?)</ul>', page, re.S).group(1)
    for own in ("Report pubblicati entro la scadenza", "LIQ - Indice di liquidità", "Pratiche evase nei termini"):
        assert own in to_fill
    assert "Eventi organizzati" not in page and COMMENT not in page and DRAFT_TITLE not in page
    assert "U1 – Ufficio studi: 0 di 3 inviati · Non iniziato" in page


def test_a_responsabile_without_units_is_told_whom_to_ask(world):
    page = home_of(make_user("resp_senza_unita", Role.OFFICE_HEAD, world["plan"].ente))
    assert "Nessuna unità assegnata" in page and "Eventi organizzati" not in page


# --- OIV ---------------------------------------------------------------------------------------------------------


def test_the_oiv_sees_the_relazioni_to_validate_and_no_edit_link(world):
    plan = world["plan"]
    Relazione.objects.create(plan=plan, year=2017, state="approvata", act_organ="Giunta", act_number="4")
    page = home_of(world["oiv"])
    to_validate = re.search(r'data-testid="to-validate">(.*?)</ul>', page, re.S).group(1)
    assert "Relazione sulla performance 2017" in to_validate
    assert reverse("reports:detail", args=[plan.pk, 2017]) in to_validate
    for edit in ("/modifica/", "/nuovo/", "/pesi/", "/importa/", "/adotta/", "/elimina/", "Nuovo piano", "/admin/"):
        assert edit not in page, edit
    assert "Stato dei piani" not in page and "Le mie attività" not in page


def test_the_oiv_with_nothing_to_validate_is_told_where_the_relazioni_are(world):
    page = home_of(world["oiv"])
    assert "Nessuna Relazione da validare" in page and reverse("reports:index") in page


# --- Amministratore -----------------------------------------------------------------------------------------------


def test_the_administrator_sees_users_without_a_role_and_units_without_a_head_of_their_ente(world, other_ente):
    plan = world["plan"]
    lost = make_user("senza_ruolo", None, plan.ente)
    make_user("altrove_senza_ruolo", None, other_ente)
    page = home_of(world["admin"])
    users = re.search(r'data-testid="users-to-set-up">(.*?)</ul>', page, re.S).group(1)
    assert "senza_ruolo" in users and "manca il ruolo" in users and "altrove_senza_ruolo" not in users
    assert reverse("admin:auth_user_change", args=[lost.pk]) in users
    units = re.search(r'data-testid="units-without-head">(.*?)</ul>', page, re.S).group(1)
    assert "A1 – Area promozione" in units and "U1" not in units and "U2" not in units


def test_a_superuser_without_an_ente_also_sees_users_without_an_ente(world):
    root = make_user("radice", None, None)
    root.is_superuser = root.is_staff = True
    root.save()
    make_user("orfano", Role.PLANNER, None)
    users = re.search(r'data-testid="users-to-set-up">(.*?)</ul>', home_of(root), re.S).group(1)
    assert "orfano</a>: manca l'ente" in users and "radice" not in users


def test_an_administrator_with_everything_set_up_is_told_so(db, other_ente):
    admin = make_user("amministra_altrove", Role.ADMIN, other_ente)
    page = home_of(admin)
    assert "Ogni utente attivo ha un ruolo e un ente." in page
    assert "Ogni unità ha almeno un utente responsabile." in page


# --- The charts' tables --------------------------------------------------------------------------------------------


def test_the_charts_are_drawn_from_tables_of_the_current_year(small_plan, planner):
    small_plan.state = "adottato"
    small_plan.save(update_fields=["state"])
    page = home_of(planner)
    assert "Risultati 2017" in page
    areas = re.search(r'data-testid="areas-table".*?</table>', page, re.S).group(0)
    assert "Raggiungimento per area strategica, 2017" in areas and "1 – Competitività delle imprese" in areas
    assert 'id="chart-areas" aria-hidden="true"' in page and 'id="chart-bands" aria-hidden="true"' in page
    bands = re.search(r'data-testid="bands-table".*?</table>', page, re.S).group(0)
    counts = [int(n) for n in re.findall(r'data-value="(\d+)"', bands)]
    assert len(counts) == 4 and sum(counts) == 3  # the three indicators with a 2017 target
    assert "vendor/chartjs/chart.umd.min.js" in page and "js/home-charts.js" in page


def test_no_chart_before_any_value(world):
    Round.objects.all().delete()
    page = home_of(world["planner"])
    assert "Ancora nessun risultato per il" in page and "chart.umd.min.js" not in page


# --- Query counts -------------------------------------------------------------------------------------------------


def _synthetic_world(operational: int, code: str) -> dict:
    content = synthetic_workbook(areas=2, strategic=2, operational=operational, actions=3, indicators=2, ente_code=code)
    report = plan_import(source=BytesIO(content))
    assert report.ok, report.errors[:3]
    plan = Plan.objects.get(pk=report.plan_id)
    Plan.objects.filter(pk=plan.pk).update(state="adottato")
    Round.objects.filter(plan=plan).update(deadline=dt.date(2025, 1, 31))
    ente = Ente.objects.get(code=code)
    units = list(ente.org_units.order_by("code"))
    return {
        "planner": make_user(f"pian{code}", Role.PLANNER, ente),
        "head": make_user(f"resp{code}", Role.OFFICE_HEAD, ente, units=units[:2]),
        "oiv": make_user(f"oiv{code}", Role.OIV, ente),
        "admin": make_user(f"admin{code}", Role.ADMIN, ente),
        "indicators": sum(1 for _ in plan.objectives.all() for _ in _.indicators.all()),
    }


@pytest.mark.parametrize("role", ["planner", "head", "oiv", "admin"])
def test_each_home_runs_the_same_queries_for_a_small_and_a_six_times_larger_plan(
    db, django_assert_max_num_queries, role
):
    counts, sizes = [], []
    for operational, code in ((2, "SY1"), (12, "SY2")):
        world = _synthetic_world(operational, code)
        client = client_for(world[role])
        client.get(reverse("password_change"))  # warm the session and the user's roles, as in real use
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(28):
            response = client.get(reverse("home"))
        assert response.status_code == 200
        counts.append(len(queries))
        sizes.append(world["indicators"])
    assert sizes[1] > 5 * sizes[0]
    assert counts[0] == counts[1], counts
