"""The search core on its own: analysis, visibility, ranking, health, rebuild (no Flask)."""

from __future__ import annotations

import os

import pytest
from whoosh.query import And, Or, Term

from kbdesk.search import engine as search_engine
from kbdesk.search import postings as search_postings
from kbdesk.search import view as search_view
from kbdesk.search.analysis import fold, highlight, normalize, parse_query, terms
from kbdesk.search.engine import SearchEngine, SearchUnavailable, Viewer

STAFF = Viewer(staff=True)
ACME = Viewer(staff=False, customer="1")  # customer A
BETA = Viewer(staff=False, customer="2")  # customer B
ANONYMOUS = Viewer(staff=False, customer=None)


def doc(kind, obj_id, title, body="", **fields):
    fields.setdefault("status", "published")
    fields.setdefault("language", "en")
    # "kbdesk" is in every document, so one query shows everything a viewer may see.
    return {"kind": kind, "obj_id": obj_id, "title": title, "body": body + " kbdesk",
            "updated": 1_700_000_000 + obj_id, "created": 1_600_000_000, **fields}


CORPUS = [
    doc("article", 1, "Závada na tiskárně", "Tiskárna v kanceláři nefunguje.",
        visibility="public", language="cs", tags=["tisk", "HW"], application="10"),
    doc("article", 2, "Certificate renewal", "How to renew the TLS certificate with certbot.",
        visibility="public", tags="tls, certificates", application="11"),
    doc("article", 3, "Backup schedule for Acme", "Nightly backups at 02:00.",
        visibility="customer", customer="1", tags="backup"),
    doc("article", 4, "Betaonlyword backups", "Backups of the Beta cluster.",
        visibility="customer", customer="2", tags="betasecret"),
    doc("article", 5, "Escalation of deadlocks", "Internal playbook.", visibility="internal"),
    doc("article", 6, "Draft certificate notes", "Not ready.", visibility="public",
        status="draft"),
    doc("config", 7, "Acme servers", "Certificate store and backups on srv01.",
        visibility="internal", customer="1", tags="konfigurace"),
    doc("ticket", 8, "Backups failing with deadlocks", "The nightly job stops.",
        customer="1", visibility="customer", status="open", severity="2",
        internal="zebrapassword reset through the vault"),
    doc("ticket", 9, "Beta deadlocks in database", "Deadlocks every hour.",
        customer="2", visibility="customer", status="open", internal="kangaroo note"),
    doc("article", 10, "Escaping <b>markup</b>", "Paste <script>alert('x')</script> here.",
        visibility="public"),
]


def ids(result):
    return sorted(h.docid for h in result.hits)


def everything(engine, viewer, **kwargs):
    return ids(engine.search("kbdesk", viewer=viewer, limit=100, **kwargs))


@pytest.fixture
def engine():
    e = SearchEngine(None)
    e.create()
    e.apply(CORPUS, [])
    return e


# -- Analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize("words", [
    ("závada", "zavada", "závady", "závadou", "Závadě"),
    ("certificate", "certificates"),
    ("backup", "backups"),
    ("deadlock", "deadlocks"),
    ("nefunguje", "nefungují"),
    ("tiskárna", "tiskárně", "tiskarny"),
    ("query", "queries"),
    ("printer", "printers"),
])
def test_word_forms_share_one_index_term(words):
    assert len({normalize(w) for w in words}) == 1


@pytest.mark.parametrize("word", ["queries", "servers", "ruce", "nohy", "tiskárně", "Přihlášení",
                                  "certificates", "uživatelům", "2.4.1", "0x80070005", "ab",
                                  "Dokumentech", "procesů", "zálohování", "crashes"])
def test_index_term_keeps_the_start_of_the_word(word):
    # highlight() relies on it to skip stemming words that cannot match.
    term = normalize(word)
    assert fold(word).startswith(term[:max(1, len(term) - 2)])


def test_stop_words_and_versions():
    assert terms("the printer is not on the network a je to") == ["printr", "network"]
    assert terms("verze 2.4.1 na www.example.com") == ["verh", "2.4.1", "www", "exampl", "com"]


def test_query_syntax_never_fails():
    parsed = parse_query('"unbalanced title: -secret NOT toner OR ( title:printer')
    assert parsed.words == [(normalize("unbalanced"), "unbalanced"),
                            (normalize("printer"), "printer")]
    assert parsed.exclude == [normalize("secret"), normalize("toner")]
    assert parsed.any_mode


