"""Portal pages for customer users: home, self-service, filing with suggestions, own tickets."""

from __future__ import annotations

import secrets

from babel import Locale
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.errors import ServiceError
from kbdesk.feedback.services import record_view
from kbdesk.gaps import services as gaps
from kbdesk.kb.render import render_markdown
from kbdesk.portal import deflection, services
from kbdesk.releases import services as releases
from kbdesk.web import LOCALES

bp = Blueprint("portal", __name__, url_prefix="/portal", static_folder="static")
SESSION_KEY = "portal_filing"


@bp.before_request
@login_required
def portal_locale():
    """Customer users see the portal in their customer's language unless they chose one."""
    if session.get("lang") in LOCALES or current_user.is_staff:
        return None
    customer = current_user.customer
    if customer is not None and customer.language in LOCALES:
        from flask_babel import _get_current_context

        ctx = _get_current_context()
        if ctx is not None:
            ctx.babel_locale = Locale.parse(customer.language)
    return None


def _customer_only() -> None:
    if current_user.is_staff:
        abort(404)


def filing_key() -> str:
    """The current filing session: suggestions shown and opened until a ticket is filed."""
    if not session.get(SESSION_KEY):
        session[SESSION_KEY] = secrets.token_hex(16)
    return session[SESSION_KEY]


def _files(field: str) -> list:
    return [(f.stream, f.filename) for f in request.files.getlist(field) if f and f.filename]


@bp.get("/")
def home():
    """Search first, then open tickets, application status and announcements."""
    _customer_only()
    from flask_babel import get_locale

    return render_template(
        "portal/home.html", tickets=services.open_tickets(current_user),
        status=services.status_of(current_user),
        announcements=services.announcements(current_user, str(get_locale() or "cs")))


@bp.get("/search")
def search():
    """Self-service search over the articles the customer may read."""
    _customer_only()
    q = request.args.get("q", "").strip()
    page = services.search_articles(current_user, q) if q else None
    search_log_id = gaps.log_page(current_user, "portal", q, page)
    return render_template("portal/search.html", q=q, page=page, search_log_id=search_log_id)


@bp.get("/articles/<int:article_id>")
def article(article_id: int):
    """An article, rendered; opened from a suggestion it is recorded as such."""
    _customer_only()
    art = services.get_article(current_user, article_id)
    record_view(art.id)
    if request.args.get("from") == "suggestion":
        services.record_opened(current_user, art.id, filing_key())
    gaps.click_from_link(current_user, request.args.get("sl"), "article", art.id)
    return render_template("portal/article.html", article=art, body=render_markdown(art.body),
                           vote=services.my_vote(current_user, art.id))


@bp.post("/articles/<int:article_id>/vote")
def vote(article_id: int):
    """Was this helpful? One answer per user, changeable."""
    _customer_only()
    services.vote(current_user, article_id, request.form.get("helpful", ""))
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("portal.article", article_id=article_id))


@bp.get("/suggest")
def suggest():
    """JSON: up to five articles for what the customer is typing (each recorded as shown)."""
    _customer_only()
    hits = services.suggest(current_user, request.args.get("q", ""), filing_key())
    return jsonify(suggestions=[
        {"id": h.id, "title": h.title, "snippet": h.snippet,
         "url": url_for("portal.article", article_id=h.id, **{"from": "suggestion"})}
        for h in hits])


@bp.route("/tickets/new", methods=["GET", "POST"])
def new_ticket():
    """File a ticket, with suggestions while typing and attachments."""
    _customer_only()
    errors: dict = {}
    form = {"subject": "", "description": "", "severity": "normal", "application": ""}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        try:
            ticket = services.file_ticket(current_user, form, _files("attachments"),
                                          filing_key())
        except ServiceError as exc:
            errors = exc.fields or {"_": exc.message}
        else:
            session.pop(SESSION_KEY, None)
            flash(_("Ticket %(number)s was filed.", number=ticket.number), "success")
            return redirect(url_for("portal.ticket", number=ticket.number, filed=1))
    return render_template("portal/new_ticket.html", form=form, errors=errors,
                           applications=releases.customer_applications(current_user),
                           filing_key=filing_key()), (422 if errors else 200)


