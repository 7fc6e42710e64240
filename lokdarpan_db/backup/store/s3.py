"""An S3 bucket (or any S3-compatible store) through boto3.

Dumps go up as multipart uploads fed straight from the encrypting stream (no temporary file):
boto3's TransferConfig bounds memory to about part size × in-memory parts, and a failed upload is
aborted so no partial object or dangling multipart upload is left (a process killed mid-upload
cannot abort it: `leftovers()` lists unfinished uploads under the prefix and `remove_leftover()`
aborts one idle for longer than `stale_after`, see docs/backup-restore.md). Server-side encryption and
the storage class come from configuration; credentials come from boto3's usual chain (environment,
~/.aws, instance role); an endpoint URL points it at an S3-compatible store.

Configuration (environment): LOKDARPAN_S3_ENDPOINT_URL (else AWS_ENDPOINT_URL), AWS_REGION /
AWS_DEFAULT_REGION (default ap-south-1), LOKDARPAN_S3_STORAGE_CLASS (default STANDARD_IA),
LOKDARPAN_S3_SSE (AES256 default, aws:kms, or none), LOKDARPAN_S3_KMS_KEY_ID,
LOKDARPAN_S3_PART_MB (default 16).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import STALE_AFTER, Leftover, StoredObject, StoreError

IN_MEMORY_PARTS = 2  # parts read ahead of the `concurrency` uploads in flight

MB = 1 << 20
READ_BLOCK = MB


class _IterReader(io.RawIOBase):
    """A read-only file over an iterator of bytes, for upload_fileobj."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks = chunks
        self.buf = bytearray()
        self.total = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self.buf) < size) and (nxt := next(self.chunks, None)) is not None:
            self.buf += nxt
        n = len(self.buf) if size < 0 else min(size, len(self.buf))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.total += len(out)
        return out