def test_highlight_escapes_everything_and_marks_matches():
    html = highlight("Paste <script>alert('x')</script> into the printers", {"printr"})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>printers</mark>" in html


# -- Folding and stemming through the index -------------------------------------------


@pytest.mark.parametrize("query", ["zavada", "závada", "závady", "závadou", "ZAVADA tiskarna"])
def test_czech_forms_and_missing_diacritics_find_the_article(engine, query):
    assert ids(engine.search(query, viewer=ANONYMOUS)) == ["article:1"]


def test_english_plural_finds_singular(engine):
    assert "article:2" in ids(engine.search("certificates", viewer=ACME))
    assert ids(engine.search("deadlock", viewer=ACME)) == ["ticket:8"]
    assert "article:3" in ids(engine.search("backup", viewer=ACME))


# -- Visibility -----------------------------------------------------------------------


def test_staff_see_everything(engine):
    assert everything(engine, STAFF) == sorted(f"{d['kind']}:{d['obj_id']}" for d in CORPUS)


def test_customer_sees_public_own_articles_and_own_tickets_only(engine):
    assert everything(engine, ACME) == ["article:1", "article:10", "article:2", "article:3",
                                        "ticket:8"]
    assert everything(engine, BETA) == ["article:1", "article:10", "article:2", "article:4",
                                        "ticket:9"]
    assert everything(engine, ANONYMOUS) == ["article:1", "article:10", "article:2"]


@pytest.mark.parametrize("query", ["deadlocks", "certificate", "backups", "acme servers",
                                   "draft", "escalation", "beta", "betaonlyword"])
def test_customer_never_gets_internal_config_draft_or_other_customers(engine, query):
    for hit in engine.search(query, viewer=ACME, limit=100).hits:
        assert hit.docid in {"article:1", "article:2", "article:3", "article:10", "ticket:8"}


def test_internal_notes_are_not_searched_for_customers(engine):
    assert engine.search("zebrapassword", viewer=ACME).total == 0  # own ticket's note
    assert engine.search("kangaroo", viewer=BETA).total == 0
    assert ids(engine.search("zebrapassword", viewer=STAFF)) == ["ticket:8"]
    staff_hit = engine.search("zebrapassword", viewer=STAFF).hits[0]
    assert "zebrapassword" not in staff_hit.snippet_html  # snippets: title and body only


def test_facets_count_only_visible_documents(engine):
    facets = engine.search("kbdesk", viewer=ACME).facets
    assert dict(facets["kind"]) == {"article": 4, "ticket": 1}
    assert dict(facets["customer"]) == {"1": 2}
    tags = dict(facets["tags"])
    assert "betasecret" not in tags and "konfigurace" not in tags
    assert tags["backup"] == 1


def test_staff_facets(engine):
    facets = engine.search("kbdesk", viewer=STAFF).facets
    assert dict(facets["kind"]) == {"article": 7, "config": 1, "ticket": 2}
    assert dict(facets["customer"]) == {"1": 3, "2": 2}
    assert dict(facets["language"]) == {"en": 9, "cs": 1}
    assert dict(facets["application"]) == {"10": 1, "11": 1}
    assert facets["kind"][0] == ("article", 7)  # most frequent first


def test_spelling_suggestions_come_from_visible_documents_only(engine):
    for viewer in (ACME, ANONYMOUS):
        result = engine.search("betaonlywrd", viewer=viewer)
        assert (result.total, result.did_you_mean, result.corrected) == (0, None, False)
    result = engine.search("betaonlywrd", viewer=BETA)
    assert result.corrected and result.did_you_mean == "betaonlyword"
    assert ids(result) == ["article:4"]
    # Internal notes never feed suggestions, not even for their own customer.
    assert engine.search("zebrapasword", viewer=ACME).did_you_mean is None


def test_typo_is_corrected_when_nothing_matches(engine):
    result = engine.search("sertificate", viewer=ANONYMOUS)
    assert result.corrected and result.did_you_mean == "certificate"
    assert ids(result) == ["article:2"]
    result = engine.search("sertificate renewal", viewer=ANONYMOUS)
    assert result.corrected and ids(result) == ["article:2"]


def test_did_you_mean_without_correction_when_there_are_few_results(engine):
    engine.apply([doc("article", 20, "Sertificate typo in a title", visibility="public"),
                  doc("article", 21, "Certificate chain", visibility="public")], [])
    result = engine.search("sertificate", viewer=ANONYMOUS)
    assert not result.corrected and ids(result) == ["article:20"]
    assert result.did_you_mean == "certificate"


