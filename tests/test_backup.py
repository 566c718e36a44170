"""A backup restored into an empty database gives back every table and every stored file, byte for byte.

The restore goes to a second database of the tests' engine (an SQLite file, or a PostgreSQL database created and
dropped here); on PostgreSQL the same archive is also restored into SQLite, so CI tries both directions' engines.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.db import connections, models
from django.db.utils import load_backend

from perfplan.backup import BackupError, backed_up_models, backup_create, backup_restore, database_contents
from perfplan.demo import demo_seed
from plans.models import Ente, Plan
from reports.models import ArtifactKind, RelazioneArtifact
from tests.factories import FIXTURES
from tests.reports.conftest import (  # noqa: F401 - fixtures
    approved_relazione,
    closed_relazione,
    relazione,
    validated_relazione,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_database(tmp_path) -> Iterator[Callable[[str], str]]:
    """Make an empty database ("sqlite" or "postgresql") under a new alias; all are closed and dropped after."""
    made: list[tuple[str, str | None]] = []

    def make(vendor: str) -> str:
        alias = f"restore_{len(made)}"
        settings = copy.deepcopy(connections["default"].settings_dict)
        dropped = None
        if vendor == "sqlite":
            settings.update(ENGINE="django.db.backends.sqlite3", NAME=str(tmp_path / f"{alias}.sqlite3"), OPTIONS={})
            settings.update(HOST="", PORT="", USER="", PASSWORD="")
        else:
            dropped = f"{settings['NAME']}_{alias}"
            with connections["default"]._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{dropped}"')
                cursor.execute(f'CREATE DATABASE "{dropped}"')
            settings["NAME"] = dropped
        # Registered as a connection, not in settings: Django's test case allows such a "dynamic" connection.
        connections[alias] = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias)
        made.append((alias, dropped))
        return alias

    yield make
    for alias, dropped in made:
        connections[alias].close()
        del connections[alias]
        if dropped:
            with connections["default"]._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{dropped}"')


def table_digests(using: str) -> dict[str, tuple[int, str]]:
    """Rows and a hash of every backed-up table, read with the ORM (content types and permissions by name)."""
    content_types = {pk: f"{app}.{model}" for pk, app, model in _fetch(using, "SELECT id, app_label, model FROM "
                     "django_content_type")}  # fmt: skip
    permissions = {pk: f"{content_types[ct]}.{code}" for pk, ct, code in _fetch(using, "SELECT id, content_type_id, "
                   "codename FROM auth_permission")}  # fmt: skip
    result = {}
    for model in backed_up_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        named = {
            f.attname: content_types if f.related_model.__name__ == "ContentType" else permissions
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model.__name__ in ("ContentType", "Permission")
        }
        digest, count = hashlib.sha256(), 0
        for row in model._base_manager.using(using).order_by("pk").values_list(*columns):
            values = [named[c].get(v, v) if c in named else v for c, v in zip(columns, row, strict=True)]
            digest.update(json.dumps(values, sort_keys=True, default=repr).encode())  # jsonb orders keys its way
            count += 1
        result[model._meta.label] = (count, digest.hexdigest())
    return result


def _fetch(using: str, sql: str) -> list[tuple]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture
def world(validated_relazione) -> bytes:  # noqa: F811
    """The demo plans with their users and consuntivi, and a validated Relazione with its stored PDF."""
    result = demo_seed(fixtures_dir=FIXTURES)
    assert not result.errors
    archive = io.BytesIO()
    backup_create(target=archive)
    return archive.getvalue()


def test_a_backup_restores_every_table_and_file_into_an_empty_database(world, empty_database):
    vendors = [connections["default"].vendor]
    if vendors[0] == "postgresql":
        vendors.append("sqlite")  # PostgreSQL → SQLite; SQLite → PostgreSQL is the README's manual check
    expected = table_digests("default")
    assert expected["plans.Plan"][0] == 3 and expected["indicators.HistoricalIndicator"][0] > 300
    final = RelazioneArtifact.objects.get(kind=ArtifactKind.FINAL)
    for vendor in vendors:
        alias, storage = empty_database(vendor), InMemoryStorage()
        report = backup_restore(source=io.BytesIO(world), using=alias, storage=storage)
        assert report.media_files >= 1
        assert table_digests(alias) == expected
        restored = RelazioneArtifact.objects.using(alias).get(kind=ArtifactKind.FINAL)
        content = storage.open(restored.file.name).read()
        assert hashlib.sha256(content).hexdigest() == final.sha256 == restored.sha256
        assert content == default_storage.open(final.file.name).read()
        # Sequences follow the restored ids: a new row gets a new key.
        Ente.objects.using(alias).create(code="NUOVO", name="Camera di commercio Nuova")
        assert Plan.objects.using(alias).count() == 3
        with pytest.raises(BackupError, match="non è vuoto"):
            backup_restore(source=io.BytesIO(world), using=alias, storage=storage)


def test_a_damaged_backup_is_refused_before_anything_is_written(small_plan):
    archive = io.BytesIO()
    backup_create(target=archive)
    damaged = io.BytesIO()
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data.replace(b"Prova", b"Prove") if info.filename == "db/plans.ente.jsonl" else data)
    with pytest.raises(BackupError, match="danneggiato: «db/plans.ente.jsonl»"):
        backup_restore(source=damaged, migrate=False)
    with pytest.raises(BackupError, match="non è un archivio"):
        backup_restore(source=io.BytesIO(b"non un zip"), migrate=False)


def test_a_non_empty_database_is_refused(small_plan):
    archive = io.BytesIO()
    backup_create(target=archive)
    assert "plans.Plan" in database_contents()
    with pytest.raises(BackupError, match="Il database di destinazione non è vuoto"):
        backup_restore(source=archive, migrate=False)
