"""A plan's data token: a value the database itself changes whenever a row a plan's score reads changes.

A scored plan may then be kept between requests (consuntivi.scores) and can never outlive its data, whatever wrote
it: a form, the import, the admin, a command, a bulk update or plain SQL. The rule lives in the database (triggers
installed by a migration) because that is the one place every path goes through.

- The token is random on SQLite and the writing transaction's id on PostgreSQL: a value that a rolled-back
  transaction took is never seen again, so a score computed inside such a transaction can never be taken for the
  data that comes after it.
- On PostgreSQL the triggers are deferred to the commit: a transaction locks its plans' token row only as it
  commits, so a long import and a save of the same plan cannot deadlock on it. One update per plan and
  transaction (the others find the token already theirs). Until then the token still speaks for the committed
  data, so a transaction that has written is given no token (plan_token) and neither takes nor keeps a score.
- TRACKED must name every table plan_score reads (tests/consuntivi/test_data_version.py checks it against the
  queries). The triggers are dropped before every `migrate` and installed again after it (apps.py), so a change
  here or a migration that rebuilds a tracked table needs nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, connections

TOKENS = "consuntivi_plandatatoken"
# PostgreSQL: the committing transactions change their tokens one at a time. A transaction that writes to two plans
# (a unit changes the tokens of all its ente's plans) would otherwise lock their token rows in its own order, and
# two such commits could deadlock. Held from a commit's first token change to its end: a save's few rows take well
# under a millisecond, the 10.000-indicator import about 2 s.
ADVISORY_LOCK = 7_345_112_021


@dataclass(frozen=True)
class Tracked:
    table: str
    plans: str  # SQL giving, as `plan`, the ids of the plans a row belongs to; ROW stands for NEW or OLD


# A row's plans, reached through the parents that exist while the row does (Django deletes children first).
TRACKED = (
    Tracked("plans_plan", "SELECT ROW.id AS plan"),
    Tracked(  # the ente's plans, and any plan with a node of this unit (the tree reads a unit of another ente too)
        "plans_orgunit",
        "SELECT p.id AS plan FROM plans_plan p WHERE p.ente_id = ROW.ente_id "
        "UNION SELECT o.plan_id FROM plans_objective o WHERE o.org_unit_id = ROW.id",
    ),
    Tracked("plans_objective", "SELECT ROW.plan_id AS plan"),
    Tracked("indicators_indicator", "SELECT o.plan_id AS plan FROM plans_objective o WHERE o.id = ROW.objective_id"),
    Tracked(
        "indicators_target",
        "SELECT o.plan_id AS plan FROM indicators_indicator i JOIN plans_objective o ON o.id = i.objective_id "
        "WHERE i.id = ROW.indicator_id",
    ),
    Tracked(
        "indicators_baseline",
        "SELECT o.plan_id AS plan FROM indicators_indicator i JOIN plans_objective o ON o.id = i.objective_id "
        "WHERE i.id = ROW.indicator_id",
    ),
    Tracked("indicators_round", "SELECT ROW.plan_id AS plan"),
    Tracked("indicators_measurement", "SELECT r.plan_id AS plan FROM indicators_round r WHERE r.id = ROW.round_id"),
)


def _sqlite(schema_editor) -> None:
    for tracked in TRACKED:
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            name = f"{tracked.table}_token_{event.lower()}"
            bumps = "".join(
                f"INSERT INTO {TOKENS} (plan_id, token) SELECT plan, random() FROM "
                f"({tracked.plans.replace('ROW.', row + '.')}) AS owners WHERE plan IS NOT NULL "
                "ON CONFLICT (plan_id) DO UPDATE SET token = excluded.token; "
                for row in rows
            )
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {tracked.table} FOR EACH ROW BEGIN {bumps}END"
            )


def _postgresql(schema_editor) -> None:
    for tracked in TRACKED:
        function, name = f"{tracked.table}_token", f"{tracked.table}_token"

        def bump(row: str, tracked: Tracked = tracked) -> str:
            return (
                f"INSERT INTO {TOKENS} AS t (plan_id, token) SELECT plan, txid_current() FROM "
                f"({tracked.plans.replace('ROW.', row + '.')}) AS owners WHERE plan IS NOT NULL "
                "ON CONFLICT (plan_id) DO UPDATE SET token = excluded.token WHERE t.token <> excluded.token;"
            )

        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock({ADVISORY_LOCK}); "
            f"IF TG_OP <> 'INSERT' THEN {bump('OLD')} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {bump('NEW')} END IF; "
            "RETURN NULL; END $$"
        )
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {tracked.table}")
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {tracked.table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def install(apps, schema_editor) -> None:
    """Create (or replace) the triggers and give every plan a new token: what a migration wrote while they were
    away (apps.py drops them for the length of every `migrate`) is then never taken for what was kept before."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite(schema_editor)
        schema_editor.execute(f"UPDATE {TOKENS} SET token = random()")
        schema_editor.execute(f"INSERT OR IGNORE INTO {TOKENS} (plan_id, token) SELECT id, random() FROM plans_plan")
    elif vendor == "postgresql":
        _postgresql(schema_editor)
        schema_editor.execute(f"UPDATE {TOKENS} SET token = txid_current()")
        schema_editor.execute(
            f"INSERT INTO {TOKENS} (plan_id, token) SELECT id, txid_current() FROM plans_plan ON CONFLICT DO NOTHING"
        )
    # Any other database has no triggers: plan_token() then gives None and nothing is kept.


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for tracked in TRACKED:
        if vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {tracked.table}_token_{event}")
        elif vendor == "postgresql":  # with its trigger; no error while the table does not exist yet
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {tracked.table}_token() CASCADE")


def reinstall_after_migrate(*, using: str, plan=None, **kwargs) -> None:
    """post_migrate: the triggers again, once the migrations have run (see apps.py). Not after a flush (no plan):
    a flush leaves them in place."""
    if plan is None:
        return
    db = connections[using]
    if TOKENS not in db.introspection.table_names():  # migrated back to before the tokens
        return
    with db.schema_editor() as schema_editor:
        install(None, schema_editor)


def drop_before_migrate(*, using: str, **kwargs) -> None:
    """pre_migrate: SQLite rebuilds a table to alter it (Django's _remake_table), which drops its triggers and fails
    on the triggers of other tables that name it; so none are in place while migrations run."""
    with connections[using].schema_editor() as schema_editor:
        uninstall(None, schema_editor)


def plan_token(plan_id: int) -> int | None:
    """The plan's current token (one query); None when nothing may be kept or taken: a database without the
    triggers, or, on PostgreSQL, a transaction that has written and not committed yet (its deferred triggers have
    not changed the token, so the token would speak for data this transaction may still roll back)."""
    vendor = connection.vendor
    if vendor == "sqlite":  # immediate triggers: inside a writing transaction the token is already a new one
        sql = f"SELECT token FROM {TOKENS} WHERE plan_id = %s"
    elif vendor == "postgresql":
        sql = f"SELECT token FROM {TOKENS} WHERE plan_id = %s AND txid_current_if_assigned() IS NULL"
    else:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, [plan_id])
        row = cursor.fetchone()
    return row[0] if row else None
