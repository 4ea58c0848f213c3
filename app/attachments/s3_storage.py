"""Attachment bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...) through boto3, so that every app server
reads what any of them stored. Readers still fetch files from this site, which streams them from the bucket:
the visibility check, `nosniff` and the sandboxing CSP stay ours, and no signed bucket URL ever leaves the site."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from app.attachments.storage import CHUNK, Opened, check_key, is_key

MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    """Objects named `<prefix><key>` in one bucket; the bucket may hold other things beside them (outside the
    prefix, or not named like a key), which keys() and the cleanup command leave alone."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        bucket = config.get("ATTACHMENT_S3_BUCKET") or ""
        if not bucket:
            raise ValueError("ATTACHMENT_STORAGE=s3 needs ATTACHMENT_S3_BUCKET (the bucket's name)")
        endpoint = config.get("ATTACHMENT_S3_ENDPOINT_URL") or None
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=config.get("ATTACHMENT_S3_REGION") or None,
            # Empty keys: boto3's own chain (environment, instance role, ~/.aws), as on a cloud host.
            aws_access_key_id=config.get("ATTACHMENT_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("ATTACHMENT_S3_SECRET_ACCESS_KEY") or None,
            config=BotoConfig(
                # Self-hosted stores (MinIO, Ceph) answer at one host name, not a name per bucket.
                s3={"addressing_style": "path" if endpoint else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        return cls(client, bucket, config.get("ATTACHMENT_S3_PREFIX") or "")

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, data: bytes) -> None:
        # One PUT: the object appears whole or not at all, so no reader ever sees half a file.
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def load(self, key: str) -> bytes | None:
        opened = self.open(key)
        return b"".join(opened.chunks) if opened is not None else None

    def open(self, key: str) -> Opened | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _code(error) in MISSING:
                return None
            raise
        return Opened(int(found["ContentLength"]), _body_chunks(found["Body"]))

    def delete(self, key: str) -> None:
        # S3 answers a DELETE of a missing object with success, as unlink(missing_ok=True) does.
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if is_key(key):
                    yield key

    def age_seconds(self, key: str) -> float:
        head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        return time.time() - head["LastModified"].timestamp()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _body_chunks(body: Any) -> Iterator[bytes]:
    """The object's bytes as they arrive; the connection goes back to the pool when done or abandoned."""
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
