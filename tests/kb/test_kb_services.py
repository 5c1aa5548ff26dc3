"""Articles: rules, revisions, diff, restore and who reads what (through the service layer)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kbdesk.errors import Conflict, Forbidden, NotFound, ValidationError
from kbdesk.kb import services
from kbdesk.kb.models import Article, ArticleRevision, ArticleTag


def revision_count(db, article) -> int:
    return db.session.scalar(select(func.count(ArticleRevision.id))
                             .where(ArticleRevision.article_id == article.id))


def test_create_makes_first_revision_and_normalises(kb, db, users):
    a = kb.article(title="  IIS 503 Service Unavailable ", body="\n\nText\r\nline 2   \n\n",
                   tags="IIS,  App  Service , iis, 503", language="en")
    assert a.slug == "iis-503-service-unavailable"
    assert a.title == "IIS 503 Service Unavailable"
    assert a.body == "Text\nline 2"
    assert a.tags == ["iis", "app service", "503"]
    assert (a.kind, a.visibility, a.status) == ("article", "internal", "draft")
    assert a.author_id == users["admin"].id and a.revision == 1
    rev = a.revisions[0]
    assert (rev.number, rev.title, rev.tags, rev.note) == (1, a.title, a.tags, "Created.")
    # A second article with the same title gets a free slug.
    assert kb.article(title="IIS 503 Service Unavailable").slug == "iis-503-service-unavailable-2"


def test_unchanged_save_makes_no_revision_and_keeps_timestamp(kb, db):
    a = kb.article(title="T", body="B", tags=["x"])
    updated = a.updated_at
    kb.update(a, title="T", body="B\n", tags="x", note="nothing really")
    assert revision_count(db, a) == 1 and a.revision == 1 and a.updated_at == updated


def test_change_makes_one_revision_each(kb, db, users):
    a = kb.article(title="T", body="one")
    kb.update(a, users["developer"], body="two", note="typo")
    kb.update(a, users["tester"], tags="new tag")
    assert a.revision == 3 and revision_count(db, a) == 3
    revs = services.list_revisions(users["specialist"], a.id)
    assert [r.number for r in revs] == [3, 2, 1]
    assert revs[1].author_id == users["developer"].id and revs[1].note == "typo"
    assert revs[0].tags == ["new tag"] and revs[0].body == "two"


def test_tags_replace_without_constraint_trouble(kb, db):
    a = kb.article(tags="a, b, c")
    kb.update(a, tags="c, a, d")
    assert a.tags == ["c", "a", "d"]
    rows = db.session.scalars(select(ArticleTag.tag).where(ArticleTag.article_id == a.id)).all()
    assert sorted(rows) == ["a", "c", "d"]


@pytest.mark.parametrize("data, field", [
    ({"kind": "config", "visibility": "public", "customer": "alfa"}, "visibility"),
    ({"kind": "config", "visibility": "internal"}, "customer"),
    ({"visibility": "customer"}, "customer"),
    ({"customer": "nobody"}, "customer"),
    ({"kind": "manual"}, "kind"),
    ({"visibility": "secret"}, "visibility"),
    ({"status": "live"}, "status"),
    ({"language": "de"}, "language"),
    ({"title": ""}, "title"),
    ({"title": "two\nlines"}, "title"),
    ({"slug": "Not A Slug"}, "slug"),
    ({"tags": 5}, "tags"),
    ({"application": 999999}, "application"),
])
def test_invalid_input_is_refused_and_changes_nothing(kb, db, users, data, field):
    before = db.session.scalar(select(func.count(Article.id)))
    with pytest.raises(ValidationError) as err:
        services.create_article(users["admin"], {"title": "T", **data})
    assert field in err.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count(Article.id))) == before


def test_application_must_belong_to_the_customer(kb, users):
    with pytest.raises(ValidationError) as err:
        services.create_article(users["admin"], {"title": "T", "kind": "config",
                                                 "customer": "alfa",
                                                 "application": kb.beta_app.id})
    assert "application" in err.value.fields


def test_making_a_config_note_public_later_is_refused(kb, db, users):
    note = kb.article(kind="config", customer="alfa", visibility="internal")
    with pytest.raises(ValidationError) as err:
        services.update_article(users["admin"], note.id, {"visibility": "public"})
    assert "never public" in err.value.fields["visibility"]
    db.session.rollback()
    db.session.refresh(note)
    assert note.visibility == "internal" and note.revision == 1


def test_slug_conflicts(kb, users):
    kb.article(title="First", slug="same")
    with pytest.raises(Conflict):
        services.create_article(users["admin"], {"title": "Second", "slug": "same"})


def test_stale_editor_is_refused(kb, db, users):
    a = kb.article(body="v1")
    kb.update(a, body="v2", base_revision=1)
    with pytest.raises(Conflict) as err:
        services.update_article(users["specialist"], a.id, {"body": "mine", "base_revision": "1"})
    assert "revision 2" in err.value.message


def test_customers_never_write(kb, corpus, users):
    alice = users["alice"]
    with pytest.raises(Forbidden):
        services.create_article(alice, {"title": "Mine"})
    with pytest.raises(Forbidden):  # readable: 403
        services.update_article(alice, corpus["alfa"].id, {"title": "x"})
    with pytest.raises(NotFound):  # not readable: 404
        services.update_article(alice, corpus["beta"].id, {"title": "x"})


def test_visibility_for_customer_users(kb, corpus, users):
    alice, bob = users["alice"], users["bob"]
    readable = {k for k, a in corpus.items() if services.can_read(alice, a)}
    assert readable == {"public", "alfa"}
    for key in ("public_draft", "internal", "beta", "alfa_config", "beta_config", "archived"):
        with pytest.raises(NotFound):
            services.get_article(alice, corpus[key].id)
    items, total = services.list_articles(alice)
    assert {a.title for a in items} == {"Public IIS 503", "Alfa only"} and total == 2
    items, _ = services.list_articles(bob)
    assert {a.title for a in items} == {"Public IIS 503", "Beta only"}
    # Asking for another customer's articles by filter finds nothing either.
    assert services.list_articles(alice, {"customer": "beta"})[1] == 0
    assert services.list_articles(alice, {"kind": "config"})[1] == 0
    # Staff see everything.
    assert services.list_articles(users["tester"])[1] == len(corpus)


def test_list_filters_and_tag_facets(kb, corpus, users):
    spec = users["specialist"]
    assert {a.title for a in services.list_articles(spec, {"kind": "config"})[0]} == \
        {"Alfa config", "Beta config"}
    assert {a.title for a in services.list_articles(spec, {"customer": "alfa"})[0]} == \
        {"Alfa only", "Alfa config"}
    assert [a.title for a in services.list_articles(spec, {"tag": "IIS"})[0]] == ["Public IIS 503"]
    assert services.list_articles(spec, {"status": "archived"})[1] == 1
    assert services.list_articles(spec, {"q": "runbook"})[1] == 1
    facets = dict(services.tag_facets(spec))
    assert facets == {"iis": 1, "503": 1, "eshop": 1}
    assert dict(services.tag_facets(users["alice"])) == {"iis": 1, "503": 1}
    with pytest.raises(ValidationError):
        services.list_articles(spec, {"kind": "nonsense"})
    items, total = services.list_articles(spec, limit=3, offset=0)
    assert len(items) == 3 and total == len(corpus)


def test_diff_between_revisions_is_escaped_data(kb, db, users):
    a = kb.article(title="T", body="line 1\nline 2\n<script>x</script>\nline 4")
    kb.update(a, title="T2", body="line 1\nline two\n<script>x</script>\nline 4", tags="new")
    d = services.diff_revisions(users["specialist"], a.id, 1, 2)
    assert ("title", "T", "T2") in d["fields"] and ("tags", "", "new") in d["fields"]
    assert ("del", "line 2") in d["lines"] and ("add", "line two") in d["lines"]
    assert d["lines"][0][0] == "hunk"
    assert "-line 2" in d["unified"] and "+line two" in d["unified"]
    with pytest.raises(NotFound):
        services.diff_revisions(users["specialist"], a.id, 1, 9)
    kb.update(a, kind="config", customer="alfa", application=kb.alfa_app.id)
    d = services.diff_revisions(users["specialist"], a.id, 2, 3)
    assert ("customer", "", "alfa") in d["fields"] and d["lines"] == []
    assert ("application", "", "Portal (prod)") in d["fields"]


def test_diff_keeps_body_lines_that_look_like_headers(kb, users):
    a = kb.article(body="--- a\ntext")
    kb.update(a, body="+++ b\ntext")
    lines = services.diff_revisions(users["admin"], a.id, 1, 2)["lines"]
    assert ("del", "--- a") in lines and ("add", "+++ b") in lines


def test_restore_makes_a_new_revision(kb, db, users):
    a = kb.article(title="Old", body="old body", tags="x", visibility="public")
    kb.update(a, title="New", body="new body", tags="y", visibility="internal")
    services.restore_revision(users["developer"], a.id, 1)
    db.session.commit()
    assert (a.title, a.body, a.tags, a.visibility, a.revision) == \
        ("Old", "old body", ["x"], "public", 3)
    assert a.revisions[0].note == "Restored revision 1."
    # Restoring what is already current changes nothing.
    services.restore_revision(users["developer"], a.id, 3)
    assert a.revision == 3


def test_revisions_are_staff_only(kb, corpus, users):
    with pytest.raises(Forbidden):
        services.list_revisions(users["alice"], corpus["alfa"].id)
    with pytest.raises(NotFound):
        services.list_revisions(users["alice"], corpus["beta"].id)
