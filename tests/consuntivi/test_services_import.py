"""Bulk consuntivi: the `Consuntivi` sheet imported into a round (preview, all or nothing) and a unit's sheet."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from consuntivi.models import Measurement, MeasurementChange
from consuntivi.services import measurements_save, round_close
from tests.consuntivi.factories import client_for, entry, indicator
from tests.factories import workbook_bytes
from workbook.round_sheet import round_import

HEADER = ["Codice obiettivo", "Codice indicatore", "Nome", "Anno", "Valore", "Numeratore", "Denominatore", "Note"]


def sheet(*rows) -> BytesIO:
    return workbook_bytes({"Consuntivi": [HEADER, *rows]})


def test_a_dry_run_previews_the_rows_and_writes_nothing(rnd, who):
    source = sheet(["1011.02", "", "Eventi organizzati", 2017, "12", None, None, ""])
    report = round_import(data_round=rnd, source=source, user=who["planner"], dry_run=True)
    assert report.ok and report.counts["creati"] == 1
    assert not Measurement.objects.exists()


def test_the_import_writes_every_row_as_accepted_with_its_history(plan, rnd, who):
    source = sheet(
        ["1011.02", "", "Eventi organizzati", 2017, "12", None, None, ""],
        ["1011.0101", "", "Pratiche evase nei termini", 2017, "", 45, 50, ""],
        ["101", "F1", "", 2017, "382", None, None, ""],
    )
    report = round_import(data_round=rnd, source=source, user=who["planner"])
    assert report.ok and report.counts["creati"] == 3
    saved = {m.indicator.name: m for m in Measurement.objects.select_related("indicator")}
    assert saved["Eventi organizzati"].value_number == 12
    assert (saved["Pratiche evase nei termini"].numerator, saved["Pratiche evase nei termini"].denominator) == (45, 50)
    assert {m.status for m in saved.values()} == {"verificato"}
    assert MeasurementChange.objects.filter(action="import", field="Valore", new_value="382").exists()


def test_one_bad_row_refuses_the_whole_file_naming_sheet_row_and_column(rnd, who):
    source = sheet(
        ["1011.02", "", "Eventi organizzati", 2017, "12", None, None, ""],
        ["1011.0101", "", "Pratiche evase nei termini", 2017, "", 45, None, ""],
        ["1011.01", "", "Indicatore inesistente", 2017, "3", None, None, ""],
    )
    report = round_import(data_round=rnd, source=source, user=who["planner"])
    messages = [str(e) for e in report.errors]
    assert (
        "foglio «Consuntivi», riga 3, colonna «Denominatore»: Indicare sia il numeratore sia il denominatore."
        in messages
    )
    assert any(
        m.startswith("foglio «Consuntivi», riga 4, colonna «Nome»: Indicatore «Indicatore inesistente»")
        for m in messages
    )
    assert not Measurement.objects.exists()


def test_rows_of_another_year_do_not_belong_to_the_round(rnd, who):
    report = round_import(
        data_round=rnd,
        source=sheet(["1011.02", "", "Eventi organizzati", 2018, "12", None, None, ""]),
        user=who["planner"],
    )
    assert [str(e) for e in report.errors] == [
        "foglio «Consuntivi», riga 2, colonna «Anno»: "
        "L'anno 2018 non è quello della rilevazione «Consuntivo 2017» (2017)."
    ]
    assert not Measurement.objects.exists()


def test_a_file_without_the_consuntivi_sheet_is_refused(rnd, who):
    report = round_import(data_round=rnd, source=workbook_bytes({"Altro": [["a"]]}), user=who["planner"])
    assert [str(e) for e in report.errors] == ["foglio «Consuntivi»: Manca il foglio «Consuntivi»."]


def test_the_import_updates_an_existing_value_and_keeps_the_old_one_in_the_history(plan, rnd, who):
    eventi = indicator(plan, "Eventi organizzati")
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "11")])
    report = round_import(
        data_round=rnd,
        source=sheet(["1011.02", "", "Eventi organizzati", 2017, "12", None, None, ""]),
        user=who["planner"],
    )
    assert report.counts["aggiornati"] == 1
    m = Measurement.objects.get(indicator=eventi)
    assert (m.value_number, m.status, m.version) == (12, "verificato", 2)
    assert MeasurementChange.objects.filter(action="import", field="Valore", old_value="11", new_value="12").exists()


def test_only_the_planning_office_imports_and_only_into_an_open_round(rnd, who):
    upload = SimpleUploadedFile("c.xlsx", sheet(["1011.02", "", "Eventi organizzati", 2017, "12"]).getvalue())
    response = client_for(who["head_u2"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/importa/", {"file": upload})
    assert response.status_code == 403 and not Measurement.objects.exists()
    round_close(data_round=rnd, user=who["planner"], confirmed=True)
    upload.seek(0)
    response = client_for(who["planner"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/importa/", {"file": upload})
    assert response.status_code == 403 and not Measurement.objects.exists()


def test_the_import_page_shows_the_errors_of_a_bad_file(rnd, who):
    upload = SimpleUploadedFile("c.xlsx", sheet(["1011.02", "", "Eventi organizzati", "duemila", "12"]).getvalue())
    response = client_for(who["planner"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/importa/", {"file": upload})
    assert response.status_code == 200
    assert "riga 2, colonna «Anno»: Anno non valido: «duemila»" in response.content.decode()


def test_a_units_sheet_is_filled_offline_and_imported_back(plan, rnd, who):
    client = client_for(who["planner"])
    response = client.get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U1'].pk}/foglio.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="consuntivi-2017-U1.xlsx"'
    wb = load_workbook(BytesIO(response.content))
    ws = wb["Consuntivi"]
    header = [c.value for c in ws[1]]
    rows = {row[2]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"Report pubblicati entro la scadenza", "Indice di liquidità", "Pratiche evase nei termini"}
    assert rows["Pratiche evase nei termini"][header.index("Target")] == "≥ 90 %"
    for number, row in enumerate(ws.iter_rows(min_row=2), start=2):
        name = row[2].value
        value = {"Report pubblicati entro la scadenza": "28/09/2017", "Pratiche evase nei termini": "95 %"}.get(name)
        if value:
            ws.cell(number, header.index("Valore") + 1, value)
        else:
            ws.cell(number, header.index("Variabili") + 1, "Liq_Imm=13.092.700; PassCorr=4.352.680")
    filled = BytesIO()
    wb.save(filled)
    filled.seek(0)
    report = round_import(data_round=rnd, source=filled, user=who["planner"])
    assert report.ok and report.warnings == [] and report.counts["creati"] == 3
    liquidity = Measurement.objects.get(indicator__name="Indice di liquidità")
    assert liquidity.variables == {"Liq_Imm": "13092700", "PassCorr": "4352680"}


def test_a_responsabile_downloads_only_the_sheets_of_their_units(rnd, who):
    client = client_for(who["head_u1"])
    assert client.get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U1'].pk}/foglio.xlsx").status_code == 200
    assert client.get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U2'].pk}/foglio.xlsx").status_code == 403


def test_a_sheet_past_the_upload_limit_is_stopped_while_it_streams(rnd, who, settings):
    settings.MAX_WORKBOOK_BYTES = 100 * 1024
    client = client_for(who["planner"])
    big = SimpleUploadedFile("consuntivi.xlsx", b"x" * (300 * 1024))
    response = client.post(reverse("consuntivi:round_import", args=[rnd.pk]), {"file": big, "dry_run": "on"})
    assert response.status_code == 200
    assert "Il file è troppo grande: il limite è 0,1 MB." in response.content.decode()
    assert not MeasurementChange.objects.exists()
