"""Staff pages: the inbound quarantine (with Retry), one mail, its raw bytes, outbound mail."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import kbdesk.mail.outbound  # noqa: F401 - connects the ticket signal handlers
from kbdesk.mail import services
from kbdesk.mail.models import INBOUND_STATES, OUTBOUND_STATES
from kbdesk.mail.store import raw_path

bp = Blueprint("mail", __name__, url_prefix="/mail")
PAGE = 50
RAW_SHOWN = 64 * 1024


def _offset() -> int:
    raw = request.args.get("offset", "0")
    return max(0, int(raw)) if raw.isdigit() else 0


@bp.get("/")
@login_required
def index():
    """Inbound mail by state; the failed ones (the quarantine) first."""
    state = request.args.get("state", "failed")
    state = state if state in (*INBOUND_STATES, "all") else "failed"
    mails, total = services.list_inbound(current_user, state, limit=PAGE, offset=_offset())
    counts = services.inbound_counts(current_user)
    return render_template("mail/index.html", mails=mails, total=total, state=state,
                           counts=counts, states=INBOUND_STATES, limit=PAGE, offset=_offset())


@bp.get("/inbound/<int:mail_id>")
@login_required
def detail(mail_id: int):
    """One inbound mail: its state, error and the start of its raw text."""
    mail = services.get_inbound(current_user, mail_id)
    path = raw_path(mail.sha256)
    raw = ""
    if path.exists():
        with path.open("rb") as f:
            raw = f.read(RAW_SHOWN).decode("utf-8", errors="replace")
    return render_template("mail/detail.html", mail=mail, raw=raw,
                           truncated=mail.size > RAW_SHOWN, missing=not path.exists())


@bp.post("/inbound/<int:mail_id>/retry")
@login_required
def retry(mail_id: int):
    """Parse a failed mail again (after this request commits)."""
    services.retry_inbound(current_user, mail_id)
    flash(_("The mail is queued for parsing again."), "success")
    return redirect(url_for("mail.detail", mail_id=mail_id))


@bp.get("/inbound/<int:mail_id>/raw")
@login_required
def raw(mail_id: int):
    """The stored bytes, as a download (never rendered)."""
    mail = services.get_inbound(current_user, mail_id)
    data = raw_path(mail.sha256).read_bytes() if raw_path(mail.sha256).exists() else b""
    return Response(data, mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="inbound-{mail.id}.eml"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@bp.get("/outbound")
@login_required
def outbound():
    """Mail we send: queued, sent, failed, suppressed by the caps, bounced."""
    state = request.args.get("state", "all")
    state = state if state in (*OUTBOUND_STATES, "all") else "all"
    mails, total = services.list_outbound(current_user, state, limit=PAGE, offset=_offset())
    return render_template("mail/outbound.html", mails=mails, total=total, state=state,
                           states=OUTBOUND_STATES, limit=PAGE, offset=_offset())
