"""`manage.py ensure_database`: creates the PostgreSQL database of DATABASE_URL when it does not exist (make serve)."""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Crea il database PostgreSQL di DATABASE_URL se non esiste ancora (SQLite: nulla da fare)."

    def handle(self, *args, **options):
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.postgresql":
            self.stderr.write("Database non PostgreSQL: nulla da creare.")
            return
        name = database["NAME"]
        server = {
            "host": database.get("HOST") or None,
            "port": database.get("PORT") or None,
            "user": database.get("USER") or None,
            "password": database.get("PASSWORD") or None,
        }
        try:
            # The server's maintenance database: the one of DATABASE_URL may not be there yet.
            with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **server) as connection:
                exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
                if exists:
                    self.stderr.write(f"Il database {name} esiste già.")
                    return
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise CommandError(f"Impossibile verificare o creare il database {name}: {exc}") from exc
        self.stderr.write(f"Database {name} creato.")
