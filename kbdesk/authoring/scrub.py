"""Finding personal data in ticket text and replacing it with placeholders (pure functions).

`scrub(text, context)` finds e-mail addresses, phone numbers, IPv4/IPv6 addresses, the
customer's host names and people's names, and returns the scrubbed text with every
replacement (kind, original, placeholder, start, end) so an author can review each one and
keep the original where it is not personal after all (`apply(text, found, keep)`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field

PLACEHOLDERS = {"email": "[e-mail]", "phone": "[phone]", "ip": "[IP address]",
                "host": "[host]", "name": "[name]", "customer": "[customer]"}
# The article's language decides the placeholders' words.
PLACEHOLDERS_BY_LANGUAGE = {
    "en": PLACEHOLDERS,
    "cs": {"email": "[e-mail]", "phone": "[telefon]", "ip": "[IP adresa]", "host": "[server]",
           "name": "[jméno]", "customer": "[zákazník]"},
}
# When two finds overlap at the same start, the longer wins; then this order decides.
PRIORITY = ("email", "ip", "host", "phone", "customer", "name")
# Legal forms after a company name; "Alfa" alone names the company as well as "Alfa s.r.o.".
LEGAL_FORMS = re.compile(r"[\s,]+(?:s\.\s?r\.\s?o\.|spol\.\s?s\s?r\.\s?o\.|a\.\s?s\.|"
                         r"v\.\s?o\.\s?s\.|k\.\s?s\.|z\.\s?s\.|ltd\.?|inc\.?|gmbh|llc|plc|ag|se)"
                         r"\s*$", re.IGNORECASE)

EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                      r"\.[A-Za-z]{2,}(?![\w-])")
# International: +CC or 00CC, then groups of digits split by spaces, dots, dashes, brackets.
INTL_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .\-/]?(?:\(\d{1,4}\)|\d{1,4})){2,6}"
                           r"(?![\w])")
# Czech national numbers: nine digits as 3-3-3 (or 3 3 3 with dashes), first digit 2-9.
CZ_PHONE_RE = re.compile(r"(?<![\w.+-])[2-9]\d{2}[ \-]\d{3}[ \-]\d{3}(?![\w]|[.\-]\d)")
IPV4_RE = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                     r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:/\d{1,2})?(?![\w]|\.\d)")
# Candidates only; ipaddress decides (so times like 10:30:00 are not addresses).
IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|"
                     r"[0-9A-Fa-f]{1,4})?(?:%[\w.]+)?(?:/\d{1,3})?(?![\w:]|\.\d)")
# Czech nouns change their ending with the case: Novák, Nováka, Novákovi, Novákem.
NAME_ENDINGS = r"(?:ovou|ová|ové|ovi|ého|ému|ým|em|ou|ům|a|á|e|é|ě|u|y|ý|i|í|o)?"
NAME_VOWELS = "aáeéěiíoyýu"
# Academic titles and particles are not names on their own.
NOT_NAMES = {"ing", "mgr", "bc", "phd", "rndr", "judr", "mudr", "doc", "prof", "van", "von",
             "de", "der", "mr", "mrs", "ms", "dr", "pan", "paní"}


@dataclass(frozen=True)
class Replacement:
    """One piece of personal data found in the text."""

    kind: str
    original: str
    placeholder: str
    start: int
    end: int

    def as_dict(self) -> dict:
        """A plain dict (the API shape)."""
        return asdict(self)


@dataclass
class Context:
    """What is personal for one customer: people's names, host names, e-mail/web domains,
    and the customer's own name."""

    names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    language: str = "en"


@dataclass
class Scrubbed:
    """The scrubbed text and what was replaced in the original."""

    text: str
    original: str
    replacements: list[Replacement]


def _finds(kind: str, regex: re.Pattern, text: str, check=None) -> list[tuple]:
    out = []
    for m in regex.finditer(text):
        if check is None or check(m.group(0)):
            out.append((m.start(), m.end(), kind))
    return out


def _is_ipv6(candidate: str) -> bool:
    core = candidate.split("/")[0].split("%")[0]
    if core.count(":") < 2 or not any(ch.isdigit() for ch in core):
        return False
    try:
        return ipaddress.ip_address(core).version == 6
    except ValueError:
        return False


