"""The documents to download as jobs (PIAO section 2, rapporto di monitoraggio), run by the real worker.

A 10.000-indicator plan's section 2 is 583 pages and 100 s of rendering (benchmarks/bench_export.py): no request
can wait for it, so the page asks, lists what the user asked, and shows the link when the worker is done.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import unescape
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document

from consuntivi.models import Measurement
from jobs.models import Job, JobKind, JobState
from tests.consuntivi.factories import client_for, entry_plan, indicator, open_round, people
from tests.factories import PASSWORD
from tests.jobs.conftest import run_worker
from tests.jobs.test_jobs import HTMX, job_updates, login
from tests.reports.pdf_text import pdf_pages

pytestmark = pytest.mark.django_db(transaction=True)


def piao_url(plan, year: int, fmt: str) -> str:
    return reverse("plans:piao_document", args=[plan.pk, year, fmt])


def file_of(client, job: Job) -> bytes:
    response = client.get(reverse("jobs:document_file", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_section_2_is_a_job_listed_on_the_page_until_its_link_shows(client, queue, planner, small_plan):
    login(client, planner)
    page_url = reverse("plans:public_values", args=[small_plan.pk])
    assert 'data-testid="job' not in client.get(page_url).content.decode()  # nothing asked yet

    response = client.post(piao_url(small_plan, 2017, "pdf"), **HTMX)
    job = Job.objects.get()
    assert (job.kind, job.state, job.owner, job.plan, job.year, job.params["fmt"]) == (
        JobKind.PLAN_DOCUMENT,
        JobState.QUEUED,
        planner,
        small_plan,
        2017,
        "pdf",
    )
    fragment = unescape(response.content.decode())
    assert 'id="documenti"' in fragment and f'hx-get="{job.status_url}"' in fragment
    assert "Piano della performance 2017, PDF: in coda" in fragment
    # A reload lists it again; a second click on the same button follows it; another format is another job.
    assert f'id="job-{job.pk}"' in client.get(page_url).content.decode()
    client.post(piao_url(small_plan, 2017, "pdf"), **HTMX)
    assert Job.objects.count() == 1
    client.post(piao_url(small_plan, 2017, "docx"), **HTMX)
    docx_job = Job.objects.exclude(pk=job.pk).get()
    assert client.get(reverse("jobs:document_file", args=[job.pk])).status_code == 404  # not made yet

    with CaptureQueriesContext(connection) as queries:
        run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.error == "" and job.filename == "Piano-performance-PR-2017.pdf"
    steps = job_updates(queries)
    assert steps[0] == (0, 3) and (job.done, job.total) == (3, 3)  # read, render, store: each step reported
    content = file_of(client, job)
    assert content.startswith(b"%PDF-") and len(pdf_pages(content)) == job.result["pages"] >= 3
    assert job.message == f"{job.result['pages']} pagine, {round(len(content) / 1024)} KB"
    headings = [p.text for p in Document(BytesIO(file_of(client, docx_job))).paragraphs if p.style.name == "Heading 1"]
    assert headings  # a Word document with its headings

    page = unescape(client.get(page_url).content.decode())
    assert page.count('data-testid="job-file"') == 2 and "hx-trigger" not in page  # both done: no polling
    assert "Scarica Piano-performance-PR-2017.docx" in page and "Scarica Piano-performance-PR-2017.pdf" in page
    kept = timezone.localtime(job.finished_at + dt.timedelta(hours=24))
    assert f"scaricabile fino al {kept:%d/%m/%Y} alle {kept:%H:%M}" in page
    # Without htmx, the job's own page.
    asked = client.post(piao_url(small_plan, 2018, "docx"))
    assert asked.status_code == 302 and asked.url == Job.objects.get(year=2018).status_url
    assert "Lavoro n." in client.get(asked.url).content.decode()


def test_a_document_older_than_the_retention_is_deleted_when_the_next_is_asked(
    client, queue, settings, planner, small_plan
):
    login(client, planner)
    client.post(piao_url(small_plan, 2017, "docx"), **HTMX)
    run_worker()
    old = Job.objects.get()
    name = old.file.name
    assert default_storage.exists(name)
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    # Past its time it is no longer offered, even before anything deletes its file.
    assert client.get(reverse("jobs:document_file", args=[old.pk])).status_code == 404
    fragment = client.get(old.status_url, **HTMX).content.decode()
    assert 'data-testid="job-expired"' in fragment and "il file non è più conservato" in fragment
    assert f'id="job-{old.pk}"' not in client.get(reverse("plans:public_values", args=[small_plan.pk])).content.decode()
    # The next document asked deletes it.
    client.post(piao_url(small_plan, 2018, "docx"), **HTMX)
    old.refresh_from_db()
    assert not default_storage.exists(name) and not old.file


def test_a_user_may_have_only_so_many_documents_in_preparation(client, queue, settings, planner, oiv, small_plan):
    """One worker makes the documents one at a time: twenty clicks of one person would hold everyone else's."""
    settings.JOBS_DOCUMENTS_PER_USER = 2
    login(client, planner)
    client.post(piao_url(small_plan, 2017, "pdf"), **HTMX)
    client.post(piao_url(small_plan, 2017, "docx"), **HTMX)
    assert Job.objects.count() == 2
    # The third is refused, said above the list (still polling the two); the same button again still follows its job.
    response = client.post(piao_url(small_plan, 2018, "pdf"), **HTMX)
    fragment = unescape(response.content.decode())
    assert response.status_code == 200 and Job.objects.count() == 2
    assert 'data-testid="documents-refusal"' in fragment
    assert "Hai già 2 documenti in preparazione (elencati nelle pagine da cui sono stati chiesti)" in fragment
    assert fragment.count('data-testid="job"') == 2
    assert client.post(piao_url(small_plan, 2017, "pdf"), **HTMX).status_code == 200 and Job.objects.count() == 2
    # Without JavaScript: back to the page, with the message.
    response = client.post(piao_url(small_plan, 2018, "pdf"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("plans:public_values", args=[small_plan.pk])
    assert "Hai già 2 documenti" in unescape(response.content.decode()) and Job.objects.count() == 2
    # The limit is per person: the OIV may ask meanwhile.
    login(client, oiv)
    client.post(piao_url(small_plan, 2018, "pdf"), **HTMX)
    assert Job.objects.filter(owner=oiv).count() == 1
    # A job whose worker was killed (abandoned) no longer counts; nor does a finished one.
    login(client, planner)
    Job.objects.filter(owner=planner, params__fmt="pdf").update(
        state=JobState.RUNNING, started_at=timezone.now() - dt.timedelta(seconds=settings.JOBS_ABANDONED_SECONDS + 1)
    )
    client.post(piao_url(small_plan, 2018, "pdf"), **HTMX)
    assert Job.objects.filter(owner=planner).count() == 3
    # Nor one still queued an hour later: its task was lost with the queue, it will never run.
    Job.objects.filter(owner=planner, state=JobState.QUEUED).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.JOBS_ABANDONED_SECONDS + 1)
    )
    client.post(piao_url(small_plan, 2019, "pdf"), **HTMX)
    assert Job.objects.filter(owner=planner).count() == 4
    run_worker()
    client.post(piao_url(small_plan, 2019, "docx"), **HTMX)
    client.post(piao_url(small_plan, 2018, "docx"), **HTMX)
    assert Job.objects.filter(owner=planner).count() == 6
    run_worker()
    # With a limit of one the message says so in the singular.
    settings.JOBS_DOCUMENTS_PER_USER = 1
    client.post(piao_url(small_plan, 2017, "docx"), **HTMX)
    response = client.post(piao_url(small_plan, 2018, "pdf"), **HTMX)
    assert "Hai già un documento in preparazione: se ne può chiedere un altro appena è pronto." in unescape(
        response.content.decode()
    )


