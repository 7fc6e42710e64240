"""Backups to a real S3-compatible server (moto's server mode on loopback, started by the
harness; the boto3 client is never patched): multipart upload with server-side encryption and
the storage class, restore from the bucket, an unreachable endpoint, and no partial object or
dangling multipart upload after a failure."""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from conftest import s3_client
from support import PLAN

from lokdarpan_db.backup.manifest import dump_name
from lokdarpan_db.backup.store import StoreError
from lokdarpan_db.backup.store.s3 import MB, S3Store
from lokdarpan_db.cli import run


def cli(dest: str, keyfile, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", dest, "--key-file", str(keyfile), *args])


@pytest.fixture(scope="module")
def big_db(source_db: str) -> str:
    """Enough incompressible rows that the encrypted dump needs several 5 MB parts."""
    with psycopg.connect(source_db, autocommit=True) as conn:
        conn.execute("create table public.ai_blob (id int primary key, b bytea)")
        conn.execute(
            "insert into public.ai_blob select g, decode(repeat(md5(random()::text), 1) ||"
            " md5(g::text || random()::text), 'hex') from generate_series(1, 400000) as g"
        )
    return source_db


def test_create_to_s3_multipart_sse_storage_class_and_restore(
    big_db, bucket, s3_server, keyfile, databases, capsys, monkeypatch
):
    monkeypatch.setenv("LOKDARPAN_S3_PART_MB", "5")
    dest = f"s3://{bucket}/db"
    assert cli(dest, keyfile, "create", "--json", db=big_db) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["stored_bytes"] > 10 * MB  # so the upload had at least three parts
    s3 = s3_client(s3_server)
    head = s3.head_object(Bucket=bucket, Key=f"db/{dump_name(made['backup_id'])}")
    assert head["ServerSideEncryption"] == "AES256" and head["StorageClass"] == "STANDARD_IA"
    assert head["ContentLength"] == made["stored_bytes"]
    assert "-" in head["ETag"]  # a multipart ETag
    assert cli(dest, keyfile, "list", "--json") == 0
    assert [b["backup_id"] for b in json.loads(capsys.readouterr().out)["backups"]] == [made["backup_id"]]
    target = databases.create("s3restore")
    try:
        assert cli(dest, keyfile, "restore", "latest", "--into", target, "--jobs", "1") == 0
        assert "health ok" in capsys.readouterr().out
        with psycopg.connect(target) as conn:
            assert conn.execute("select count(*) from ai_blob").fetchone()[0] == 400000
    finally:
        databases.drop(target)


def test_a_failed_upload_leaves_no_object_and_no_multipart_upload(bucket, s3_server):
    store = S3Store.from_url(f"s3://{bucket}/db")
    store.part_size = 5 * MB

    def stream():
        for _ in range(12):
            yield os.urandom(MB)
        raise RuntimeError("pg_dump died")

    with pytest.raises(RuntimeError, match="pg_dump died"):
        store.write_stream("x.dump.enc", stream())
    s3 = s3_client(s3_server)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_an_unreachable_endpoint_is_one_line(source_db, keyfile, capsys, monkeypatch):
    from lokdarpan_db.server.cluster import free_port

    monkeypatch.setenv("LOKDARPAN_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert cli("s3://nowhere/db", keyfile, "create", db=source_db) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "S3 upload" in err and "Could not connect" in err, err


def test_a_missing_bucket_and_bad_configuration(source_db, s3_server, keyfile, capsys, monkeypatch):
    monkeypatch.setenv("LOKDARPAN_S3_ENDPOINT_URL", s3_server)
    assert cli("s3://no-such-bucket/db", keyfile, "create", db=source_db) == 1
    assert "NoSuchBucket" in capsys.readouterr().err
    monkeypatch.setenv("LOKDARPAN_S3_PART_MB", "2")
    assert cli("s3://b/db", keyfile, "list") == 1
    assert "LOKDARPAN_S3_PART_MB must be 5..512" in capsys.readouterr().err
    with pytest.raises(StoreError, match="no bucket"):
        S3Store.from_url("s3:///x")
