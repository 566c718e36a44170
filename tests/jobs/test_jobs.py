"""Long work as jobs, run for real: queued by the page, taken by the worker's own command, followed by the page.

Each test switches to django-tasks' database backend (the `queue` fixture) and runs `db_worker --batch` once
(tests/jobs/conftest.py): the page sees the job waiting, then its result. Nothing of ours is mocked. The tests
commit (transactional_db): the worker, as in production, closes a connection it finds inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from html import unescape

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consuntivi.services import measurements_save, unit_submit
from indicators.models import Target
from jobs.health import oldest_waiting_seconds
from jobs.models import Job, JobKind, JobState
from perfplan.roles import Role
from plans.lifecycle import plan_year_get
from plans.models import Ente, YearState
from reports.models import ArtifactKind, Relazione, RelazioneArtifact, RelazioneState, Validation
from tests.consuntivi.factories import entry, entry_plan, indicator, open_round, people
from tests.factories import PASSWORD
from tests.jobs.conftest import run_worker
from tests.plans.test_views_import import upload, with_target
from tests.reports.conftest import YEAR
from tests.reports.pdf_text import pdf_pages

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
SIGNED = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def rurl(name: str, plan, *extra) -> str:
    return reverse(f"reports:{name}", args=[plan.pk, YEAR, *extra])


def job_updates(queries) -> list[tuple[int, int]]:
    """(done, total) of each progress UPDATE of a job row, in order, read from the SQL the worker ran."""
    found = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith('UPDATE "jobs_job"') and '"done" =' in sql and '"finished_at"' not in sql:
            done, total = re.search(r'"done" = (\d+), "total" = (\d+)', sql).groups()
            found.append((int(done), int(total)))
    return found


# --- the preview PDF -----------------------------------------------------------------------------------------------


def test_the_draft_pdf_is_a_job_whose_progress_reaches_the_total_and_whose_pdf_is_downloadable(
    client, queue, planner, relazione
):
    queue.RELAZIONE_PDF_CHUNK_ROWS = 4  # the small plan in several chunks: several steps of progress
    plan = relazione.plan
    login(client, planner)
    response = client.post(rurl("render", plan), **HTMX)
    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.state, job.owner, job.plan, job.year) == (
        JobKind.RELAZIONE_DRAFT,
        JobState.QUEUED,
        planner,
        plan,
        YEAR,
    )
    html = unescape(response.content.decode())
    assert (
        'data-job-state="in_coda"' in html and f'hx-get="{job.status_url}"' in html and 'hx-trigger="every 1s"' in html
    )
    assert DBTaskResult.objects.ready().count() == 1 and job.task_id
    assert not RelazioneArtifact.objects.exists()

    # A reload finds the job again; a second click follows it instead of queueing another.
    assert f'id="job-{job.pk}"' in client.get(rurl("detail", plan)).content.decode()
    client.post(rurl("render", plan), **HTMX)
    assert Job.objects.count() == 1

    with CaptureQueriesContext(connection) as queries:
        run_worker()
    job.refresh_from_db()
    artifact = RelazioneArtifact.objects.get(relazione=relazione, kind=ArtifactKind.DRAFT)
    assert job.state == JobState.DONE and job.artifact == artifact and job.error == ""
    steps = job_updates(queries)
    assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1] == job.total and job.total >= 3  # chunks + front
    assert (job.done, job.total) == steps[-1] and job.message == f"Pagine generate: {artifact.pages}"
    assert job.started_at <= job.finished_at

    poll = client.get(job.status_url, **HTMX)
    fragment = unescape(poll.content.decode())
    assert 'data-job-state="completato"' in fragment and "hx-trigger" not in fragment  # the polling stops
    assert "Anteprima PDF pronta" in fragment and rurl("draft_pdf", plan) in fragment
    download = client.get(rurl("draft_pdf", plan))
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == artifact.sha256
    pages = pdf_pages(content)
    assert len(pages) == artifact.pages and all("BOZZA" in page for page in pages)


def test_the_job_page_without_htmx_is_a_whole_page(client, queue, planner, relazione):
    login(client, planner)
    response = client.post(rurl("render", relazione.plan))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.status_url
    page = client.get(job.status_url).content.decode()
    assert "<html" in page and "in coda" in page and f"Lavoro n. {job.pk}" in page


def test_a_job_abandoned_by_a_killed_worker_is_said_so_and_can_be_asked_again(client, queue, planner, relazione):
    plan = relazione.plan
    login(client, planner)
    client.post(rurl("render", plan), **HTMX)
    run_worker()  # a first preview, then a job left «in corso» by a worker killed two hours ago
    killed = Job.objects.create(
        kind=JobKind.RELAZIONE_DRAFT,
        owner=planner,
        ente=plan.ente,
        plan=plan,
        year=YEAR,
        state=JobState.RUNNING,
        started_at=timezone.now() - dt.timedelta(hours=2),
    )
    fragment = unescape(client.get(killed.status_url, **HTMX).content.decode())
    assert "interrotto" in fragment and "chiederlo di nuovo" in fragment and "hx-trigger" not in fragment
    assert f'id="job-{killed.pk}"' not in client.get(rurl("detail", plan)).content.decode()
    client.post(rurl("render", plan), **HTMX)
    assert Job.objects.filter(kind=JobKind.RELAZIONE_DRAFT, state=JobState.QUEUED).count() == 1


# --- validation ----------------------------------------------------------------------------------------------------


def validation_post(**changes) -> dict:
    data = {
        "date": "2018-06-28",
        "outcome": "validata",
        "text": "La Relazione è conforme, comprensibile e attendibile.",
        "members": "Mario Rossi (presidente), Anna Bianchi",
        "checklist": ["contenuti", "fonti"],
        "attachment": SimpleUploadedFile("validazione-firmata.pdf", SIGNED, content_type="application/pdf"),
    }
    data.update(changes)
    return data


def test_validation_renders_first_then_stores_the_pdf_with_its_hash_and_moves_the_states(
    client, queue, oiv, approved_relazione
):
    plan = approved_relazione.plan
    login(client, oiv)
    response = client.post(rurl("validate", plan), validation_post())
    assert response.status_code == 302
    job = Job.objects.get(kind=JobKind.RELAZIONE_VALIDATE)
    assert job.state == JobState.QUEUED and job.params["attachment_path"].startswith("lavori/")
    # Nothing moved yet: the act and the states wait for the PDF.
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.APPROVED and not Validation.objects.exists()
    page = client.get(rurl("detail", plan)).content.decode()
    assert 'data-testid="validate-job"' in page and "Registra la validazione" not in page  # no second submission

    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.VALIDATED
    assert plan_year_get(plan=plan, year=YEAR).state == YearState.VALIDATED
    final = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.FINAL)
    assert job.artifact == final
    with final.file.open("rb") as handle:
        stored = handle.read()
    assert hashlib.sha256(stored).hexdigest() == final.sha256 and final.size == len(stored)
    validation = Validation.objects.get()
    assert validation.attachment_sha256 == hashlib.sha256(SIGNED).hexdigest()
    # The PDF rendered before the act was stored shows the act as stored: its date, and the signed file's name.
    text = "\n".join(pdf_pages(stored))
    assert "28/06/2018" in text and validation.attachment.name.split("/")[-1] in text.replace("\n", "")
    assert not default_storage.exists(job.params["attachment_path"])  # the job's copy of the upload is gone
    download = client.get(rurl("pdf", plan))
    assert b"".join(download.streaming_content) == stored and download["X-Content-SHA256"] == final.sha256


def test_a_render_that_fails_stores_nothing_and_the_page_says_why_in_italian(
    client, queue, settings, oiv, approved_relazione
):
    plan = approved_relazione.plan
    login(client, oiv)
    client.post(rurl("validate", plan), validation_post())
    job = Job.objects.get(kind=JobKind.RELAZIONE_VALIDATE)
    settings.STATICFILES_DIRS = []  # the worker finds no print stylesheet: WeasyPrint never starts
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "Errore imprevisto durante il lavoro: nulla è stato salvato" in job.error
    approved_relazione.refresh_from_db()
    assert approved_relazione.state == RelazioneState.APPROVED
    assert plan_year_get(plan=plan, year=YEAR).state == YearState.REPORT_APPROVED
    assert not Validation.objects.exists() and not RelazioneArtifact.objects.filter(kind=ArtifactKind.FINAL).exists()
    assert not default_storage.exists(job.params["attachment_path"])
    settings.STATICFILES_DIRS = [settings.BASE_DIR / "static"]
    fragment = unescape(client.get(job.status_url, **HTMX).content.decode())
    assert 'data-testid="job-error"' in fragment and "non riuscito" in fragment and "nulla è stato salvato" in fragment
    # The OIV may try again: the form is back.
    assert "Registra la validazione" in client.get(rurl("detail", plan)).content.decode()


def test_a_relazione_changed_during_the_render_is_not_validated(client, queue, oiv, planner, approved_relazione):
    """The states are checked again in the short transaction: a Relazione sent back meanwhile is refused."""
    plan = approved_relazione.plan
    login(client, oiv)
    client.post(rurl("validate", plan), validation_post(attachment=""))
    job = Job.objects.get(kind=JobKind.RELAZIONE_VALIDATE)
    Relazione.objects.filter(pk=approved_relazione.pk).update(state=RelazioneState.DRAFT)
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "Si può validare solo una Relazione approvata."
    assert not Validation.objects.exists() and not RelazioneArtifact.objects.filter(kind=ArtifactKind.FINAL).exists()


def test_a_mistake_in_the_validation_form_is_said_at_once_and_queues_nothing(client, queue, oiv, approved_relazione):
    login(client, oiv)
    response = client.post(rurl("validate", approved_relazione.plan), validation_post(members=""), follow=True)
    assert "Indicare i componenti dell&#x27;OIV." in response.content.decode()
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


# --- the plan import -----------------------------------------------------------------------------------------------


def test_the_import_is_a_job_with_its_rows_written_and_its_report(client, queue, planner, small_plan):
    login(client, planner)
    token = upload(client, with_target(">= 360"))
    response = client.post(reverse("plans:import_confirm", args=[token]))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.status_url == f"/piani/importa/lavori/{job.pk}/"
    assert job.kind == JobKind.PLAN_IMPORT and job.state == JobState.QUEUED and job.ente == small_plan.ente
    assert "in coda" in client.get(job.status_url).content.decode()
    assert Target.objects.get(indicator__code="F1", year=2018, is_current=True).raw == ">= 350"

    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.plan == small_plan
    assert job.done == job.total > 0 and job.message == f"Righe scritte: {job.total} di {job.total}"
    assert job.result["ok"] and job.result["updated"]["target"] == 1
    assert Target.objects.get(indicator__code="F1", year=2018, is_current=True).raw == ">= 360"
    page = unescape(client.get(job.status_url).content.decode())
    assert "Importazione completata" in page and small_plan.get_absolute_url() in page
    assert 'data-testid="import-counts"' in page
    assert not default_storage.exists(f"imports/{token}.xlsx")  # the job deleted the upload
    assert client.get(reverse("plans:import_preview", args=[token])).status_code == 404


def test_an_import_refused_by_the_database_rules_fails_with_its_report(client, queue, outsider, small_plan):
    login(client, outsider)
    token = upload(client)
    client.post(reverse("plans:import_confirm", args=[token]))
    run_worker()
    job = Job.objects.get()
    assert job.state == JobState.FAILED and job.error.startswith("Importazione non eseguita: 1 errore nel file")
    page = unescape(client.get(job.status_url).content.decode())
    assert "puoi importare solo piani del tuo ente" in page and 'data-testid="import-error-table"' in page


# --- a round's reminders -------------------------------------------------------------------------------------------


def test_the_reminders_of_a_round_are_a_job(client, queue):
    plan = entry_plan()
    who = people(plan)
    rnd = open_round(plan, who["planner"], deadline=dt.date(2018, 2, 28))
    for user, address in ((who["head_u1"], "studi@example.org"), (who["head_u2"], "eventi@example.org")):
        user.email = address
        user.save()
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(indicator(plan, "Eventi organizzati"), "12")])
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    login(client, who["planner"])
    response = client.post(reverse("consuntivi:round_remind", args=[rnd.pk]))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.status_url and mail.outbox == []
    round_page = client.get(reverse("consuntivi:round", args=[rnd.pk])).content.decode()
    assert 'data-testid="remind-job"' in round_page and "Invia promemoria" not in round_page  # found after a reload
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result == {"sent": ["U1"], "without_recipient": ["A1"]}
    assert [m.to for m in mail.outbox] == [["studi@example.org"]]
    assert f"/consuntivi/rilevazioni/{rnd.pk}/miei/" in mail.outbox[0].body
    page = unescape(client.get(job.status_url).content.decode())
    assert "Promemoria inviato alle unità: U1." in page and "senza responsabili con indirizzo e-mail: A1." in page
    assert "Invia promemoria" in client.get(reverse("consuntivi:round", args=[rnd.pk])).content.decode()
    # Another ente's planner, and a Responsabile of the same ente, see nothing of it.
    from tests.factories import make_user

    elsewhere = make_user("altrove", Role.PLANNER, Ente.objects.create(code="ALTRO", name="Altrove"))
    assert login(client, elsewhere).get(job.status_url).status_code == 404
    assert login(client, who["head_u1"]).get(job.status_url).status_code == 403


# --- who sees a job ------------------------------------------------------------------------------------------------


def test_another_entes_user_never_sees_a_job(client, queue, planner, outsider, office_head, relazione, small_plan):
    login(client, planner)
    client.post(rurl("render", relazione.plan), **HTMX)
    token = upload(client)
    client.post(reverse("plans:import_confirm", args=[token]))
    draft, imported = Job.objects.get(kind=JobKind.RELAZIONE_DRAFT), Job.objects.get(kind=JobKind.PLAN_IMPORT)
    run_worker()
    login(client, outsider)
    assert client.get(draft.status_url).status_code == 404
    assert client.get(imported.status_url).status_code == 404
    other_plan_url = reverse("reports:job", args=[small_plan.pk, YEAR, imported.pk])  # a job of another kind
    login(client, planner)
    assert client.get(other_plan_url).status_code == 404
    login(client, office_head)
    assert client.get(draft.status_url).status_code == 403


# --- the health check ----------------------------------------------------------------------------------------------


def test_the_health_check_reports_a_queue_that_nobody_works(client, queue, planner, relazione):
    assert client.get("/salute/").json() == {"status": "ok", "database": "ok", "jobs": "ok"}
    login(client, planner)
    client.post(rurl("render", relazione.plan), **HTMX)
    assert oldest_waiting_seconds() >= 0
    assert client.get("/salute/").status_code == 200  # waiting, but not for long
    queue.JOBS_MAX_WAIT_SECONDS = -1  # as if the job had waited past the limit
    response = client.get("/salute/")
    assert response.status_code == 503 and response.json() == {"status": "error", "database": "ok", "jobs": "error"}
    job = Job.objects.get()
    fragment = client.get(job.status_url, **HTMX).content.decode()
    assert 'data-testid="job-stuck"' in fragment  # the page says so too
    run_worker()
    assert oldest_waiting_seconds() is None
    assert client.get("/salute/").json() == {"status": "ok", "database": "ok", "jobs": "ok"}


def test_a_worker_busy_on_a_long_job_is_not_reported_as_down(client, queue, planner, relazione, small_plan):
    """Two documents asked together: the worker is on the first (a 10.000-indicator PDF takes minutes) while the
    second waits past JOBS_MAX_WAIT_SECONDS. The worker is busy, not down: the check and the page stay calm, until
    the job it holds is older than JOBS_ABANDONED_SECONDS (its worker was killed)."""
    login(client, planner)
    client.post(rurl("render", relazione.plan), **HTMX)
    client.post(reverse("plans:piao_document", args=[small_plan.pk, 2017, "pdf"]), **HTMX)
    first, second = Job.objects.order_by("pk")
    taken = DBTaskResult.objects.get(id=first.task_id)
    DBTaskResult.objects.filter(pk=taken.pk).update(status="RUNNING", started_at=timezone.now())
    queue.JOBS_MAX_WAIT_SECONDS = -1  # the second has waited past the limit
    assert client.get("/salute/").json() == {"status": "ok", "database": "ok", "jobs": "ok"}
    assert 'data-testid="job-stuck"' not in client.get(second.status_url, **HTMX).content.decode()
    long_ago = timezone.now() - dt.timedelta(seconds=queue.JOBS_ABANDONED_SECONDS + 60)
    DBTaskResult.objects.filter(pk=taken.pk).update(started_at=long_ago)
    assert client.get("/salute/").status_code == 503
    assert 'data-testid="job-stuck"' in client.get(second.status_url, **HTMX).content.decode()
