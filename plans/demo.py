"""Demo data for a first run: the seed plans of fixtures/ and one fictitious user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from perfplan.roles import Role
from plans.models import Ente, OrgUnit, Profile
from plans.services import plan_import

DEMO_WORKBOOKS = ["modena_2017_2019.xlsx", "ravenna_ferrara_2021_2023.xlsx"]
DEMO_ENTE = "MO"
DEMO_UNITS = ["AO1", "AO2"]  # the two units the demo Responsabile leads


@dataclass
class DemoUser:
    role: str
    username: str
    password: str
    note: str = ""


DEMO_USERS = [
    DemoUser(Role.PLANNER, "pianificazione", "Pianifica-2017!"),
    DemoUser(Role.OFFICE_HEAD, "responsabile", "Responsabile-2017!"),
    DemoUser(Role.OIV, "oiv", "Valuta-2017!"),
    DemoUser(Role.ADMIN, "admin", "Amministra-2017!", "(anche /admin/)"),
]


@dataclass
class DemoResult:
    errors: list[str] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)


@transaction.atomic
def demo_seed(*, fixtures_dir: Path) -> DemoResult:
    result = DemoResult()
    for name in DEMO_WORKBOOKS:
        report = plan_import(source=fixtures_dir / name, reason="Caricamento dati dimostrativi")
        result.errors.extend(f"{name}: {e}" for e in report.errors)
    if result.errors:
        transaction.set_rollback(True)
        return result
    ente = Ente.objects.get(code=DEMO_ENTE)
    User = get_user_model()
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.set_password(demo.password)
        user.first_name = demo.role
        user.last_name = "(demo)"
        user.is_staff = user.is_superuser = demo.role == Role.ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=demo.role)])
        Profile.objects.update_or_create(user=user, defaults={"ente": ente})
        if demo.role == Role.OFFICE_HEAD:
            units = list(OrgUnit.objects.filter(ente=ente, code__in=DEMO_UNITS))
            for unit in units:
                unit.leaders.add(user)
            demo.note = "(guida " + ", ".join(u.code for u in units) + ")"
        result.users.append(demo)
    return result
