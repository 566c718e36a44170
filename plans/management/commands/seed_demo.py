from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from perfplan.demo import DEMO_WORKBOOKS, demo_seed
from plans.models import Plan


class Command(BaseCommand):
    help = "Carica i piani dimostrativi di fixtures/ e crea un utente per ruolo (credenziali stampate)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="non fa nulla se il database ha già dei piani")

    def handle(self, *args, **options):
        if options["if_empty"] and Plan.objects.exists():
            self.stdout.write("Il database contiene già dei piani: dati dimostrativi non caricati.")
            return
        fixtures = Path(settings.BASE_DIR) / "fixtures"
        result = demo_seed(fixtures_dir=fixtures)
        if result.errors:
            raise CommandError("\n".join(result.errors))
        for name in DEMO_WORKBOOKS:
            self.stdout.write(f"Caricato {name}")
        self.stdout.write(self.style.SUCCESS("Utenti dimostrativi (password di prova, da cambiare in produzione):"))
        for user in result.users:
            self.stdout.write(f"  {user.role:<15} utente: {user.username:<16} password: {user.password}  {user.note}")
