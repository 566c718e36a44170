"""One admin screen gives a new user their roles, ente and led units (issue 15 item 7), within the admin's ente."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from perfplan.roles import Role, user_roles
from plans.models import OrgUnit, Profile

pytestmark = pytest.mark.django_db
User = get_user_model()
ADD = "admin:auth_user_add"


def test_the_add_page_asks_roles_ente_and_units_in_italian(client, staff_admin, small_plan, other_ente):
    OrgUnit.objects.create(ente=other_ente, code="X9", name="Ufficio altrove")
    client.force_login(staff_admin)
    page = client.get(reverse(ADD)).content.decode()
    assert "Ruoli, ente e unità guidate" in page and "Unità guidate" in page and "Responsabile" in page
    # Only the units of the admin's ente (by name: a bare "X9" may turn up inside the page's random CSRF token).
    assert "U1 – Ufficio studi" in page and "Ufficio altrove" not in page
    assert "Altrove" not in page


def test_a_user_is_created_with_role_ente_and_units_at_once(client, staff_admin, small_plan):
    unit = small_plan.ente.org_units.get(code="U1")
    client.force_login(staff_admin)
    response = client.post(
        reverse(ADD),
        {
            "username": "mrossi",
            "usable_password": "false",
            "first_name": "Mario",
            "last_name": "Rossi",
            "email": "mario.rossi@example.org",
            "roles": [Role.OFFICE_HEAD],
            "ente": small_plan.ente.pk,
            "units": [unit.pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="mrossi")
    assert Profile.objects.get(user=user).ente == small_plan.ente
    assert user_roles(user) == {Role.OFFICE_HEAD}
    assert list(user.led_units.values_list("code", flat=True)) == ["U1"]
    assert not user.has_usable_password() and user.last_name == "Rossi"


def test_an_amministratore_created_here_may_open_the_admin(client, staff_admin, small_plan):
    client.force_login(staff_admin)
    client.post(reverse(ADD), {"username": "admin2", "usable_password": "false", "roles": [Role.ADMIN]})
    user = User.objects.get(username="admin2")
    assert user.is_staff and Profile.objects.get(user=user).ente == small_plan.ente  # the admin's own, by default


def test_units_and_enti_of_another_ente_are_refused(client, staff_admin, small_plan, other_ente):
    foreign_unit = OrgUnit.objects.create(ente=other_ente, code="X9", name="Ufficio altrove")
    client.force_login(staff_admin)
    response = client.post(
        reverse(ADD),
        {"username": "intruso", "usable_password": "false", "ente": other_ente.pk, "units": [foreign_unit.pk]},
    )
    errors = response.context["adminform"].form.errors
    assert "Scegli un'opzione valida" in errors["ente"][0] and "units" in errors
    assert not User.objects.filter(username="intruso").exists()


def test_the_change_page_moves_the_led_units(client, staff_admin, small_plan, office_head):
    a1 = small_plan.ente.org_units.get(code="A1")
    client.force_login(staff_admin)
    url = reverse("admin:auth_user_change", args=[office_head.pk])
    form = client.get(url).context["adminform"].form
    assert form.initial["units"] == [small_plan.ente.org_units.get(code="U1").pk]
    data = {
        "username": office_head.username,
        "is_active": "on",
        "groups": [g.pk for g in office_head.groups.all()],
        "ente": small_plan.ente.pk,
        "units": [a1.pk],
    }
    assert client.post(url, data).status_code == 302
    assert list(office_head.led_units.values_list("code", flat=True)) == ["A1"]
