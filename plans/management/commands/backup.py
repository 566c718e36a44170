import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from perfplan.backup import BackupError, backup_create
from perfplan.formats import number_it


class Command(BaseCommand):
    help = "Salva database e file caricati (media/) in un unico archivio .zip con manifest e SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file .zip (predefinito: backups/perfplan-AAAAMMGG-HHMMSS.zip)")

    def handle(self, *args, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = Path(options["output"] or f"backups/perfplan-{stamp}.zip")
        if path.exists():
            raise CommandError(f"Il file {path} esiste già: scegliere un altro nome.")
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            report = backup_create(target=path)
        except BackupError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(str(exc)) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self.stderr.write(
            f"Backup scritto in {path}: {number_it(report.rows)} righe, {number_it(report.media_files)} file, "
            f"{number_it(path.stat().st_size / 1_048_576, 1)} MB in {number_it(time.monotonic() - started, 1)} s."
        )
        self.stdout.write(str(path))
