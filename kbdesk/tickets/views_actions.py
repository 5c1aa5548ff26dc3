"""The ticket page's forms: triage, reply, attachments, watchers, links, merge, visits."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.errors import Forbidden, ServiceError, ValidationError
from kbdesk.extensions import db
from kbdesk.tickets import links as link_service
from kbdesk.tickets.attachments import add_attachment, download_response, get_attachment
from kbdesk.tickets.forms import (
    LinkForm,
    MergeForm,
    ReplyForm,
    TriageForm,
    VisitForm,
    WatcherForm,
)
from kbdesk.tickets.services import add_message, get_ticket_by_number, update_ticket
from kbdesk.tickets.views import bp, render_detail, triage_form
from kbdesk.tickets.visits import add_visit
from kbdesk.web.forms import apply_errors, form_data


def _back(ticket, anchor: str = ""):
    return redirect(url_for("tickets.detail", number=ticket.number) + anchor)


def _failed(number: str, exc: ServiceError | None, name: str, form):
    """Roll back, show the page again with the form's errors, 422."""
    db.session.rollback()
    if exc is not None and exc.status in (403, 404):
        raise exc  # not a form problem: the error page says what it is
    if exc is not None:
        apply_errors(form, exc)
    ticket = get_ticket_by_number(current_user, number)
    return render_detail(ticket, 422, **{name: form})


def _staff_ticket(number: str):
    """A ticket the user may see, for staff-only actions (404 first, then 403)."""
    ticket = get_ticket_by_number(current_user, number)
    if not current_user.is_staff:
        raise Forbidden("Only staff may do this.")
    return ticket


@bp.post("/<number>/triage")
@login_required
def triage(number: str):
    """Change status, severity, assignee and team at once; each change is an event."""
    ticket = _staff_ticket(number)
    form = triage_form(ticket, TriageForm())
    if not form.validate_on_submit():
        return _failed(number, None, "triage_form", form)
    try:
        update_ticket(current_user, ticket.id, form_data(form))
    except ServiceError as exc:
        return _failed(number, exc, "triage_form", form)
    flash(_("Ticket updated."), "success")
    return _back(ticket)


@bp.post("/<number>/reply")
@login_required
def reply(number: str):
    """A public reply or an internal note, with attachments."""
    ticket = link_service.surviving(get_ticket_by_number(current_user, number))
    form = ReplyForm()
    if not form.validate_on_submit():
        return _failed(number, None, "reply_form", form)
    files = [f for f in (form.files.data or []) if getattr(f, "filename", "")]
    internal = bool(form.internal.data)
    body = (form.body.data or "").strip()
    try:
        if not body and not files:
            raise ValidationError({"body": _("Write a message or attach a file.")})
        message = add_message(current_user, ticket, body, internal=internal) if body else None
        for f in files:
            add_attachment(current_user, ticket, f.stream, f.filename, internal=internal,
                           message=message)
    except ServiceError as exc:
        return _failed(number, exc, "reply_form", form)
    flash(_("Internal note added.") if internal else _("Reply sent."), "success")
    return _back(ticket, "#timeline-end")


@bp.get("/<number>/attachments/<int:attachment_id>")
@login_required
def attachment(number: str, attachment_id: int):
    """Download an attachment (only for those who may see the ticket and the file)."""
    ticket = get_ticket_by_number(current_user, number)
    return download_response(get_attachment(current_user, ticket, attachment_id))


@bp.post("/<number>/watchers")
@login_required
def watcher_add(number: str):
    """Add a watcher (or the current user with `me`)."""
    ticket = _staff_ticket(number)
    form = WatcherForm()
    form.user.choices = []
    if not form.validate_on_submit():
        return _failed(number, None, "watcher_form", form)
    try:
        link_service.add_watcher(current_user, ticket, form.user.data or current_user)
    except ServiceError as exc:
        return _failed(number, exc, "watcher_form", form)
    flash(_("Watcher added."), "success")
    return _back(ticket)


@bp.post("/<number>/watchers/<int:user_id>/remove")
@login_required
def watcher_remove(number: str, user_id: int):
    """Remove a watcher."""
    ticket = _staff_ticket(number)  # CSRF: checked for every POST by CSRFProtect
    try:
        link_service.remove_watcher(current_user, ticket, user_id)
    except ServiceError as exc:
        return _failed(number, exc, "watcher_form", WatcherForm())
    flash(_("Watcher removed."), "success")
    return _back(ticket)


@bp.post("/<number>/links")
@login_required
def link(number: str):
    """Link this ticket to another by number."""
    ticket = _staff_ticket(number)
    form = LinkForm()
    if not form.validate_on_submit():
        return _failed(number, None, "link_form", form)
    try:
        link_service.link_tickets(current_user, ticket, form.target.data, form.kind.data)
    except ServiceError as exc:
        return _failed(number, exc, "link_form", form)
    flash(_("Tickets linked."), "success")
    return _back(ticket, "#links")


@bp.post("/<number>/links/<int:link_id>/remove")
@login_required
def unlink(number: str, link_id: int):
    """Remove a link."""
    ticket = _staff_ticket(number)  # CSRF: checked for every POST by CSRFProtect
    try:
        link_service.unlink_tickets(current_user, ticket, link_id)
    except ServiceError as exc:
        return _failed(number, exc, "link_form", LinkForm(formdata=None))
    flash(_("Link removed."), "success")
    return _back(ticket, "#links")


@bp.post("/<number>/merge")
@login_required
def merge(number: str):
    """Merge this ticket into another one."""
    ticket = _staff_ticket(number)
    form = MergeForm()
    if not form.validate_on_submit():
        return _failed(number, None, "merge_form", form)
    try:
        survivor = link_service.merge_tickets(current_user, ticket, form.target.data)
    except ServiceError as exc:
        return _failed(number, exc, "merge_form", form)
    flash(_("Ticket %(number)s merged into %(target)s.", number=ticket.number,
            target=survivor.number), "success")
    return redirect(url_for("tickets.detail", number=survivor.number))


@bp.post("/<number>/visits")
@login_required
def visit(number: str):
    """Record an on-site visit."""
    ticket = _staff_ticket(number)
    form = VisitForm()
    form.engineer.choices = []
    if not form.validate_on_submit():
        return _failed(number, None, "visit_form", form)
    try:
        add_visit(current_user, ticket, form_data(form))
    except ServiceError as exc:
        return _failed(number, exc, "visit_form", form)
    flash(_("On-site visit recorded."), "success")
    return _back(ticket, "#visits")
