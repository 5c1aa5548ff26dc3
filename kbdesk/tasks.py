"""Huey glue: tasks run in their own app context, commit once, and run after commit."""

from __future__ import annotations

import functools

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from kbdesk.extensions import db, huey

_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Remember the app tasks run in; immediate mode for tests."""
    global _app
    _app = app
    if app.config.get("HUEY_IMMEDIATE") or app.config.get("TESTING"):
        huey.immediate = True


def task_app() -> Flask:
    """The app a task runs in (the last one created, else a new one from the environment)."""
    global _app
    if _app is None:
        from kbdesk import create_app

        _app = create_app()
    return _app


def _in_app_context(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with task_app().app_context():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return wrapper


def app_task(**options):
    """A Huey task that takes ids, runs in its own app context and commits once."""

    def decorate(fn):
        return huey.task(**options)(_in_app_context(fn))

    return decorate


def app_periodic_task(validate_datetime, **options):
    """A periodic Huey task with the same guarantees as app_task."""

    def decorate(fn):
        return huey.periodic_task(validate_datetime, **options)(_in_app_context(fn))

    return decorate


def after_commit(callback, *args, **kwargs) -> None:
    """Run callback(*args) once the current transaction commits; dropped on rollback."""
    db.session.info.setdefault("after_commit", []).append((callback, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    # SQLAlchemy fires this when a SAVEPOINT is released too; only the real commit counts.
    if session.get_nested_transaction() is not None:
        return
    callbacks = session.info.pop("after_commit", [])
    for callback, args, kwargs in callbacks:
        callback(*args, **kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("after_commit", None)
