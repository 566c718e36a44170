"""The preview PDF as a background job, in the browser: asked, waiting in the queue (a reload finds it again), its
progress while the real worker renders it, then the link to the file."""

import threading

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Plan
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user, workbook_bytes
from tests.jobs.conftest import DATABASE_QUEUE
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def planner_with_a_queue(page, settings) -> Plan:
    """The test plan imported, its planner logged in, jobs waiting in the database queue until `worker()` runs."""
    settings.TASKS = DATABASE_QUEUE
    plan = Plan.objects.get(pk=plan_import(source=workbook_bytes()).plan_id)
    make_user("pianificatore", Role.PLANNER, plan.ente)
    log_in(page, "pianificatore", PASSWORD)
    return plan


def worker() -> None:
    """The worker's own loop, run once in a thread (its command would set signal handlers)."""
    try:
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="e2e",
            excluded_queue_names=[],
        ).run()
    finally:
        connections.close_all()


def test_the_planner_asks_the_preview_pdf_and_follows_its_progress_to_the_link(page, settings):
    settings.RELAZIONE_PDF_CHUNK_ROWS = 3  # many chunks: a render of a few seconds, its progress visible
    plan = planner_with_a_queue(page, settings)
    page.goto(f"/relazioni/{plan.pk}/2017/")
    page.get_by_test_id("render-pdf").click()
    job = page.get_by_test_id("job")
    expect(job).to_have_attribute("data-job-state", "in_coda")
    expect(job).to_contain_text("in coda")
    page.reload()  # the page finds the job again
    expect(page.get_by_test_id("job")).to_have_attribute("data-job-state", "in_coda")

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        expect(page.locator("[data-job-state=in_corso]")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("job-progress")).to_contain_text("Pagine generate")
        page.screenshot(path="test-artifacts/job-progress.png")
        link = page.get_by_test_id("draft-download")
        expect(link).to_be_visible(timeout=60_000)
    finally:
        thread.join(timeout=120)
    expect(page.get_by_test_id("job")).to_have_attribute("data-job-state", "completato")
    expect(page.get_by_test_id("draft-result")).to_contain_text("Anteprima PDF pronta")
    page.screenshot(path="test-artifacts/job-done.png")
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_the_planner_asks_section_2_of_the_piao_and_downloads_it_when_the_worker_is_done(page, settings):
    plan = planner_with_a_queue(page, settings)
    page.goto(f"/piani/{plan.pk}/valore-pubblico/")
    page.get_by_test_id("piao-2017-pdf").click()
    documents = page.get_by_test_id("documents")
    expect(documents.get_by_test_id("job")).to_have_attribute("data-job-state", "in_coda")
    expect(documents).to_contain_text("Piano della performance 2017, PDF: in coda")
    page.reload()  # the page lists it again
    expect(page.get_by_test_id("documents").get_by_test_id("job")).to_have_attribute("data-job-state", "in_coda")

    # The worker runs while the user is elsewhere (the page says one may leave and come back), so no poll reads the
    # test database while the worker writes it: the in-memory SQLite of the tests shares one cache between the live
    # server and the worker, and answers such a read «database schema is locked» (a 500 CI saw once) instead of
    # waiting as a file database does. The polling itself is tested while a preview renders (the test above).
    page.goto("about:blank")
    thread = threading.Thread(target=worker)  # its own connection, closed when it ends (as in the other tests)
    thread.start()
    thread.join(timeout=120)
    page.goto(f"/piani/{plan.pk}/valore-pubblico/")
    link = page.get_by_test_id("job-file")
    expect(link).to_be_visible()
    expect(link).to_have_text(f"Scarica Piano-performance-{plan.ente.code}-2017.pdf")
    page.screenshot(path="test-artifacts/document-done.png")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"Piano-performance-{plan.ente.code}-2017.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