def _phone_digits_ok(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    return 8 <= digits <= 15


def _host_regex(hosts: list[str], domains: list[str]) -> re.Pattern | None:
    parts = [re.escape(h.lower().rstrip(".")) for h in hosts if h and "." in h]
    # Any name under one of the customer's own domains is its host (intranet.alfa.cz).
    parts += [r"(?:[a-z0-9-]+\.)*" + re.escape(d.lower().strip(".")) for d in domains
              if d and "." in d]
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<![\w.@-])(?:" + "|".join(parts) + r")(?![\w-]|\.[\w-])", re.IGNORECASE)


def _name_regexes(names: list[str]) -> list[re.Pattern]:
    out: list[re.Pattern] = []
    full, stems = set(), set()
    for name in names:
        if "@" in (name or ""):
            continue
        words = [w.strip(".,") for w in re.split(r"\s+", (name or "").strip())]
        words = [w for w in words if len(w) >= 2 and w.lower() not in NOT_NAMES]
        if len(words) > 1:
            full.add(r"\s+".join(re.escape(w) for w in words))
        for w in words:
            # The stem without a final vowel: Malá -> Mal, which Malé, Malou also share.
            stem = w[:-1] if w[-1].lower() in NAME_VOWELS and len(w) > 3 else w
            if len(stem) >= 3 and w.isalpha():
                stems.add(stem)
    if full:
        out.append(re.compile(r"(?<!\w)(?:" + "|".join(sorted(full, key=len, reverse=True))
                              + r")" + NAME_ENDINGS + r"(?!\w)", re.IGNORECASE))
    for stem in sorted(stems, key=len, reverse=True):
        # A single word only when capitalised as a name: "malý" stays, "Malý" goes.
        cap = stem[0].upper() + stem[1:]
        out.append(re.compile(r"(?<!\w)(?:" + re.escape(cap) + "|" + re.escape(stem.upper())
                              + r")" + NAME_ENDINGS + r"(?!\w)"))
    return out


def _company_regex(companies: list[str]) -> re.Pattern | None:
    forms: set[str] = set()
    for company in companies:
        company = (company or "").strip()
        short = LEGAL_FORMS.sub("", company).strip()
        forms.update(f for f in (company, short) if len(f) >= 3)
    if not forms:
        return None
    alts = [r"\s+".join(re.escape(w) for w in f.split()) for f in forms]
    alts.sort(key=len, reverse=True)
    return re.compile(r"(?<![\w.@-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def find(text: str, context: Context | None = None) -> list[Replacement]:
    """Every piece of personal data in text, in order, never overlapping."""
    context = context or Context()
    spans: list[tuple] = []
    spans += _finds("email", EMAIL_RE, text)
    spans += _finds("ip", IPV4_RE, text)
    spans += _finds("ip", IPV6_RE, text, _is_ipv6)
    spans += _finds("phone", INTL_PHONE_RE, text, _phone_digits_ok)
    spans += _finds("phone", CZ_PHONE_RE, text)
    if (hosts := _host_regex(context.hosts, context.domains)) is not None:
        spans += _finds("host", hosts, text)
    if (companies := _company_regex(context.companies)) is not None:
        spans += _finds("customer", companies, text)
    for regex in _name_regexes(context.names):
        spans += _finds("name", regex, text)
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0]), PRIORITY.index(s[2])))
    chosen: list[Replacement] = []
    end = -1
    words = PLACEHOLDERS_BY_LANGUAGE.get(context.language, PLACEHOLDERS)
    for start, stop, kind in spans:
        if start < end:
            continue
        chosen.append(Replacement(kind, text[start:stop], words[kind], start, stop))
        end = stop
    return chosen


def apply(text: str, replacements: list[Replacement], keep=()) -> str:
    """The text with each replacement applied, except those whose index is in keep."""
    keep = set(keep)
    out, pos = [], 0
    for i, r in enumerate(replacements):
        out.append(text[pos:r.start])
        out.append(r.original if i in keep else r.placeholder)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def scrub(text: str, context: Context | None = None, keep=()) -> Scrubbed:
    """Scrub text; keep holds indexes of replacements the author chose not to make."""
    found = find(text, context)
    return Scrubbed(apply(text, found, keep), text, found)


def leftovers(text: str, context: Context | None = None, allowed=()) -> list[Replacement]:
    """Personal data still in a text, except the originals the author chose to keep."""
    allowed = {a.lower() for a in allowed}
    return [r for r in find(text, context) if r.original.lower() not in allowed]
