"""Benchmark the search core: rebuild rate and query latency on N documents.

    .venv/bin/python bench/search.py [--docs 100000] [--queries 200]
        [--procs 2] [--limitmb 640] [--path DIR [--reuse]] [--seed 7]

Documents are the real OpenOffice bug reports (/work/shared/data/matching/openoffice.jsonl)
and the Markdown knowledge base (knowledge/*.md), repeated with new ids until there are N,
spread over 40 customers as tickets, articles (public, customer-only, internal, drafts)
and configuration notes. Queries are 1, 2 and 3 words taken from real titles, run as a
customer user (visibility filter) and as staff, with facets, as the search page asks;
each query is new to the process, so first-use costs (reading postings) are included.
Prints figures; asserts nothing. The machine may be shared: the "cpu" column is the
search thread's own CPU time, which other processes do not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbdesk.search import engine as search_engine  # noqa: E402
from kbdesk.search.analysis import normalize  # noqa: E402
from kbdesk.search.engine import SearchEngine, Viewer  # noqa: E402

REPORTS = Path("/work/shared/data/matching/openoffice.jsonl")
KNOWLEDGE = ROOT / "knowledge"
CUSTOMERS = 40


def load_reports() -> list[dict]:
    """The bug reports as plain dicts."""
    if not REPORTS.exists():
        return []
    with REPORTS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_knowledge() -> list[dict]:
    """Markdown files with a `---` front matter; unreadable or half-written files are skipped."""
    out = []
    for path in sorted(KNOWLEDGE.glob("*.md")) if KNOWLEDGE.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        meta, body = {}, text
        if text.startswith("---"):
            head, sep, rest = text[3:].partition("\n---")
            if not sep:
                continue  # still being written
            body = rest.lstrip("-\n")
            for line in head.splitlines():
                key, colon, value = line.partition(":")
                if colon:
                    meta[key.strip()] = value.strip()
        if meta.get("title") and body.strip():
            out.append({"meta": meta, "body": body})
    return out


def _created(text: str) -> int:
    try:
        return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").timestamp())
    except (TypeError, ValueError):
        return 1_500_000_000


def documents(n: int, reports: list[dict], knowledge: list[dict], seed: int = 1):
    """N index documents built from the sources, with new ids each round."""
    rnd = random.Random(seed)
    sources = [("kb", k) for k in knowledge] + [("report", r) for r in reports]
    if not sources:
        raise SystemExit("no source documents found")
    for i in range(n):
        origin, src = sources[i % len(sources)]
        customer = str(rnd.randrange(1, CUSTOMERS + 1))
        if origin == "kb":
            meta = src["meta"]
            kind = meta.get("kind", "article")
            visibility = meta.get("visibility", "public")
            doc = {"title": meta["title"], "body": src["body"], "tags": meta.get("tags", ""),
                   "application": meta.get("application", ""), "language": meta.get("language", "cs"),
                   "status": "published", "created": 1_700_000_000 + i}
            if visibility == "public" and kind == "article":
                customer = ""
        else:
            x = rnd.random()
            if x < 0.75:
                kind, visibility = "ticket", "customer"
                status = rnd.choice(["new", "open", "waiting", "resolved", "closed"])
            elif x < 0.9:
                kind = "article"
                visibility = rnd.choices(["public", "customer", "internal"], [60, 30, 10])[0]
                status = rnd.choices(["published", "draft"], [90, 10])[0]
                if visibility != "customer":
                    customer = ""
            else:
                kind, visibility, status = "config", "internal", "published"
            other = reports[rnd.randrange(len(reports))]
            doc = {"title": src["title"], "body": src["body"],
                   "internal": "Interní poznámka: " + other["title"] if kind == "ticket" else "",
                   "tags": [src.get("component", ""), src.get("product", "")],
                   "application": src.get("product", ""), "component": src.get("component", ""),
                   "language": "en", "status": status, "created": _created(src.get("created"))}
        doc.update(kind=kind, obj_id=i + 1, customer=customer, visibility=visibility,
                   severity=str(rnd.randrange(1, 5)), updated=doc["created"] + 3600)
        yield doc


def sample_queries(titles: list[str], words: int, count: int, rnd: random.Random) -> list[str]:
    """`count` queries of `words` words, each taken (in order) from one real title."""
    pool = []
    for title in titles:
        usable = [w for w in re.findall(r"[^\W\d_]{3,}", title) if normalize(w)]
        if len(usable) >= words:
            pool.append(usable)
    out = []
    for _ in range(count):
        usable = rnd.choice(pool)
        picks = sorted(rnd.sample(range(len(usable)), words))
        out.append(" ".join(usable[p] for p in picks))
    return out


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the rebuild's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="per query size and viewer")
    parser.add_argument("--procs", type=int, default=search_engine.REBUILD_PROCS)
    parser.add_argument("--limitmb", type=int, default=search_engine.REBUILD_LIMITMB,
                        help="writer memory per process")
    parser.add_argument("--path", help="index directory (default: a temporary one, removed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true",
                        help="query the index already at --path instead of rebuilding it")
    args = parser.parse_args()
    search_engine.REBUILD_PROCS, search_engine.REBUILD_LIMITMB = args.procs, args.limitmb

    reports, knowledge = load_reports(), load_knowledge()
    print(f"sources: {len(reports)} reports, {len(knowledge)} knowledge files; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} (other processes "
          "compete for the CPUs: compare wall times with the cpu column)")
    tmp = None if args.path else tempfile.mkdtemp(prefix="kbdesk-bench-")
    path = args.path or os.path.join(tmp, "index")
    try:
        engine = SearchEngine(path)
        if args.reuse and engine.exists():
            print(f"reusing the index at {path}: {engine.doc_count()} docs")
        else:
            # Documents are built up front, so only indexing is timed.
            docs = list(documents(args.docs, reports, knowledge))
            start, cpu = time.perf_counter(), _cpu_seconds()
            count = engine.rebuild(iter(docs))
            seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            size = sum(f.stat().st_size for f in Path(path).iterdir()) / 2**20
            print(f"rebuild: {count} docs in {seconds:.1f} s = {count / seconds:,.0f} docs/s "
                  f"(procs={args.procs}, limitmb={search_engine.REBUILD_LIMITMB}; "
                  f"{cpu:.0f} CPU-seconds in all processes, largest worker "
                  f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB); "
                  f"index {size:.0f} MiB")

        start = time.perf_counter()
        engine.search("printer", viewer=Viewer(staff=True))
        print(f"first search (opens the index): {(time.perf_counter() - start) * 1000:.0f} ms")

        rnd = random.Random(args.seed)
        titles = [r["title"] for r in reports] + [k["meta"]["title"] for k in knowledge]
        print(f"\n{'query':<8}{'viewer':<10}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
              f"{'cpu p95':>9}{'avg hits':>10}{'OR':>6}{'fixed':>7}")
        for words in (1, 2, 3):
            for who in ("customer", "staff"):
                times, cpu, totals, ors, fixed = [], [], [], 0, 0
                for q in sample_queries(titles, words, args.queries, rnd):
                    viewer = (Viewer(staff=True) if who == "staff" else
                              Viewer(staff=False, customer=str(rnd.randrange(1, CUSTOMERS + 1))))
                    t, c = time.perf_counter(), time.thread_time()
                    result = engine.search(q, viewer=viewer, filters={}, limit=20, facets=True)
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.thread_time() - c) * 1000)
                    totals.append(result.total)
                    ors += result.mode == "or"
                    fixed += result.corrected
                print(f"{words}-word  {who:<10}{statistics.median(times):8.1f}"
                      f"{percentile(times, 95):8.1f}{max(times):8.1f}{percentile(cpu, 95):9.1f}"
                      f"{statistics.mean(totals):10.0f}{ors:6d}{fixed:7d}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
