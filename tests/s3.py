"""A real S3-compatible server for the tests: moto's standalone server (requirements-test.txt), on the loopback.

`s3_server` starts `moto_server` once per test run, on a free port of 127.0.0.1, and stops it at the end. `s3_bucket`
makes a new bucket on it for one test and points the default storage there through perfplan's own settings function
(perfplan.settings.file_storage, with the variables a deployment sets); the test reads the bucket back with a boto3
client of its own, so what is checked is what the server holds, not what our code says it wrote.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from perfplan.settings import file_storage

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
REGION = "eu-south-1"
PREFIX = "perfplan/media"
CREDENTIALS = {"aws_access_key_id": "perfplan-test", "aws_secret_access_key": "perfplan-test-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server stopped: {process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on port {port} within {seconds} s")


@pytest.fixture(scope="session")
def s3_server() -> str:
    """The endpoint URL of a moto S3 server running for the whole test session."""
    if not MOTO_SERVER.exists():
        pytest.fail("moto_server is missing: `make test` installs requirements-test.txt")
    port = _free_port()
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The variables of a deployment on that bucket (README, «Scale-out»)."""
    return {
        "PERFPLAN_S3_BUCKET": bucket,
        "PERFPLAN_S3_ENDPOINT_URL": endpoint,
        "PERFPLAN_S3_REGION": REGION,
        "PERFPLAN_S3_ACCESS_KEY": CREDENTIALS["aws_access_key_id"],
        "PERFPLAN_S3_SECRET_KEY": CREDENTIALS["aws_secret_access_key"],
        "PERFPLAN_S3_PREFIX": PREFIX,
        "PERFPLAN_S3_ADDRESSING_STYLE": "path",
    }


@dataclass
class Bucket:
    name: str
    client: Any  # a boto3 S3 client of the test's own

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, name: str) -> bytes:
        """The object of a storage name (the prefix added, as the storage does)."""
        return self.client.get_object(Bucket=self.name, Key=f"{PREFIX}/{name}")["Body"].read()

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.read(name)).hexdigest()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def new_bucket(endpoint: str) -> Bucket:
    client = s3_client(endpoint)
    name = f"perfplan-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return Bucket(name, client)


@pytest.fixture
def s3_bucket(s3_server, settings) -> Bucket:
    """A new bucket, and the default storage on it for this test (settings restored after it)."""
    bucket = new_bucket(s3_server)
    settings.STORAGES = {**settings.STORAGES, "default": file_storage(s3_environment(s3_server, bucket.name))}
    return bucket
