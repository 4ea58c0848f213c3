"""Attachments in an S3-compatible bucket: moto's standalone server runs in a thread on a free port of 127.0.0.1 (no
network), and the app talks to it through boto3 as it would to AWS or MinIO. Uploads go through the real routes;
files come back from the site itself, under the same visibility rules as on local disk."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from flask import Flask
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from app.attachments import service as attachments
from app.attachments.models import Attachment
from app.attachments.s3_storage import S3Storage
from app.attachments.storage import LocalStorage, make_storage
from app.db import db
from app.moderation.service.flags import hide_post
from tests.conftest import Client, make_app, sign_in
from tests.factories import make_answer, make_board, make_question, make_user

KEY = "ab/" + "ab" * 16 + ".txt"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # moto accepts any key
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A fresh bucket per test, as an operator would create it before the site starts."""
    name = f"agora-{uuid.uuid4().hex[:12]}"
    _client(s3_endpoint).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name


def s3_settings(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "ATTACHMENT_STORAGE": "s3",
        "ATTACHMENT_S3_BUCKET": bucket,
        "ATTACHMENT_S3_ENDPOINT_URL": endpoint,
        "ATTACHMENT_S3_REGION": "eu-central-1",
        "ATTACHMENT_S3_ACCESS_KEY_ID": "testing",
        "ATTACHMENT_S3_SECRET_ACCESS_KEY": "testing",
        "ATTACHMENT_S3_PREFIX": "community/files",
    }


@pytest.fixture
def s3_app(tmp_path: Path, postgres_schema: str | None, s3_endpoint: str, bucket: str) -> Iterator[Flask]:
    app = make_app(tmp_path, postgres_schema, **s3_settings(s3_endpoint, bucket))
    app.test_client_class = Client
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(s3_app: Flask) -> Client:
    return s3_app.test_client()  # type: ignore[return-value]


