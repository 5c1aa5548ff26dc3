"""Content-addressed files under DATA_DIR/attachments/<sha[:2]>/<sha> (articles and tickets)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

_SHA = re.compile(r"[0-9a-f]{64}")


def root() -> Path:
    """DATA_DIR/attachments."""
    return Path(current_app.config["DATA_DIR"]) / "attachments"


def path_for(sha256: str) -> Path:
    """The file holding the content with this hash; ValueError for anything but a hash."""
    if not _SHA.fullmatch(sha256 or ""):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256


def store(data: bytes) -> str:
    """Write content once under its hash (atomically; an existing copy is kept)."""
    sha = hashlib.sha256(data).hexdigest()
    path = path_for(sha)
    if path.exists():
        return sha
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: readers never see half a file. If the transaction later rolls
    # back, the blob stays unreferenced; content addressing makes that harmless.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha
