"""Migrations keep the data: a database holding consuntivi in the old layout (the indicators app's Round, Measurement,
MeasurementChange, Evidence) is migrated forward and every row is still there, read through the consuntivi app.

The move is state-only (the tables keep their names), so the test rolls the migration state back to before it,
writes rows with the models of that state, migrates forward and reads them with today's models.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from consuntivi.models import Evidence, Measurement, MeasurementChange, Round
from plans.models import Plan
from tests.factories import FIXTURES
from workbook.plan_import import plan_import

BEFORE_MOVE = [("indicators", "0003_audit_history")]
MOVED = ["round", "historicalround", "measurement", "measurementchange", "evidence"]


@pytest.mark.django_db(transaction=True)
def test_consuntivi_rows_survive_the_move_to_their_own_app():
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")  # the demo plan with its 2017 consuntivi
    assert report.ok, report.errors
    plan = Plan.objects.get(pk=report.plan_id)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_MOVE)  # consuntivi 0001 and indicators 0004 unapplied
        old = MigrationExecutor(connection).loader.project_state(BEFORE_MOVE[0]).apps
        old_round = old.get_model("indicators", "Round")
        old_measurement = old.get_model("indicators", "Measurement")
        # Written in the old layout: a round of 2018, a value in it with its change and its evidence.
        extra = old_round.objects.create(plan_id=plan.pk, year=2018, label="Monitoraggio 2018", final=False)
        indicator_id = old_measurement.objects.filter(round__plan_id=plan.pk).values_list("indicator_id", flat=True)[0]
        value = old_measurement.objects.create(
            indicator_id=indicator_id, round=extra, year=2018, raw="42", value_number=42
        )
        old.get_model("indicators", "MeasurementChange").objects.create(
            measurement=value, action="save", field="raw", old_value="", new_value="42"
        )
        old.get_model("indicators", "Evidence").objects.create(
            measurement=value,
            file="evidenze/x.pdf",
            original_name="verbale.pdf",
            content_type="application/pdf",
            size=9,
        )
        # An old database's content types name the indicators app (admin logs and permissions point at them).
        ContentType.objects.filter(app_label="consuntivi").delete()
        old_types = {
            model: ContentType.objects.get_or_create(app_label="indicators", model=model)[0].pk for model in MOVED
        }
        counts = {
            name: old.get_model("indicators", name).objects.count()
            for name in ("Round", "Measurement", "MeasurementChange", "Evidence")
        }
        assert counts["Measurement"] > 200 and counts["Round"] == 2  # Modena: 2017 final + the 2018 one above

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert {
        "Round": Round.objects.count(),
        "Measurement": Measurement.objects.count(),
        "MeasurementChange": MeasurementChange.objects.count(),
        "Evidence": Evidence.objects.count(),
    } == counts
    moved = Measurement.objects.select_related("round").get(round__label="Monitoraggio 2018")
    assert moved.raw == "42" and moved.round.plan_id == plan.pk and moved.round.year == 2018
    assert moved.changes.get().new_value == "42" and moved.evidence.get().original_name == "verbale.pdf"
    assert Round.history.model._meta.db_table == "indicators_historicalround"
    # The same content type rows, now under consuntivi: nothing that pointed at them is orphaned.
    assert {ct.model: ct.pk for ct in ContentType.objects.filter(app_label="consuntivi")} == old_types
    assert not ContentType.objects.filter(app_label="indicators", model__in=MOVED).exists()
    assert Measurement.objects.filter(round__plan=plan, round__final=True, year=2017).exists()
