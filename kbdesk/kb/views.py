"""Knowledge-base pages: list, article, editor with live preview, history, diff, attachments."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.feedback.services import record_view
from kbdesk.kb import attachments, services
from kbdesk.kb.forms import ArticleForm, AttachmentForm
from kbdesk.kb.models import KINDS, LANGUAGES, STATUSES, VISIBILITIES
from kbdesk.kb.render import render_markdown
from kbdesk.web.forms import apply_errors, form_data

bp = Blueprint("kb", __name__, url_prefix="/kb")

FILTER_KEYS = ("kind", "customer", "status", "language", "tag", "visibility", "q")
PAGE_SIZE = 50


def _require_staff() -> None:
    # Staff tools; customers read articles through the pages that scope them.
    if not current_user.is_staff:
        abort(404)


def _require_editor() -> None:
    if not services.can_edit(current_user):
        abort(403)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == \
        "application/json"


def _json_error(exc: ServiceError):
    body = {"code": exc.code, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return jsonify(error=body), exc.status


@bp.get("/")
@login_required
def index():
    """Articles and configuration notes, filtered, with tag counts."""
    _require_staff()
    filters = {k: request.args.get(k, "").strip() for k in FILTER_KEYS}
    filters = {k: v for k, v in filters.items() if v}
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    items, total = services.list_articles(current_user, filters, limit=PAGE_SIZE, offset=offset)
    untagged = {k: v for k, v in filters.items() if k != "tag"}
    facets = services.tag_facets(current_user, untagged)
    customers = db.session.scalars(select(Customer).order_by(Customer.name)).all()
    return render_template("kb/index.html", articles=items, total=total, offset=offset,
                           limit=PAGE_SIZE, filters=filters, untagged=untagged, facets=facets,
                           customers=customers,
                           kinds=KINDS, statuses=STATUSES, languages=LANGUAGES,
                           visibilities=VISIBILITIES)


@bp.get("/<int:article_id>")
@login_required
def article(article_id: int):
    """One article, rendered, with its facts and attachments."""
    item = services.get_article(current_user, article_id)
    record_view(item.id)
    return render_article(item)


def render_article(item, **extra) -> str:
    """The article page (also shown again, with errors, by the review and feedback forms)."""
    return render_template("kb/article.html", article=item, html=render_markdown(item.body),
                           can_edit=services.can_edit(current_user),
                           inline=attachments.is_inline, **extra)


def _choices(form: ArticleForm) -> None:
    customers = db.session.scalars(select(Customer).order_by(Customer.name)).all()
    form.customer.choices = [("", "—")] + [(c.slug, c.name) for c in customers]
    apps = db.session.execute(
        select(Application, Customer.name).join(Customer)
        .order_by(Customer.name, Application.name, Application.environment)).all()
    form.application.choices = [("", "—")] + [
        (str(a.id), f"{cname} — {a.name} ({a.environment})") for a, cname in apps]


def may_publish(item, kind: str | None) -> bool:
    """Whether the editor offers "published": admins, configuration notes, published ones."""
    return (current_user.is_admin or kind == "config"
            or (item is not None and item.status == "published"))


def _initial(item) -> dict:
    return {
        "title": item.title, "slug": item.slug, "kind": item.kind,
        "visibility": item.visibility, "status": item.status, "language": item.language,
        "customer": item.customer.slug if item.customer else "",
        "application": str(item.application_id or ""), "tags": ", ".join(item.tags),
        "body": item.body, "base_revision": str(item.revision),
    }


def _editor(form: ArticleForm, item=None, upload: AttachmentForm | None = None, status: int = 200):
    return render_template("kb/edit.html", form=form, article=item,
                           upload=upload or AttachmentForm(),
                           max_bytes=attachments.max_attachment_bytes(),
                           inline=attachments.is_inline), status


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@login_required
def edit(article_id: int | None = None):
    """Create or edit an article (every staff role)."""
    item = services.get_article(current_user, article_id) if article_id else None
    _require_editor()
    if request.method == "GET":
        if item is not None:
            form = ArticleForm(data=_initial(item))
        else:
            # Links such as /kb/new?kind=config&customer=alfa preset the fields.
            preset = {k: request.args[k] for k in ("kind", "customer", "visibility", "language", "title")
                      if k in request.args}
            if preset.get("kind") == "config" and "visibility" not in preset:
                preset["visibility"] = "internal"
            form = ArticleForm(data=preset)
    else:
        form = ArticleForm()
    _choices(form)
    if not may_publish(item, form.kind.data):
        # Articles reach "published" through review (kbdesk.kb.review): do not offer it.
        form.status.choices = [c for c in form.status.choices if c[0] != "published"]
    if form.validate_on_submit():
        data = form_data(form)
        try:
            if item is None:
                item = services.create_article(current_user, data)
                flash(_("Article created."), "success")
            else:
                before = item.revision
                services.update_article(current_user, item.id, data)
                if item.revision != before:
                    flash(_("Article saved as revision %(n)d.", n=item.revision), "success")
                else:
                    flash(_("Nothing changed."), "info")
        except ServiceError as exc:
            apply_errors(form, exc)
            return _editor(form, item, status=422)
        return redirect(url_for("kb.article", article_id=item.id))
    if request.method == "POST":
        return _editor(form, item, status=422)
    return _editor(form, item)


@bp.post("/preview")
@login_required
def preview():
    """Render Markdown the way the article page will (JSON in, sanitised HTML out)."""
    _require_editor()
    data = request.get_json(silent=True)
    body = data.get("body") if isinstance(data, dict) else request.form.get("body")
    if not isinstance(body, str):
        return jsonify(error={"code": "validation_failed", "message": "Send {\"body\": text}."}), 422
    if len(body) > services.MAX_BODY:
        return jsonify(error={"code": "validation_failed", "message": "Too long."}), 422
    return jsonify(html=str(render_markdown(body)))


@bp.get("/<int:article_id>/history")
@login_required
def history(article_id: int):
    """Every revision of an article, to compare or restore."""
    item = services.get_article(current_user, article_id)
    _require_staff()
    revisions = services.list_revisions(current_user, item.id)
    return render_template("kb/history.html", article=item, revisions=revisions,
                           can_edit=services.can_edit(current_user))


@bp.get("/<int:article_id>/revisions/<int:number>")
@login_required
def revision(article_id: int, number: int):
    """One old revision, rendered."""
    item = services.get_article(current_user, article_id)
    _require_staff()
    rev = services.get_revision(current_user, item.id, number)
    return render_template("kb/revision.html", article=item, rev=rev,
                           html=render_markdown(rev.body),
                           can_edit=services.can_edit(current_user))


@bp.get("/<int:article_id>/diff")
@login_required
def diff(article_id: int):
    """What changed between two revisions (default: the latest and the one before)."""
    item = services.get_article(current_user, article_id)
    _require_staff()
    try:
        b = int(request.args.get("b") or item.revision)
        a = int(request.args.get("a") or max(b - 1, 1))
    except ValueError:
        abort(404)
    if a > b:
        a, b = b, a
    result = services.diff_revisions(current_user, item.id, a, b)
    return render_template("kb/diff.html", article=item, diff=result,
                           can_edit=services.can_edit(current_user))


@bp.post("/<int:article_id>/revisions/<int:number>/restore")
@login_required
def restore(article_id: int, number: int):
    """Make an old revision current (a new revision)."""
    item = services.get_article(current_user, article_id)
    _require_editor()
    before = item.revision
    services.restore_revision(current_user, item.id, number)
    if item.revision != before:
        flash(_("Revision %(old)d restored as revision %(new)d.", old=number, new=item.revision),
              "success")
    else:
        flash(_("Revision %(n)d is what the article already says.", n=number), "info")
    return redirect(url_for("kb.article", article_id=item.id))


@bp.post("/<int:article_id>/attachments")
@login_required
def upload(article_id: int):
    """Attach a file; answers JSON to the editor's script, a page otherwise."""
    item = services.get_article(current_user, article_id)
    _require_editor()
    form = AttachmentForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errs in form.errors.values() for e in errs) or _("No file.")
        if _wants_json():
            return jsonify(error={"code": "validation_failed", "message": message}), 422
        form_article = ArticleForm(data=_initial(item))
        _choices(form_article)
        return _editor(form_article, item, upload=form, status=422)
    storage = form.file.data
    try:
        att = attachments.add_attachment(current_user, item.id, storage.filename, storage.stream)
    except ServiceError as exc:
        if _wants_json():
            return _json_error(exc)
        form.file.errors = [*(exc.fields.values() or [exc.message])]
        form_article = ArticleForm(data=_initial(item))
        _choices(form_article)
        return _editor(form_article, item, upload=form, status=exc.status)
    url = url_for("kb.attachment", attachment_id=att.id, name=att.filename)
    if _wants_json():
        prefix = "!" if attachments.is_inline(att) else ""
        return jsonify(id=att.id, filename=att.filename, size=att.size, url=url,
                       markdown=f"{prefix}[{att.filename}]({url_for('kb.attachment', attachment_id=att.id)})"), 201
    flash(_("File %(name)s attached.", name=att.filename), "success")
    return redirect(url_for("kb.edit", article_id=item.id))


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def attachment_delete(attachment_id: int):
    """Remove an attachment from its article."""
    article_id = attachments.get_attachment(current_user, attachment_id).article_id
    _require_editor()
    attachments.delete_attachment(current_user, attachment_id)
    flash(_("Attachment removed."), "success")
    return redirect(url_for("kb.edit", article_id=article_id))


@bp.get("/attachments/<int:attachment_id>")
@bp.get("/attachments/<int:attachment_id>/<path:name>")
@login_required
def attachment(attachment_id: int, name: str | None = None):
    """Download an attachment: verified images inline, everything else as a download."""
    att = attachments.get_attachment(current_user, attachment_id)
    path = attachments.blob_path(att.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=att.content_type, as_attachment=not attachments.is_inline(att),
                         download_name=att.filename, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it, the file could run nothing and reach nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response
