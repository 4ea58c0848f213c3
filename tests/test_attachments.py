"""Attachments: what Pillow makes of an upload, forms with files, serving under the post's visibility, removal,
cleanup; and rolling an edit back."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.attachments import files
from app.attachments import service as attachments
from app.attachments.models import Attachment
from app.content import render
from app.errors import ValidationFailed
from app.escalation import service as escalation
from app.forum.models import Revision
from app.moderation.models import ModerationAction
from app.moderation.service.flags import hide_post
from tests.factories import make_answer, make_board, make_question, make_user

GPS_IFD = 0x8825


def photo(size=(3000, 1000), orientation=6, fmt="JPEG") -> bytes:
    """A phone photo: rotated by its EXIF orientation, with a camera serial and a GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = image.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "NimbusCam"
    exif[0xA431] = "SERIAL-qzv-4242"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 13.0, 0.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


# --- what is stored -----------------------------------------------------------------------------


def test_a_photo_loses_its_metadata_is_turned_upright_and_capped():
    checked = files.prepare("IMG_0001.JPG", photo(), files.Limits())  # while the member waits: checked only
    assert not checked.processed and checked.filename == "IMG_0001.jpg" and b"NimbusCam" in checked.data
    prepared = files.process_image(checked.content_type, checked.data, files.Limits())  # the job
    stored = Image.open(io.BytesIO(prepared.data))
    assert stored.format == "JPEG" and prepared.content_type == "image/jpeg"
    assert (prepared.width, prepared.height) == stored.size == (853, 2560)  # 3000x1000 turned 90°, then capped
    assert dict(stored.getexif()) == {}
    assert b"SERIAL-qzv-4242" not in prepared.data and b"NimbusCam" not in prepared.data
    assert max(Image.open(io.BytesIO(prepared.thumbnail)).size) == files.THUMBNAIL_SIDE


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("shot.png", photo(), "not really a PNG image"),  # a JPEG named .png
        ("shot.png", b"<html><script>alert(1)</script></html>", "not really a PNG image"),
        ("shot.gif", png(), "not really a GIF image"),
        ("setup.exe", b"MZ\x90\x00", "can't be attached"),
        ("notes.svg", b"<svg onload='alert(1)'/>", "can't be attached"),
        ("server.log", png(), "not a text file"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_files_that_are_not_what_they_say_are_refused(name, data, words):
    with pytest.raises(ValidationFailed) as refused:
        files.prepare(name, data, files.Limits())
    assert words in str(refused.value.message)
    assert refused.value.field == "files"


def test_a_decompression_bomb_and_an_oversized_file_are_refused():
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # a few kilobytes that decode to 144 megapixels
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ValidationFailed, match="too many pixels"):
        files.prepare("bomb.png", bomb.getvalue(), files.Limits())
    with pytest.raises(ValidationFailed, match=r"larger than 0\.5 MB"):
        files.prepare("big.txt", b"x" * 600_000, files.Limits(max_bytes=512 * 1024))


def test_file_names_are_made_safe():
    assert files.safe_filename("../../etc/pass wd<script>.log") == "pass_wd_script_.log"
    assert files.safe_filename("C:\\Users\\me\\καλημέρα.txt") == "καλημέρα.txt"
    assert len(files.safe_filename("a" * 300 + ".png")) == 120


def test_markdown_shows_only_this_sites_uploads_as_images():
    html = render("![screen](/attachments/7/screen.png) ![tracker](https://evil.example/pixel.gif) ![x](/logout)")
    assert '<img src="/attachments/7/screen.png" alt="screen">' in html
    assert '<a href="https://evil.example/pixel.gif" rel="nofollow ugc noopener">tracker</a>' in html
    assert '<img src="/logout"' not in html and html.count("<img") == 1


# --- forms and serving ---------------------------------------------------------------------------


@pytest.fixture
def people(session):
    board = make_board(session, "laptops")
    return {
        "board": board,
        "author": make_user(session, "author"),
        "other": make_user(session, "other"),
        "mod": make_user(session, "mod", role="moderator"),
        "staff": make_user(session, "nina", role="staff"),
    }


def _ask_with_files(client, *uploads, title="Screen flickers after the update"):
    data = {
        "board": "laptops",
        "title": title,
        "body": "Here is what I see on the screen.",
        "tags": "",
        "language": "en",
        "public_confirmed": "1",
        "files": [(io.BytesIO(content), name) for name, content in uploads],
    }
    return client.form_post("/ask", data, content_type="multipart/form-data")


def _links(body: str) -> list[str]:
    return re.findall(r"/attachments/\d+/[^\s)\"]+", body)