# -- Queries --------------------------------------------------------------------------


def test_all_words_first_then_any(engine):
    result = engine.search("backups deadlocks", viewer=STAFF)
    assert result.mode == "and" and ids(result) == ["ticket:8"]
    result = engine.search("deadlocks printerless", viewer=STAFF)
    assert result.mode == "or" and ids(result) == ["article:5", "ticket:8", "ticket:9"]


def test_exclusion_and_explicit_or(engine):
    assert ids(engine.search("deadlocks -beta", viewer=STAFF)) == ["article:5", "ticket:8"]
    assert ids(engine.search("renewal OR zavada", viewer=STAFF)) == ["article:1", "article:2"]


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR (", "title:", "*", "", "   ",
                                   "internal:zebrapassword", "NOT", "-", ")))", "a" * 5000,
                                   "\x00\x01", "?!*~^", "OR OR OR"])
def test_garbage_queries_do_not_raise(engine, query):
    for viewer in (ACME, STAFF):
        result = engine.search(query, viewer=viewer)
        assert result.total == len(result.hits)
    assert engine.search(query, viewer=ACME).total == 0  # no words, or none ACME may see


def test_filters(engine):
    assert everything(engine, STAFF, filters={"kind": "ticket"}) == ["ticket:8", "ticket:9"]
    assert everything(engine, STAFF, filters={"customer": "2"}) == ["article:4", "ticket:9"]
    assert everything(engine, STAFF, filters={"tag": "TLS"}) == ["article:2"]
    assert everything(engine, STAFF, filters={"tags": ["tls", "backup"]}) == ["article:2",
                                                                             "article:3"]
    assert everything(engine, STAFF, filters={"language": "cs"}) == ["article:1"]
    assert everything(engine, STAFF, filters={"status": "draft"}) == ["article:6"]
    assert everything(engine, STAFF, filters={"application": "11"}) == ["article:2"]
    assert everything(engine, STAFF, filters={"kind": "article", "customer": "1"}) == ["article:3"]
    assert everything(engine, STAFF, filters={"kind": "", "customer": None}) == everything(
        engine, STAFF)
    # A customer filtering for another customer gets nothing of theirs.
    assert everything(engine, ACME, filters={"customer": "2"}) == []
    with pytest.raises(ValueError):
        engine.search("kbdesk", viewer=STAFF, filters={"internal": "x"})


def test_pagination():
    e = SearchEngine(None)
    e.create()
    e.apply([doc("article", i, f"Printer {i}", "printer " * (i % 7 + 1), visibility="public")
             for i in range(1, 26)], [])
    pages = [e.search("printer", viewer=ANONYMOUS, limit=10, offset=o) for o in (0, 10, 20, 30)]
    assert [p.total for p in pages] == [25] * 4
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    seen = [h.docid for p in pages for h in p.hits]
    assert len(set(seen)) == 25
    scores = [h.score for p in pages for h in p.hits]
    assert scores == sorted(scores, reverse=True)


def test_snippets_are_html_safe(engine):
    hit = engine.search("paste", viewer=ANONYMOUS).hits[0]
    assert hit.docid == "article:10"
    assert "<script>" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html
    assert "<mark>Paste</mark>" in hit.snippet_html
    hit = engine.search("markup", viewer=ANONYMOUS).hits[0]
    assert hit.title == "Escaping <b>markup</b>"
    assert "&lt;b&gt;<mark>markup</mark>&lt;/b&gt;" in hit.title_html
    assert hit.kind == "article" and hit.obj_id == 10 and hit.score > 0


@pytest.mark.parametrize("dense,prune", [(False, False), (True, False), (True, True),
                                         (False, True)])
