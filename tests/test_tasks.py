"""after_commit: callbacks wait for the real commit, savepoints or not, and rollbacks drop them."""

from __future__ import annotations

from sqlalchemy import text

from kbdesk.tasks import after_commit


def test_callbacks_run_once_after_the_outer_commit_not_after_a_savepoint(app, db):
    ran = []
    with app.app_context():
        db.session.execute(text("select 1"))
        after_commit(ran.append, "outer")
        with db.session.begin_nested():
            after_commit(ran.append, "inside savepoint")
        assert ran == []
        db.session.commit()
        assert ran == ["outer", "inside savepoint"]
        db.session.commit()
    assert ran == ["outer", "inside savepoint"]


def test_a_rollback_drops_the_callbacks(app, db):
    ran = []
    with app.app_context():
        db.session.execute(text("select 1"))
        after_commit(ran.append, "lost")
        db.session.rollback()
        db.session.commit()
    assert ran == []
