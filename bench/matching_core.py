"""Benchmark of kbdesk.matching.core on a JSON-lines file of bug reports with duplicate labels.

python bench/matching_core.py --data FILE [--scale N] [--limit-queries Q] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer
from whoosh.searching import Searcher

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kbdesk.matching import core  # noqa: E402

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%a %b %d %H:%M:%S %Y",
)


def parse_created(value: object) -> datetime | None:
    """A creation time in any of the usual formats (or epoch seconds), None when unknown."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_rows(path: str | Path) -> list[dict]:
    """The reports of a JSON-lines file, with missing fields filled in."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                rows.append(
                    {
                        "id": str(row["id"]),
                        "title": row.get("title") or "",
                        "body": row.get("body") or "",
                        "product": row.get("product") or "",
                        "component": row.get("component") or "",
                        "created": parse_created(row.get("created")),
                        "duplicate_of": [str(d) for d in row.get("duplicate_of") or []],
                    }
                )
    return rows


def schema() -> fields.Schema:
    """The shared index schema (kbdesk.search.schema), or a stand-in with the same fields."""
    try:
        from kbdesk.search.schema import build_schema  # type: ignore[import-not-found]

        return build_schema()
    except ImportError:
        text = StemmingAnalyzer()
        return fields.Schema(
            docid=fields.ID(stored=True, unique=True),
            kind=fields.ID(stored=True),
            obj_id=fields.ID(stored=True),
            title=fields.TEXT(analyzer=text, stored=True),
            body=fields.TEXT(analyzer=text),
            internal=fields.TEXT(analyzer=text),
            tags=fields.KEYWORD(lowercase=True, commas=True),
            customer=fields.ID(stored=True),
            application=fields.ID(stored=True),
            component=fields.ID(stored=True),
            visibility=fields.ID(stored=True),
            language=fields.ID(),
            status=fields.ID(),
            severity=fields.ID(),
            created=fields.NUMERIC(stored=True, bits=64),
            updated=fields.NUMERIC(stored=True, bits=64),
        )


def ticket_doc(row: dict, obj_id: str) -> dict:
    """The index document of a report, as a ticket."""
    doc = {
        "docid": f"ticket:{obj_id}",
        "kind": "ticket",
        "obj_id": obj_id,
        "title": row["title"],
        "body": row["body"],
        "visibility": "internal",
        "status": "closed",
    }
    if row["product"]:
        doc["application"] = row["product"]
    if row["component"]:
        doc["component"] = row["component"]
    if row["created"] is not None:
        doc["created"] = int(row["created"].timestamp())
    return doc


def scaled_rows(rows: Sequence[dict], n: int, mode: str = "copy", seed: int = 7) -> Iterator[dict]:
    """The rows, then noise rows up to n: copies (or recombinations) under new ids, new times."""
    yield from rows
    rng = random.Random(seed)
    times = [r["created"] for r in rows if r["created"] is not None]
    for i in range(max(0, n - len(rows))):
        src = rows[i % len(rows)]
        row = dict(src, id=f"n{i:07d}", duplicate_of=[])
        if mode == "mix":
            other = rng.choice(rows)
            words_a, words_b = src["title"].split(), other["title"].split()
            row["title"] = " ".join(words_a[: len(words_a) // 2] + words_b[len(words_b) // 2 :])
            body_a, body_b = src["body"].split(), rng.choice(rows)["body"].split()
            row["body"] = " ".join(body_a[: len(body_a) // 2] + body_b[len(body_b) // 2 :])
        if times:
            row["created"] = rng.choice(times)
        yield row


def build_index(rows: Sequence[dict], directory: str, *, scale: int = 0, mode: str = "copy"):
    """Index the rows (grown to scale docs) as tickets into a new Whoosh index in directory."""
    ix = index.create_in(directory, schema())
    writer = ix.writer(limitmb=512)
    for row in scaled_rows(rows, scale, mode):
        writer.add_document(**ticket_doc(row, row["id"]))
    writer.commit(optimize=True)
    return ix


def open_or_build(rows: Sequence[dict], directory: str, *, scale: int = 0, mode: str = "copy"):
    """Open the index in directory if one is there, else build it."""
    if index.exists_in(directory):
        return index.open_dir(directory)
    Path(directory).mkdir(parents=True, exist_ok=True)
    return build_index(rows, directory, scale=scale, mode=mode)


def as_query(row: dict) -> core.MatchQuery:
    """A report as the new ticket to match."""
    return core.MatchQuery(
        title=row["title"],
        body=row["body"],
        application=row["product"] or None,
        component=row["component"] or None,
        created=row["created"],
    )


def evaluate(
    searcher: Searcher,
    queries: Sequence[dict],
    tuning: core.Tuning = core.DEFAULT_TUNING,
) -> dict[str, float]:
    """Recall@1/5/10, MRR and latency (ms) of core.match over the queries."""
    hits = {1: 0, 5: 0, 10: 0}
    rr = 0.0
    latencies = []
    for row in queries:
        start = time.perf_counter()
        found = core.match(
            searcher, as_query(row), limit=10, exclude_docids=[f"ticket:{row['id']}"], tuning=tuning
        )
        latencies.append((time.perf_counter() - start) * 1000)
        ids = [m.obj_id for m in found]
        rank = next((i for i, obj_id in enumerate(ids, 1) if obj_id in row["duplicate_of"]), None)
        if rank:
            rr += 1 / rank
            for k in hits:
                hits[k] += rank <= k
    n = max(len(queries), 1)
    latencies.sort()
    return {
        "queries": len(queries),
        "R@1": hits[1] / n,
        "R@5": hits[5] / n,
        "R@10": hits[10] / n,
        "MRR": rr / n,
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, build or open the index, run the queries, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--scale", type=int, default=0, help="grow the corpus to N docs")
    parser.add_argument("--scale-mode", choices=("copy", "mix"), default="copy")
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--index-dir", help="keep (or reuse) the index here")
    args = parser.parse_args(argv)

    rows = load_rows(args.data)
    queries = [r for r in rows if r["duplicate_of"]]
    if args.limit_queries:
        queries = queries[: args.limit_queries]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ix = open_or_build(rows, args.index_dir or tmp, scale=args.scale, mode=args.scale_mode)
        built = time.perf_counter() - start
        with ix.searcher() as searcher:
            print(f"index: {searcher.doc_count()} docs ({built:.1f} s); queries: {len(queries)}")
            result = evaluate(searcher, queries)
    print("  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
