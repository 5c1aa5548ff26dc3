"""Cut the quoted history off a reply, so a ticket shows what is new in each message."""

from __future__ import annotations

import re

_MARKERS = [
    re.compile(r"^-{2,}\s*(original message|původní zpráva|puvodni zprava|ursprüngliche nachricht"
               r"|forwarded message|přeposlaná zpráva)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^(on|dne)\b.{0,300}\b(wrote|napsal|napsala|napsal\(a\)|odesílatel.*napsal)\s*:?\s*$",
               re.IGNORECASE),
    re.compile(r"^(from|od)\s*:\s*.+$", re.IGNORECASE),
]
_SENT = re.compile(r"^(sent|date|odesláno|datum|to|komu)\s*:", re.IGNORECASE)
_WRAPPED_INTRO = re.compile(r"^(on|dne)\b.{0,300}$", re.IGNORECASE)
_WROTE = re.compile(r"^.{0,120}(wrote|napsal|napsala|napsal\(a\))\s*:\s*$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything above the first quote marker (all of it if none)."""
    lines = text.split("\n")
    cut = None
    for i, line in enumerate(lines):
        s = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if _MARKERS[0].match(s) or (_MARKERS[1].match(s) and _header_block(lines, i + 1)):
            cut = i
        elif _MARKERS[2].match(s) or (_WRAPPED_INTRO.match(s) and _WROTE.match(nxt)):
            cut = i
        elif _MARKERS[3].match(s) and _header_block(lines, i):
            cut = i
        elif s.startswith(">") and all(x.strip().startswith(">") or not x.strip()
                                       for x in lines[i:]):
            cut = i
        if cut is not None:
            break
    if cut is None:
        return text.strip()
    head = "\n".join(lines[:cut]).strip()
    return head or text.strip()


def _header_block(lines: list[str], start: int) -> bool:
    """An Outlook-style quoted header: From:/Od: followed by Sent:/Date:/To: lines."""
    window = [x.strip() for x in lines[start:start + 5] if x.strip()]
    return bool(window) and re.match(r"^(from|od)\s*:", window[0], re.IGNORECASE) is not None \
        and any(_SENT.match(x) for x in window[1:])
