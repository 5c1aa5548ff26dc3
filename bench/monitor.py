"""Benchmark: N monitors at interval I against a local server, run by a real Huey consumer.

Prints probes per second and the scheduling lag (probe start minus its due time) p50/p95/max.

    .venv/bin/python bench/monitor.py --monitors 1000 --interval 60 --duration 120

By default the consumer is `kbdesk worker` in its own process, exactly as deployed; with
--max-delay it runs in this process with that queue-polling ceiling instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"<html><body>kbdesk-alive</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 256
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--monitors", type=int, default=1000)
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--duration", type=int, default=180, help="seconds to run")
    ap.add_argument("--workers", type=int, default=4, help="Huey worker threads")
    ap.add_argument("--max-delay", type=float, default=None,
                    help="run the consumer in-process with this polling ceiling (s)")
    ap.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    ap.add_argument("--redis-url", default="", help="default: SqliteHuey in the temp dir")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kbdesk-bench-monitor-"))
    db_url = args.database_url or f"sqlite:///{data_dir / 'kbdesk.db'}"
    env = {**os.environ, "KBDESK_DATA_DIR": str(data_dir), "KBDESK_DATABASE_URL": db_url,
           "KBDESK_LOG_LEVEL": "WARNING"}
    if args.redis_url:
        env["KBDESK_REDIS_URL"] = args.redis_url
    else:
        env.pop("KBDESK_REDIS_URL", None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KBDESK_")})
    if not args.redis_url:
        os.environ.pop("KBDESK_REDIS_URL", None)

    from kbdesk import create_app
    from kbdesk.cli import run_init_hooks
    from kbdesk.customers.models import Application, Customer
    from kbdesk.extensions import db, huey
    from kbdesk.monitor import tasks
    from kbdesk.monitor.models import Monitor, ProbeResult
    from kbdesk.monitor.scheduler import first_due

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    app = create_app()
    worker = None
    consumer = None
    try:
        with app.app_context():
            db.create_all()
            run_init_hooks(app)
            customer = Customer(name="Bench", slug="bench")
            application = Application(customer=customer, name="Bench app")
            db.session.add_all([customer, application])
            db.session.flush()
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
            db.session.add_all([Monitor(
                customer_id=customer.id, application_id=application.id, name=f"m{i}",
                kind="http", target=f"http://127.0.0.1:{port}/m{i}", keyword="kbdesk-alive",
                internal=True, interval_s=args.interval, timeout_ms=5000,
                next_due_at=first_due(start, args.interval))
                for i in range(args.monitors)])
            db.session.commit()
        print(f"{args.monitors} monitors every {args.interval} s against 127.0.0.1:{port}; "
              f"{args.workers} worker threads; database {db_url.split(':')[0]}, "
              f"queue {'redis' if args.redis_url else 'sqlite'}; running {args.duration} s",
              flush=True)
        if args.max_delay is None:
            log = open(data_dir / "worker.log", "w")
            worker = subprocess.Popen([str(ROOT / ".venv" / "bin" / "kbdesk"), "worker",
                                       "--workers", str(args.workers)], env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
        else:
            from huey.consumer import Consumer

            from kbdesk.worker import load_tasks

            load_tasks()
            consumer = Consumer(huey, workers=args.workers, worker_type="thread",
                                periodic=True, max_delay=args.max_delay)
            consumer.start()
        tasks.dispatch_probes()  # the first claim now; the periodic one runs every minute
        # The first slots fall from start + 1 s on (scheduler.first_due).
        began = max(datetime.now(UTC), start + timedelta(seconds=1))
        time.sleep(args.duration)
        ended = datetime.now(UTC)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if consumer is not None:
            consumer.stop(graceful=True)
        server.terminate()

    with app.app_context():
        rows = db.session.execute(db.select(ProbeResult.slot_at, ProbeResult.started_at,
                                            ProbeResult.ok)).all()
        # Slots due in the measured window, with 10 s left for the last ones to finish.
        window = [(s, st, ok) for s, st, ok in rows
                  if began <= s <= ended - timedelta(seconds=10)]
        due = sum(1 for m in db.session.scalars(db.select(Monitor))
                  for _ in _slots(m.next_due_at, args.interval, began,
                                  ended - timedelta(seconds=10)))
    lags = [(st - s).total_seconds() for s, st, _ok in window]
    started = [st for _s, st, _ok in rows if began <= st <= ended]
    print(f"probes stored:     {len(rows)} ({sum(1 for r in rows if not r[2])} failed)")
    print(f"probes per second: {len(started) / (ended - began).total_seconds():.1f} "
          f"(expected {args.monitors / args.interval:.1f})")
    print(f"slots in window:   {len(window)} probed of {due} due")
    print(f"scheduling lag:    p50 {percentile(lags, 50):.3f} s, p95 {percentile(lags, 95):.3f} s,"
          f" max {max(lags, default=float('nan')):.3f} s")
    if os.environ.get("BENCH_KEEP"):
        print(f"kept {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


def _slots(next_due: datetime, interval: int, began: datetime, until: datetime):
    """The slots of one monitor that fell in [began, until], counted back from next_due."""
    at = next_due - timedelta(seconds=interval)
    while at >= began:
        if at <= until:
            yield at
        at -= timedelta(seconds=interval)


if __name__ == "__main__":
    main()