def _objects(endpoint: str, bucket: str) -> list[str]:
    listed = _client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _upload(client: Client, name: str, data: bytes) -> dict:
    response = client.post(
        "/attachments",
        data={"csrf_token": client.csrf(), "files": [(io.BytesIO(data), name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["attachments"][0]


# --- the backend's contract, the same for both backends ----------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path: Path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    endpoint, name = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("bucket")
    return make_storage(s3_settings(endpoint, name))


def test_both_backends_keep_stream_list_age_and_delete_a_file(backend):
    assert backend.load(KEY) is None and backend.open(KEY) is None
    data = b"line\n" * 30_000  # larger than one chunk
    backend.save(KEY, data)
    opened = backend.open(KEY)
    chunks = list(opened.chunks)
    assert opened.size == len(data) and b"".join(chunks) == data and len(chunks) > 1
    assert backend.load(KEY) == data
    assert list(backend.keys()) == [KEY]
    assert 0 <= backend.age_seconds(KEY) < 120
    backend.delete(KEY)
    backend.delete(KEY)  # deleting what is gone is no error
    assert backend.load(KEY) is None and list(backend.keys()) == []
    with pytest.raises(ValueError, match="not a storage key"):
        backend.save("../../etc/passwd", b"x")


def test_the_bucket_setting_is_required_and_unknown_kinds_are_named():
    with pytest.raises(ValueError, match="ATTACHMENT_S3_BUCKET"):
        make_storage({"ATTACHMENT_STORAGE": "s3"})
    with pytest.raises(ValueError, match="'local' or 's3'"):
        make_storage({"ATTACHMENT_STORAGE": "ftp"})


def test_keys_outside_the_prefix_or_not_ours_are_left_alone(s3_endpoint, bucket):
    raw = _client(s3_endpoint)
    raw.put_object(Bucket=bucket, Key="backups/agora.dump", Body=b"dump")
    raw.put_object(Bucket=bucket, Key="community/files/README.txt", Body=b"not ours")
    storage = make_storage(s3_settings(s3_endpoint, bucket))
    assert isinstance(storage, S3Storage)
    storage.save(KEY, b"ours")
    assert list(storage.keys()) == [KEY]
    assert _objects(s3_endpoint, bucket) == sorted(
        ["backups/agora.dump", "community/files/README.txt", f"community/files/{KEY}"]
    )


# --- through the site ----------------------------------------------------------------------------------------------


def test_an_upload_lands_in_the_bucket_and_is_streamed_back_from_the_site(s3_app, client, session, s3_endpoint, bucket):
    member = make_user(session, "uploader")
    sign_in(client, member)
    item = _upload(client, "router.log", b"error 42 qzv\n")
    stored = session.get(Attachment, item["id"])
    assert _objects(s3_endpoint, bucket) == [f"community/files/{stored.storage_key}"]
    served = client.get(item["url"])
    # From this site, not a redirect to the bucket: the site's own headers and visibility check apply.
    assert served.status_code == 200 and served.data == b"error 42 qzv\n"
    assert served.headers["Content-Length"] == str(len(b"error 42 qzv\n"))
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_visibility_rules_are_the_same_as_on_local_disk(s3_app, session, client):
    board = make_board(session, "laptops")
    author, other = make_user(session, "author"), make_user(session, "other")
    moderator = make_user(session, "mod", role="moderator")
    stored = attachments.upload(
        session,
        s3_app.extensions["agora_attachments"],
        author,
        [("a.txt", b"hidden qzv text")],
        attachments.UploadRules.from_config(s3_app.config),
    )
    session.commit()
    answer = make_answer(
        session, author, make_question(session, other, board), body=f"My log: {attachments.markdown_for(stored[0])}"
    )
    url = attachments.url_of(stored[0])
    assert client.get(url).data == b"hidden qzv text"
    hide_post(session, moderator, "answer", answer.id, "spam")
    session.commit()
    assert client.get(url).status_code == 404
    sign_in(client, other)
    assert client.get(url).status_code == 404
    sign_in(client, author)
    assert client.get(url).status_code == 200
    sign_in(client, moderator)
    assert client.get(url).status_code == 200


def test_a_file_gone_from_the_bucket_is_a_404_not_an_error(s3_app, client, session, s3_endpoint, bucket):
    sign_in(client, make_user(session, "uploader"))
    item = _upload(client, "gone.txt", b"soon gone")
    _client(s3_endpoint).delete_object(Bucket=bucket, Key=_objects(s3_endpoint, bucket)[0])
    assert client.get(item["url"]).status_code == 404


def test_removal_and_the_cleanup_command_delete_objects(s3_app, client, session, s3_endpoint, bucket):
    board = make_board(session, "laptops")
    author = make_user(session, "author")
    moderator = make_user(session, "mod", role="moderator")
    storage = s3_app.extensions["agora_attachments"]
    rules = attachments.UploadRules.from_config(s3_app.config)
    kept, removed, stale = attachments.upload(
        session, storage, author, [("k.txt", b"k"), ("r.txt", b"r"), ("s.txt", b"s")], rules
    )
    make_question(session, author, board, body=f"{attachments.markdown_for(kept)} {attachments.markdown_for(removed)}")
    session.get(Attachment, stale.id).created_at -= timedelta(days=2)
    session.commit()
    sign_in(client, moderator)
    response = client.form_post(f"/attachments/{removed.id}/remove", {"reason": "A customer's address"})
    assert response.status_code == 302
    assert sorted(storage.keys()) == sorted([kept.storage_key, stale.storage_key])
    result = s3_app.test_cli_runner().invoke(args=["attachments", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unused upload(s)" in result.output
    assert list(storage.keys()) == [kept.storage_key]
    assert session.scalars(select(Attachment.id).order_by(Attachment.id)).all() == [kept.id, removed.id]
    assert client.get(attachments.url_of(kept)).data == b"k"
