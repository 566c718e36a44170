from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from workbook.writer import plan_export


class Command(BaseCommand):
    help = "Esporta un piano (con i consuntivi della rilevazione finale) in una cartella di lavoro .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("file")

    def handle(self, *args, **options):
        plan = Plan.objects.select_related("ente").filter(pk=options["plan_id"]).first()
        if plan is None:
            raise CommandError(f"Il piano {options['plan_id']} non esiste.")
        Path(options["file"]).write_bytes(plan_export(plan=plan))
        self.stderr.write(f"Piano «{plan.title}» esportato in {options['file']}.")
