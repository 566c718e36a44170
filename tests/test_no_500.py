"""No view answers 500: every URL of the apps, asked by a user who may use it, with huge or garbage ids, garbage query
parameters and garbage form fields, answers 200, a redirect, 400, 403, 404 or 405 (a form error), never a crash.

It reuses the permissions matrix's world (tests/test_permissions.py): one small plan, built once for the module, each
test in its own savepoint. Run it on PostgreSQL too (DATABASE_URL=postgres://…): PostgreSQL refuses with a DataError
what SQLite stores silently, so both must answer the same.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from perfplan.limits import fit_errors
from tests import test_permissions as matrix
from tests.test_permissions import GET, POST_REFUSED, PUBLIC, World, _ready_to_write, _views

world = matrix.world  # the permissions matrix's module-scoped fixture, built again for this module

# 409: a consuntivo saved by someone else meanwhile, or a stored plan tree too deep to show (plans.selectors).
FINE = {200, 204, 301, 302, 304, 400, 403, 404, 405, 409}
SENTINEL = 987654321  # stands for the id under test in the reversed URL, then replaced by the garbage
HUGE_IDS = ("0", "2147483648", "9223372036854775808", "99999999999999999999999")
GARBAGE = {
    "forty digits": "9" * 40,
    "exponent": "1e999",
    "giant exponent": "1e999999999",
    "too long": "x" * 5000,
    "nul": "a\x00b",
    "word": "abc",
    "negative": "-1",
    "nan": "NaN",
    "infinity": "-Infinity",
}
GARBAGE_QUERY = (
    "anno=99999999999999999999&area=99999999999999999999999&unita=abc&livello=%00&q=x%00y&pagina=9999999999999999999"
    "&piano=99999999999999999999&utente=-5&tipo=zzz&dal=2017-13-45&al=99999-01-01&cella=1&raw=%3E%3D+1e999"
    "&da=relazione&unit=zz"
)
# Keys a hand-made POST may add to any form: the Relazione editor's names, list sections and ids.
STRAY_KEYS = ("bilancio-x", "bilancio-2017", "bilancio-99999999999999999999-1", "promo-abc", "promo-99999999999999999")
STRAY_KEYS += ("remove", "indicator", "order", "group", "activity", "start", "end", "direzione", "parent", "position")
RELAZIONE_SECTIONS = ("testi", "risorse", "bilancio", "importi", "indicatori", "calendario", "ignota")


def _persona(name: str) -> str:
    """A persona who may use the view: allowed to POST (· in POST_REFUSED) or, else, answered 200 on GET."""
    refused = POST_REFUSED.get(name)
    for persona in ("P", "H", "V", "A"):
        if refused is not None and refused[persona] is None:
            return persona
        if refused is None and GET[name][persona] not in (403, 404):
            return persona
    return "A"


def _client(world: World, persona: str) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.users[persona])
    return client


def _read(response) -> int:
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


NAMES = sorted(GET)


def test_the_lists_cover_every_url_of_the_apps():
    assert set(NAMES) == {name for name, _ in _views(get_resolver().url_patterns)} - PUBLIC


def _routes(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver) and entry.namespace != "admin":
            yield from _routes(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield str(entry.pattern)


def test_every_number_in_an_app_url_is_an_id_a_database_integer_holds():
    routes = list(_routes(get_resolver().url_patterns))
    assert [route for route in routes if "<int:" in route] == []
    assert sum("<id:" in route for route in routes) > 40


def _names_with_ids(patterns, prefix: str = "", route: str = ""):
    """URL names whose route (includes too) holds an <id:…>."""
    for entry in patterns:
        if isinstance(entry, URLResolver) and entry.namespace != "admin":
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _names_with_ids(entry.url_patterns, namespace, route + str(entry.pattern))
        elif isinstance(entry, URLPattern) and "<id:" in route + str(entry.pattern):
            yield f"{prefix}{entry.name}"


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize("name", sorted(set(_names_with_ids(get_resolver().url_patterns))))
def test_a_huge_or_zero_id_in_the_path_is_not_found(world, db, name, huge):
    keys = [key for key in world.args[name] if isinstance(world.args[name][key], int)]
    assert keys, name
    client = _client(world, _persona(name))
    for key in keys:
        url = reverse(name, kwargs={**world.args[name], key: SENTINEL}).replace(str(SENTINEL), huge)
        status = _read(client.get(url))
        assert status in FINE, (url, status)
        assert status in (404, 405) or huge == "0" and status in (302,), (url, status)


@pytest.mark.parametrize("name", NAMES)
def test_garbage_query_parameters_are_ignored_or_refused(world, db, name):
    url = reverse(name, kwargs=world.args[name])
    status = _read(_client(world, _persona(name)).get(f"{url}?{GARBAGE_QUERY}"))
    assert status in FINE, status


def _unfit_rows() -> list[tuple[str, int, dict[str, str]]]:
    """Rows of the apps' tables holding a value their column cannot hold: SQLite stores them silently, PostgreSQL
    refuses them, so a write that lets one through is a bug on both even when SQLite answers 200."""
    unfit = []
    for label in ("plans", "indicators", "reports"):
        for model in apps.get_app_config(label).get_models():
            for row in model.objects.all():
                if errors := fit_errors(row):
                    unfit.append((model.__name__, row.pk, errors))
    return unfit


def _form_names(client: Client, url: str) -> set[str]:
    """The names of the inputs of the page's forms (what a browser would post), csrf token aside."""
    response = client.get(url)
    if response.status_code != 200 or response.streaming or "html" not in response.get("Content-Type", ""):
        return set()
    names = set(re.findall(r'<(?:input|textarea|select)[^>]*\sname="([^"]+)"', response.content.decode()))
    return names - {"csrfmiddlewaretoken"}


