"""Files on an S3-compatible object store (issue 13, scale-out): uploaded and generated files go into the bucket set
by PERFPLAN_S3_BUCKET and come back byte for byte, so that any application server or job worker can serve them;
without it they stay on the disk under MEDIA_ROOT. The S3 peer is a real server (moto's, tests/s3.py), read back
with a boto3 client of the test's own."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from consuntivi.models import Evidence
from perfplan.backup import backup_create
from perfplan.settings import file_storage
from reports.models import ArtifactKind, PaperDocument, RelazioneArtifact, Validation
from tests.consuntivi.conftest import plan, rnd, who  # noqa: F401 - fixtures
from tests.consuntivi.factories import client_for, indicator
from tests.reports.conftest import YEAR, approved_relazione, closed_relazione, relazione  # noqa: F401 - fixtures
from tests.s3 import PREFIX, new_bucket, s3_environment
from tests.test_deploy_settings import STRONG_KEY

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SIGNED = b"%PDF-1.7\n% firmato digitalmente dall'OIV\n%%EOF\n"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _save_evidence(rnd, who, name: str, content: bytes):  # noqa: F811 - rnd, who: the fixtures' values
    """A Responsabile saves the values of unit U1, the ratio with an attachment, as the entry page posts them."""
    deadline = indicator(rnd.plan, "Report pubblicati entro la scadenza")
    liquidity = indicator(rnd.plan, "Indice di liquidità")
    ratio = indicator(rnd.plan, "Pratiche evase nei termini")
    data = {
        f"m{deadline.pk}-version": 0,
        f"m{deadline.pk}-value": "2017-09-28",
        f"m{liquidity.pk}-version": 0,
        f"m{liquidity.pk}-var_Liq_Imm": "13.092.700",
        f"m{liquidity.pk}-var_PassCorr": "4.352.680",
        f"m{ratio.pk}-version": 0,
        f"m{ratio.pk}-numerator": "40",
        f"m{ratio.pk}-denominator": "50",
        f"m{ratio.pk}-note": "Carenza di personale nel secondo semestre",
        f"m{ratio.pk}-evidence": SimpleUploadedFile(name, content),
    }
    url = f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U1'].pk}/salva/"
    response = client_for(who["head_u1"]).post(url, data)
    assert response.status_code == 302
    return Evidence.objects.get(measurement__indicator=ratio)


# --- the settings ------------------------------------------------------------------------------------------------


def test_without_a_bucket_files_stay_on_the_disk_under_media_root(settings, tmp_path, rnd, who):  # noqa: F811
    assert file_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    settings.STORAGES = {**settings.STORAGES, "default": file_storage({"PERFPLAN_S3_BUCKET": " "})}
    settings.MEDIA_ROOT = tmp_path
    evidence = _save_evidence(rnd, who, "registro.pdf", PDF)
    on_disk = tmp_path / evidence.file.name
    assert on_disk.read_bytes() == PDF and evidence.file.name.startswith("evidenze/")
    response = client_for(who["planner"]).get(f"/consuntivi/allegati/{evidence.pk}/")
    assert b"".join(response.streaming_content) == PDF


def test_a_bucket_needs_both_keys_or_neither_and_a_known_addressing_style():
    with pytest.raises(ImproperlyConfigured, match="go together"):
        file_storage({"PERFPLAN_S3_BUCKET": "perfplan", "PERFPLAN_S3_ACCESS_KEY": "chiave"})
    with pytest.raises(ImproperlyConfigured, match="ADDRESSING_STYLE"):
        file_storage({"PERFPLAN_S3_BUCKET": "perfplan", "PERFPLAN_S3_ADDRESSING_STYLE": "diagonal"})
    with pytest.raises(ImproperlyConfigured, match="TIMEOUT"):
        file_storage({"PERFPLAN_S3_BUCKET": "perfplan", "PERFPLAN_S3_TIMEOUT": "dieci"})
    # Neither key: boto3's own chain (AWS_* variables, the instance's role) gives the credentials.
    options = file_storage({"PERFPLAN_S3_BUCKET": "perfplan", "PERFPLAN_S3_PREFIX": "/media/"})["OPTIONS"]
    assert "access_key" not in options and options["location"] == "media" and options["file_overwrite"] is False


# --- the files in the bucket -------------------------------------------------------------------------------------


def test_an_evidence_upload_lands_in_the_bucket_and_downloads_byte_identical(s3_bucket, rnd, who):  # noqa: F811
    content = PDF + os.urandom(2048)  # not compressible, not guessable
    evidence = _save_evidence(rnd, who, "registro.pdf", content)
    assert s3_bucket.keys() == [f"{PREFIX}/{evidence.file.name}"]
    assert s3_bucket.sha256(evidence.file.name) == sha256(content)
    response = client_for(who["planner"]).get(f"/consuntivi/allegati/{evidence.pk}/")
    assert response.status_code == 200 and sha256(b"".join(response.streaming_content)) == sha256(content)
    assert response["Content-Length"] == str(len(content))
    assert client_for(who["head_u2"]).get(f"/consuntivi/allegati/{evidence.pk}/").status_code == 403


def test_a_second_file_of_the_same_name_gets_a_new_name_instead_of_replacing_the_first(s3_bucket):
    first = default_storage.save("evidenze/registro.pdf", ContentFile(b"%PDF primo"))
    second = default_storage.save("evidenze/registro.pdf", ContentFile(b"%PDF secondo"))
    assert first == "evidenze/registro.pdf" and second != first and second.startswith("evidenze/registro_")
    assert (s3_bucket.read(first), s3_bucket.read(second)) == (b"%PDF primo", b"%PDF secondo")


def test_the_validation_stores_relazione_documento_and_signed_copy_in_the_bucket(
    s3_bucket,
    approved_relazione,  # noqa: F811
    oiv,
    planner,
    office_head,
):
    args = [approved_relazione.plan.pk, YEAR]
    oiv_client = Client()
    oiv_client.force_login(oiv)
    papers = reverse("reports:paper_document_add", args=args)
    oiv_client.post(papers, {"title": "Verbale", "file": SimpleUploadedFile("verbale.pdf", PDF)})
    response = oiv_client.post(
        reverse("reports:validate", args=args),
        {
            "date": "2018-06-28",
            "outcome": "validata",
            "text": "Conforme.",
            "members": "Mario Rossi",
            "checklist": ["fonti"],
            "attachment": SimpleUploadedFile("validazione-firmata.pdf", SIGNED),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204  # the job ran (immediate backend in the tests) and the year is validated

    final = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.FINAL)
    document = RelazioneArtifact.objects.get(relazione=approved_relazione, kind=ArtifactKind.DOCUMENT)
    validation = Validation.objects.get(relazione=approved_relazione)
    paper = PaperDocument.objects.get(relazione=approved_relazione)
    stored = {final.file.name, document.file.name, validation.attachment.name, paper.file.name}
    # Everything in the bucket, nothing else: the job's copy of the signed upload was read by name and deleted.
    assert s3_bucket.keys() == sorted(f"{PREFIX}/{name}" for name in stored)
    assert s3_bucket.sha256(final.file.name) == final.sha256 and s3_bucket.read(final.file.name).startswith(b"%PDF")
    assert s3_bucket.sha256(document.file.name) == document.sha256
    assert s3_bucket.read(validation.attachment.name) == SIGNED and validation.attachment_sha256 == sha256(SIGNED)
    assert s3_bucket.sha256(paper.file.name) == paper.sha256 == sha256(PDF)

    reader = Client()
    reader.force_login(planner)
    for name, artifact in (("pdf", final), ("document", document)):
        response = reader.get(reverse(f"reports:{name}", args=args))
        body = b"".join(response.streaming_content)
        assert response.status_code == 200 and sha256(body) == artifact.sha256 == response["X-Content-SHA256"]
        assert body == s3_bucket.read(artifact.file.name)
    head = Client()
    head.force_login(office_head)  # reads the validated Relazione, not the OIV's documents
    assert sha256(b"".join(head.get(reverse("reports:pdf", args=args)).streaming_content)) == final.sha256
    assert head.get(reverse("reports:document", args=args)).status_code == 403
    signed = oiv_client.get(reverse("reports:attachment", args=args))
    assert b"".join(signed.streaming_content) == SIGNED


def test_a_backup_takes_the_files_from_the_bucket(s3_bucket, rnd, who):  # noqa: F811
    evidence = _save_evidence(rnd, who, "registro.pdf", PDF)
    archive = io.BytesIO()
    backup_create(target=archive)
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert opened.read(f"media/{evidence.file.name}") == PDF
    media = [m for m in manifest["members"] if m["path"].startswith("media/")]
    assert media == [{"path": f"media/{evidence.file.name}", "size": len(PDF), "sha256": sha256(PDF), "rows": None}]


# --- the health check --------------------------------------------------------------------------------------------


def test_the_health_check_says_whether_the_bucket_answers(s3_bucket, s3_server, settings, client, db):
    settings.HEALTH_CHECKS = {**settings.HEALTH_CHECKS, "storage": "perfplan.health.check_file_storage"}
    response = client.get("/salute/")
    assert response.status_code == 200 and response.json()["storage"] == "ok"
    missing = s3_environment(s3_server, "perfplan-bucket-che-non-esiste")
    settings.STORAGES = {**settings.STORAGES, "default": file_storage(missing)}
    response = client.get("/salute/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "jobs": "ok", "storage": "error"}


PRODUCTION_SCRIPT = """
import json
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.module_loading import import_string
name = default_storage.save("prova/file.txt", ContentFile(b"contenuto"))
checks = settings.HEALTH_CHECKS
storage = import_string(checks["storage"])() if "storage" in checks else "none"  # None when the bucket answers
print(json.dumps({"backend": settings.STORAGES["default"]["BACKEND"], "name": name, "checks": sorted(checks),
                  "storage": storage}))
