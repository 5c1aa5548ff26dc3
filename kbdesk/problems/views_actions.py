"""Problem page actions: accept or reject a proposal, link and unlink tickets."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kbdesk.errors import ServiceError, ValidationError
from kbdesk.problems import services
from kbdesk.problems.forms import AcceptForm, LinkTicketForm, PanelLinkForm
from kbdesk.problems.views import bp, render_detail
from kbdesk.tickets.services import get_ticket_by_number
from kbdesk.tickets.views import render_detail as ticket_page
from kbdesk.web.forms import apply_errors


@bp.post("/<int:problem_id>/accept")
def accept(problem_id: int):
    """Accept a proposal, perhaps with a better title."""
    problem = services.get_problem(current_user, problem_id)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            services.accept(current_user, problem.id, {"title": form.title.data})
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Proposal accepted."), "success")
            return redirect(url_for("problems.detail", problem_id=problem.id))
    return render_detail(problem, accept_form=form)


@bp.post("/<int:problem_id>/reject")
def reject(problem_id: int):
    """Reject a proposal: it is not proposed again for the same tickets."""
    problem = services.get_problem(current_user, problem_id)
    try:
        services.reject(current_user, problem.id)
    except ServiceError as exc:
        return render_detail(problem, error=exc.message)
    flash(_("Proposal rejected."), "success")
    return redirect(url_for("problems.detail", problem_id=problem.id))


@bp.post("/<int:problem_id>/tickets")
def link(problem_id: int):
    """Link a ticket (by number) from the problem page."""
    problem = services.get_problem(current_user, problem_id)
    form = LinkTicketForm()
    if form.validate_on_submit():
        try:
            services.link_ticket(current_user, problem.id, form.ticket.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Ticket linked."), "success")
            return redirect(url_for("problems.detail", problem_id=problem.id))
    return render_detail(problem, link_form=form)


@bp.post("/<int:problem_id>/tickets/<int:ticket_id>/unlink")
def unlink(problem_id: int, ticket_id: int):
    """Unlink a ticket; back to the ticket page when asked from there."""
    services.unlink_ticket(current_user, problem_id, ticket_id)
    flash(_("Ticket unlinked."), "success")
    back = request.form.get("back_ticket")
    if back:
        return redirect(url_for("tickets.detail", number=back))
    return redirect(url_for("problems.detail", problem_id=problem_id))


@bp.post("/link-ticket/<number>")
def link_from_ticket(number: str):
    """The ticket panel's form: link this ticket to a chosen problem, back to the ticket."""
    ticket = get_ticket_by_number(current_user, number)
    raw = PanelLinkForm().problem.data or ""
    try:
        if not raw.isdigit():
            raise ValidationError({"problem": _("Choose a problem.")})
        services.link_ticket(current_user, int(raw), ticket.id)
    except ServiceError as exc:
        # the ticket page again, with the reason, as a 422 (the request rolls back)
        flash(exc.fields.get("problem") or exc.message, "error")
        return ticket_page(ticket, status=422)
    flash(_("Ticket linked to the problem."), "success")
    return redirect(url_for("tickets.detail", number=ticket.number))