def test_scores_equal_whooshs_own_bm25f(engine, monkeypatch, dense, prune):
    # Every ranking path (binary search, per-document arrays, score bounds) against
    # Whoosh's own BM25F search.
    monkeypatch.setattr(search_view, "DENSE_FROM", 0 if dense else 10**9)
    monkeypatch.setattr(search_view, "PRUNE_FROM", 0 if prune else 10**9)
    engine.apply([doc("ticket", 100 + i, f"Backup job {i}", "backups deadlocks " * i,
                      customer="1") for i in range(1, 30)], [])
    for query in ("backups", "backups deadlocks", "nightly OR deadlocks"):
        ours = {h.docid: h.score for h in engine.search(query, viewer=STAFF, limit=100).hits}
        parsed = parse_query(query)
        parts = [Or([Term(f, t) for f in ("title", "body", "internal")]) for t, _ in parsed.words]
        q = Or(parts) if parsed.any_mode else And(parts)
        ix = engine._storage().open_index("MAIN")
        with ix.searcher() as s:
            theirs = {s.stored_fields(d)["docid"]: score
                      for score, d in s.search(q, limit=None).top_n}
        assert ours.keys() == theirs.keys()
        for docid, score in theirs.items():
            assert ours[docid] == pytest.approx(score, rel=1e-9)
        top3 = engine.search(query, viewer=STAFF, limit=3).hits  # pruned against the top 3
        assert [h.score for h in top3] == pytest.approx(sorted(theirs.values())[::-1][:3])


# -- Writing --------------------------------------------------------------------------


def test_apply_upserts_and_deletes(engine):
    engine.apply([doc("article", 2, "Certificate expiry", "Renew before it expires.",
                      visibility="public", updated=1_800_000_000)], ["ticket:9"])
    assert ids(engine.search("expiry", viewer=ANONYMOUS)) == ["article:2"]
    assert engine.search("renewal", viewer=ANONYMOUS).total == 0
    assert engine.search("deadlocks", viewer=STAFF, limit=100).total == 2
    versions = engine.doc_versions()
    assert "ticket:9" not in versions and versions["article:2"] == 1_800_000_000
    assert len(versions) == len(CORPUS) - 1 == engine.doc_count()


def test_apply_validates_before_writing(engine):
    with pytest.raises(ValueError):
        engine.apply([doc("article", 30, "Fine", visibility="public"), {"title": "no id"}], [])
    assert engine.search("fine", viewer=STAFF).total == 0


def test_many_segments_and_deletions_stay_consistent():
    e = SearchEngine(None)
    e.create()
    for batch in range(4):  # each apply is one commit: several segments
        e.apply([doc("ticket", batch * 10 + i, f"Printer {batch}", "toner", customer="1")
                 for i in range(10)], [f"ticket:{batch * 10 - 1}"] if batch else [])
    result = e.search("toner", viewer=ACME, limit=100)
    assert result.total == 37 == len(result.hits) == e.doc_count()
    assert dict(result.facets["kind"]) == {"ticket": 37}
    assert "ticket:9" not in {h.docid for h in result.hits}


def test_doc_versions_use_epoch_seconds(engine):
    from datetime import UTC, datetime

    engine.apply([doc("article", 40, "Dated", visibility="public",
                      updated=datetime(2024, 1, 2, 3, 4, 5))], [])  # naive means UTC
    assert engine.doc_versions()["article:40"] == int(
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())


# -- Health and rebuild ---------------------------------------------------------------


def _segment_files(path):
    return [n for n in os.listdir(path) if n.startswith("MAIN_") and not n.endswith("LOCK")]


def test_missing_index_is_reported_not_raised(tmp_path):
    engine = SearchEngine(str(tmp_path / "index"))
    assert not engine.exists()
    assert engine.check().state == "missing"
    with pytest.raises(SearchUnavailable) as info:
        engine.search("x", viewer=STAFF)
    assert info.value.problem.state == "missing"
    (tmp_path / "index").mkdir()
    problem = engine.check()
    assert problem.state == "missing" and "table of contents" in str(problem)


def test_deleted_directory_is_missing(tmp_path):
    path = tmp_path / "index"
    engine = SearchEngine(str(path))
    engine.create()
    engine.apply(CORPUS, [])
    assert engine.check() is None and engine.exists()
    assert engine.search("kbdesk", viewer=STAFF).total == len(CORPUS)
    for name in os.listdir(path):
        os.remove(path / name)
    path.rmdir()
    assert engine.check().state == "missing"
    with pytest.raises(SearchUnavailable):
        engine.search("kbdesk", viewer=STAFF)


@pytest.mark.parametrize("cut", [0, 0.5])
def test_truncated_segment_file_is_corrupt(tmp_path, cut):
    path = tmp_path / "index"
    SearchEngine(str(path)).create()
    SearchEngine(str(path)).apply(CORPUS, [])
    engine = SearchEngine(str(path))
    assert engine.check() is None
    biggest = max(_segment_files(path), key=lambda n: os.path.getsize(path / n))
    with open(path / biggest, "r+b") as f:
        f.truncate(int(os.path.getsize(path / biggest) * cut))
    problem = engine.check()  # the same engine notices the change
    assert problem is not None and problem.state == "corrupt"
    assert SearchEngine(str(path)).check().state == "corrupt"
    with pytest.raises(SearchUnavailable):
        SearchEngine(str(path)).search("kbdesk", viewer=STAFF)


