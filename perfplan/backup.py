"""Backup and restore of a whole perfplan site: the database and the media files, together, in one .zip.

The archive holds `manifest.json` (format version, date, database engine, applied migrations, and the size and
SHA-256 of every other member), one `db/<app>.<model>.jsonl` per table (Django's serializer, one object a line, in
primary-key order) and `media/<name>` for every file of the default storage (validated PDFs, evidence, logos).

Why not dumpdata/loaddata: loaddata saves row by row (two queries a row on PostgreSQL), holds the whole dump in
memory and sends m2m signals that the audit would record as new changes. Here every table is written and read a
chunk at a time and inserted in raw bulk INSERTs (no signals, `auto_now` dates kept), inside one transaction.
Primary keys are kept, since the audit history keeps ids in plain columns; content types and permissions are left
to `migrate` and referred to by natural key, so a backup made on SQLite restores on PostgreSQL and the other way
round. Restoring needs an empty database at the backup's migration state (`backup_restore` migrates it first).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import django
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.python import Deserializer
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from perfplan.roles import Role

FORMAT = "perfplan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK_ROWS = 2000
COPY_BYTES = 1 << 20
# Filled by `migrate` on the target, identical on every database of the same code: referred to by natural key.
NATURAL_MODELS = (ContentType, Permission)
# Not data: sessions are tied to the SECRET_KEY and expire anyway; the plans' data tokens are made by the database's
# triggers as the rows are restored (consuntivi.data_version).
SKIPPED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "consuntivi.plandatatoken"}


class BackupError(Exception):
    """A backup that cannot be restored here, with the reason in Italian."""


@dataclass
class Member:
    path: str
    size: int
    sha256: str
    rows: int | None = None


@dataclass
class BackupReport:
    members: list[Member] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(m.rows or 0 for m in self.members)

    @property
    def media_files(self) -> int:
        return sum(1 for m in self.members if m.path.startswith("media/"))


def backed_up_models() -> list[type[models.Model]]:
    """Every table the site's data lives in, m2m tables included (as models of their own), in a stable order."""
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.label_lower in SKIPPED:
            continue
        if opts.parents:
            raise BackupError(f"Il modello {opts.label} eredita da un altro: il backup non lo gestisce.")
        chosen.append(model)
    return sorted(chosen, key=lambda m: m._meta.label_lower)


class _Serializer(PythonSerializer):
    """Django's python serializer with natural keys only towards content types and permissions, and no inline
    m2m values (each m2m table is dumped as a table of its own)."""

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = issubclass(field.remote_field.model, NATURAL_MODELS)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        return None


def _json_default(value: Any) -> Any:
    """Like DjangoJSONEncoder, but datetimes keep their microseconds (the audit orders by them)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        raise BackupError("Campi binari non previsti nel backup.")
    raise TypeError(f"{type(value).__name__} non serializzabile")


class _HashingWriter(io.RawIOBase):
    """Counts and hashes what is written into a zip member."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.size, self.digest = target, 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.target.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def _applied_migrations(using: str) -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connections[using]).applied_migrations())


def _media_names(storage: Storage, directory: str = "") -> Iterator[str]:
    try:
        dirs, files = storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(dirs):
        yield from _media_names(storage, f"{directory}/{sub}" if directory else sub)


def backup_create(
    *, target: str | Path | IO[bytes], using: str = DEFAULT_DB_ALIAS, storage: Storage | None = None
) -> BackupReport:
    """Write the database `using` and the media of `storage` into the zip `target`, a table at a time."""
    storage = storage or default_storage
    report = BackupReport()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        connection = connections[using]
        outermost = not connection.in_atomic_block
        with transaction.atomic(using=using):
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # every table read from one snapshot
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for model in backed_up_models():
                path = f"db/{model._meta.label_lower}.jsonl"
                with archive.open(_entry(path), "w", force_zip64=True) as raw:
                    out = _HashingWriter(raw)
                    rows = 0
                    queryset = model._base_manager.using(using).order_by("pk")
                    for chunk in _chunks(queryset.iterator(chunk_size=CHUNK_ROWS), CHUNK_ROWS):
                        objects = _Serializer().serialize(chunk)
                        out.write(
                            "".join(
                                json.dumps(o, ensure_ascii=False, default=_json_default) + "\n" for o in objects
                            ).encode()
                        )
                        rows += len(objects)
                report.members.append(Member(path, out.size, out.digest.hexdigest(), rows))
            migrations = _applied_migrations(using)
        for name in _media_names(storage):
            path = f"media/{name}"
            with storage.open(name, "rb") as source, archive.open(_entry(path), "w", force_zip64=True) as raw:
                out = _HashingWriter(raw)
                while block := source.read(COPY_BYTES):
                    out.write(block)
            report.members.append(Member(path, out.size, out.digest.hexdigest()))
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": timezone.now().isoformat(),
            "django": django.get_version(),
            "engine": connections[using].vendor,
            "migrations": migrations,
            "members": [m.__dict__ for m in report.members],
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return report