@dataclass
class S3Store:
    bucket: str
    prefix: str = ""
    region: str = "ap-south-1"
    endpoint_url: str | None = None
    storage_class: str = "STANDARD_IA"
    sse: str | None = "AES256"
    kms_key_id: str | None = None
    part_size: int = 16 * MB
    concurrency: int = 4
    _client: Any = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        rest = url[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise StoreError(f"no bucket in {url!r}: give s3://bucket/prefix")
        sse = os.environ.get("LOKDARPAN_S3_SSE", "AES256")
        try:
            part_mb = int(os.environ.get("LOKDARPAN_S3_PART_MB", "16"))
        except ValueError:
            raise StoreError("LOKDARPAN_S3_PART_MB must be a whole number of MB") from None
        if not 5 <= part_mb <= 512:
            raise StoreError(f"LOKDARPAN_S3_PART_MB must be 5..512 (S3's part limits), got {part_mb}")
        return cls(
            bucket=bucket,
            prefix=prefix.strip("/"),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-south-1",
            endpoint_url=os.environ.get("LOKDARPAN_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL"),
            storage_class=os.environ.get("LOKDARPAN_S3_STORAGE_CLASS", "STANDARD_IA"),
            sse=None if sse.lower() == "none" else sse,
            kms_key_id=os.environ.get("LOKDARPAN_S3_KMS_KEY_ID"),
            part_size=part_mb * MB,
        )

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=Config(
                    connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
                ),
            )
        return self._client

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _extra(self) -> dict[str, str]:
        extra = {"StorageClass": self.storage_class}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
            if self.kms_key_id:
                extra["SSEKMSKeyId"] = self.kms_key_id
        return extra

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"S3 {what} failed at {self.location}: {' '.join(str(exc).split())}")

    def write_stream(self, name: str, chunks: Iterator[bytes]) -> int:
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        config = TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            max_concurrency=self.concurrency,
            use_threads=True,
        )
        # boto3 does not take this in its constructor; s3transfer reads it: parts buffered from a
        # non-seekable stream, which bounds memory to about part size x (this + concurrency). Two:
        # a parallel backup (issue 23) outruns the upload, so the buffer is always full: 6 x 16 MB.
        config.max_in_memory_upload_chunks = IN_MEMORY_PARTS
        reader = _IterReader(chunks)
        try:
            self.client.upload_fileobj(
                reader, self.bucket, self._key(name), ExtraArgs=self._extra(), Config=config
            )
        except EndpointConnectionError as exc:  # nothing can have been started where nothing answers
            raise self._fail(f"upload of {name}", exc) from None
        except (BotoCoreError, ClientError) as exc:
            self._abort_uploads(name)
            raise self._fail(f"upload of {name}", exc) from None
        except BaseException:
            self._abort_uploads(name)
            raise
        return reader.total

    def _abort_uploads(self, name: str) -> None:
        """Belt and braces: boto3 aborts a failed multipart upload; make sure none is left."""
        try:
            resp = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self._key(name))
            for up in resp.get("Uploads", []):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
        except Exception:
            pass

    def read_stream(self, name: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The object's bytes, or `length` bytes of it from `start` (a ranged GET: a restore of a
        directory-format backup reads each file's section on its own)."""
        from botocore.exceptions import BotoCoreError, ClientError

        extra: dict[str, str] = {}
        if start or length is not None:
            if length == 0:
                return
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(name), **extra)["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"read of {name}", exc) from None
        try:
            while block := body.read(READ_BLOCK):
                yield block
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"read of {name}", exc) from None
        finally:
            body.close()

    def put(self, name: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data, **self._extra())
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"write of {name}", exc) from None

    def get(self, name: str) -> bytes:
        return b"".join(self.read_stream(name))

    def list(self) -> list[StoredObject]:
        from botocore.exceptions import BotoCoreError, ClientError

        found = []
        prefix = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                for obj in page.get("Contents", []):
                    rel = obj["Key"][len(prefix) :]
                    if "/" not in rel:
                        found.append(StoredObject(rel, obj["Size"], obj["LastModified"]))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("listing", exc) from None
        return sorted(found, key=lambda o: o.name)

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"delete of {name}", exc) from None

    def _upload_activity(self, key: str, upload: dict[str, Any]) -> tuple[int, datetime]:
        """Bytes uploaded so far and the time of the last activity (the newest part, else the start)."""
        size, newest = 0, upload["Initiated"]
        for page in self.client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=key, UploadId=upload["UploadId"]
        ):
            for part in page.get("Parts", []):
                size += part["Size"]
                newest = max(newest, part["LastModified"])
        return size, newest

    def _uploads(self) -> Iterator[tuple[str, dict[str, Any]]]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for up in page.get("Uploads", []):
                rel = up["Key"][len(prefix) :]
                if "/" not in rel:
                    yield rel, up

    def leftovers(self, stale_after: timedelta = STALE_AFTER) -> list[Leftover]:
        """Unfinished multipart uploads under the prefix. S3 cannot say whether the process behind
        one is alive, so one is `live` (may be a running backup) while a part was uploaded, or it
        was started, within `stale_after`; a running backup uploads a part every few seconds."""
        from botocore.exceptions import BotoCoreError, ClientError

        found = []
        now = datetime.now(UTC)
        try:
            for rel, up in self._uploads():
                try:
                    size, newest = self._upload_activity(up["Key"], up)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                        continue  # finished or aborted meanwhile
                    raise
                live = now - newest < stale_after
                found.append(Leftover(rel, "multipart upload", size, newest, live, up["UploadId"]))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("listing of multipart uploads", exc) from None
        return sorted(found, key=lambda o: (o.name, o.modified))

    def remove_leftover(self, leftover: Leftover, stale_after: timedelta = STALE_AFTER) -> bool:
        """Abort an unfinished upload idle for `stale_after` (its activity is read again first);
        False (nothing done) when it is active or already gone."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._key(leftover.name)
        try:
            for rel, up in self._uploads():
                if rel != leftover.name or up["UploadId"] != leftover.handle:
                    continue
                _, newest = self._upload_activity(key, up)
                if datetime.now(UTC) - newest < stale_after:
                    return False
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=leftover.handle)
                return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                return False
            raise self._fail(f"abort of the upload of {leftover.name}", exc) from None
        except BotoCoreError as exc:
            raise self._fail(f"abort of the upload of {leftover.name}", exc) from None
        return False
