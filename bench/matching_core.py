"""Benchmark of kbdesk.matching.core on a JSON-lines file of reports with duplicate labels.

    python bench/matching_core.py --data FILE [--scale N] [--scale-mode copy|shuffle]
        [--limit-queries Q] [--half A|B] [--tuning JSON] [--index-dir DIR]

Every report is indexed as a past ticket (product -> application, component, created);
each report with duplicate_of is matched as a new ticket against all the others (itself
excluded). A hit at k: one of its duplicate_of ids among the first k matches. Prints
Recall@1/5/10, MRR and the latency per match (wall clock and CPU time, p50 and p95).
--scale N adds noise tickets up to N documents (see scaled_rows); --index-dir keeps the
index for the next run (it is reused as it is, whatever --scale says).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kbdesk.matching import core  # noqa: E402
from kbdesk.search.schema import Codec, build_schema, to_fields  # noqa: E402

INDEX_NAME = "MAIN"

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


def ticket_doc(row: dict, obj_id: str) -> dict:
    """The index fields of a report, as a closed internal ticket."""
    return to_fields(
        {
            "docid": f"ticket:{obj_id}",
            "title": row["title"],
            "body": row["body"],
            "application": row["product"],
            "component": row["component"],
            "created": row["created"],
            "visibility": "internal",
            "status": "closed",
        }
    )


def scaled_rows(rows: Sequence[dict], n: int, mode: str = "copy", seed: int = 7) -> Iterator[dict]:
    """The rows, then noise rows up to n docs under new ids, with times drawn from the rows'.

    mode "copy": copies of the rows. Every query then has copies of itself and of its
    duplicate among the noise: right for latency, not for recall. mode "shuffle": texts
    recombined from short runs of words of many rows, so that no noise row is close to
    any one row: a rough stand-in for more unrelated tickets, for recall at scale.
    """
    yield from rows
    rng = random.Random(seed)
    times = [r["created"] for r in rows if r["created"] is not None]
    for i in range(max(0, n - len(rows))):
        src = rows[i % len(rows)]
        row = dict(src, id=f"n{i:07d}", duplicate_of=[])
        if mode == "shuffle":
            row["title"] = " ".join(
                _runs(rng, [r["title"] for r in rng.sample(rows, 3)], 2, len(src["title"].split()))
            )
            row["body"] = " ".join(
                _runs(rng, [r["body"] for r in rng.sample(rows, 12)], 8, len(src["body"].split()))
            )
        if times:
            row["created"] = rng.choice(times)
        yield row


def _runs(rng: random.Random, texts: Sequence[str], run: int, length: int) -> list[str]:
    """About length words: runs of run consecutive words from the texts in turn."""
    out: list[str] = []
    words = [t.split() for t in texts if t.split()]
    while words and len(out) < length:
        for w in words:
            start = rng.randrange(max(1, len(w) - run + 1))
            out.extend(w[start : start + run])
    return out[:length]


def build_index(rows: Sequence[dict], directory: str, *, scale: int = 0, mode: str = "copy"):
    """Index the rows (grown to scale docs) as tickets into a new index in directory.

    Written as the app's rebuild writes: the shared schema and codec, two processes,
    one segment each.
    """
    storage = FileStorage(directory, supports_mmap=False)
    ix = storage.create_index(build_schema(), indexname=INDEX_NAME)
    procs = 2 if scale > 20_000 else 1
    options = {"limitmb": 384, "codec": Codec()}
    writer = ix.writer(procs=procs, multisegment=procs > 1, subargs=options, **options)
    for row in scaled_rows(rows, scale, mode):
        writer.add_document(**ticket_doc(row, row["id"]))
    writer.commit()
    return ix


def open_or_build(rows: Sequence[dict], directory: str, *, scale: int = 0, mode: str = "copy"):
    """Open the index in directory if one is there, else build it."""
    storage = FileStorage(directory, supports_mmap=False)
    if Path(directory).is_dir() and index.exists(storage, INDEX_NAME):
        return storage.open_index(INDEX_NAME, schema=build_schema())
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
    latencies, cpu = [], []
    for row in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        found = core.match(
            searcher, as_query(row), limit=10, exclude_docids=[f"ticket:{row['id']}"], tuning=tuning
        )
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        ids = [m.obj_id for m in found]
        rank = next((i for i, obj_id in enumerate(ids, 1) if obj_id in row["duplicate_of"]), None)
        if rank:
            rr += 1 / rank
            for k in hits:
                hits[k] += rank <= k
    n = max(len(queries), 1)
    return {
        "queries": len(queries),
        "R@1": hits[1] / n,
        "R@5": hits[5] / n,
        "R@10": hits[10] / n,
        "MRR": rr / n,
        "p50_ms": _percentile(latencies, 0.50),
        "p95_ms": _percentile(latencies, 0.95),
        "cpu_p50_ms": _percentile(cpu, 0.50),
        "cpu_p95_ms": _percentile(cpu, 0.95),
    }


def _percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of values, 0 for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def tuning_from(text: str) -> core.Tuning:
    """core.Tuning with the fields given as JSON replaced (weights merge into the defaults)."""
    changes = json.loads(text) if text else {}
    if "weights" in changes:
        changes["weights"] = {**core.DEFAULT_TUNING.weights, **changes["weights"]}
    return dataclasses.replace(core.DEFAULT_TUNING, **changes)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, build or open the index, run the queries, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--scale", type=int, default=0, help="grow the corpus to N docs")
    parser.add_argument("--scale-mode", choices=("copy", "shuffle"), default="copy")
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--half", choices=("A", "B"), help="only even (A) or odd (B) queries")
    parser.add_argument("--tuning", default="", help='JSON overrides, e.g. {"max_terms": 40}')
    parser.add_argument("--index-dir", help="keep (or reuse) the index here")
    args = parser.parse_args(argv)

    tuning = tuning_from(args.tuning)
    rows = load_rows(args.data)
    queries = [r for r in rows if r["duplicate_of"]]
    if args.half:
        queries = queries[args.half == "B" :: 2]
    if args.limit_queries:
        queries = queries[: args.limit_queries]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ix = open_or_build(rows, args.index_dir or tmp, scale=args.scale, mode=args.scale_mode)
        built = time.perf_counter() - start
        with ix.searcher() as searcher:
            print(f"index: {searcher.doc_count()} docs ({built:.1f} s); queries: {len(queries)}")
            result = evaluate(searcher, queries, tuning)
    print(
        "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items())
    )


if __name__ == "__main__":
    main()
