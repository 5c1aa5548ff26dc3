"""Staff pages: the article editor pre-filled from a ticket, and "documented in" links."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.authoring import links, services
from kbdesk.errors import ServiceError
from kbdesk.kb import services as kb
from kbdesk.tickets.services import get_ticket_by_number

bp = Blueprint("authoring", __name__, url_prefix="/authoring")


@bp.before_request
@login_required
def staff_only():
    """Customers never author; to them these pages do not exist."""
    if not current_user.is_staff:
        abort(404)


# Globals for the included panels (ticket side, article page, portal ticket page).
@bp.app_template_global("documented_in")
def documented_in_global(ticket):
    """Articles documenting a ticket that the current user may read."""
    return links.documented_in(current_user, ticket)


@bp.app_template_global("article_sources")
def article_sources_global(article):
    """An article's source tickets (staff only; nothing for anyone else)."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return []
    return links.sources_of(current_user, article)


@bp.app_template_global("can_author")
def can_author() -> bool:
    """Whether the current user may write articles."""
    return current_user.is_authenticated and kb.can_edit(current_user)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _picks(source) -> dict:
    """cause/resolution/messages from a query string or form; None when nothing was picked."""
    if not (source.get("picked") or "message" in source or "cause" in source
            or "resolution" in source):
        return {"messages": None, "cause": None, "resolution": None}
    return {"messages": _ids(source.getlist("message")), "cause": _ids(source.getlist("cause")),
            "resolution": _ids(source.getlist("resolution"))}


def _from_sig(sig: str) -> dict:
    """The picks the displayed draft was built from (`1,2|3`)."""
    cause, _sep, resolution = (sig or "").partition("|")
    return {"messages": None, "cause": services.parse_ids(cause) or [],
            "resolution": services.parse_ids(resolution) or []}


def _script_json(value) -> str:
    """JSON safe inside a <script> element (ticket text may contain </script>)."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def _js_items(text: str, replacements) -> list[dict]:
    """Replacements with JavaScript (UTF-16) string offsets, so emoji do not shift them."""
    def at(i: int) -> int:
        return len(text[:i].encode("utf-16-le")) // 2

    return [{**r.as_dict(), "start": at(r.start), "end": at(r.end)} for r in replacements]


def _render(ticket, draft, opts: dict, errors: dict | None = None, status: int = 200,
            title: str | None = None, body: str | None = None):
    kept = set(opts.get("keep") or ())
    return render_template(
        "authoring/new.html", ticket=ticket, draft=draft, opts=opts, errors=errors or {},
        messages=services.pickable_messages(ticket), notes=services.config_notes(ticket),
        kept=kept, title=draft.title if title is None else title,
        body=draft.body if body is None else body,
        sig=",".join(map(str, draft.cause_ids)) + "|" + ",".join(map(str, draft.resolution_ids)),
        scrub_json=_script_json({"original": draft.original,
                                 "items": _js_items(draft.original, draft.replacements)}),
    ), status


@bp.route("/tickets/<number>/article", methods=["GET", "POST"])
def new_article(number: str):
    """The editor pre-filled from a resolved ticket; rebuild the draft or save it."""
    ticket = get_ticket_by_number(current_user, number)
    src = request.form if request.method == "POST" else request.args
    opts = {k: src.get(k, "") for k in ("target", "config_id", "tags", "language")}
    opts["target"] = opts["target"] or ("customer" if ticket.customer_id else "public")
    saving = request.method == "POST" and request.form.get("action") != "rebuild"
    if request.method == "POST":
        # The draft on the page was built from `sig`; saving keeps to it, rebuilding may not.
        shown = _from_sig(request.form.get("sig", ""))
        picks = shown if saving else _picks(src)
        same = (shown["cause"], shown["resolution"]) == (picks["cause"], picks["resolution"])
        count = int(src.get("count", "0")) if src.get("count", "").isdigit() else 0
        keep_src = [i for i in range(count) if str(i) not in src.getlist("replace")] if same \
            else []
    else:
        picks, keep_src = _picks(src), _ids(src.getlist("keep"))
    opts["keep"] = keep_src
    try:
        draft = services.build_draft(current_user, ticket.id, keep=keep_src,
                                     language=opts["language"] or None, **picks)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        flash(exc.message if not exc.fields else "; ".join(exc.fields.values()), "error")
        draft = services.build_draft(current_user, ticket.id, language=opts["language"] or None)
        return _render(ticket, draft, opts, exc.fields, 422)
    if not saving:
        return _render(ticket, draft, opts)
    replace = set(request.form.getlist("replace"))
    data = {**{k: v for k, v in opts.items() if k != "keep"},
            "title": request.form.get("title", ""), "body": request.form.get("body", ""),
            "keep": [r.original for i, r in enumerate(draft.replacements)
                     if str(i) not in replace],
            "allow_personal_data": request.form.get("allow_personal_data", "")}
    try:
        article = services.create_from_ticket(current_user, ticket.id, data)
    except ServiceError as exc:
        return _render(ticket, draft, opts, exc.fields or {"_": exc.message}, 422,
                       title=data["title"], body=data["body"])
    flash(_("Article “%(title)s” saved from %(number)s.", title=article.title,
            number=ticket.number), "success")
    return redirect(url_for("kb.article", article_id=article.id))


def _back(ticket):
    return redirect(url_for("tickets.detail", number=ticket.number) + "#authoring")


@bp.post("/tickets/<number>/documented-in")
def link(number: str):
    """Mark an existing article as documenting the ticket."""
    from kbdesk.tickets.views import render_detail

    ticket = get_ticket_by_number(current_user, number)
    try:
        _link, created = links.link_article(current_user, ticket.id,
                                            request.form.get("article", ""))
    except ServiceError as exc:
        if exc.status == 403:
            raise
        flash(_("No such article.") if exc.status == 404 else
              "; ".join((exc.fields or {"_": exc.message}).values()), "error")
        return render_detail(ticket, 422)
    flash(_("Linked.") if created else _("Already linked."), "success")
    return _back(ticket)


@bp.post("/tickets/<number>/documented-in/<int:article_id>/remove")
def unlink(number: str, article_id: int):
    """Remove a "documented in" link."""
    ticket = get_ticket_by_number(current_user, number)
    links.unlink_article(current_user, ticket.id, article_id)
    flash(_("Link removed."), "success")
    return _back(ticket)
