import json

from django.core.management.base import BaseCommand

from plans.services import plan_import


class Command(BaseCommand):
    help = "Importa un piano da una cartella di lavoro .xlsx (tutto o niente)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="cartella di lavoro .xlsx nel formato di perfplan")
        parser.add_argument("--dry-run", action="store_true", help="controlla il file senza scrivere nulla")
        parser.add_argument("--json", action="store_true", help="stampa solo il risultato in JSON su una riga")
        parser.add_argument("--motivo", default="", help="motivazione, obbligatoria per reimportare un piano adottato")

    def handle(self, *args, **options):
        report = plan_import(source=options["file"], dry_run=options["dry_run"], reason=options["motivo"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            if not report.ok:
                raise SystemExit(1)
            return
        for warning in report.warnings:
            self.stderr.write(f"Avviso – {warning}")
        if not report.ok:
            self.stderr.write(
                self.style.ERROR(f"Importazione rifiutata: {len(report.errors)} errori, nulla è stato scritto.")
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
