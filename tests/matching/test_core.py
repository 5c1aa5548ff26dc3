"""The matcher on a small synthetic index: ranking, reasons, filters, exclusions, odd input."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from kbdesk.matching.core import Group, MatchQuery, Tuning, match, match_groups
from kbdesk.matching.keyterms import key_terms
from kbdesk.search.schema import Codec, build_schema, to_fields

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

TOPICS = [
    (
        "Printer prints blank pages",
        "The office printer prints blank pages after the driver update.",
    ),
    ("Outlook crashes on start", "Outlook crashes right after start when the calendar loads."),
    ("VPN drops every hour", "The VPN connection drops every hour and must be reconnected."),
    ("Invoice export to PDF fails", "Exporting an invoice to PDF fails with a timeout error."),
    ("Password reset mail never arrives", "Users never get the password reset mail."),
    ("Dashboard loads slowly", "The sales dashboard takes a minute to load every morning."),
    ("Backup job reports disk full", "The nightly backup job stops: the disk is full."),
    ("Login page shows certificate warning", "Browsers warn that the login certificate expired."),
]


def ticket(i: int, title: str, body: str, **extra) -> dict:
    """A ticket document as the index takes it."""
    doc = {
        "docid": f"ticket:{i}",
        "title": title,
        "body": body,
        "visibility": "internal",
        "customer": "alfa",
        "created": T0,
        "status": "closed",
    }
    doc.update(extra)
    return doc


def build(docs: list[dict], *, batches: int = 1, delete: tuple[str, ...] = ()):
    """A RAM index of docs, written in batches (one segment each), docids deleted after."""
    ix = RamStorage().create_index(build_schema(), indexname="MAIN")
    size = max(1, -(-len(docs) // batches))
    for start in range(0, len(docs), size):
        writer = ix.writer(codec=Codec())
        for doc in docs[start : start + size]:
            writer.add_document(**to_fields(doc))
        writer.commit(merge=False)
    if delete:
        writer = ix.writer(codec=Codec())
        for docid in delete:
            writer.delete_by_term("docid", docid)
        writer.commit(merge=False)
    return ix


@pytest.fixture
def corpus() -> list[dict]:
    """The topics as tickets of two customers, plus an article and a config note."""
    docs = [ticket(i, t, b) for i, (t, b) in enumerate(TOPICS, 1)]
    docs.append(
        ticket(20, "Printer offline", "The printer shows offline in the queue.", customer="beta")
    )
    docs.append(
        {
            "docid": "article:1",
            "title": "Fixing blank printer pages",
            "body": "Reinstall the printer driver when pages come out blank.",
            "visibility": "public",
            "status": "published",
            "created": T0,
        }
    )
    docs.append(
        {
            "docid": "config:1",
            "title": "Alfa printers",
            "body": "Alfa uses HP printers.",
            "visibility": "internal",
            "customer": "alfa",
            "created": T0,
        }
    )
    return docs


NEW = MatchQuery(
    title="Blank pages from the printer",
    body="Since yesterday the printer prints only blank pages.",
    created=T0,
)


def test_finds_the_similar_ticket_with_the_shared_key_terms(corpus):
    with build(corpus).searcher() as s:
        found = match(s, NEW, kinds=("ticket",))
    assert found[0].docid == "ticket:1"
    assert found[0].kind == "ticket" and found[0].obj_id == "1"
    assert found[0].title == "Printer prints blank pages"
    assert {"printer", "blank", "pages"} <= set(found[0].reasons)
    assert all(m.kind == "ticket" for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert set(found[0].reasons) > set(found[-1].reasons)


def test_kinds_and_limit(corpus):
    with build(corpus).searcher() as s:
        assert [m.docid for m in match(s, NEW, kinds=("article",))] == ["article:1"]
        assert [m.docid for m in match(s, NEW, kinds=("config",))] == ["config:1"]
        everything = match(s, NEW, limit=3)
    assert len(everything) == 3
    assert {m.docid for m in everything} >= {"ticket:1", "article:1"}


def test_one_shared_pass_gives_each_group_what_its_own_match_gives(corpus):
    alfa_only = wq.Term("customer", "alfa")
    groups = [
        Group("tickets", ("ticket",), alfa_only, 3, ("ticket:2",)),
        Group("articles", ("article",), wq.Term("visibility", "public"), 5),
        Group("notes", ("config",), wq.Term("customer", "beta"), 5),
    ]
    with build(corpus, batches=3).searcher() as s:
        together = match_groups(s, NEW, groups)
        alone = {g.name: match(s, NEW, allowed=g.allowed, kinds=g.kinds, limit=g.limit,
                               exclude_docids=g.exclude_docids) for g in groups}
    assert together == alone
    assert [m.docid for m in together["articles"]] == ["article:1"]
    assert together["notes"] == []
    assert together["tickets"][0].docid == "ticket:1"
    assert {m.docid for m in together["tickets"]}.isdisjoint({"ticket:2", "ticket:20"})


def test_segments_without_a_customer_or_application_column(corpus):
    # The public article (no customer, no application) sits in a segment of its own, as it
    # does when articles and tickets are indexed at different times.
    article = next(d for d in corpus if d["docid"] == "article:1")
    tickets = [d for d in corpus if d is not article]
    for d in tickets:
        d["application"] = "7"
    asked = MatchQuery(title=NEW.title, body=NEW.body, customer="alfa", application="7",
                       created=T0)
    ix = build(tickets[:5])
    for segment in ([article], tickets[5:]):
        writer = ix.writer(codec=Codec())
        for doc in segment:
            writer.add_document(**to_fields(doc))
        writer.commit(merge=False)
    assert len(list(ix.reader().leaf_readers())) == 3
    with ix.searcher() as s:
        found = match(s, asked, limit=20)
        assert "article:1" in {m.docid for m in found}
        assert match(s, asked, kinds=("ticket",))[0].docid == "ticket:1"


def test_a_document_the_viewer_may_not_see_is_never_returned(corpus):
    alfa_only = wq.Term("customer", "alfa")
    with build(corpus).searcher() as s:
        assert "ticket:20" in {m.docid for m in match(s, NEW, kinds=("ticket",))}
        found = match(s, NEW, allowed=alfa_only, kinds=("ticket",), limit=50)
        public = match(s, NEW, allowed=wq.Term("visibility", "public"), limit=50)
    assert found and "ticket:20" not in {m.docid for m in found}
    assert [m.docid for m in public] == ["article:1"]


def test_filter_on_a_large_index_both_ways():
    # 300 filler tickets: a narrow filter looks documents up, a broad one walks postings.
    filler = [
        ticket(100 + i, f"{TOPICS[i % 8][0]} again {i}", TOPICS[i % 8][1], customer="beta")
        for i in range(300)
    ]
    docs = [
        *filler,
        ticket(1, *TOPICS[0], customer="gamma"),
        ticket(2, *TOPICS[1], customer="gamma"),
    ]
    with build(docs, batches=3).searcher() as s:
        narrow = match(s, NEW, allowed=wq.Term("customer", "gamma"))
        broad = match(s, NEW, allowed=wq.Not(wq.Term("customer", "gamma")), limit=50)
    assert [m.docid for m in narrow] == ["ticket:1"]
    assert broad and all(int(m.obj_id) >= 100 for m in broad)


def test_excluded_and_deleted_documents_are_left_out(corpus):
    with build(corpus, batches=2, delete=("article:1",)).searcher() as s:
        found = match(s, NEW, exclude_docids=["ticket:1", "ticket:404"], limit=50)
    docids = {m.docid for m in found}
    assert "ticket:1" not in docids and "article:1" not in docids
    assert "ticket:20" in docids


def test_same_application_and_close_in_time_rank_first():
    a = ticket(
        1,
        "Report export hangs",
        "The monthly report export hangs.",
        application="crm",
        created=datetime(2020, 1, 1, tzinfo=UTC),
    )
    b = ticket(
        2,
        "Report export hangs",
        "The monthly report export hangs.",
        application="erp",
        created=datetime(2020, 1, 1, tzinfo=UTC),
    )
    c = ticket(
        3,
        "Report export hangs",
        "The monthly report export hangs.",
        application="erp",
        created=datetime(2024, 2, 28, tzinfo=UTC),
    )
    q = MatchQuery(
        title="Report export hangs",
        body="Export of the report hangs.",
        application="erp",
        created=T0,
    )
    with build([a, b, c]).searcher() as s:
        assert [m.docid for m in match(s, q)] == ["ticket:3", "ticket:2", "ticket:1"]
        no_time = match(s, MatchQuery(title=q.title, body=q.body))
    assert {m.docid for m in no_time} == {"ticket:1", "ticket:2", "ticket:3"}


def test_same_customer_ranks_first():
    docs = [
        ticket(i, "Sync stalls", "Calendar sync stalls overnight.", customer=c)
        for i, c in ((1, "alfa"), (2, "beta"), (3, "gamma"))
    ]
    with build(docs).searcher() as s:
        found = match(s, MatchQuery(title="Sync stalls", body="The sync stalls.", customer="beta"))
    assert found[0].docid == "ticket:2"
    assert sorted(found[0].reasons) == ["stalls", "sync"]


def test_deferred_common_terms_give_the_same_ranking(corpus):
    with build(corpus).searcher() as s:
        exact = match(s, NEW, tuning=Tuning(common_df_ratio=1.0), limit=50)
        deferred = match(s, NEW, tuning=Tuning(common_df_ratio=0.0), limit=50)
    assert [m.docid for m in deferred] == [m.docid for m in exact]
    assert [m.score for m in deferred] == pytest.approx([m.score for m in exact])


@pytest.mark.parametrize(
    "q",
    [
        MatchQuery(),
        MatchQuery(title="   ", body=""),
        MatchQuery(title="the and of", body="a an"),
        MatchQuery(title="zzqx unknownword"),
    ],
)
def test_empty_or_unknown_text_matches_nothing(corpus, q):
    with build(corpus).searcher() as s:
        assert match(s, q) == []


def test_empty_fields_are_fine():
    docs = [
        {"docid": "ticket:1", "title": "Printer jams", "body": ""},
        {"docid": "ticket:2", "title": "", "body": "The printer jams on every second page."},
        {"docid": "ticket:3", "title": "Scanner jams", "body": None, "created": None},
    ]
    with build(docs).searcher() as s:
        by_title = match(s, MatchQuery(title="printer jams"))
        by_body = match(s, MatchQuery(body="the printer jams", application="", component=None))
        assert key_terms(s, "", "") == []
    assert {m.docid for m in by_title} == {"ticket:1", "ticket:2", "ticket:3"}
    assert by_title[0].docid in {"ticket:1", "ticket:2"}
    assert {m.docid for m in by_body} == {"ticket:1", "ticket:2", "ticket:3"}
    assert match(build([]).searcher(), MatchQuery(title="printer")) == []


def test_bench_reads_creation_times_leniently():
    path = Path(__file__).resolve().parents[2] / "bench" / "matching_core.py"
    spec = importlib.util.spec_from_file_location("matching_core_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.parse_created("2004-11-22 19:22:00 +0000") == datetime(
        2004, 11, 22, 19, 22, tzinfo=UTC
    )
    assert bench.parse_created("30/Sep/21 17:20") == datetime(2021, 9, 30, 17, 20, tzinfo=UTC)
    assert bench.parse_created("2021-09-30T17:20:00Z") == datetime(2021, 9, 30, 17, 20, tzinfo=UTC)
    assert bench.parse_created("") is None and bench.parse_created("soon") is None
