"""Review rules in the services: the editor's status paths, import, review dates, base diff."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from kbdesk import ROOT
from kbdesk.errors import Forbidden, ValidationError
from kbdesk.kb import review, services
from kbdesk.kb.models import Article


def test_import_keeps_the_files_status_even_for_a_non_admin(runner, db, users, tmp_path):
    src = tmp_path / "kb"
    src.mkdir()
    shutil.copy(ROOT / "knowledge" / "iis-503-service-unavailable.md", src)
    result = runner.invoke(args=["kb", "import", str(src), "--as", "dev@kbdesk.test"])
    assert result.exit_code == 0, result.output
    a = db.session.scalar(select(Article))
    assert a.status == "published" and a.author.email == "dev@kbdesk.test"
    assert a.review_due == review.next_review_due()


def test_editor_status_paths_keep_the_history(kb, users, db):
    dev, admin = users["developer"], users["admin"]
    a = kb.article(actor=dev, title="Via the editor")
    kb.update(a, actor=dev, status="in_review")  # the form's status select submits it too
    assert [r.action for r in review.history(admin, a.id)] == ["submitted"]
    with pytest.raises(ValidationError) as err:
        services.update_article(dev, a.id, {"status": "published"})
    assert "status" in err.value.fields
    db.session.rollback()
    kb.update(a, actor=admin, status="published")  # an admin publishing approves it
    assert [r.action for r in review.history(admin, a.id)] == ["approved", "submitted"]
    assert a.reviewed_by_id == admin.id and a.review_due == review.next_review_due()


def test_interval_is_configurable_and_review_due_can_be_set(app, kb, users):
    app.config["KB_REVIEW_INTERVAL_DAYS"] = 30
    a = kb.article(title="Monthly", status="published")
    assert a.review_due == review.today() + timedelta(days=30)
    b = kb.article(title="Fixed date", status="published", review_due="2031-05-01")
    assert b.review_due.isoformat() == "2031-05-01"
    kb.update(b, review_due="")
    assert b.review_due is None and b.revision == 1
    assert not review.is_stale(b)


def test_changes_since_published_and_own_change_rule(kb, users, db):
    spec, dev = users["specialist"], users["developer"]
    a = kb.article(title="Base", body="one", status="published")
    assert review.changes_since_published(spec, a) is None
    kb.update(a, actor=dev, body="one\ntwo", status="draft")
    review.submit(dev, a.id, {})
    diff = review.changes_since_published(spec, a)
    assert diff["old"].number == 1 and ("add", "two") in diff["lines"]
    with pytest.raises(Forbidden):
        review.approve(dev, a.id, {})
    with pytest.raises(Forbidden):
        review.approve(users["tester"], a.id, {})
    with pytest.raises(ValidationError):
        review.return_to_author(spec, a.id, {})
    review.approve(spec, a.id, {})
    db.session.commit()
    assert review.published_base(a) == 2 and review.changes_since_published(spec, a) is None
    # The admin reviews anything, even their own change.
    kb.update(a, body="three", status="draft")
    review.submit(users["admin"], a.id, {})
    assert review.approve(users["admin"], a.id, {}).status == "published"
