"""Hostile workbooks (issue 11): every bound of perfplan/limits.py refuses with an Italian message that says where
and what the limit is, nothing is written, and memory stays small."""

import datetime as dt
import io
import re
import threading
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from consuntivi.models import Measurement, MeasurementChange, Round
from indicators.models import Baseline, Indicator, Target
from perfplan.actors import system_actor
from plans.models import Ente, Objective, OrgUnit, Plan, PlanRevision
from tests.factories import BASE_SHEETS, PASSWORD, sheets, workbook_bytes
from workbook.plan_import import plan_import
from workbook.uploads import import_purge_abandoned

pytestmark = pytest.mark.django_db

MB = 1_048_576
MODELS = [Ente, OrgUnit, Plan, Objective, Indicator, Baseline, Target, Round, Measurement, PlanRevision]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def nothing_written() -> bool:
    return all(model.objects.count() == 0 for model in MODELS)


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


def replace_part(workbook: io.BytesIO, part: str, chunks, *, level: int = 9) -> io.BytesIO:
    """The workbook with one part's content replaced, written in chunks (a bomb never sits whole in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as handle:
            for chunk in chunks:
                handle.write(chunk)
    out.seek(0)
    return out


def patch_part(workbook: io.BytesIO, part: str, old: bytes, new: bytes) -> io.BytesIO:
    with zipfile.ZipFile(workbook) as src:
        data = src.read(part)
    assert old in data
    return replace_part(workbook, part, [data.replace(old, new)])


def sheet_part(workbook: io.BytesIO, name: str) -> str:
    """The zip member of a sheet, as openpyxl numbers them (in the order the sheets were created)."""
    index = list(BASE_SHEETS).index(name) + 1
    return f"xl/worksheets/sheet{index}.xml"


def one_string_of(size: int):
    """A shared-strings part whose one string is `size` bytes of «A»: 1 MB compressed for about 1 GB."""
    yield f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    block = b"A" * MB
    for _ in range(size // MB):
        yield block
    yield b"</t></si></sst>"


# --- the zip directory, before any XML is parsed ---------------------------------------------------------------


def test_a_cell_that_inflates_to_300_mb_is_refused_from_the_zip_directory_with_little_memory():
    bomb = replace_part(workbook_bytes(), "xl/sharedStrings.xml", one_string_of(300 * MB))
    assert len(bomb.getvalue()) < 2 * MB  # what is uploaded
    tracemalloc.start()
    try:
        report = plan_import(source=bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not report.ok and nothing_written()
    (message,) = messages(report)
    assert message.startswith(
        "foglio «file»: Il file supera i limiti delle importazioni: la parte «xl/sharedStrings.xml»"
    )
    assert re.search(r"è compressa [\d.]+ volte \([\d,]+ MB → 300,0 MB\): il limite è 100 volte", message), message
    assert peak < 20 * MB  # the 300 MB string was never inflated


def test_a_sheet_that_inflates_past_the_ratio_is_named_by_its_sheet():
    part = sheet_part(workbook_bytes(), "Obiettivi")
    chunks = [f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'.encode()]
    chunks += [b"A" * MB] * 50 + [b"</t></is></c></row></sheetData></worksheet>"]
    report = plan_import(source=replace_part(workbook_bytes(), part, chunks))
    assert not report.ok and nothing_written()
    assert "la parte del foglio «Obiettivi» è compressa" in messages(report)[0]


def test_the_total_uncompressed_size_is_bounded_even_when_each_ratio_is_allowed(settings):
    settings.IMPORT_MAX_COMPRESSION_RATIO = 1_000_000
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10 * MB
    bomb = replace_part(workbook_bytes(), "xl/sharedStrings.xml", one_string_of(11 * MB))
    report = plan_import(source=bomb)
    assert not report.ok and nothing_written()
    # 11 MB of «A» plus the other parts of the workbook: 11,0 MB once rounded to a tenth
    assert "una volta decompresso il file occuperebbe 11,0 MB: il limite è 10,0 MB" in messages(report)[0]


def test_a_dtd_is_refused_in_italian_not_with_the_parser_s_english():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        + f'<sst xmlns="{MAIN_NS}"><si><t>&lol2;</t></si></sst>'.encode()
    )
    report = plan_import(source=replace_part(workbook_bytes(), "xl/sharedStrings.xml", [laughs]))
    assert not report.ok and nothing_written()
    assert "dichiarazioni DTD (<!DOCTYPE>, <!ENTITY>) non ammesse" in messages(report)[0]
    assert "amplification" not in messages(report)[0]


# --- rows, cells, errors ---------------------------------------------------------------------------------------


def objectives_with_actions(count: int) -> dict:
    rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    rows += [[f"A{n}", "Azione", "1011.01", f"Azione {n}", None, None, ""] for n in range(count)]
    return sheets(Obiettivi=rows)


def test_a_sheet_may_have_as_many_data_rows_as_the_limit(settings):
    settings.IMPORT_MAX_ROWS_PER_SHEET = 7  # Piano has 7 labels; the base plan has 4 objectives, 3 more make 7
    report = plan_import(source=workbook_bytes(objectives_with_actions(3)))
    assert report.ok, messages(report)


def test_one_row_more_than_the_limit_refuses_the_file_where_it_is(settings):
    settings.IMPORT_MAX_ROWS_PER_SHEET = 7
    report = plan_import(source=workbook_bytes(objectives_with_actions(4)))
    assert not report.ok and nothing_written()
    # header in row 1, data rows 2..9: the 8th data row (row 9) is one too many
    assert messages(report) == [
        "foglio «file»: Il file supera i limiti delle importazioni: foglio «Obiettivi», riga 9: "
        "più di 7 righe di dati: il limite è 7 righe per foglio."
    ]


def test_a_workbook_may_have_as_many_data_rows_in_total_as_the_limit(settings):
    # Piano 7, Unita organizzative 2, Obiettivi 4, Indicatori 3, Consuntivi 2: 18 data rows, headers excluded
    settings.IMPORT_MAX_ROWS_TOTAL = 18
    report = plan_import(source=workbook_bytes())
    assert report.ok, messages(report)
    assert Objective.objects.count() == 4 and Measurement.objects.count() == 2


def test_one_row_more_than_the_total_limit_refuses_the_file_where_it_is(settings):
    settings.IMPORT_MAX_ROWS_TOTAL = 17
    report = plan_import(source=workbook_bytes())
    assert not report.ok and nothing_written()
    # every sheet within IMPORT_MAX_ROWS_PER_SHEET: the 18th data row, the last consuntivo (row 3), is one too many
    assert messages(report) == [
        "foglio «file»: Il file supera i limiti delle importazioni: foglio «Consuntivi», riga 3: "
        "la cartella di lavoro ha più di 17 righe di dati in totale: il limite è 17 righe per tutti i fogli insieme."
    ]


def test_the_total_limit_counts_every_sheet_and_speaks_italian_numbers(settings):
    settings.IMPORT_MAX_ROWS_TOTAL = 1_000
    # 18 rows of the base plan and 983 actions: 1.001 data rows, the last consuntivo is one too many
    report = plan_import(source=workbook_bytes(objectives_with_actions(983)))
    assert not report.ok and nothing_written()
    assert messages(report) == [
        "foglio «file»: Il file supera i limiti delle importazioni: foglio «Consuntivi», riga 3: "
        "la cartella di lavoro ha più di 1.000 righe di dati in totale: il limite è 1.000 righe per tutti i fogli "
        "insieme."
    ]
    # one action less: at the limit, imported
    report = plan_import(source=workbook_bytes(objectives_with_actions(982)))
    assert report.ok, messages(report)
    assert Objective.objects.count() == 4 + 982


def test_the_total_limit_stops_the_reading_at_the_first_row_past_it(settings):
    settings.IMPORT_MAX_ROWS_TOTAL = 1_000
    # Piano 7 and units 2 come first: the 1.001st data row is the Obiettivi's 992nd, in row 993; the rest is not read
    report = plan_import(source=workbook_bytes(objectives_with_actions(5_000)))
    assert not report.ok and nothing_written()
    assert messages(report) == [
        "foglio «file»: Il file supera i limiti delle importazioni: foglio «Obiettivi», riga 993: "
        "la cartella di lavoro ha più di 1.000 righe di dati in totale: il limite è 1.000 righe per tutti i fogli "
        "insieme."
    ]


def test_consuntivi_written_a_batch_at_a_time_each_keep_their_own_history(monkeypatch):
    monkeypatch.setattr("workbook.plan_import.WRITE_BATCH", 1)  # every consuntivo and its history goes on its own
    report = plan_import(source=workbook_bytes())
    assert report.ok, messages(report)
    assert report.created["consuntivi"] == 2
    values = {
        m.raw or m.numerator: set(MeasurementChange.objects.filter(measurement=m).values_list("new_value", flat=True))
        for m in Measurement.objects.all()
    }
    assert values == {
        "382": {"382"},
        Decimal("2900"): {"2.900", "100", "Ritardi di fine anno"},
    }


def test_a_cell_longer_than_32767_characters_is_refused_with_sheet_row_and_cell():
    source = workbook_bytes()  # openpyxl cuts texts at 32.767 characters: the XML is written by hand
    part = sheet_part(source, "Obiettivi")
    source = patch_part(source, part, b"<t>Pubblicazioni sul sito</t>", b"<t>" + b"x" * 32_768 + b"</t>")
    report = plan_import(source=source)
    assert not report.ok and nothing_written()
    assert messages(report) == [
        "foglio «file»: Il file supera i limiti delle importazioni: foglio «Obiettivi», riga 4: cella D4: "
        "il testo ha 32.768 caratteri: al massimo 32.767 per cella."
    ]


def test_a_cell_of_exactly_32767_characters_is_accepted():
    rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    rows[3][3] = "x" * 32_767
    report = plan_import(source=workbook_bytes(sheets(Obiettivi=rows)))
    assert report.ok, messages(report)
    assert len(Objective.objects.get(code="1011.01").title) == 32_767


def test_only_the_first_200_errors_are_listed_and_the_rest_counted():
    rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    rows += [[f"X{n}", "Nessun tipo", "1", "Errata", None, None, ""] for n in range(300)]  # one error each
    report = plan_import(source=workbook_bytes(sheets(Obiettivi=rows)))
    assert not report.ok and nothing_written()
    assert len(report.errors) == 201 and report.error_count == 300
    assert str(report.errors[0]).startswith("foglio «Obiettivi», riga 6, colonna «Tipo»: Tipo «Nessun tipo»")
    assert str(report.errors[-1]) == "foglio «file»: … e altri 100 errori."


def test_the_error_page_of_many_bad_rows_stays_small(client, planner):
    rows = [list(r) for r in BASE_SHEETS["Obiettivi"]]
    rows += [[f"X{n}", "Nessun tipo", "1", "Errata", None, None, ""] for n in range(3000)]
    assert client.login(username=planner.username, password=PASSWORD)
    data = workbook_bytes(sheets(Obiettivi=rows)).getvalue()
    response = client.post(reverse("plans:import"), {"file": SimpleUploadedFile("piano.xlsx", data)})
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(reverse("plans:import_analysis", args=[token])).content.decode()
    assert "3.000 errori" in page and "… e altri 2.800 errori." in page
    assert page.count("Nessun tipo") == 200 and len(page) < 200_000


# --- values the database cannot hold ---------------------------------------------------------------------------


def plan_value(label: str, value) -> dict:
    rows = [list(r) for r in BASE_SHEETS["Piano"]]
    for row in rows:
        if row[0] == label:
            row[1] = value
    return sheets(Piano=rows)


def indicator_cell(column: int, value) -> dict:
    rows = [list(r) for r in BASE_SHEETS["Indicatori"]]
    rows[1][column] = value  # row 2: indicator F1
    return sheets(Indicatori=rows)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            plan_value("Codice ente", "C" * 21),
            "foglio «Piano», riga 3, colonna «B»: Il valore è troppo lungo: al massimo 20 caratteri (ne ha 21).",
        ),
        (
            plan_value("Titolo", "T" * 301),
            "foglio «Piano», riga 4, colonna «B»: Il valore è troppo lungo: al massimo 300 caratteri (ne ha 301).",
        ),
        (
            indicator_cell(6, 1_000_000),  # Peso: numeric(7,2) holds 99.999,99
            "foglio «Indicatori», riga 2, colonna «Peso»: Il valore è troppo grande: al massimo 5 cifre prima della "
            "virgola.",
        ),
        (
            indicator_cell(6, "1.000.000"),
            "foglio «Indicatori», riga 2, colonna «Peso»: Il valore è troppo grande: al massimo 5 cifre prima della "
            "virgola.",
        ),
        (
            indicator_cell(8, "1" * 40),  # Baseline: numeric(20,6) holds 14 digits before the point
            "foglio «Indicatori», riga 2, colonna «Baseline»: Il valore è troppo grande: al massimo 14 cifre prima "
            "della virgola.",
        ),
        (
            indicator_cell(9, ">= 1" + "0" * 32),  # Target 2017: numeric(24,6) holds 18 digits
            "foglio «Indicatori», riga 2, colonna «Target 2017»: Il valore è troppo grande: al massimo 18 cifre "
            "prima della virgola.",
        ),
    ],
)
def test_values_too_big_for_their_column_are_refused_where_they_are(content, expected):
    report = plan_import(source=workbook_bytes(content))
    assert not report.ok and nothing_written()
    assert expected in messages(report), messages(report)


def test_a_text_longer_than_its_column_is_refused():
    rows = [list(r) for r in BASE_SHEETS["Indicatori"]]
    rows[0].append("Fonte")
    rows[1].append("F" * 301)  # Fonte: varchar(300)
    report = plan_import(source=workbook_bytes(sheets(Indicatori=rows)))
    assert not report.ok and nothing_written()
    assert (
        "foglio «Indicatori», riga 2, colonna «Fonte»: Il valore è troppo lungo: al massimo 300 caratteri (ne ha 301)."
        in messages(report)
    )


def test_an_infinite_weight_cell_is_refused_not_a_crash():
    source = workbook_bytes(indicator_cell(6, 12345.678))  # Peso of F1, then written as 1E999 in the XML
    source = patch_part(source, sheet_part(source, "Indicatori"), b"<v>12345.678</v>", b"<v>1E999</v>")
    report = plan_import(source=source)
    assert not report.ok and nothing_written()
    assert "foglio «Indicatori», riga 2, colonna «Peso»: Il valore non è un numero finito." in messages(report)


def test_a_consuntivo_and_its_measures_are_checked_too():
    rows = [list(r) for r in BASE_SHEETS["Consuntivi"]]
    rows[2][5] = "1" * 25  # Numeratore: numeric(24,6)
    report = plan_import(source=workbook_bytes(sheets(Consuntivi=rows)))
    assert not report.ok and nothing_written()
    assert (
        "foglio «Consuntivi», riga 3, colonna «Numeratore»: Il valore è troppo grande: al massimo 18 cifre prima "
        "della virgola." in messages(report)
    )


# --- the tree's depth ------------------------------------------------------------------------------------------


def chain_of(levels: int) -> dict:
    """An area, a strategic objective, then operational objectives nested under each other: `levels` levels."""
    rows = [list(BASE_SHEETS["Obiettivi"][0])]
    rows.append(["1", "Area strategica", "", "Area", None, None, ""])
    rows.append(["2", "Obiettivo strategico", "1", "Strategico", None, None, ""])
    for level in range(3, levels + 1):
        rows.append([str(level), "Obiettivo operativo", str(level - 1), f"Livello {level}", None, None, ""])
    indicators = [BASE_SHEETS["Indicatori"][0], ["2", "F1", "Indicatore", "", "N.", "", None, None, "", "1", "", ""]]
    return sheets(Obiettivi=rows, Indicatori=indicators, Consuntivi=None)


def test_a_tree_of_12_levels_is_accepted():
    report = plan_import(source=workbook_bytes(chain_of(12)))
    assert report.ok, messages(report)


def test_a_13th_level_is_refused_at_its_row():
    report = plan_import(source=workbook_bytes(chain_of(13)))
    assert not report.ok and nothing_written()
    assert messages(report) == [
        "foglio «Obiettivi», riga 14, colonna «Codice padre»: L'albero del piano può avere al massimo 12 livelli "
        "(questo nodo sarebbe al livello 13)."
    ]


def test_a_tree_600_deep_is_one_error_not_a_recursion_error():
    report = plan_import(source=workbook_bytes(chain_of(600)))
    assert not report.ok and nothing_written()
    assert len(report.errors) == 1 and "al livello 13" in messages(report)[0]


# --- the browser upload ----------------------------------------------------------------------------------------


def stored_uploads() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_an_upload_past_the_limit_is_stopped_while_it_streams_and_never_stored(client, planner, settings):
    settings.MAX_WORKBOOK_BYTES = 100 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024  # beyond this Django would write a temporary file
    before = stored_uploads()
    assert client.login(username=planner.username, password=PASSWORD)
    big = SimpleUploadedFile("piano.xlsx", b"x" * (300 * 1024))
    response = client.post(reverse("plans:import"), {"file": big})
    assert response.status_code == 200
    assert "Il file è troppo grande: il limite è 0,1 MB." in response.content.decode()
    assert stored_uploads() == before


def test_an_abandoned_upload_is_deleted_by_the_next_upload_after_the_configured_hours(client, planner, settings):
    settings.IMPORT_PENDING_HOURS = 24
    name = default_storage.save("imports/abbandonato.xlsx", ContentFile(b"x"))
    assert import_purge_abandoned(now=timezone.now() + dt.timedelta(hours=23)) == 0
    assert name.removeprefix("imports/") in stored_uploads()
    settings.IMPORT_PENDING_HOURS = 0  # anything stored before now is abandoned
    assert client.login(username=planner.username, password=PASSWORD)
    response = client.post(reverse("plans:import"), {"file": SimpleUploadedFile("piano.xlsx", b"PK")})
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    assert stored_uploads() == [f"{token}.xlsx"]
    assert import_purge_abandoned(now=timezone.now() + dt.timedelta(hours=1)) == 1
    assert stored_uploads() == []


# --- two imports of the same new plan at once ------------------------------------------------------------------


def _two_simultaneous_imports_of_one_new_plan_give_one_plan_and_no_error():
    ente = Ente.objects.create(code="PR", name="Camera di commercio di Prova")
    system_actor()  # exists already, as in production: its creation would otherwise order the two imports
    title = BASE_SHEETS["Piano"][3][1]
    data = workbook_bytes().getvalue()
    # A third transaction inserts the plan and waits: both imports then find no plan and block on its insert,
    # the race of the issue, made certain. Its rollback lets them go.
    inserted, release = threading.Event(), threading.Event()

    def block():
        try:
            with transaction.atomic():
                Plan.objects.create(ente=ente, title=title, start_year=2017, end_year=2019)
                inserted.set()
                release.wait(30)
                transaction.set_rollback(True)
        finally:
            connections.close_all()

    blocker = threading.Thread(target=block)
    blocker.start()
    assert inserted.wait(10)
    reports, failures = [], []

    def run():
        try:
            reports.append(plan_import(source=io.BytesIO(data)))
        except Exception as exc:  # noqa: BLE001 - the test reports what escaped
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline, waiting = time.monotonic() + 20, 0
    while waiting < 2 and time.monotonic() < deadline:  # both imports are waiting for a lock
        time.sleep(0.05)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE NOT l.granted AND a.datname = current_database()"
            )
            waiting = cursor.fetchone()[0]
    assert waiting == 2
    release.set()
    blocker.join(30)
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert len(reports) == 2 and all(r.ok for r in reports), [messages(r) for r in reports]
    assert Plan.objects.filter(ente=ente, title=title).count() == 1
    assert sorted(r.created["obiettivi"] for r in reports) == [0, 4]


# Collected on PostgreSQL only (CI runs the whole suite on both): SQLite lets one transaction write at a time, so
# the race cannot happen there, and a skipped test would be a test CI never runs.
if django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    test_two_simultaneous_imports_of_one_new_plan_give_one_plan_and_no_error = pytest.mark.django_db(transaction=True)(
        _two_simultaneous_imports_of_one_new_plan_give_one_plan_and_no_error
    )


def test_bounds_have_one_home():
    """The numbers live in settings and perfplan/limits.py only (no second copy in the import code)."""
    root = Path(__file__).resolve().parents[2]
    for module in ("workbook/reader.py", "perfplan/xlsx_reader.py", "workbook/plan_import.py", "workbook/uploads.py"):
        text = (root / module).read_text()
        for number in ("32767", "32_767", "100000", "100_000", "75000", "75_000", "20 * 1024"):
            assert number not in text, (module, number)