def test_a_question_asked_without_javascript_carries_its_screenshot_and_log(client, login_as, session, people):
    login_as(people["author"])
    response = _ask_with_files(client, ("IMG 1.jpg", photo()), ("boot.log", b"kernel: wifi firmware failed\n"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    image_url, log_url = _links(page)[:2]
    assert f'<img src="{image_url}" alt="IMG_1.jpg">' in page
    held = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [a.question_id is not None for a in held] == [True, True]

    client.get("/logout")  # a visitor reads the public question, and its files
    image = client.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline")
    assert dict(Image.open(io.BytesIO(image.data)).getexif()) == {}
    assert b"SERIAL-qzv-4242" not in image.data
    log = client.get(log_url)
    assert log.status_code == 200 and log.mimetype == "text/plain"
    assert log.headers["Content-Disposition"].startswith("attachment")
    assert log.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get(f"/attachments/{held[0].id}/thumbnail").mimetype == "image/webp"
    assert client.get(f"/attachments/{held[0].id}/other-name.jpg").status_code == 404


def test_a_refused_file_is_named_and_the_question_is_kept(client, login_as, session, people):
    login_as(people["author"])
    response = _ask_with_files(client, ("shot.png", b"GIF89a not a png"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not really a PNG image" in page and "Screen flickers after the update" in page
    assert session.scalar(select(Attachment.id)) is None


def test_the_editor_upload_endpoint_answers_with_markdown_and_limits(app, client, login_as, session, people):
    login_as(people["author"])
    token = client.csrf()
    answer = client.post(
        "/attachments",
        data={"csrf_token": token, "files": [(io.BytesIO(png()), "paste.png")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    item = answer.get_json()["attachments"][0]
    assert item["markdown"] == f"![paste.png](/attachments/{item['id']}/paste.png)"
    # Pending: its uploader sees it, nobody else does.
    assert client.get(item["url"]).status_code == 200
    bad = client.post(
        "/attachments",
        data={"csrf_token": token, "files": [(io.BytesIO(b"<svg/>"), "x.png")]},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "not really a PNG" in bad.get_json()["error"]
    assert client.post("/attachments", data={"files": [(io.BytesIO(png()), "p.png")]}).status_code == 400
    app.config["NEW_ACCOUNT_ATTACHMENT_DAILY_QUOTA"] = 1  # a new account has used its one file today
    over = client.post(
        "/attachments",
        data={"csrf_token": token, "files": [(io.BytesIO(png()), "p.png")]},
        content_type="multipart/form-data",
    )
    assert over.status_code == 429 and "a day" in over.get_json()["error"]
    app.config["NEW_ACCOUNT_ATTACHMENT_DAILY_QUOTA"] = 10
    app.config["ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    big = client.post(
        "/attachments",
        data={"csrf_token": token, "files": [(io.BytesIO(b"x" * (1024 * 1024 + 1)), "a.txt")]},
        content_type="multipart/form-data",
    )
    assert big.status_code == 422 and "larger than 1 MB" in big.get_json()["error"]


def test_a_form_with_files_still_refuses_oversized_text(client, login_as, people):
    login_as(people["author"])
    response = client.post(
        "/ask",
        data={"body": "x" * (2 * 1024 * 1024), "files": [(io.BytesIO(png()), "a.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_someone_elses_upload_cannot_be_taken_or_read(app, client, login_as, session, people):
    login_as(people["other"])
    token = client.csrf()
    mine = client.post(
        "/attachments",
        data={"csrf_token": token, "files": [(io.BytesIO(b"secret qzv log"), "mine.log")]},
        content_type="multipart/form-data",
    ).get_json()["attachments"][0]
    login_as(people["author"])
    assert client.get(mine["url"]).status_code == 404
    question = make_question(session, people["author"], people["board"], body=f"See [log]({mine['url']}) here.")
    assert session.get(Attachment, mine["id"]).question_id is None  # still the uploader's, still pending
    client.get("/logout")
    assert client.get(mine["url"]).status_code == 404
    assert client.get(f"/questions/{question.id}", follow_redirects=True).status_code == 200


def test_a_hidden_posts_file_is_served_only_to_its_author_and_moderators(app, client, login_as, session, people):
    author = people["author"]
    stored = attachments.upload(
        session,
        app.extensions["agora_attachments"],
        author,
        [("a.txt", b"hidden qzv text")],
        attachments.UploadRules.from_config(app.config),
    )
    session.commit()
    answer = make_answer(
        session,
        author,
        make_question(session, people["other"], people["board"]),
        body=f"My log: {attachments.markdown_for(stored[0])}",
    )
    url = attachments.url_of(stored[0])
    assert client.get(url).status_code == 200
    hide_post(session, people["mod"], "answer", answer.id, "spam")
    session.commit()
    assert client.get(url).status_code == 404
    login_as(people["other"])
    assert client.get(url).status_code == 404
    login_as(author)
    assert client.get(url).status_code == 200
    login_as(people["mod"])
    assert client.get(url).status_code == 200


def test_case_files_follow_the_conversation_and_internal_notes(app, client, login_as, session, people):
    author, staff = people["author"], people["staff"]
    question = make_question(session, author, people["board"])
    case = escalation.escalate(session, people["mod"], question.id, escalation.EscalationDraft(category="billing"))
    rules = attachments.UploadRules.from_config(app.config)
    storage = app.extensions["agora_attachments"]
    reply, note = attachments.upload(session, storage, staff, [("r.txt", b"refund"), ("n.txt", b"note")], rules)
    escalation.post_message(session, staff, case.id, f"Receipt: {attachments.markdown_for(reply)}")
    escalation.post_message(session, staff, case.id, f"Note: {attachments.markdown_for(note)}", internal=True)
    session.commit()
    for user, expected in (
        (author, (200, 404)),
        (staff, (200, 200)),
        (people["other"], (404, 404)),
        (people["mod"], (404, 404)),
    ):
        login_as(user)
        got = (client.get(attachments.url_of(reply)).status_code, client.get(attachments.url_of(note)).status_code)
        assert got == expected, user.username


def test_a_customer_attaches_a_log_to_a_case_message(app, client, login_as, session, people):
    author = people["author"]
    question = make_question(session, author, people["board"])
    case = escalation.escalate(session, people["mod"], question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    login_as(author)
    response = client.form_post(
        f"/cases/{case.id}/messages",
        {"body": "The log you asked for.", "files": [(io.BytesIO(b"error 42\n"), "router.log")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    held = session.scalar(select(Attachment))
    assert held.case_message_id is not None
    assert client.get(attachments.url_of(held)).data == b"error 42\n"


def test_a_moderator_removes_a_file_and_the_log_says_so(app, client, login_as, session, people):
    login_as(people["author"])
    _ask_with_files(client, ("boot.log", b"log line\n"))
    held = session.scalar(select(Attachment))
    url = attachments.url_of(held)
    login_as(people["other"])
    assert client.form_post(f"/attachments/{held.id}/remove", {"reason": "x"}).status_code == 403
    login_as(people["mod"])
    thread = client.get(f"/mod/questions/{held.question_id}").get_data(as_text=True)
    assert f"/attachments/{held.id}/remove" in thread
    response = client.form_post(f"/attachments/{held.id}/remove", {"reason": "Shows a customer's address"})
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    entry = session.scalar(select(ModerationAction).where(ModerationAction.action == "attachment_removed"))
    assert entry.target_id == held.id and entry.reason == "Shows a customer's address"
    assert list(app.extensions["agora_attachments"].keys()) == []


def _waiting_photo(app, session, people) -> Attachment:
    """A photo uploaded and committed with no job run after it: the workers are behind."""
    storage = app.extensions["agora_attachments"]
    rules = attachments.UploadRules.from_config(app.config)
    (image,) = attachments.upload(session, storage, people["author"], [("IMG 2.jpg", photo())], rules)
    session.commit()
    assert storage.load(image.upload_key) == photo() and storage.load(image.storage_key) is None
    return image


def test_a_photo_is_checked_at_once_and_re_encoded_by_a_job(app, session, people):
    from app.jobs import tasks

    storage = app.extensions["agora_attachments"]
    image = _waiting_photo(app, session, people)
    assert attachments.waiting_uploads(session) == [image]
    with app.app_context():
        assert tasks.process_uploads(app) == 1
        assert tasks.process_uploads(app) == 0  # nothing twice
    session.refresh(image)
    served = storage.load(image.storage_key)
    assert image.upload_key is None and b"NimbusCam" not in served
    assert Image.open(io.BytesIO(served)).size == (image.width, image.height) == (853, 2560)
    assert (image.size, image.filename) == (len(served), "IMG_2.jpg")
    assert sorted(storage.keys()) == sorted([image.storage_key, image.thumb_key])  # the upload as sent is gone


@pytest.mark.parametrize("trouble", ["lost", "unusable"])
def test_an_upload_that_can_never_be_re_encoded_is_removed(app, session, people, monkeypatch, trouble):
    from app.jobs import tasks

    storage = app.extensions["agora_attachments"]
    image = _waiting_photo(app, session, people)
    if trouble == "lost":
        storage.delete(image.upload_key)
    else:  # the limits were tightened after the check
        monkeypatch.setattr(files, "process_image", lambda *a: (_ for _ in ()).throw(files.refuse("too big now")))
    with app.app_context():
        tasks.process_uploads(app)
        assert tasks.process_uploads(app) == 0
    session.refresh(image)
    assert image.removed_at is not None and attachments.waiting_uploads(session) == []
    assert list(storage.keys()) == []  # nothing of it is kept, and nothing is served


def test_a_file_removed_while_it_was_being_re_encoded_does_not_come_back(app, session, people, monkeypatch):
    from app.jobs import tasks

    storage = app.extensions["agora_attachments"]
    image = _waiting_photo(app, session, people)
    real = files.process_image

    def removed_meanwhile(*args):
        done = real(*args)
        attachments.remove(session, people["mod"], image.id, "Personal data")  # a moderator, in another session
        session.commit()
        return done

    monkeypatch.setattr(files, "process_image", removed_meanwhile)
    with app.app_context():
        tasks.process_uploads(app)
    session.refresh(image)
    assert image.removed_at is not None and list(storage.keys()) == []


def test_a_photo_asked_for_before_its_job_ran_is_re_encoded_for_that_request(app, client, login_as, session, people):
    storage = app.extensions["agora_attachments"]
    image = _waiting_photo(app, session, people)
    upload_key = image.upload_key
    login_as(people["author"])  # an upload no post holds yet is its uploader's alone
    thumb = client.get(f"/attachments/{image.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    full = client.get(f"/attachments/{image.id}/IMG_2.jpg")
    assert full.status_code == 200 and b"NimbusCam" not in full.data and full.data == storage.load(image.storage_key)
    session.refresh(image)
    assert image.upload_key is None and storage.load(upload_key) is None


def test_cleanup_deletes_uploads_no_post_took(app, session, people):
    storage = app.extensions["agora_attachments"]
    rules = attachments.UploadRules.from_config(app.config)
    old, fresh = attachments.upload(session, storage, people["author"], [("a.png", png()), ("b.txt", b"b")], rules)
    old.created_at -= timedelta(days=2)
    session.commit()
    done = attachments.cleanup(session, storage)
    session.commit()
    assert done.pending_deleted == 1
    assert session.scalars(select(Attachment.id)).all() == [fresh.id]
    assert sorted(storage.keys()) == [fresh.storage_key]


# --- edits --------------------------------------------------------------------------------------


def test_an_edit_summary_word_diff_and_rollback(client, login_as, session, people):
    author = people["author"]
    question = make_question(session, author, people["board"], body="Reset the **router** and wait a minute.")
    login_as(author)
    client.form_post(
        f"/questions/{question.id}/edit",
        {
            "board": "laptops",
            "title": question.title,
            "body": "Reset the **modem** and wait a minute.",
            "tags": "",
            "language": "en",
            "summary": "router → modem",
            "submit": "1",
        },
    )
    history = client.get(f"/questions/{question.id}/history").get_data(as_text=True)
    assert "router → modem" in history
    assert "<del>router</del>" in history and "<ins>modem</ins>" in history and "**" not in history
    login_as(people["other"])
    assert client.form_post(f"/questions/{question.id}/history/1/restore").status_code == 403
    login_as(author)
    assert client.form_post(f"/questions/{question.id}/history/2/restore").status_code == 409  # already current
    assert client.form_post(f"/questions/{question.id}/history/9/restore").status_code == 404
    assert client.post(f"/questions/{question.id}/history/1/restore").status_code == 400  # no CSRF token
    assert client.form_post(f"/questions/{question.id}/history/1/restore").status_code == 302
    latest = session.scalar(
        select(Revision).where(Revision.question_id == question.id).order_by(Revision.number.desc())
    )
    assert (latest.number, latest.restored_from) == (3, 1) and "router" in latest.body_source
    assert "Rolled back to version 1." in client.get(f"/questions/{question.id}/history").get_data(as_text=True)
    assert session.scalar(select(ModerationAction.id).where(ModerationAction.action == "post_rolled_back")) is None


def test_a_moderators_rollback_of_an_answer_is_audited(client, login_as, session, people):
    question = make_question(session, people["other"], people["board"])
    answer = make_answer(session, people["author"], question, body="First version of the answer.")
    login_as(people["author"])
    client.form_post(f"/answers/{answer.id}/edit", {"body": "Spam spam spam spam.", "language": "en", "submit": "1"})
    login_as(people["mod"])
    assert client.form_post(f"/answers/{answer.id}/history/1/restore").status_code == 302
    session.refresh(answer)
    assert answer.body_source == "First version of the answer."
    entry = session.scalar(select(ModerationAction).where(ModerationAction.action == "post_rolled_back"))
    assert (entry.target_type, entry.target_id) == ("answer", answer.id)


def test_the_cleanup_command_for_cron(app, session, people):
    storage = app.extensions["agora_attachments"]
    rules = attachments.UploadRules.from_config(app.config)
    [stale] = attachments.upload(session, storage, people["author"], [("old.log", b"old")], rules)
    stale.created_at -= timedelta(days=2)
    session.commit()
    result = app.test_cli_runner().invoke(args=["attachments", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unused upload(s)" in result.output
    assert session.scalar(select(Attachment.id)) is None and list(storage.keys()) == []
