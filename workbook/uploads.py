"""Browser import: the uploaded workbook waits in storage under a random token between preview and confirm.

Upload → `import_store` (file kept in MEDIA_ROOT/imports/, token remembered in the user's session) → preview
(`plan_import(dry_run=True)`) → confirm (`plan_import` with the same file) → `import_discard`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

from perfplan.limits import import_limits
from perfplan.permissions import Action, can, require
from perfplan.roles import user_ente
from perfplan.uploads import too_large_message
from plans.models import Plan, PlanState
from workbook.plan_import import ImportProgress, ImportReport, plan_import
from workbook.reader import PlanReader, WorkbookRejected, open_workbook

SESSION_KEY = "plan_imports"
IMPORTS_FOLDER = "imports"
ENTITY_LABELS = {
    "unità": "Unità organizzative",
    "obiettivi": "Obiettivi",
    "indicatori": "Indicatori",
    "target": "Target",
    "consuntivi": "Consuntivi",
    "impatti": "Impatti (valore pubblico)",
}


@dataclass
class PendingImport:
    token: str
    name: str
    size: int

    @property
    def path(self) -> str:
        return f"{IMPORTS_FOLDER}/{self.token}.xlsx"


def _check_importer(user) -> None:
    require(user, Action.PLAN_IMPORT)


def import_store(*, session, user, upload) -> PendingImport:
    """Keep an uploaded workbook until the user confirms or drops it; the token lives in their session only.

    The upload was bounded while it streamed (perfplan/uploads.py); it is copied in chunks, never whole in memory.
    Uploads abandoned by anyone (neither confirmed nor cancelled) are deleted here, after IMPORT_PENDING_HOURS.
    """
    _check_importer(user)
    limit = import_limits().upload_bytes
    if upload.size > limit:
        raise ValidationError(too_large_message(limit))
    import_purge_abandoned()
    token = secrets.token_urlsafe(16)
    pending = PendingImport(token=token, name=upload.name[:200], size=upload.size)
    default_storage.save(pending.path, upload)
    stored = dict(session.get(SESSION_KEY, {}))
    stored[token] = {"name": pending.name, "size": pending.size}
    session[SESSION_KEY] = stored
    return pending


def import_purge_abandoned(*, now: dt.datetime | None = None) -> int:
    """Delete stored uploads older than IMPORT_PENDING_HOURS (a closed tab leaves its file behind); how many."""
    try:
        _folders, names = default_storage.listdir(IMPORTS_FOLDER)
    except FileNotFoundError:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(hours=import_limits().pending_hours)
    deleted = 0
    for name in names:
        path = f"{IMPORTS_FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # deleted meanwhile by its own user or another purge
            continue
    return deleted


def import_get(*, session, token: str) -> PendingImport:
    """404 for a token that is not this user's (another user's token is as good as none)."""
    meta = session.get(SESSION_KEY, {}).get(token)
    if meta is None:
        raise Http404("Importazione non trovata o già conclusa.")
    pending = PendingImport(token=token, name=meta["name"], size=meta["size"])
    if not default_storage.exists(pending.path):
        raise Http404("Il file caricato non è più disponibile: caricarlo di nuovo.")
    return pending


def forget_import(*, session, pending: PendingImport) -> None:
    """Drop the token from the session; the file stays (an import job reads it, then deletes it)."""
    stored = dict(session.get(SESSION_KEY, {}))
    stored.pop(pending.token, None)
    session[SESSION_KEY] = stored


def import_discard(*, session, pending: PendingImport) -> None:
    forget_import(session=session, pending=pending)
    if default_storage.exists(pending.path):
        default_storage.delete(pending.path)


def _content(pending: PendingImport) -> BytesIO:
    with default_storage.open(pending.path, "rb") as handle:
        return BytesIO(handle.read())


@dataclass
class ImportTarget:
    """The plan a workbook would update, read from its Piano sheet alone (cheap, before the dry run)."""

    ente_code: str
    title: str
    plan: Plan | None

    @property
    def needs_reason(self) -> bool:
        return self.plan is not None and self.plan.state == PlanState.ADOPTED


def import_target(*, pending: PendingImport) -> ImportTarget | None:
    try:
        wb = open_workbook(_content(pending), max_bytes=settings.MAX_WORKBOOK_BYTES)
    except WorkbookRejected:
        return None
    try:
        reader = PlanReader(wb)
        reader.read_plan()
    except WorkbookRejected:  # a damaged sheet met while reading rows
        return None
    finally:
        wb.close()
    data = reader.data
    plan = Plan.objects.filter(ente__code=data.ente_code, title=data.title).first() if data.title else None
    return ImportTarget(ente_code=data.ente_code, title=data.title, plan=plan)


def import_run(
    *, pending: PendingImport, user, dry_run: bool, reason: str = "", progress: ImportProgress | None = None
) -> ImportReport:
    """Run the importer on the stored file, limited to the user's ente (admins without one: any ente)."""
    _check_importer(user)
    ente = user_ente(user)
    if ente is None and not can(user, Action.ADMIN_SITE):
        raise PermissionDenied("Il tuo utente non è associato a nessun ente.")
    if dry_run and not reason:
        # The preview shows what a re-import of an adopted plan would change; the real run asks for the reason.
        reason = "anteprima"
    return plan_import(
        source=_content(pending), dry_run=dry_run, reason=reason, user=user, ente=ente, progress=progress
    )
