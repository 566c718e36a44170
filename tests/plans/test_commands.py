"""The stable command contract of DESIGN.md: import_plan, export_plan, seed_demo."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from plans.models import Objective, Plan
from tests.factories import FIXTURES, sheets, workbook_bytes

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, content=None):
    path = tmp_path / "piano.xlsx"
    path.write_bytes(workbook_bytes(content).getvalue())
    return str(path)


def test_import_plan_json_prints_one_line_with_the_plan_id_and_nothing_else(tmp_path):
    code, out, err = run("import_plan", write(tmp_path), "--json")
    assert code == 0 and err == ""
    assert out.count("\n") <= 1
    document = json.loads(out)
    assert document["plan_id"] == Plan.objects.get().pk
    assert document["created"]["indicatori"] == 3


def test_import_plan_dry_run_json_has_a_null_plan_id_and_writes_nothing(tmp_path):
    code, out, _ = run("import_plan", write(tmp_path), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["plan_id"] is None
    assert not Plan.objects.exists()


def test_import_plan_exits_1_listing_every_error_with_sheet_row_and_column(tmp_path):
    bad = sheets()
    bad["Obiettivi"].append(["102", "Obiettivo strategico", "7", "Padre inesistente", None, None, ""])
    bad["Indicatori"].append(["101", "", "Unità strana", "", "litri", "", None, None, "", ">= 1", "", ""])
    code, _, err = run("import_plan", write(tmp_path, bad))
    assert code == 1
    assert "foglio «Obiettivi», riga 6, colonna «Codice padre»: Il padre «7» non esiste nel foglio." in err
    assert "foglio «Indicatori», riga 5, colonna «Unità»" in err
    assert not Objective.objects.exists()


def test_import_plan_prints_the_plan_id_in_text_mode(tmp_path):
    code, out, _ = run("import_plan", write(tmp_path))
    assert code == 0 and out.strip() == str(Plan.objects.get().pk)


def test_export_plan_writes_a_workbook_that_imports_again(tmp_path):
    _, out, _ = run("import_plan", write(tmp_path))
    target = tmp_path / "export.xlsx"
    run("export_plan", out.strip(), str(target))
    Plan.objects.all().delete()
    code, out, _ = run("import_plan", str(target), "--json")
    assert code == 0 and json.loads(out)["created"]["consuntivi"] == 2


def test_seed_demo_loads_both_plans_and_one_user_per_role_and_prints_the_credentials():
    code, out, _ = run("seed_demo")
    assert code == 0
    assert set(Plan.objects.values_list("ente__code", flat=True)) == {"MO", "RAFE"}
    for username in ("pianificazione", "responsabile", "oiv", "admin"):
        assert f"utente: {username}" in out
    code, out, _ = run("seed_demo", "--if-empty")
    assert "già dei piani" in out and Plan.objects.count() == 2


def test_the_fixture_workbooks_are_in_the_repository():
    assert (FIXTURES / "modena_2017_2019.xlsx").exists()
    assert (FIXTURES / "ravenna_ferrara_2021_2023.xlsx").exists()