def test_rebuild_swaps_in_a_new_index(tmp_path):
    path = tmp_path / "index"
    engine = SearchEngine(str(path))
    engine.create()
    engine.apply(CORPUS, [])
    assert engine.search("deadlocks", viewer=STAFF).total == 3  # a searcher is open
    reader = SearchEngine(str(path))  # another process's view of the same index
    assert reader.search("deadlocks", viewer=STAFF).total == 3
    seen = []
    new_docs = [doc("article", i, f"Toner {i}", visibility="public") for i in range(1, 1501)]
    assert engine.rebuild(iter(new_docs), seen.append) == 1500
    assert seen[-1] == 1500 and seen[0] == 1000
    for e in (engine, reader):
        assert e.check() is None
        assert e.search("deadlocks", viewer=STAFF).total == 0
        assert e.search("toner", viewer=ANONYMOUS).total == 1500
    assert len(engine.doc_versions()) == 1500
    assert not [n for n in os.listdir(tmp_path) if n != "index"]  # temporary files gone


def test_rebuild_replaces_a_missing_or_corrupt_index(tmp_path):
    path = tmp_path / "index"
    engine = SearchEngine(str(path))
    assert engine.rebuild([doc("article", 1, "Toner", visibility="public")]) == 1
    assert engine.check() is None
    biggest = max(_segment_files(path), key=lambda n: os.path.getsize(path / n))
    with open(path / biggest, "r+b") as f:
        f.truncate(10)
    assert engine.check().state == "corrupt"
    engine.rebuild(iter(CORPUS))
    assert engine.check() is None
    assert engine.search("kbdesk", viewer=STAFF).total == len(CORPUS)


def test_rebuild_in_memory(engine):
    engine.rebuild([doc("article", 1, "Toner", visibility="public")])
    assert engine.doc_count() == 1
    assert ids(engine.search("toner", viewer=ANONYMOUS)) == ["article:1"]


def test_create_replaces_the_index(engine):
    engine.create()
    assert engine.check() is None and engine.doc_count() == 0
    assert engine.search("kbdesk", viewer=STAFF).total == 0


def test_posting_reader_matches_whoosh():
    # The engine reads posting blocks through Whoosh internals: compare with the API.
    from whoosh.filedb.filestore import RamStorage

    from kbdesk.search.schema import Codec, build_schema, to_fields

    ix = RamStorage().create_index(build_schema(), indexname="MAIN")
    writer = ix.writer(codec=Codec(blocklimit=16))  # many small blocks
    for i in range(1, 200):
        writer.add_document(**to_fields(doc("ticket", i, "Printer", "toner " * (i % 5),
                                            customer=str(i % 3))))
    writer.commit()
    with ix.reader() as reader:
        for fieldname, text in (("body", normalize("toner")), ("title", normalize("Printer")),
                                ("customer", "1")):
            p = search_postings._Postings(reader, fieldname, text, scored=True)
            m = reader.postings(fieldname, text)
            expected = []
            while m.is_active():
                expected.append((m.id(), int(m.weight())))
                m.next()
            assert list(zip(p.ids, p.weights, strict=True)) == expected
        assert not search_postings._Postings(reader, "body", "absent", scored=True).ids


def test_concurrent_searches_during_writes(engine):
    import threading

    errors = []

    def searching():
        try:
            for _ in range(30):
                result = engine.search("kbdesk deadlocks", viewer=ACME)
                assert {h.docid for h in result.hits} <= {
                    "article:1", "article:2", "article:3", "article:10", "ticket:8"}
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=searching) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(10):
        engine.apply([doc("ticket", 50 + i, "Deadlocks again", customer="2")], [])
    for t in threads:
        t.join()
    assert not errors
    assert engine.search("deadlocks", viewer=BETA).total == 11


def test_index_built_with_other_text_analysis_is_corrupt(tmp_path, monkeypatch):
    engine = SearchEngine(str(tmp_path / "index"))
    engine.create()
    assert engine.check() is None
    monkeypatch.setattr(search_engine, "ANALYSIS_VERSION", search_engine.ANALYSIS_VERSION + 1)
    problem = SearchEngine(str(tmp_path / "index")).check()
    assert problem.state == "corrupt" and "analysis" in problem.detail
