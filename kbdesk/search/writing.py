"""Writing an index: the bulk writer used by rebuilds, and waiting for the write lock."""

from __future__ import annotations

import time
from collections.abc import Iterable

from .schema import Codec, to_fields

WRITE_TIMEOUT = 60.0  # seconds to wait for another writer's lock


def _write_all(ix, docs: Iterable[dict], progress, procs: int, limitmb: int) -> int:
    kwargs = {"limitmb": limitmb, "codec": Codec()}
    if procs > 1:  # worker processes (forked), each writing a segment of its own
        kwargs.update(procs=procs, multisegment=True,
                      subargs={"limitmb": limitmb, "codec": Codec()})
    writer = ix.writer(**kwargs)
    count = 0
    try:
        for doc in docs:
            writer.add_document(**to_fields(doc))
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if progress:
        progress(count)
    return count


def _acquire(lock, timeout: float = WRITE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise TimeoutError("the search index is locked by another writer")
        time.sleep(0.05)
