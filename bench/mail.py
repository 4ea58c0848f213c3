"""Time e-mail: building and sending queued notification mail over one SMTP connection, and taking replies in.

    .venv/bin/python -m bench.mail [--messages N] [--replies N]

1. Starts a real SMTP server on 127.0.0.1 (aiosmtpd, from requirements-dev.txt) and an app on a fresh SQLite
   database in a temporary folder, with --messages members each sent one case notification.
2. Times `mail.deliver_pending` batch by batch (200 a batch, one connection each): messages per second, and
   the time to build one MIME message (text + HTML part, every header) on its own.
3. Times --replies replies through `inbound.receive` (parse, token check, quote stripping, posting on the
   case) and `replyparse.strip_reply` alone on a Gmail-style reply.

The SMTP server runs in this process (a thread), so its own parsing of every message shares the interpreter
with the sender: the send rate is a floor, not what a separate mail server would take.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from email.message import EmailMessage as MimeMessage
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.db import Base, db, utcnow
from app.escalation import service as escalation
from app.models import import_all_models
from app.notifications import compose, inbound, links, mail
from app.notifications.models import EmailMessage
from app.notifications.replyparse import strip_reply
from tests import factories
from tests.smtp_server import SmtpServer

REPLY_DOMAIN = "reply.nimbus.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=200)
    args = parser.parse_args()
    server = SmtpServer().start()
    folder = Path(tempfile.mkdtemp(prefix="agora-bench-mail-"))
    app = create_app({
        "ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{folder / 'agora.db'}",
        "SEARCH_INDEX_DIR": str(folder / "index"), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
        "MAIL_USE_TLS": False, "MAIL_REPLY_DOMAIN": REPLY_DOMAIN, "PUBLIC_URL": "https://community.nimbus.example",
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
    })  # fmt: skip
    try:
        with app.app_context():
            import_all_models()
            Base.metadata.create_all(db.engine)
            rows = []
            with db.scope() as session:
                board = factories.make_board(session)
                customer = factories.make_user(session, "customer")
                question = factories.make_question(session, customer, board)
                draft = escalation.EscalationDraft("billing", message="I was charged twice.")
                case = escalation.request_private_help(session, customer, question.id, draft)
                session.commit()
                customer_id, customer_email = customer.id, customer.email
                for n in range(args.messages):
                    session.add(EmailMessage(
                        user_id=customer_id, to_address=f"member{n}@example.com", subject=f"Case update {n}",
                        body=f"Hello,\n\nOur staff replied on your private case #{case.id}.\n\n--\nSettings: x\n",
                        kind="immediate", status="pending", created_at=utcnow(), thread=f"case:{case.id}",
                        reply_thread=f"case:{case.id}", unsubscribe_url="https://community.nimbus.example/u/x",
                    ))  # fmt: skip
                session.commit()
                rows = session.scalars(select(EmailMessage).order_by(EmailMessage.id).limit(50)).all()
                settings = compose.MailSettings.from_config(app.config)
                builds = []
                for row in rows:
                    start = time.perf_counter()
                    compose.build(row, settings, "el")
                    builds.append(time.perf_counter() - start)
                session.rollback()
            sender = app.extensions["agora_mail_sender"]
            start, sent, batches = time.perf_counter(), 0, 0
            while True:
                with db.scope() as session:
                    done = mail.deliver_pending(session, sender)
                if not done:
                    break
                sent, batches = sent + done, batches + 1
            sending = time.perf_counter() - start
            assert len(server.mailbox.messages) == args.messages, len(server.mailbox.messages)

            sample = (
                "Thanks, the refund arrived.\n\nOn Tue, Dec 1, 2026 at 3:04 PM Nimbus Community <\n"
                "reply+1-abc@reply.nimbus.example> wrote:\n" + "> quoted line of the earlier message\n" * 40
            )
            start = time.perf_counter()
            for _ in range(1000):
                strip_reply(sample)
            strip_ms = (time.perf_counter() - start) / 1000 * 1000  # per call, in ms

            with db.scope() as session:
                mails = session.scalars(
                    select(EmailMessage).order_by(EmailMessage.id).limit(args.replies)
                ).all()  # fmt: skip
                for row in mails:  # each reply needs its own token, and to come from the row's member
                    row.to_address, row.user_id = customer_email, customer_id
                session.commit()
                receives = []
                for row in mails:
                    reply = MimeMessage()
                    reply["From"], reply["Subject"] = customer_email, "Re: case"
                    token = links.signer().reply_token(row.id, row.user_id, row.reply_thread)
                    reply["To"] = f"reply+{token}@{REPLY_DOMAIN}"
                    reply.set_content(sample, cte="quoted-printable")
                    raw = bytes(reply)
                    start = time.perf_counter()
                    result = inbound.receive(session, raw)
                    session.commit()
                    receives.append(time.perf_counter() - start)
                    assert result.outcome == "posted", result
    finally:
        server.stop()
    rows_out = [
        ("build one message (text+HTML, headers), median", f"{statistics.median(builds) * 1000:.2f} ms"),
        (f"send {sent} messages in {batches} batch(es)", f"{sending:.2f} s"),
        ("  messages per second", f"{sent / sending:.0f}"),
        ("strip_reply on a Gmail reply (40 quoted lines)", f"{strip_ms:.3f} ms"),
        (f"receive one reply and post it, median of {len(receives)}", f"{statistics.median(receives) * 1000:.2f} ms"),
        ("receive one reply, 95th percentile", f"{sorted(receives)[int(len(receives) * 0.95) - 1] * 1000:.2f} ms"),
    ]
    print(f"{'measure':<52}{'value':>14}")
    for name, value in rows_out:
        print(f"{name:<52}{value:>14}")


if __name__ == "__main__":
    main()
