"""Every model is in the Django admin, and its list, search and filters open for the Amministratore."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from consuntivi.models import Measurement, MeasurementChange
from consuntivi.scores import plan_score
from indicators.models import Indicator, Target
from perfplan.roles import Role
from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision, PlanYear, PlanYearEvent, Profile, YearState
from reports.models import ArtifactKind, BilancioLine, Relazione, RelazioneArtifact
from tests.factories import make_user
from tests.reports import conftest as relazione_fixtures

pytestmark = pytest.mark.django_db

# The validated Relazione of tests/reports, for the admin checks on a frozen year.
relazione = relazione_fixtures.relazione
closed_relazione = relazione_fixtures.closed_relazione
approved_relazione = relazione_fixtures.approved_relazione
validated_relazione = relazione_fixtures.validated_relazione

DOMAIN_APPS = {"plans", "indicators", "reports"}


def test_every_domain_model_is_registered():
    from django.apps import apps

    # Historical models are read in each object's history view and on /storico/, not as admin lists of their own.
    models = {
        m for m in apps.get_models() if m._meta.app_label in DOMAIN_APPS and not m.__name__.startswith("Historical")
    }
    assert models - set(admin.site._registry) == set()


def test_every_changelist_opens_with_a_search(client, small_plan):
    user = get_user_model().objects.create_superuser("radice", password="una-password-di-prova")
    client.force_login(user)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in DOMAIN_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        params = {"q": "1"} if model_admin.search_fields else {}
        assert client.get(url, params).status_code == 200, url


def test_the_admin_refuses_users_who_are_not_staff(client, planner):
    client.force_login(planner)
    response = client.get(reverse("admin:plans_plan_changelist"))
    assert response.status_code == 302 and "login" in response.url


# --- the admin obeys the app's rules ---------------------------------------------------------------------------

YEAR = 2017


def staff(user):
    user.is_staff = True
    user.save()
    return user


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def staff_admin(admin_user):
    return staff(admin_user)


@pytest.fixture
def foreign_staff(other_ente):
    return staff(make_user("admin-altrove", Role.ADMIN, other_ente))


def test_staff_of_another_ente_can_neither_list_nor_open_nor_save(client, small_plan, foreign_staff):
    client.force_login(foreign_staff)
    unit = OrgUnit.objects.get(ente=small_plan.ente, code="U1")
    objective = Objective.objects.get(plan=small_plan, code="101")
    for obj in (small_plan, objective, unit, small_plan.ente, Profile.objects.filter(ente=small_plan.ente).first()):
        if obj is None:
            continue
        listing = client.get(changelist_url(type(obj)))
        assert listing.status_code == 200 and str(obj) not in listing.content.decode(), type(obj)
        opened = client.get(change_url(obj))
        assert opened.status_code in (302, 404) and b"<form" not in opened.content, type(obj)
    response = client.post(change_url(unit), {"ente": small_plan.ente.pk, "code": "U1", "name": "Rubata"})
    assert response.status_code in (302, 404)
    assert OrgUnit.objects.get(pk=unit.pk).name == "Ufficio studi"
    assert client.get(reverse("admin:plans_orgunit_history", args=[unit.pk])).status_code == 404


def test_staff_of_another_ente_does_not_see_its_users(client, small_plan, foreign_staff, planner):
    client.force_login(foreign_staff)
    assert "pianificatore" not in client.get(changelist_url(type(planner))).content.decode()
    assert client.get(change_url(planner)).status_code in (302, 404)


def test_a_staff_administrator_grants_only_the_four_roles_and_never_superuser(client, small_plan, staff_admin, planner):
    extra = Group.objects.create(name="Poteri speciali")
    client.force_login(staff_admin)
    form = client.get(change_url(planner)).content.decode()
    assert "Poteri speciali" not in form and 'name="is_superuser"' not in form
    data = {
        "username": "pianificatore",
        "is_active": "on",
        "is_superuser": "on",
        "groups": [extra.pk],
        "date_joined_0": "2017-01-01",
        "date_joined_1": "00:00:00",
    }
    response = client.post(change_url(planner), data)
    assert response.status_code == 200  # the form refuses the group
    planner.refresh_from_db()
    assert not planner.is_superuser and not planner.groups.filter(pk=extra.pk).exists()


def test_a_user_added_by_a_staff_administrator_belongs_to_their_ente(client, small_plan, staff_admin):
    client.force_login(staff_admin)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "nuovo", "password1": "Una-password-lunga-1", "password2": "Una-password-lunga-1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user__username="nuovo").ente == small_plan.ente


def test_a_staff_administrator_edits_only_their_own_ente(client, small_plan, staff_admin, other_ente):
    client.force_login(staff_admin)
    assert client.get(reverse("admin:plans_ente_add")).status_code == 403
    assert client.get(change_url(other_ente)).status_code in (302, 404)
    response = client.post(change_url(small_plan.ente), {"code": "PR", "name": "Camera di Prova", "legal_name": ""})
    assert response.status_code == 302
    assert Ente.objects.get(pk=small_plan.ente.pk).name == "Camera di Prova"
    history = client.get(reverse("admin:plans_ente_history", args=[small_plan.ente.pk]))
    assert history.status_code == 200 and "Camera di Prova" in history.content.decode()


def test_history_revision_and_historical_records_refuse_add_change_delete(client, small_plan, planner, staff_admin):
    from plans import editing

    editing.plan_adopt(plan=small_plan, organ="Giunta", number="1", date=dt.date(2017, 1, 30), user=planner)
    objective = Objective.objects.get(plan=small_plan, code="101")
    editing.objective_update(objective=objective, title="Nuovo titolo", reason="Prova", user=planner)
    revision = PlanRevision.objects.get(plan=small_plan)
    event = PlanYearEvent.objects.create(
        plan_year=PlanYear.objects.get(plan=small_plan, year=YEAR), from_state="programmazione", to_state="monitoraggio"
    )
    change = MeasurementChange.objects.create(measurement=Measurement.objects.first(), action="save", field="Valore")
    client.force_login(staff_admin)
    for obj in (revision, event, change):
        opts = obj._meta
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
        before = {f.attname: getattr(obj, f.attname) for f in opts.fields}
        client.post(change_url(obj), {f: "manomesso" for f in before})
        obj.refresh_from_db()
        assert {f.attname: getattr(obj, f.attname) for f in opts.fields} == before
        delete = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()
    record = Objective.history.filter(id=objective.pk).latest("history_id")
    version = reverse("admin:plans_objective_simple_history", args=[objective.pk, record.history_id])
    assert client.post(version, {"title": "Ripristino"}).status_code == 403
    assert Objective.objects.get(pk=objective.pk).title == "Nuovo titolo"
    historical = [m for m in admin.site._registry if m.__name__.startswith("Historical")]
    assert historical == []  # read on /storico/ and in each object's Cronologia, never as a list of their own


def _fingerprint(plan, relazione):
    scoring = plan_score(plan=Plan.objects.get(pk=plan.pk), year=YEAR)
    artifact = RelazioneArtifact.objects.get(relazione=relazione, kind=ArtifactKind.FINAL, superseded_at=None)
    pdf = artifact.file.open("rb").read()
    return scoring.result.score, {k: n.score for k, n in scoring.result.nodes.items()}, artifact.sha256, pdf


def test_on_a_validated_year_admin_posts_change_nothing(client, validated_relazione, staff_admin):
    plan = validated_relazione.plan
    before = _fingerprint(plan, validated_relazione)
    client.force_login(staff_admin)
    measurement = Measurement.objects.filter(indicator__objective__plan=plan, year=YEAR).first()
    target = Target.objects.filter(indicator__objective__plan=plan, year=YEAR, is_current=True).first()
    objective = Objective.objects.get(plan=plan, code="101")
    bilancio = BilancioLine.objects.filter(ente=plan.ente, year=YEAR).first()
    plan_year = PlanYear.objects.get(plan=plan, year=YEAR)
    posts = [
        (measurement, {"raw": "1", "value_number": "1", "status": "bozza", "indicator": measurement.indicator_id}),
        (target, {"raw": ">= 1", "number": "1", "kind": "number", "year": YEAR, "indicator": target.indicator_id}),
        (objective, {"weight": "1", "code": "101", "title": objective.title, "level": "strategic"}),
        (validated_relazione, {"act_number": "999", "year": YEAR, "plan": plan.pk, "state": "bozza"}),
        (bilancio, {"amount": "1", "code": bilancio.code, "year": YEAR, "ente": plan.ente_id}),
        (plan_year, {"state": YearState.MONITORING, "year": YEAR, "plan": plan.pk}),
    ]
    for obj, data in posts:
        response = client.post(change_url(obj), data)
        assert response.status_code == 403, type(obj)
    assert Relazione.objects.get(pk=validated_relazione.pk).act_number == "45"
    assert PlanYear.objects.get(pk=plan_year.pk).state == YearState.VALIDATED
    assert Objective.objects.get(pk=objective.pk).weight == objective.weight
    assert _fingerprint(plan, validated_relazione) == before


def test_the_change_forms_of_plan_data_are_read_only(client, small_plan, staff_admin):
    client.force_login(staff_admin)
    indicator = Indicator.objects.filter(objective__plan=small_plan).first()
    for obj in (small_plan, indicator, Objective.objects.get(plan=small_plan, code="101")):
        page = client.get(change_url(obj)).content.decode()
        assert 'name="_save"' not in page, type(obj)


def reopen(client, plan_year, **data):
    url = changelist_url(PlanYear)
    return client.post(
        url, {"action": "reopen_validated", "_selected_action": [plan_year.pk], "confirm": "1", **data}, follow=True
    )


def test_reopening_a_validated_year_asks_a_reason_and_is_audited(client, validated_relazione, staff_admin):
    plan = validated_relazione.plan
    plan_year = PlanYear.objects.get(plan=plan, year=YEAR)
    client.force_login(staff_admin)
    first = client.post(
        changelist_url(PlanYear), {"action": "reopen_validated", "_selected_action": [plan_year.pk], "index": 0}
    )
    assert first.status_code == 200 and "Motivazione della riapertura" in first.content.decode()
    refused = reopen(client, plan_year, reason="")
    assert "serve la motivazione" in refused.content.decode()
    assert PlanYear.objects.get(pk=plan_year.pk).state == YearState.VALIDATED
    done = reopen(client, plan_year, reason="Consuntivo F1 errato")
    assert "anno riaperto" in done.content.decode()
    assert PlanYear.objects.get(pk=plan_year.pk).state == YearState.CLOSED
    event = PlanYearEvent.objects.filter(plan_year=plan_year).latest("id")
    assert (event.from_state, event.to_state, event.user, event.reason) == (
        YearState.VALIDATED,
        YearState.CLOSED,
        staff_admin,
        "Consuntivo F1 errato",
    )
    record = PlanYear.history.filter(id=plan_year.pk).latest("history_id")
    assert (record.state, record.history_user, record.history_change_reason) == (
        YearState.CLOSED,
        staff_admin,
        "Consuntivo F1 errato",
    )
    assert RelazioneArtifact.objects.get(relazione=validated_relazione, kind=ArtifactKind.FINAL).superseded_at


def test_only_an_amministratore_sees_the_reopen_action(client, validated_relazione, planner):
    client.force_login(staff(planner))
    response = client.get(changelist_url(PlanYear))  # the planning office works in the app, even if made staff
    assert response.status_code == 302 and "login" in response.url
