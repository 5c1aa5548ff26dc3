"""Severity suggestion from Czech and English cue phrases and from similar past tickets.

The specialist decides; this only proposes a severity and says why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from kbdesk.tickets.timeline import SEVERITY_LABELS

SEVERITIES = ("critical", "high", "normal", "low")

# Cue patterns on diacritics-folded, lower-cased text. Czech stems cover the word forms
# (výpadek, výpadku, výpadky; nefunguje, nefungují).
CUES: dict[str, list[str]] = {
    "critical": [
        r"vypad(?:ek|ku|ky|kem|ku)\b", r"havari\w*", r"ztrat\w* dat\w*", r"prisli jsme o data",
        r"(?:system|server|web|portal|aplikace|site|service|app\w*|everything|all|is|are) (?:is |are |went |je )?(?P<cue>down)\b",
        r"\boutage\w*", r"\bdata loss", r"\blost (?:all )?(?:the )?data", r"nikdo nemuze",
        r"\bnobody can\b", r"\bno one can\b", r"\bprodukce stoji", r"\bstoji provoz",
        r"\bproduction (?:is )?(?P<cue>down)", r"\bcely system", r"\bkriticke?\b", r"\bcritical\b",
    ],
    "high": [
        r"\bnefung\w*", r"\bnelze se prihlasit", r"\bnemuzu se prihlasit", r"\bnemohu se prihlasit",
        r"\bnejde\b", r"\bnejdou\b", r"\bcannot log ?in", r"\bcan'?t log ?in",
        r"\bunable to (?:log|sign) ?in", r"\bcannot sign in", r"\bcrash\w*", r"\bpad[aá]\w*",
        r"\bspadl\w*", r"\burgent\w*", r"\bnalehav\w*", r"\bspoed\w*", r"\bnot working\b",
        r"\bdoes ?n[o']t work", r"\bdoesn'?t work", r"\bbroken\b", r"\berror 5\d\d\b",
        r"\bchyba 5\d\d\b", r"\bzablokovan\w*",
    ],
    "normal": [
        r"\bslow\w*", r"\bpomal\w*", r"\bsluggish", r"\bdlouho trva", r"\btakes? (?:too )?long",
        r"\bperformance", r"\bvykon\w*",
    ],
    "low": [
        r"\btypo\w*", r"\bpreklep\w*", r"\bquestion\w*", r"\bdotaz\w*", r"\bhow (?:do|can) i\b",
        r"\bjak (?:se|mam|muzu|lze)\b", r"\bfeature request", r"\bnavrh\w*", r"\bwording",
        r"\bcosmetic", r"\bkosmetick\w*", r"\bsuggestion",
    ],
}
_COMPILED = {level: [re.compile(p) for p in pats] for level, pats in CUES.items()}


def fold(text: str) -> str:
    """Lower-case and drop diacritics, keeping one character per character (spans map back)."""
    out = []
    for ch in text.lower():
        base = unicodedata.normalize("NFKD", ch)
        kept = [c for c in base if not unicodedata.combining(c)]
        out.append(kept[0] if len(kept) == 1 else ch)
    return "".join(out)


def find_cue(text: str) -> tuple[str, str] | None:
    """The most severe cue in a text: (severity, the words as written), or None."""
    folded = fold(text or "")
    for level in SEVERITIES:
        best = None
        for pattern in _COMPILED[level]:
            m = pattern.search(folded)
            if m and (best is None or m.start() < best.start()):
                best = m
        if best is not None:
            # A pattern may name the part worth showing (`(?P<cue>down)` in "server is down").
            start, end = best.span("cue") if "cue" in best.re.groupindex else best.span()
            return level, text[start:end].strip()
    return None


def _weighted(similar: Iterable) -> list[tuple[str, float]]:
    """(severity, weight) from severities in rank order or (severity, score) pairs."""
    items = list(similar or [])
    out = []
    for rank, item in enumerate(items):
        if isinstance(item, tuple | list):
            severity, score = item[0], float(item[1] or 0.0)
        elif isinstance(item, dict):
            severity, score = item.get("severity"), float(item.get("score") or 0.0)
        else:
            severity, score = item, 0.0
        if severity not in SEVERITIES:
            continue
        # Scores when the matcher gives them; otherwise the nearer, the heavier.
        weight = score if score > 0 else 1.0 / (1.0 + 0.5 * rank)
        out.append((severity, weight))
    return out


def _tr(message: str, **kwargs) -> str:
    from flask import has_request_context

    if has_request_context():
        from flask_babel import gettext

        return gettext(message, **kwargs)
    return message % kwargs if kwargs else message


def suggest_severity(text: str, similar_severities: Sequence = (), *,
                     subject: str = "") -> tuple[str, str]:
    """Suggest (severity, reason) from the text's cue phrases and the similar tickets' severities.

    similar_severities: severities of the most similar past tickets, best first, or
    (severity, score) pairs. With subject given, cues there are named as in the subject.
    """
    cue, where = None, ""
    if subject and (found := find_cue(subject)):
        cue, where = found, "subject"
    body_cue = find_cue(text or "")
    if body_cue and (cue is None or SEVERITIES.index(body_cue[0]) < SEVERITIES.index(cue[0])):
        cue, where = body_cue, "text"
    votes = {s: 0.0 for s in SEVERITIES}
    reasons = []
    if cue is not None:
        votes[cue[0]] += 1.0
        reasons.append(_tr("‘%(cue)s’ in the subject", cue=cue[1]) if where == "subject"
                       else _tr("‘%(cue)s’ in the text", cue=cue[1]))
    weighted = _weighted(similar_severities)
    if weighted:
        total = sum(w for _s, w in weighted) or 1.0
        for severity, weight in weighted:
            votes[severity] += weight / total
        counts = {s: sum(1 for x, _w in weighted if x == s) for s in SEVERITIES}
        share = {s: sum(w for x, w in weighted if x == s) for s in SEVERITIES}
        top = max(SEVERITIES, key=lambda s: (share[s], -SEVERITIES.index(s)))
        reasons.append(_tr("%(n)s of %(total)s similar tickets were %(severity)s",
                           n=counts[top], total=len(weighted),
                           severity=_tr(SEVERITY_LABELS[top]).lower()))
    if cue is None and not weighted:
        return "normal", _tr("no cue words and no similar tickets; the default")
    # Ties go to the more severe level: underrating an outage costs more than overrating.
    best = max(SEVERITIES, key=lambda s: (round(votes[s], 6), -SEVERITIES.index(s)))
    return best, "; ".join(reasons)
