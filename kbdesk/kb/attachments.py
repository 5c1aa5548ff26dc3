"""Article attachments: stored by content hash, served only to readers of the article."""

from __future__ import annotations

import mimetypes
import unicodedata
from pathlib import Path
from typing import IO

from flask import current_app

from kbdesk import blobs
from kbdesk.accounts.permissions import require_roles
from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.kb.models import (
    Article,
    ArticleAttachment,
)
from kbdesk.kb.services import (
    DEFAULT_ATTACHMENT_MAX,
    EDIT_ROLES,
    INLINE_IMAGE_TYPES,
    can_read,
    get_article,
)


def blob_path(sha256: str) -> Path:
    """The file holding the content with this hash: attachments/<sha[:2]>/<sha>."""
    try:
        return blobs.path_for(sha256)
    except ValueError:
        raise NotFound("No such file.") from None


def max_attachment_bytes() -> int:
    """The upload limit (app.config ATTACHMENT_MAX_BYTES)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_ATTACHMENT_MAX)


def safe_filename(name: str | None) -> str:
    """A display name from a user's file name: last path part, no control characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Category C is control and format characters (NUL, newlines, right-to-left overrides).
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip() or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name


def sniff_image(head: bytes) -> str | None:
    """The raster image type the bytes really are, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _content_type(filename: str, head: bytes) -> str:
    if image := sniff_image(head):
        return image
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    # A name that claims an image the bytes are not (or SVG, which can carry script) is
    # served as plain bytes.
    if guessed.startswith("image/") or "html" in guessed or "javascript" in guessed:
        return "application/octet-stream"
    return guessed


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n} B"


def add_attachment(actor, article_id: int, filename: str | None, stream: IO[bytes]) -> ArticleAttachment:
    """Attach a file to an article (staff); too large or empty files are refused."""
    article = get_article(actor, article_id)
    require_roles(actor, *EDIT_ROLES)
    limit = max_attachment_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"The file is larger than the limit of {_human_size(limit)}."},
                              "The file is too large.")
    if not data:
        raise ValidationError({"file": "The file is empty."})
    name = safe_filename(filename)
    sha = blobs.store(data)
    att = ArticleAttachment(article=article, filename=name, content_type=_content_type(name, data[:16]),
                            size=len(data), sha256=sha, uploaded_by=actor)
    db.session.add(att)
    db.session.flush()
    return att


def get_attachment(actor, attachment_id: int) -> ArticleAttachment:
    """An attachment of an article the actor may read; anything else is NotFound."""
    att = db.session.get(ArticleAttachment, attachment_id)
    if att is None or not can_read(actor, att.article):
        raise NotFound("No such file.")
    return att


def delete_attachment(actor, attachment_id: int) -> Article:
    """Remove an attachment from its article (staff); the stored content may be shared."""
    att = get_attachment(actor, attachment_id)
    require_roles(actor, *EDIT_ROLES)
    article = att.article
    db.session.delete(att)
    db.session.flush()
    return article


def is_inline(att: ArticleAttachment) -> bool:
    """Whether a browser may show the file in place (verified raster images only)."""
    return att.content_type in INLINE_IMAGE_TYPES
