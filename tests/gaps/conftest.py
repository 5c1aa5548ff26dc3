"""Gap fixtures: published articles of each visibility, so some searches find something."""

from __future__ import annotations

import pytest

from kbdesk.kb import services as kb


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def library(db, users):
    """A public printer article, an internal runbook and a Beta-only article."""
    admin = users["admin"]
    arts = {
        "public": kb.create_article(admin, {
            "title": "Printer queue stuck after update",
            "body": "Restart the print spooler service after the update.",
            "visibility": "public", "status": "published", "language": "en"}),
        "internal": kb.create_article(admin, {
            "title": "Internal spooler runbook", "body": "Internal only spooler steps.",
            "visibility": "internal", "status": "published"}),
        "beta": kb.create_article(admin, {
            "title": "Beta invoice export procedure", "body": "Beta invoice export fix.",
            "visibility": "customer", "customer": "beta", "status": "published"}),
    }
    db.session.commit()
    return arts
