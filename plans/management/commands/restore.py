import time

from django.core.management.base import BaseCommand, CommandError

from perfplan.backup import BackupError, backup_restore
from perfplan.formats import number_it


class Command(BaseCommand):
    help = "Ripristina un backup (database e media/) in un database vuoto, dopo averlo migrato."

    def add_arguments(self, parser):
        parser.add_argument("file", help="l'archivio .zip scritto da `manage.py backup`")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            report = backup_restore(source=options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Ripristinate {number_it(report.rows)} righe e {number_it(report.media_files)} file da {options['file']} "
            f"in {number_it(time.monotonic() - started, 1)} s."
        )
