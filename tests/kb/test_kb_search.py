"""Articles reach the search index after commit, with the fields visibility depends on."""

from __future__ import annotations

from kbdesk.kb.models import Article
from kbdesk.kb.search_docs import article_docid, article_document
from kbdesk.search import indexing
from kbdesk.search.engine import Viewer
from kbdesk.search.schema import to_fields


def test_registered_and_documents_fit_the_schema(kb, users):
    assert indexing.REGISTRY["Article"].model is Article
    note = kb.article(title="Alfa portal", kind="config", customer="alfa",
                      application=kb.alfa_app.id, tags="IIS, portal", language="en")
    fields = to_fields(article_document(note))
    assert fields["docid"] == article_docid(note) == f"config:{note.id}"
    assert fields["customer"] == str(users["alfa"].id)
    assert fields["application"] == str(kb.alfa_app.id)
    assert fields["tags"] == "iis,portal" and fields["visibility"] == "internal"
    assert fields["updated"] > 0
    plain = to_fields(article_document(kb.article(title="Plain")))
    assert "customer" not in plain and "application" not in plain


def titles(viewer: Viewer, query: str) -> set[str]:
    engine = indexing.get_engine()
    engine.refresh()
    return {h.title for h in engine.search(query, viewer=viewer, facets=False).hits}


def test_saved_articles_are_searchable_with_visibility(kb, corpus, users, db):
    staff = Viewer(staff=True)
    alice = Viewer(staff=False, customer=str(users["alfa"].id))
    assert {"Alfa config", "Beta config"} <= titles(staff, "config")
    assert titles(alice, "config") == set()
    assert titles(alice, "alfa") == {"Alfa only"}  # not "Alfa config"
    assert titles(staff, "alfa") == {"Alfa only", "Alfa config"}
    # An edit reaches the index; a kind change re-files the document under its new id.
    kb.update(corpus["internal"], title="Internal runbook for tempdb", kind="config",
              customer="beta")
    assert "Internal runbook for tempdb" in titles(staff, "tempdb")
    assert indexing.drift() == {"missing": [], "extra": [], "stale": []}
