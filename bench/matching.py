"""Matching benchmark through kbdesk's own services.

    python bench/matching.py [--data FILE] [--scale N] [--limit-queries Q]

Loads every report of a JSON-lines file (format: ../shared/data/matching/README.md) as a
past ticket with `tickets.services.open_ticket` (product -> application, component ->
ticket component, created -> created time), builds the index as the app does, then runs
each query report through `matching.service.match_ticket` — the code behind the ticket
page and the API — excluding the query itself, and prints Recall@1/@5/@10, MRR and the
latency p50/p95. `--scale N` adds copies under new ids (bulk-inserted: only their number
matters for latency) up to N tickets.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "matching" / "openoffice.jsonl"


def _core_bench():
    spec = importlib.util.spec_from_file_location("matching_core_bench", ROOT / "bench" / "matching_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of values (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--scale", type=int, default=0, help="grow the corpus to N tickets")
    parser.add_argument("--limit-queries", type=int, default=0)
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="kbdesk-bench-matching-")
    os.environ["KBDESK_DATA_DIR"] = workdir
    os.environ.pop("KBDESK_REDIS_URL", None)
    from sqlalchemy import insert, select

    from kbdesk import create_app
    from kbdesk.accounts.models import User
    from kbdesk.customers.models import Application, Customer
    from kbdesk.db_types import utcnow
    from kbdesk.extensions import db
    from kbdesk.matching.service import match_ticket
    from kbdesk.search import indexing
    from kbdesk.tickets import services as tickets
    from kbdesk.tickets.models import Ticket

    rows = _core_bench().load_rows(args.data)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATA_DIR": workdir,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db",
                      "SEARCH_INDEX_DIR": f"{workdir}/index", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        db.create_all()
        customer = Customer(name="Bench", slug="bench", language="en")
        staff = User(email="bench@kbdesk.test", name="Bench", role="specialist")
        db.session.add_all([customer, staff])
        db.session.flush()
        apps: dict[str, Application] = {}
        for product in sorted({r["product"] for r in rows if r["product"]}):
            apps[product] = Application(customer=customer, name=product[:200], environment="prod")
            db.session.add(apps[product])
        db.session.flush()
        # The index is rebuilt once at the end: that is what `kbdesk search rebuild` does,
        # and it keeps the load from timing thousands of small index commits.
        start = time.perf_counter()
        by_report: dict[str, int] = {}
        for row in rows:
            data = {"customer": customer, "subject": (row["title"] or "(no title)")[:300],
                    "description": row["body"], "component": row["component"][:100]}
            if row["product"]:
                data["application"] = apps[row["product"]]
            t = tickets.open_ticket(staff, data, channel="web", now=row["created"] or utcnow())
            by_report[row["id"]] = t.id
        db.session.info.pop("search_pending", None)
        db.session.info.pop("after_commit", None)
        db.session.info.pop("search_hooked", None)
        db.session.commit()
        load_s = time.perf_counter() - start
        extra = max(0, args.scale - len(rows))
        if extra:
            template = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
            batch = []
            for i in range(extra):
                src = template[i % len(template)]
                batch.append({"number": f"9999-{i:07d}", "customer_id": src.customer_id,
                              "application_id": src.application_id, "component": src.component,
                              "subject": src.subject, "description": src.description,
                              "channel": "web", "severity": "normal", "status": "closed",
                              "created_at": template[(i * 7919) % len(template)].created_at,
                              "updated_at": utcnow(), "reporter_email": ""})
                if len(batch) == 5000:
                    db.session.execute(insert(Ticket), batch)
                    batch = []
            if batch:
                db.session.execute(insert(Ticket), batch)
            db.session.commit()
        start = time.perf_counter()
        count = indexing.rebuild()
        index_s = time.perf_counter() - start

        queries = [r for r in rows if r["duplicate_of"] and r["id"] in by_report]
        if args.limit_queries:
            queries = queries[: args.limit_queries]
        hits = {1: 0, 5: 0, 10: 0}
        rr, latencies = 0.0, []
        report_of = {v: k for k, v in by_report.items()}
        match_ticket(staff, db.session.get(Ticket, by_report[queries[0]["id"]]))  # warm-up
        for row in queries:
            ticket = db.session.get(Ticket, by_report[row["id"]])
            t0 = time.perf_counter()
            found = match_ticket(staff, ticket, limits={"tickets": 10})["tickets"]
            latencies.append((time.perf_counter() - t0) * 1000)
            ids = [report_of.get(item["id"]) for item in found]
            rank = next((i for i, rid in enumerate(ids, 1) if rid in row["duplicate_of"]), None)
            if rank:
                rr += 1 / rank
                for k in hits:
                    hits[k] += rank <= k
            db.session.expunge_all()
        n = max(len(queries), 1)
    print(f"data: {args.data}")
    print(f"tickets: {count} indexed ({len(rows)} reports loaded through open_ticket in "
          f"{load_s:.1f} s; index rebuilt in {index_s:.1f} s)")
    print(f"queries: {len(queries)}")
    print(f"Recall@1 {hits[1] / n:.3f}  Recall@5 {hits[5] / n:.3f}  Recall@10 {hits[10] / n:.3f}  "
          f"MRR {rr / n:.3f}")
    print(f"latency per match (ms): p50 {percentile(latencies, 0.5):.1f}  "
          f"p95 {percentile(latencies, 0.95):.1f}")


if __name__ == "__main__":
    main()
