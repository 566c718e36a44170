import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from reports.piao.data import piao_data
from reports.piao.documents import document_format, piao_docx, piao_pdf


class Command(BaseCommand):
    help = (
        "Scrive la sezione 2 del PIAO (Valore pubblico, performance e anticorruzione) di un anno del piano, o il "
        "Piano della performance se il piano non è un PIAO, in PDF o DOCX secondo l'estensione del file."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("-o", "--output", required=True, help="file .pdf o .docx da scrivere")

    def handle(self, *args, plan_id, year, output, **options):
        try:
            suffix = document_format(output)
        except ValueError as error:
            raise CommandError(str(error)) from error
        plan = Plan.objects.select_related("ente").filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(f"Piano {plan_id} non trovato.")
        started = time.perf_counter()
        try:
            data = piao_data(plan=plan, year=year)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        target = Path(output)
        if suffix == ".pdf":
            content, pages = piao_pdf(data)
            target.write_bytes(content)
            self.stdout.write(f"{target}: {pages} pagine in {time.perf_counter() - started:.1f} s")
        else:
            target.write_bytes(piao_docx(data))
            self.stdout.write(f"{target}: DOCX in {time.perf_counter() - started:.1f} s")
