"""`kbdesk kb import DIR` / `kbdesk kb export DIR`: idempotent, clear errors, round trip."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from kbdesk import ROOT
from kbdesk.kb import importer
from kbdesk.kb.models import Article, ArticleRevision

SAMPLES = ["iis-503-service-unavailable.md", "sql-server-tempdb-full.md",
           "postgresql-prilis-mnoho-pripojeni.md"]

CONFIG_NOTE = """---
title: Alfa – portal configuration
kind: config
visibility: internal
customer: alfa
application: Portal
language: cs
tags: iis, portal, Konfigurace
---
## Servery

- `web01` – IIS 10
"""


@pytest.fixture
def kbdir(tmp_path):
    src = tmp_path / "knowledge"
    src.mkdir()
    for name in SAMPLES:
        shutil.copy(ROOT / "knowledge" / name, src / name)
    return src


def run_import(runner, path, *extra):
    return runner.invoke(args=["kb", "import", str(path), *extra])


def snapshot(db):
    db.session.expire_all()
    return {a.slug: (a.revision, a.updated_at, a.content_hash)
            for a in db.session.scalars(select(Article))}


def test_import_is_idempotent(runner, db, users, kbdir):
    result = run_import(runner, kbdir)
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, failed 0" in result.output
    first = snapshot(db)
    a = db.session.scalar(select(Article).where(Article.slug == "iis-503-service-unavailable"))
    assert a.title.startswith("Chyba 503") and a.visibility == "public"
    assert a.status == "published" and a.language == "cs" and "iis" in a.tags
    assert a.source_path == "iis-503-service-unavailable.md"
    assert a.author_id == users["admin"].id and a.revisions[0].note.startswith("Imported from")
    internal = db.session.scalar(select(Article).where(Article.slug == "sql-server-tempdb-full"))
    assert internal.visibility == "internal"

    result = run_import(runner, kbdir)
    assert result.exit_code == 0, result.output
    assert "created 0, updated 0, unchanged 3, failed 0" in result.output
    assert snapshot(db) == first
    assert db.session.scalar(select(func.count(ArticleRevision.id))) == 3


def test_changed_file_makes_one_revision(runner, db, users, kbdir):
    run_import(runner, kbdir)
    before = snapshot(db)
    path = kbdir / "sql-server-tempdb-full.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = run_import(runner, kbdir, "--as", "spec@kbdesk.test")
    assert result.exit_code == 0, result.output
    assert "created 0, updated 1, unchanged 2, failed 0" in result.output
    assert "sql-server-tempdb-full.md: updated" in result.output
    after = snapshot(db)
    changed = after["sql-server-tempdb-full"]
    assert changed[0] == before["sql-server-tempdb-full"][0] + 1
    assert changed[1] > before["sql-server-tempdb-full"][1]
    assert {k: v for k, v in after.items() if k != "sql-server-tempdb-full"} == \
        {k: v for k, v in before.items() if k != "sql-server-tempdb-full"}
    a = db.session.scalar(select(Article).where(Article.slug == "sql-server-tempdb-full"))
    assert a.body.endswith("One more line.") and a.revisions[0].author_id == users["specialist"].id


def test_bad_files_are_reported_and_good_ones_imported(runner, db, users, kbdir):
    (kbdir / "no-header.md").write_text("Just text\n", encoding="utf-8")
    (kbdir / "unclosed.md").write_text("---\ntitle: X\n\nbody\n", encoding="utf-8")
    (kbdir / "typo.md").write_text("---\ntitle: X\nvisiblity: public\n---\nbody\n",
                                   encoding="utf-8")
    (kbdir / "no-title.md").write_text("---\nkind: article\n---\nbody\n", encoding="utf-8")
    (kbdir / "who.md").write_text("---\ntitle: X\nkind: config\ncustomer: nobody\n---\nb\n",
                                  encoding="utf-8")
    (kbdir / "app.md").write_text("---\ntitle: X\nkind: config\ncustomer: alfa\n"
                                  "application: Nothing\n---\nb\n", encoding="utf-8")
    (kbdir / "public-config.md").write_text("---\ntitle: X\nkind: config\ncustomer: alfa\n"
                                            "visibility: public\n---\nb\n", encoding="utf-8")
    (kbdir / "kind.md").write_text("---\ntitle: X\nkind: faq\n---\nb\n", encoding="utf-8")
    (kbdir / "binary.md").write_bytes(b"\xff\xfe\x00bad")
    result = run_import(runner, kbdir)
    assert result.exit_code == 1
    out = result.output
    assert "created 3, updated 0, unchanged 0, failed 9" in out
    for line in ("no-header.md: error: the file must start with a '---' header line",
                 "unclosed.md: error: the header is not closed",
                 "typo.md: error: line 3: unknown key 'visiblity'",
                 "no-title.md: error: the header has no title",
                 "who.md: error: unknown customer 'nobody'",
                 "app.md: error: unknown application 'Nothing' of customer 'alfa'",
                 "public-config.md: error: visibility: A configuration note is never public.",
                 "kind.md: error: kind: Must be one of: article, config.",
                 "binary.md: error: not UTF-8 text"):
        assert line in out, out
    assert db.session.scalar(select(func.count(Article.id))) == 3


def test_missing_directory_is_an_error(runner, users, tmp_path):
    result = run_import(runner, tmp_path / "nope")
    assert result.exit_code == 1 and "is not a directory" in result.output


def test_import_needs_an_admin_or_a_staff_user(runner, db, tmp_path):
    result = run_import(runner, tmp_path)
    assert result.exit_code == 1 and "No administrator" in result.output


def test_config_note_with_customer_and_application(runner, db, users, kb, kbdir):
    (kbdir / "alfa").mkdir()
    (kbdir / "alfa" / "portal.md").write_text(CONFIG_NOTE, encoding="utf-8")
    result = run_import(runner, kbdir)
    assert result.exit_code == 0, result.output
    note = db.session.scalar(select(Article).where(Article.source_path == "alfa/portal.md"))
    assert note.kind == "config" and note.slug == "portal"
    assert note.customer_id == users["alfa"].id and note.application_id == kb.alfa_app.id
    assert note.tags == ["iis", "portal", "konfigurace"]


def test_export_round_trip(runner, db, users, kb, kbdir, tmp_path):
    (kbdir / "portal-config.md").write_text(CONFIG_NOTE, encoding="utf-8")
    assert run_import(runner, kbdir).exit_code == 0
    # Articles written in the editor (no source file) take part too.
    kb.article(title="Written in the UI", body="Body with ---\n\n---\nlines", tags="a, b",
               kind="config", customer="beta", application=kb.beta_app.id)
    kb.article(title="Draft", status="draft", language="en")
    before = snapshot(db)
    out = tmp_path / "export"
    result = runner.invoke(args=["kb", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 6 article(s)" in result.output
    files = sorted(p.name for p in out.glob("*.md"))
    assert files == sorted([*SAMPLES, "portal-config.md", "written-in-the-ui.md", "draft.md"])
    text = (out / "written-in-the-ui.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Written in the UI\nkind: config\nvisibility: internal\n"
                           "customer: beta\napplication: Eshop\nlanguage: cs\nstatus: draft\n"
                           "tags: a, b\n---\nBody with ---")
    header, body = importer.parse_document((out / SAMPLES[0]).read_text(encoding="utf-8"))
    assert header["status"] == "published" and header["visibility"] == "public"

    result = run_import(runner, out)
    assert result.exit_code == 0, result.output
    assert "created 0, updated 0, unchanged 6, failed 0" in result.output
    assert snapshot(db) == before
    # And the original files are still unchanged against the exported state.
    assert "unchanged 4" in run_import(runner, kbdir).output


def test_the_demo_knowledge_base_imports_cleanly(db, users):
    from kbdesk.customers import services as customers
    from kbdesk.demo import CUSTOMERS

    admin = users["admin"]
    for spec in CUSTOMERS:  # the demo customers the config notes belong to
        customer = customers.create_customer(admin, {k: v for k, v in spec.items()
                                                     if k not in ("applications", "contacts")})
        for app_spec in spec["applications"]:
            customers.create_application(admin, customer, app_spec)
    report = importer.import_directory(admin, ROOT / "knowledge")
    assert report.failed == []
    assert len(report.created) == len(list((ROOT / "knowledge").glob("*.md")))
    kinds = {a.kind for a in db.session.scalars(select(Article))}
    assert kinds == {"article", "config"}
    db.session.commit()
    again = importer.import_directory(admin, ROOT / "knowledge")
    assert len(again.unchanged) == len(report.created) and not again.created


def test_demo_command_loads_the_knowledge_base(runner, db):
    for _ in range(2):
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    files = list((ROOT / "knowledge").glob("*.md"))
    assert db.session.scalar(select(func.count(Article.id))) == len(files)
    assert db.session.scalar(select(func.count(ArticleRevision.id))) == len(files)
    notes = db.session.scalars(select(Article).where(Article.kind == "config")).all()
    assert notes and all(n.customer_id for n in notes)
