"""A staff member answers a notice by e-mail: their reply goes to the customer, as if typed in.

Only a reply naming a mail we sent to that very user counts; a forged From does not."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.mail.models import OutboundMail
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Message
from tests.mail.support import mail, messages, outbound


def _notified_ticket(users, db):
    """Alice's ticket, assigned to spec, with Alice's reply: spec has been mailed a notice."""
    spec = users["specialist"]
    ticket = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    tickets.update_ticket(spec, ticket.id, {"assignee": spec.id})
    tickets.add_message(users["alice"], ticket, "It still hangs.")
    db.session.commit()
    notice = db.session.scalar(select(OutboundMail).where(
        OutboundMail.kind == "notification", OutboundMail.user_id == spec.id))
    assert notice is not None
    return ticket, notice


def test_a_reply_to_a_notice_is_the_staff_members_public_reply(users, db, ingest):
    ticket, notice = _notified_ticket(users, db)
    replies_before = len(outbound(kind="reply"))
    result = ingest(mail(sender="spec@kbdesk.test", subject="Re: notice",
                         body="We cleared the export cache; please try again.",
                         in_reply_to=f"<{notice.message_id}>"))
    assert result.exit_code == 0, result.output
    last = messages(ticket)[-1]
    assert last.author_id == users["specialist"].id and not last.internal
    assert last.via == "email" and "export cache" in last.body
    replies = outbound(kind="reply")
    assert len(replies) == replies_before + 1 and replies[-1].to_addr == "alice@alfa.test"


def test_a_forged_staff_sender_is_not_taken_for_staff(users, db, ingest):
    ticket, notice = _notified_ticket(users, db)
    dev_notice_id = notice.message_id
    # The developer's address answering the specialist's notice: the id never went to them.
    result = ingest(mail(sender="dev@kbdesk.test", subject="Re: notice",
                         body="Close it, all fine.", in_reply_to=f"<{dev_notice_id}>"))
    assert result.exit_code == 0, result.output
    staff_written = db.session.scalars(select(Message).where(
        Message.ticket_id == ticket.id, Message.author_id == users["developer"].id)).all()
    assert staff_written == []
    assert outbound(kind="reply") == []
