import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports.models import ArtifactKind
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdf_pages


def test_render_relazione_writes_the_draft_pdf(small_plan, tmp_path):
    target = tmp_path / "relazione.pdf"
    out = StringIO()
    call_command("render_relazione", str(small_plan.pk), "--year", str(YEAR), "-o", str(target), stdout=out)
    pages = pdf_pages(target.read_bytes())
    assert "Relazione sulla performance 2017" in pages[0] and "BOZZA" in pages[0]
    assert f"{len(pages)} pagine" in out.getvalue()


def test_render_relazione_copies_the_validated_file_byte_for_byte(validated_relazione, tmp_path):
    target = tmp_path / "validata.pdf"
    call_command(
        "render_relazione", str(validated_relazione.plan_id), "--year", str(YEAR), "-o", str(target), stdout=StringIO()
    )
    artifact = validated_relazione.artifacts.get(kind=ArtifactKind.FINAL, superseded_at__isnull=True)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == artifact.sha256


def test_render_relazione_refuses_a_year_outside_the_plan(small_plan, tmp_path):
    with pytest.raises(CommandError, match="non rientra nel piano"):
        call_command("render_relazione", str(small_plan.pk), "--year", "2030", "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
