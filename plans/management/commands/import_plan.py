import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from perfplan.permissions import Action, require
from perfplan.roles import user_ente
from workbook.plan_import import plan_import


class Command(BaseCommand):
    help = "Importa un piano da una cartella di lavoro .xlsx (tutto o niente)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="cartella di lavoro .xlsx nel formato di perfplan")
        parser.add_argument("--dry-run", action="store_true", help="controlla il file senza scrivere nulla")
        parser.add_argument("--json", action="store_true", help="stampa solo il risultato in JSON su una riga")
        parser.add_argument("--motivo", default="", help="motivazione, obbligatoria per reimportare un piano adottato")
        parser.add_argument(
            "--utente",
            default="",
            help="chi importa (username): obbligatorio per modificare un piano adottato; limita l'import al suo ente. "
            "Senza, le scritture sono firmate dall'utente di sistema",
        )

    def handle(self, *args, **options):
        user, ente = self._actor(options["utente"])
        report = plan_import(
            source=options["file"], dry_run=options["dry_run"], reason=options["motivo"], user=user, ente=ente
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            if not report.ok:
                raise SystemExit(1)
            return
        for warning in report.warnings:
            self.stderr.write(f"Avviso – {warning}")
        if not report.ok:
            self.stderr.write(
                self.style.ERROR(
                    ngettext(
                        "Importazione rifiutata: %(n)d errore, nulla è stato scritto.",
                        "Importazione rifiutata: %(n)d errori, nulla è stato scritto.",
                        report.error_count,
                    )
                    % {"n": report.error_count}
                )
            )
            for error in report.errors:
                self.stderr.write(f"Errore – {error}")
            raise SystemExit(1)
        summary = ", ".join(
            f"{name}: {report.created[name]} nuovi, {report.updated[name]} aggiornati"
            for name in ("obiettivi", "indicatori", "target", "consuntivi")
        )
        if report.dry_run:
            self.stderr.write(f"Verifica riuscita (nessuna scrittura). {summary}")
            self.stdout.write("null")
            return
        for missing in report.missing:
            self.stderr.write(f"Non più presente nel file (non cancellato): {missing}")
        self.stderr.write(f"Importazione riuscita. {summary}")
        self.stdout.write(str(report.plan_id))

    def _actor(self, username: str):
        """The named user, checked against the same permissions table as the browser import."""
        if not username:
            return None, None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Utente «{username}» inesistente o disattivato.")
        try:
            require(user, Action.PLAN_IMPORT)
        except PermissionDenied as exc:
            raise CommandError(f"L'utente «{username}»: {exc}") from exc
        return user, user_ente(user)