@bp.get("/tickets")
def tickets():
    """The customer's tickets."""
    _customer_only()
    status = request.args.get("status", "")
    rows, total = services.my_tickets(current_user, status)
    return render_template("portal/tickets.html", tickets=rows, total=total, status=status)


@bp.get("/tickets/<number>")
def ticket(number: str):
    """One ticket: public messages, attachments, severity, SLA state and planned release."""
    _customer_only()
    t = services.get_ticket(current_user, number)
    from kbdesk.sla.present import sla_json
    from kbdesk.tickets.attachments import visible_attachments

    return render_template(
        "portal/ticket.html", ticket=t, messages=services.public_messages(t),
        attachments=visible_attachments(current_user, t), sla=sla_json(t),
        release=releases.planned_release(t), is_open=services.is_open(t),
        filed=request.args.get("filed"))


@bp.post("/tickets/<number>/reply")
def reply(number: str):
    """A reply with attachments."""
    _customer_only()
    try:
        services.reply(current_user, number, request.form.get("body", ""), _files("attachments"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.fields.get("body") if exc.fields else exc.message, "error")
        return redirect(url_for("portal.ticket", number=number))
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("portal.ticket", number=number))


@bp.post("/tickets/<number>/status")
def set_status(number: str):
    """Close or reopen."""
    _customer_only()
    services.set_status(current_user, number, request.form.get("status", ""))
    return redirect(url_for("portal.ticket", number=number))


@bp.get("/tickets/<number>/attachments/<int:attachment_id>")
def attachment(number: str, attachment_id: int):
    """Download an attachment of one's ticket."""
    _customer_only()
    from kbdesk.tickets.attachments import download_response

    return download_response(services.get_attachment(current_user, number, attachment_id))


@bp.get("/releases")
def release_index():
    """The customer's applications and their releases."""
    _customer_only()
    apps = releases.customer_applications(current_user)
    return render_template("portal/releases.html", apps=[
        {"app": a, "releases": [(r, releases.fixed_tickets(current_user, r))
                                for r in releases.list_releases(current_user, a.id)]}
        for a in apps], render_markdown=render_markdown)


@bp.get("/applications/<int:application_id>/releases")
def application_releases(application_id: int):
    """One application's releases with what each fixes for this customer."""
    _customer_only()
    from kbdesk.customers import services as customers

    app = customers.get_application(current_user, application_id)
    return render_template("portal/releases.html", apps=[
        {"app": app, "releases": [(r, releases.fixed_tickets(current_user, r))
                                  for r in releases.list_releases(current_user, app.id)]}],
        render_markdown=render_markdown)


@bp.get("/report/deflection")
def deflection_report():
    """Staff: suggestions shown, opened, deflections and tickets filed anyway."""
    if not current_user.is_staff:
        abort(404)
    return render_template("portal/deflection.html", report=deflection.report(current_user))


@bp.route("/announcements", methods=["GET", "POST"])
def announcements():
    """Staff: post announcements for every customer or one, and switch them off."""
    if not current_user.is_staff:
        abort(404)
    errors: dict = {}
    form = {k: request.form.get(k, "") for k in ("text", "language", "customer")}
    if request.method == "POST":
        if request.form.get("deactivate", "").isdigit():
            services.deactivate_announcement(current_user, int(request.form["deactivate"]))
            return redirect(url_for("portal.announcements"))
        try:
            services.create_announcement(current_user, {k: v for k, v in form.items() if v})
        except ServiceError as exc:
            errors = exc.fields or {"_": exc.message}
        else:
            flash(_("Announcement posted."), "success")
            return redirect(url_for("portal.announcements"))
    return render_template("portal/announcements.html", rows=services.all_announcements(
        current_user), form=form, errors=errors), (422 if errors else 200)
