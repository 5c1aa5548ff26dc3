"""Benchmark of the inbound mail path on SQLite: store, parse, thread, open ticket, match.

python bench/mail.py [-n 500] [--seed 7] [--smtp]

Generates N realistic messages (new reports from known contacts, allowed domains and strangers,
replies by ticket number and by our Message-ID, Czech charsets, HTML-only mail, attachments,
auto-replies and duplicates) and feeds each one through `kbdesk.mail.store.receive` with eager
parsing, so the timing of one message covers: write the raw file (fsync) and row, commit, the
parse task (loop checks, sender and thread matching, the ticket service with its events and
attachments, the acknowledgement row, commit) and the matching of a new ticket. As in production,
the tasks that follow a commit elsewhere (the search-index writer, the SMTP send) are queued for
the worker; --inline-tasks runs them in line too (eager Huey), to see the cost of everything.
Prints messages per second and the latency percentiles.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

TMP = tempfile.mkdtemp(prefix="kbdesk-bench-mail-")
os.environ["KBDESK_DATA_DIR"] = TMP  # the task queue is made at import time
os.environ.pop("KBDESK_REDIS_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS_CS = ("server aplikace tiskárna záloha certifikát přihlášení databáze chyba služba síť "
            "uživatel faktura export portál disk paměť restart aktualizace licence "
            "pomalá odezva nefunguje selhala hlásí").split()
WORDS_EN = ("server application printer backup certificate login database error service "
            "network user invoice export portal disk memory restart update license slow "
            "response broken failed reports timeout").split()


def sentence(rng: random.Random, czech: bool, n: int = 12) -> str:
    words = WORDS_CS if czech else WORDS_EN
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def build(rng: random.Random, *, sender: str, name: str, subject: str, czech: bool,
          in_reply_to: str = "", kind: str = "plain") -> bytes:
    """One message as a mail client would send it."""
    from email import policy

    msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "podpora@kbdesk.bench"
    msg["Subject"] = subject
    msg["Date"] = "Wed, 14 Jan 2026 09:00:00 +0100"
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    body = "\n\n".join(sentence(rng, czech) for _ in range(rng.randint(2, 6)))
    body = ("Dobrý den,\n\n" if czech else "Hello,\n\n") + body + f"\n\n{name}\n"
    if kind == "auto":
        msg["Auto-Submitted"] = "auto-replied"
    if kind == "html":
        msg.set_content("<html><body><p>" + body.replace("\n\n", "</p><p>") + "</p></body></html>",
                        subtype="html")
    elif czech and kind != "html" and rng.random() < 0.5:
        msg.set_content(body, charset="windows-1250", cte="quoted-printable")
    else:
        msg.set_content(body)
    if kind == "attachment":
        msg.add_attachment(("log line\n" * rng.randint(50, 2000)).encode(), maintype="text",
                           subtype="plain", filename="server.log")
    return msg.as_bytes()


def setup(app):
    """Customers with allowed domains and contacts, one staff member, the search index."""
    from kbdesk.accounts.models import User
    from kbdesk.cli import run_init_hooks
    from kbdesk.customers.models import Contact, Customer
    from kbdesk.extensions import db

    db.create_all()
    run_init_hooks(app)
    contacts = []
    for i in range(20):
        customer = Customer(name=f"Zákazník {i}", slug=f"c{i}", language="cs" if i % 3 else "en",
                            allowed_domains=[f"firma{i}.cz"])
        db.session.add(customer)
        for j in range(3):
            c = Contact(customer=customer, name=f"Kontakt {i}-{j}", email=f"k{j}@firma{i}.cz",
                        language=customer.language)
            db.session.add(c)
            contacts.append((c.email, c.name, customer.language == "cs"))
    staff = User(email="spec@kbdesk.bench", name="Spec", role="specialist", locale="cs")
    db.session.add(staff)
    db.session.commit()
    return contacts, staff.id


def next_message(rng, contacts, opened, seen) -> tuple[str, bytes]:
    """(kind, raw) of the next message of a realistic mix."""
    roll = rng.random()
    if opened and roll < 0.20:
        number, sender, name, czech, ack_id = rng.choice(opened)
        if ack_id and rng.random() < 0.5:
            return "reply", build(rng, sender=sender, name=name, czech=czech,
                                  subject="Re: " + sentence(rng, czech, 4), in_reply_to=ack_id)
        return "reply", build(rng, sender=sender, name=name, czech=czech,
                              subject=f"RE: [#{number}] " + sentence(rng, czech, 4))
    if seen and roll < 0.25:
        return "duplicate", rng.choice(seen)
    if roll < 0.30:
        sender, name, czech = rng.choice(contacts)
        return "auto", build(rng, sender=sender, name=name, czech=czech, kind="auto",
                             subject="Automatická odpověď: nepřítomnost")
    if roll < 0.40:
        i = rng.randrange(20)
        sender, name, czech = f"novy{rng.randrange(10**6)}@firma{i}.cz", "Nový Člověk", True
    elif roll < 0.48:
        sender, name, czech = f"stranger{rng.randrange(10**6)}@gmail.com", "Stranger", False
    else:
        sender, name, czech = rng.choice(contacts)
    kind = rng.choices(["plain", "html", "attachment"], [80, 10, 10])[0]
    return "new", build(rng, sender=sender, name=name, czech=czech, kind=kind,
                        subject=sentence(rng, czech, rng.randint(3, 8)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="messages to ingest")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--inline-tasks", action="store_true",
                        help="also run the index writer and SMTP send tasks in line")
    parser.add_argument("--wal", choices=["FULL", "NORMAL"],
                        help="what-if: SQLite in WAL mode with this synchronous setting "
                             "(the app's default is the rollback journal)")
    args = parser.parse_args()

    import logging

    logging.disable(logging.INFO)
    from sqlalchemy import func, select

    from kbdesk import create_app
    from kbdesk.extensions import db, huey
    from kbdesk.mail import store
    from kbdesk.mail.models import InboundMail, OutboundMail
    from kbdesk.mail.tasks import parse_inbound
    from kbdesk.tickets.models import Message, Ticket

    try:
        from kbdesk.tickets.similar import _matcher, similar_for
        matching = _matcher() is not None
    except ImportError:
        similar_for, matching = None, False

    app = create_app({
        "DATA_DIR": TMP, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{TMP}/kbdesk.db",
        "SEARCH_INDEX_DIR": f"{TMP}/index", "SECRET_KEY": "bench",
        "HUEY_IMMEDIATE": args.inline_tasks,
        "SMTP_URL": None, "IMAP_URL": None, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
        "MAIL_FROM": "Podpora <podpora@kbdesk.bench>", "MAIL_ACK_PER_SENDER_HOUR": 10**6,
        "MAIL_AUTO_PER_RECIPIENT_DAY": 10**6,
    })
    rng = random.Random(args.seed)
    with app.app_context():
        if args.wal:
            from sqlalchemy import event

            @event.listens_for(db.engine, "connect")
            def _wal(dbapi_conn, _record):
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute(f"PRAGMA synchronous={args.wal}")

            db.engine.dispose()
        contacts, staff_id = setup(app)
    opened: list[tuple] = []
    seen: list[bytes] = []
    latencies: list[float] = []
    kinds: dict[str, int] = {}
    cpu = 0.0
    started = time.perf_counter()
    for _ in range(args.n):
        kind, raw = next_message(rng, contacts, opened, seen)  # generation is not timed
        gen_done, cpu_start = time.perf_counter(), time.process_time()
        with app.app_context():
            mail, created = store.receive(raw, source="bench")
            if created and not huey.immediate:
                parse_inbound.call_local(mail.id)  # what the worker does with the queued task
            db.session.expire_all()
            if created and mail.state == "parsed" and kind == "new" and similar_for:
                from kbdesk.accounts.models import User

                ticket = db.session.get(Ticket, mail.ticket_id)
                similar_for(db.session.get(User, staff_id), ticket)
            latencies.append(time.perf_counter() - gen_done)
            cpu += time.process_time() - cpu_start
            if kind == "new" and mail.ticket_id:
                ticket = db.session.get(Ticket, mail.ticket_id)
                ack = db.session.scalar(select(OutboundMail.message_id).where(
                    OutboundMail.ticket_id == ticket.id, OutboundMail.kind == "ack"))
                opened.append((ticket.number, ticket.reporter_email, "x", True, f"<{ack}>" if ack else ""))
        seen.append(raw)
        kinds[kind] = kinds.get(kind, 0) + 1
    wall = time.perf_counter() - started
    busy = sum(latencies)
    with app.app_context():
        states = dict(db.session.execute(select(InboundMail.state, func.count())
                                         .group_by(InboundMail.state)).all())
        n_tickets = db.session.scalar(select(func.count(Ticket.id)))
        n_messages = db.session.scalar(select(func.count(Message.id)))
        n_acks = db.session.scalar(select(func.count(OutboundMail.id)))
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    print(f"messages: {args.n}  mix: {kinds}")
    print(f"inbound states: {states}  tickets: {n_tickets}  messages on tickets: {n_messages}  "
          f"outbound rows: {n_acks}")
    print(f"matching: {'on (kbdesk.matching.service)' if matching else 'not installed yet (skipped)'}"
          f"; index writer and SMTP send: {'in line' if args.inline_tasks else 'queued for the worker'}")
    print(f"throughput: {args.n / busy:.1f} messages/s (ingest time), "
          f"{args.n / wall:.1f} messages/s (wall, with generation)")
    print(f"CPU per message: {cpu / args.n * 1000:.1f} ms (the rest is waiting for fsync and "
          f"other processes); SQLite journal: {'WAL, synchronous=' + args.wal if args.wal else 'rollback (default)'}")
    print(f"latency per message: p50 {p(0.50):.1f} ms  p95 {p(0.95):.1f} ms  "
          f"p99 {p(0.99):.1f} ms  max {lat[-1] * 1000:.1f} ms  mean {statistics.mean(lat) * 1000:.1f} ms")
    print(f"data directory: {TMP}")


if __name__ == "__main__":
    main()
