"""The Huey consumer's entry point: imports every feature's tasks."""

from __future__ import annotations

import importlib

from kbdesk.extensions import huey

TASK_MODULES: list[str] = [
    "kbdesk.search.indexing",
    "kbdesk.mail.tasks",
    "kbdesk.sla.tasks",
    "kbdesk.monitor.tasks",
    "kbdesk.problems.tasks",
    "kbdesk.gaps.tickets",
]


def load_tasks() -> None:
    """Import every tasks module so the consumer knows every task."""
    for name in TASK_MODULES:
        importlib.import_module(name)


def run_consumer(workers: int = 4) -> None:
    """Run the consumer in this thread until interrupted."""
    from huey.consumer import Consumer

    load_tasks()
    Consumer(huey, workers=workers, worker_type="thread", periodic=True,
             check_worker_health=True).run()
