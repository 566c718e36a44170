from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from consuntivi.management.commands.score_plan import date_option
from consuntivi.scores import no_round_at_message
from plans.models import Plan
from reports.monitoring import monitoring_docx, monitoring_pdf, monitoring_report


class Command(BaseCommand):
    help = "Scrive il rapporto di monitoraggio di un anno del piano alla data indicata (PDF o DOCX, dall'estensione)."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--al", required=True, metavar="GG/MM/AAAA", help="la data della situazione")
        parser.add_argument("-o", "--output", required=True, help="file .pdf o .docx da scrivere")

    def handle(self, *args, plan_id, year, al, output, **options):
        target = Path(output)
        if target.suffix.lower() not in (".pdf", ".docx"):
            raise CommandError(f"Formato non riconosciuto: «{target.name}» (usare .pdf o .docx).")
        plan = Plan.objects.select_related("ente").filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(f"Il piano {plan_id} non esiste.")
        if year not in plan.years:
            raise CommandError(f"L'anno {year} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
        at = date_option(al)
        report = monitoring_report(plan=plan, year=year, at=at, today=timezone.localdate())
        if report is None:
            raise CommandError(no_round_at_message(year=year, at=at))
        content = monitoring_pdf(report)[0] if target.suffix.lower() == ".pdf" else monitoring_docx(report)
        target.write_bytes(content)
        self.stdout.write(
            f"{target}: situazione al {report.at} ({report.round_label}), {report.risky_objectives} obiettivi a rischio"
        )
