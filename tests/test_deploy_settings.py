"""Production settings (perfplan/settings.py) as `manage.py check --deploy` sees them, in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from perfplan.settings import DEVELOPMENT_SECRET_KEY, check_secret_key

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Jr9-vX2q_Lp8sWm4ZtYc7NbHd1Fg6Ae5Ru0Io2Py9Tx3Qw8Es"  # 52 characters, made up for this test
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "perfplan.example.it"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what the production server would have: not the test run's DJANGO_* or settings variables.
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    environ.update(DJANGO_SETTINGS_MODULE="perfplan.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_plain_http_is_possible_but_check_deploy_says_so():
    result = _manage("check", "--deploy", **PRODUCTION, PERFPLAN_HTTPS="false")
    assert result.returncode == 0, result.stderr
    assert "perfplan.W001" in result.stderr and "security.W0" not in result.stderr


def test_a_weak_secret_key_stops_production_with_an_explanation():
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": "segreto"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is too weak: at least 50 characters" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["", "segreto", "a" * 60, "abcd" * 20, DEVELOPMENT_SECRET_KEY, "django-insecure-" + STRONG_KEY],
)
def test_it_refuses_missing_short_repetitive_and_development_keys(key):
    with pytest.raises(ImproperlyConfigured):
        check_secret_key(key)


def test_it_accepts_a_long_random_key():
    check_secret_key(STRONG_KEY)