def test_the_monitoring_report_is_a_job_the_oiv_can_ask_and_others_cannot_see(client, queue, outsider):
    plan = entry_plan()
    who = people(plan)
    semester = open_round(plan, who["planner"], period="semester")
    events = indicator(plan, "Eventi organizzati")
    Measurement.objects.create(indicator=events, round=semester, year=2017, raw="6", value_number=Decimal("6"))
    oiv = client_for(who["oiv"])
    oiv.post(reverse("scores:monitoring_download", args=[plan.pk, semester.pk, "docx"]), **HTMX)
    job = Job.objects.get()
    assert (job.kind, job.round, job.params) == (
        JobKind.MONITORING_REPORT,
        semester,
        {"fmt": "docx", "today": timezone.localdate().isoformat()},
    )
    run_worker()
    job.refresh_from_db()
    assert job.filename == f"monitoraggio-{plan.ente.code}-2017-06-30.docx"
    text = "\n".join(p.text for p in Document(BytesIO(file_of(oiv, job))).paragraphs)
    assert "situazione al 30/06/2017" in text
    risks = unescape(oiv.get(reverse("scores:risks", args=[plan.pk]), {"anno": 2017}).content.decode())
    assert "Rapporto di monitoraggio al 30/06/2017, DOCX" in risks

    # The job's own page leads back to the report's round. The planner sees the OIV's job by its link, but it is not
    # in the planner's list; another ente sees nothing.
    back = f"{reverse('scores:risks', args=[plan.pk])}?anno=2017&amp;rilevazione={semester.pk}"
    assert back in oiv.get(job.status_url).content.decode()
    planner = client_for(who["planner"])
    assert planner.get(job.status_url).status_code == 200
    assert (
        f'id="job-{job.pk}"'
        not in planner.get(reverse("scores:risks", args=[plan.pk]), {"anno": 2017}).content.decode()
    )
    assert client.login(username=outsider.username, password=PASSWORD)
    assert client.get(job.status_url).status_code == 404
    assert client.get(reverse("jobs:document_file", args=[job.pk])).status_code == 404
    assert client.post(reverse("scores:monitoring_download", args=[plan.pk, semester.pk, "pdf"])).status_code == 404
    assert Job.objects.count() == 1
    # A job of another kind is not a document.
    Job.objects.filter(pk=job.pk).update(kind=JobKind.ROUND_REMIND)
    assert planner.get(reverse("jobs:document", args=[job.pk])).status_code == 404
