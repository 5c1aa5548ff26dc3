"""Knowledge-base fixtures: articles made through the service, committed."""

from __future__ import annotations

import pytest

from kbdesk.kb import services


@pytest.fixture
def kb(db, users, make):
    """Make articles as the admin: kb.article(title=..., ...); plus an application of alfa."""

    class KB:
        alfa_app = make.Application(customer=users["alfa"], name="Portal", environment="prod")
        beta_app = make.Application(customer=users["beta"], name="Eshop", environment="prod")

        def article(self, actor=None, **data):
            data.setdefault("title", "An article")
            data.setdefault("body", "Some **text**.")
            item = services.create_article(actor or users["admin"], data)
            db.session.commit()
            return item

        def update(self, item, actor=None, **data):
            services.update_article(actor or users["admin"], item.id, data)
            db.session.commit()
            return item

    return KB()


@pytest.fixture
def corpus(kb, users):
    """One article of every visibility and status, and config notes, for isolation tests."""
    return {
        "public": kb.article(title="Public IIS 503", visibility="public", status="published",
                             tags="iis, 503"),
        "public_draft": kb.article(title="Draft public", visibility="public", status="draft"),
        "internal": kb.article(title="Internal runbook", visibility="internal",
                               status="published"),
        "alfa": kb.article(title="Alfa only", visibility="customer", customer="alfa",
                           status="published"),
        "beta": kb.article(title="Beta only", visibility="customer", customer="beta",
                           status="published", tags="eshop"),
        "alfa_config": kb.article(title="Alfa config", kind="config", visibility="customer",
                                  customer="alfa", application=kb.alfa_app.id,
                                  status="published"),
        "beta_config": kb.article(title="Beta config", kind="config", visibility="internal",
                                  customer="beta", status="published"),
        "archived": kb.article(title="Old public", visibility="public", status="archived"),
    }