def _entry(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _chunks(iterator: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as exc:
        raise BackupError("Il file non è un backup di perfplan (manca o è illeggibile manifest.json).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("Il file non è un backup di perfplan.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"Versione del backup non supportata: {manifest.get('version')}.")
    for member in manifest["members"]:
        path = member["path"]
        if not (path.startswith("db/") or path.startswith("media/")) or ".." in path.split("/"):
            raise BackupError(f"Percorso non ammesso nel backup: «{path}».")
    return manifest


def backup_verify(*, archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every member has the size and SHA-256 the manifest says, before anything is written."""
    for member in manifest["members"]:
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(member["path"]) as source:
                while block := source.read(COPY_BYTES):
                    digest.update(block)
                    size += len(block)
        except KeyError as exc:
            raise BackupError(f"Il backup è incompleto: manca «{member['path']}».") from exc
        if size != member["size"] or digest.hexdigest() != member["sha256"]:
            raise BackupError(f"Il backup è danneggiato: «{member['path']}» non corrisponde al manifest (SHA-256).")


def database_contents(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows in the tables a restore would fill, leaving out what `migrate` itself writes (the role groups)."""
    found = {}
    for model in backed_up_models():
        queryset = model._base_manager.using(using)
        if model is Group:
            queryset = queryset.exclude(name__in=Role.ALL)
        elif model is Group.permissions.through:
            queryset = queryset.exclude(group__name__in=Role.ALL)
        count = queryset.count()
        if count:
            found[model._meta.label] = count
    return found


def _insert_rows(model: type[models.Model], lines: list[bytes], using: str) -> None:
    objects = [d.object for d in Deserializer([json.loads(line) for line in lines], using=using)]
    fields = model._meta.concrete_fields
    ops = connections[using].ops
    batch = max(1, ops.bulk_batch_size(fields, objects))
    for start in range(0, len(objects), batch):
        # raw=True as loaddata: no signals, no auto_now, the stored values as they are.
        model._base_manager.using(using)._insert(objects[start : start + batch], fields=fields, raw=True, using=using)


def backup_restore(
    *, source: str | Path | IO[bytes], using: str = DEFAULT_DB_ALIAS, storage: Storage | None = None, migrate=True
) -> BackupReport:
    """Restore a backup into the empty database `using` (migrated first) and the media into `storage`."""
    storage = storage or default_storage
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError as exc:
        raise BackupError(f"Il file «{source}» non esiste.") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError("Il file non è un archivio .zip leggibile.") from exc
    with archive:
        manifest = _read_manifest(archive)
        backup_verify(archive=archive, manifest=manifest)
        if migrate:
            call_command("migrate", database=using, interactive=False, verbosity=0)
        here = _applied_migrations(using)
        if here != manifest["migrations"]:
            missing = sorted(set(manifest["migrations"]) - set(here))
            extra = sorted(set(here) - set(manifest["migrations"]))
            raise BackupError(
                "Il backup viene da un'altra versione dello schema: ripristinarlo con la stessa versione di perfplan "
                f"e poi aggiornare. Migrazioni solo nel backup: {', '.join(missing) or 'nessuna'}; solo qui: "
                f"{', '.join(extra) or 'nessuna'}."
            )
        found = database_contents(using=using)
        if found:
            listed = ", ".join(f"{label} ({count})" for label, count in sorted(found.items())[:5])
            raise BackupError(
                "Il database di destinazione non è vuoto: il ripristino richiede un database nuovo, appena creato "
                f"(contiene già: {listed}{', …' if len(found) > 5 else ''})."
            )
        by_path = {f"db/{m._meta.label_lower}.jsonl": m for m in backed_up_models()}
        report = BackupReport()
        with transaction.atomic(using=using):
            Group.objects.using(using).all().delete()  # the role groups of migrate: the backup has them, same ids
            for member in manifest["members"]:
                if not member["path"].startswith("db/"):
                    continue
                model = by_path.get(member["path"])
                if model is None:
                    raise BackupError(f"Tabella sconosciuta nel backup: «{member['path']}».")
                with archive.open(member["path"]) as lines:
                    for chunk in _chunks(iter(lines), CHUNK_ROWS):
                        _insert_rows(model, chunk, using)
                report.members.append(Member(**member))
            connection = connections[using]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), backed_up_models()):
                    cursor.execute(sql)
            # Files last, still inside the transaction: a failure leaves no half-restored database.
            for member in manifest["members"]:
                if member["path"].startswith("media/"):
                    _restore_file(archive, member, storage)
                    report.members.append(Member(**member))
    return report


def _restore_file(archive: zipfile.ZipFile, member: dict, storage: Storage) -> None:
    name = member["path"].removeprefix("media/")
    if storage.exists(name):
        storage.delete(name)  # a leftover of another site: the database that named it is gone
    with archive.open(member["path"]) as source:
        saved = storage.save(name, File(source, name=name))
    if saved != name:
        raise BackupError(f"Il file «{name}» è stato salvato come «{saved}».")