"""


def _production(env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    environ |= {"DJANGO_SETTINGS_MODULE": "perfplan.settings", "DEBUG": "false", "SECRET_KEY": STRONG_KEY}
    environ |= {"PERFPLAN_HTTPS": "false", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    environ |= {"MEDIA_ROOT": str(tmp_path / "media"), **env}
    command = [sys.executable, "manage.py", "shell", "-c", PRODUCTION_SCRIPT]
    return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_production_settings_use_the_bucket_and_check_it_only_when_one_is_set(s3_server, tmp_path):
    bucket = new_bucket(s3_server)
    (tmp_path / "s3").mkdir()
    (tmp_path / "disk").mkdir()
    runs = {
        "s3": _production(s3_environment(s3_server, bucket.name), tmp_path / "s3"),
        "disk": _production({}, tmp_path / "disk"),
    }
    answers = {}
    for key, process in runs.items():  # both at once
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        answers[key] = json.loads(out.decode().strip().splitlines()[-1])
    assert answers["s3"] == {
        "backend": "storages.backends.s3.S3Storage",
        "name": "prova/file.txt",
        "checks": ["database", "jobs", "storage"],
        "storage": None,
    }
    assert bucket.read("prova/file.txt") == b"contenuto"
    assert answers["disk"] == {
        "backend": "django.core.files.storage.FileSystemStorage",
        "name": "prova/file.txt",
        "checks": ["database", "jobs"],
        "storage": "none",
    }
    assert (tmp_path / "disk" / "media" / "prova" / "file.txt").read_bytes() == b"contenuto"
