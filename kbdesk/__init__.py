"""kbdesk: a technical-support desk with the knowledge base at its centre."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

# Each feature owns a blueprint; listing them here keeps the order of registration explicit.
BLUEPRINTS = [
    "kbdesk.web.views:bp",
    "kbdesk.accounts.views:bp",
    "kbdesk.customers.views:bp",
    "kbdesk.tickets.views:bp",
    "kbdesk.kb.views:bp",
    "kbdesk.kb.review_views:bp",
    "kbdesk.search.views:bp",
    "kbdesk.mail.views:bp",
    "kbdesk.sla.views:bp",
    "kbdesk.monitor.views:bp",
    "kbdesk.portal.views:bp",
    "kbdesk.releases.views:bp",
    "kbdesk.authoring.views:bp",
    "kbdesk.feedback.views:bp",
    "kbdesk.problems.views:bp",
    "kbdesk.gaps.views:bp",
    "kbdesk.api.blueprint:bp",
]

# Every module that defines models, so metadata (and Alembic) sees all tables.
MODEL_MODULES = [
    "kbdesk.customers.models",
    "kbdesk.accounts.models",
    "kbdesk.kb.models",
    "kbdesk.tickets.models",
    "kbdesk.tickets.search_docs",
    "kbdesk.mail.models",
    "kbdesk.sla.models",
    "kbdesk.monitor.models",
    "kbdesk.portal.models",
    "kbdesk.releases.models",
    "kbdesk.authoring.models",
    "kbdesk.feedback.models",
    "kbdesk.problems.models",
    "kbdesk.gaps.models",
]


def load_models() -> None:
    """Import every models module."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def _import(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI, errors."""
    from kbdesk import config as settings
    from kbdesk import tasks, web
    from kbdesk.extensions import babel, csrf, db, login_manager

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "kbdesk" / "static"),
    )
    app.config.from_object(settings.Defaults)
    if config is None or not config.get("TESTING"):
        app.config.from_mapping(settings.from_env())
    if config:
        app.config.from_mapping(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.normalise_db_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    # A request carrying the largest allowed attachment, plus form fields, must get through.
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["MAX_CONTENT_LENGTH"] or 0,
                                           app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024)

    load_models()
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)

    for target in BLUEPRINTS:
        bp = _import(target)
        app.register_blueprint(bp)
    web.init_app(app)
    tasks.init_app(app)

    from kbdesk.cli import register_commands

    register_commands(app)
    return app
