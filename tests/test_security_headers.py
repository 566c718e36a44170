"""The Content-Security-Policy on every response, and the templates it relies on: no inline script or style."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from perfplan.roles import Role
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
# Read only by WeasyPrint on the server (reports/pdf.py), never sent to a browser: their <style> is the PDF's.
PDF_ONLY = {"reports/pdf.html", "reports/pdf_footers.html", "reports/piao/document.html"}
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx inline handler": re.compile(r"\shx-on", re.I),
}


def _templates():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        for path in folder.rglob("*.html"):
            name = path.relative_to(folder).as_posix()
            if name not in PDF_ONLY:
                yield name, path.read_text()


def test_no_template_has_inline_script_or_style():
    found = [
        f"{name}: {what}" for name, text in _templates() for what, pattern in INLINE.items() if pattern.search(text)
    ]
    assert found == []


def test_no_python_code_writes_style_attributes_into_html():
    sources = [p for app in ("perfplan", "plans", "indicators", "reports") for p in (ROOT / app).rglob("*.py")]
    found = [str(p.relative_to(ROOT)) for p in sources if re.search(r"""\sstyle=\\?["']""", p.read_text())]
    assert found == []


def _assert_strict_policy(response):
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.fixture
def planner_client(client, small_plan):
    client.force_login(make_user("pianificatore", Role.PLANNER, small_plan.ente))
    return client


def test_pages_fragments_downloads_and_errors_carry_the_policy(planner_client, small_plan):
    urls = [
        reverse("home"),
        reverse("plans:detail", args=[small_plan.pk]),
        reverse("plans:target_preview") + "?raw=%3E%3D+350",  # an htmx fragment
        reverse("plans:template"),  # an .xlsx download
        reverse("password_change"),
        reverse("admin:index"),
        "/non-esiste/",
    ]
    for url in urls:
        response = planner_client.get(url)
        assert response.status_code in {200, 302, 403, 404}, url
        _assert_strict_policy(response)


def test_the_login_page_and_its_lockout_carry_the_policy(client, db):
    _assert_strict_policy(client.get(reverse("login")))
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "nessuno", "password": "sbagliata"})
    assert response.status_code == 429
    _assert_strict_policy(response)


def test_htmx_is_told_to_add_no_style_and_to_eval_nothing(planner_client):
    page = planner_client.get(reverse("home")).content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in page
