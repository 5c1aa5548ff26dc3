"""Request plumbing shared by every page: locale, commit boundary, logging, errors."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, jsonify, render_template, request, session
from flask_babel import refresh
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from kbdesk.errors import ServiceError
from kbdesk.extensions import db, login_manager

log = logging.getLogger("kbdesk.request")
LOCALES = ("cs", "en")


def select_locale() -> str:
    """The explicit choice, else the user's locale, else the browser's preference."""
    if (chosen := session.get("lang")) in LOCALES:
        return chosen
    user = getattr(g, "api_user", None) or (current_user if current_user else None)
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in LOCALES:
        return user.locale
    return request.accept_languages.best_match(LOCALES) or "cs"


def select_timezone() -> str:
    """Staff and customers see times in Prague unless their customer says otherwise."""
    if current_user and current_user.is_authenticated and current_user.customer:
        return current_user.customer.timezone
    return "Europe/Prague"


def wants_json() -> bool:
    """Under /api every answer is JSON."""
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    """The one JSON error shape: {"error": {"code", "message", "fields"?}}."""
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


def init_app(app: Flask) -> None:
    """Attach the request hooks and error handlers."""
    from kbdesk.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")

    @app.before_request
    def start_request():
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]
        g.started = time.perf_counter()
        # Flask-Babel and Flask-Login cache on the app context, which may outlive one
        # request (tests, CLI-driven requests): start each request fresh.
        refresh()
        g.pop("_login_user", None)

    @app.after_request
    def finish_request(response):
        # One commit per request, at its boundary; a failed request changes nothing.
        if response.status_code < 400 or g.get("commit_anyway"):
            db.session.commit()
        else:
            db.session.rollback()
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # The path only: query strings may carry secrets.
        log.info("rid=%s %s %s %s %.1fms", g.get("request_id"), request.method,
                 request.path, response.status_code, duration)
        return response

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return json_error(exc.code or 500, code, exc.description or exc.name)
        if exc.code in (404, 403, 405, 413, 400, 429):
            return render_template("errors/error.html", status=exc.code,
                                   message=exc.description), exc.code
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("rid=%s unhandled error", g.get("request_id"))
        if wants_json():
            return json_error(500, "internal_error", "Internal server error.")
        return render_template("errors/error.html", status=500,
                               message="Internal server error."), 500

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale() or "cs")}
