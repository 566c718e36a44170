from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from reports.models import Relazione
from reports.selectors import final_artifact
from reports.services import relazione_render_pdf


class Command(BaseCommand):
    help = "Scrive la Relazione sulla performance di un anno del piano in PDF (il PDF validato, se esiste)."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("-o", "--output", required=True, help="file PDF da scrivere")

    def handle(self, *args, plan_id, year, output, **options):
        plan = Plan.objects.select_related("ente").filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(f"Piano {plan_id} non trovato.")
        if year not in plan.years:
            raise CommandError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
        relazione = Relazione.objects.filter(plan=plan, year=year).first()
        artifact = final_artifact(relazione=relazione) if relazione else None
        target = Path(output)
        if artifact is not None:  # a validated Relazione is never rendered again
            with artifact.file.open("rb") as stored:
                target.write_bytes(stored.read())
            self.stdout.write(f"{target}: PDF validato, {artifact.pages} pagine, SHA-256 {artifact.sha256}")
            return
        try:
            rendered = relazione_render_pdf(plan=plan, year=year, relazione=relazione)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        target.write_bytes(rendered.content)
        self.stdout.write(f"{target}: {rendered.pages} pagine in {rendered.seconds:.1f} s")