@pytest.mark.parametrize("variant", GARBAGE)
@pytest.mark.parametrize(
    "name", [n for n in POST_REFUSED if n not in ("reports:render", "reports:reopen", "consuntivi:round_remind")]
)
def test_garbage_in_any_posted_field_is_a_form_error(world, db, mailoutbox, name, variant):
    """The valid POST of the matrix with one field at a time replaced by garbage, then every field at once."""
    _ready_to_write(world, name)
    client = _client(world, _persona(name))
    url = reverse(name, kwargs=world.args[name])
    posted = world.posts.get(name, {})
    valid = {"reason": "Correzione", **{key: value for key, value in posted.items() if not hasattr(value, "read")}}
    names = sorted(set(valid) | _form_names(client, url) | set(STRAY_KEYS))
    for field in names:
        response = client.post(url, {**valid, field: GARBAGE[variant]})
        assert _read(response) in FINE, field
    assert _read(client.post(url, dict.fromkeys(names, GARBAGE[variant]))) in FINE
    assert _unfit_rows() == []  # once at the end: a row written with a value too large would still be there


@pytest.mark.parametrize("variant", GARBAGE)
@pytest.mark.parametrize("section", RELAZIONE_SECTIONS)
def test_garbage_in_every_section_of_the_relazione_editor_is_refused(world, db, section, variant):
    _ready_to_write(world, "reports:edit")
    data = {**dict.fromkeys(STRAY_KEYS, GARBAGE[variant]), "section": section}
    data.update({f"text-{key}": GARBAGE[variant] for key in ("premessa", "sintesi")})
    data.update({f"budget-{key}": GARBAGE[variant] for key in ("proventi", "oneri")})
    data.update({"bilancio-2017-1": GARBAGE[variant], "promo-1": GARBAGE[variant]})
    response = _client(world, "P").post(reverse("reports:edit", kwargs=world.args["reports:edit"]), data)
    assert _read(response) in FINE
    assert _unfit_rows() == []


# --- the admin -----------------------------------------------------------------------------------------------------


def _admin_models():
    return sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)


@pytest.mark.parametrize(("app", "model"), _admin_models())
def test_every_admin_page_answers_huge_ids_and_garbage_without_a_crash(world, db, app, model):
    client = _client(world, "A")
    base = f"/admin/{app}/{model}/"
    for url in (f"{base}?{GARBAGE_QUERY}&id=99999999999999999999999&id__exact=abc&o=99", f"{base}add/"):
        assert _read(client.get(url)) in FINE, url
    for huge in HUGE_IDS[1:]:
        for suffix in ("change/", "history/", "delete/"):
            assert _read(client.get(f"{base}{huge}/{suffix}")) in FINE, (base, huge, suffix)
    assert _read(client.post(f"{base}add/", dict.fromkeys(("code", "name", "username", "year"), "9" * 400)))
