"""Backup fixtures: an operator key file, a deployed database with real rows, and a real
S3-compatible server (moto's server mode) on loopback for the session."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.importers.wards import import_wards
from lokdarpan_db.server.cluster import free_port


@pytest.fixture()
def keyfile(tmp_path: Path) -> Path:
    path = tmp_path / "backup.keys"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def source_db(db_url: str) -> str:
    """The real plan deployed, the 150 GHMC wards loaded, and an AI table with rows."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        import_wards(conn)
        conn.execute("create table public.ai_demo (id int primary key, note text)")
        conn.execute("insert into public.ai_demo select g, md5(g::text) from generate_series(1, 500) as g")
    return db_url


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for one module (stopped after it, so no server thread
    outlives the S3 tests); AWS credentials for it in the environment meanwhile."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {
        k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-south-1",
        }
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture()
def bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; LOKDARPAN_S3_ENDPOINT_URL points the store at the loopback server."""
    import boto3

    name = f"lokdarpan-backups-{os.urandom(4).hex()}"
    boto3.client("s3", endpoint_url=s3_server, region_name="ap-south-1").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}
    )
    monkeypatch.setenv("LOKDARPAN_S3_ENDPOINT_URL", s3_server)
    return name


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="ap-south-1")
