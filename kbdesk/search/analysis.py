"""One analyzer for Czech and English text, used for indexing and querying alike.

Pipeline: words -> lowercase -> fold diacritics -> drop stop words -> stem.
The index does not know a token's language (a query never says, and `zavada` must
find `závada`), so the stemmer is a single function of the folded word: a light
English plural stripper, then a light Czech stemmer (after Dolamic & Savoy:
case endings, possessives, then a normalisation of the stem's last letters).
Running the same function at index and query time is what makes it consistent.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer

# Version numbers stay whole ("2.4.1"); everything else splits into words, so
# "example" finds "www.example.com". No wildcard characters.
WORD_PATTERN = r"\d+(?:\.\d+)+|\w+"

# Letters NFKD does not decompose.
_EXTRA_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})

# Function words only, folded. Kept modest: "down", "off", "error", "chyba" stay
# searchable. Very common words cost the most to rank and narrow nothing in an AND.
STOP_WORDS = frozenset(
    """
    a about after again all also an and any are as at be because been before both but
    by can could did do does each few for from further had has have he her here his how
    i if in into is it its just me more most my no nor not now of on once only or other
    our own same she should so some such than that the their them then there these they
    this those through to too until very was we were what when where which while who
    whom why will with would you your
    aby ale ani ano az bez bude budou by byl byla byli bylo byt ci co do i jak jako je
    jeho jej jeji jejich jen jeste ji jiz jsem jsi jsme jsou jste k kam kde kdo kdyz ke
    ktera ktere kteri ktery kvuli ma mate mezi mi mu muze na nad nam nas ne nebo neni
    nez o od on ona oni ono pak po pod podle pokud pred pres pri pro proc proto protoze
    s se si sve ta tak take tam te tedy ten tento teto tim to tohle toho tom tomto tu
    tuto ty u uz v ve vsak z za ze
    """.split()
)

_MIN_STEM_LEN = 3  # never stem words this short ("vs", "db", "ie")

# Bump when folding, stop words or stemming change: an index built with another
# version then reads as corrupt, and is rebuilt, instead of silently missing words.
ANALYSIS_VERSION = 1


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase and strip diacritics: `Závada` -> `zavada`."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA_FOLD)


def _english_plural(w: str) -> str:
    # Harman's S-stemmer, plus "is" kept (basis, servis): plural forms only, since
    # stronger English stemming disagrees with Czech endings ("dokument"/"dokumentu").
    if w.endswith("ies") and not w.endswith(("eies", "aies")) and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("es") and not w.endswith(("aes", "ees", "oes")) and len(w) > 4:
        return w[:-1]
    if w.endswith("s") and not w.endswith(("us", "ss", "is")) and len(w) > 3:
        return w[:-1]
    return w


# Czech case endings on folded text, longest first, with the minimum word length
# before each group applies (Dolamic & Savoy's light stemmer, as in Lucene's CzechStemmer).
_CASE_ENDINGS = (
    (7, ("atech",)),
    (6, ("etem", "atum")),
    (5, ("ech", "ich", "eho", "emi", "emu", "ete", "eti", "iho", "imi", "imu", "ach",
         "ata", "aty", "ych", "ama", "ami", "ove", "ovi", "ymi")),
    (4, ("em", "es", "im", "um", "at", "am", "os", "us", "ym", "mi", "ou")),
    (3, ("a", "e", "i", "o", "u", "y")),
)


def _czech_case(w: str) -> str:
    for min_len, endings in _CASE_ENDINGS:
        if len(w) > min_len and w.endswith(endings):
            for e in endings:
                if w.endswith(e):
                    return w[: -len(e)]
    return w


def _czech_possessive(w: str) -> str:
    if len(w) > 5 and w.endswith(("ov", "in", "uv")):
        return w[:-2]
    return w


def _czech_normalize(w: str) -> str:
    # Palatalisation (ruka/ruce, noha/noze) and the mobile e (den/dne). The original
    # čt/št rules are left out: after folding they would also rewrite "test", "connect".
    if not w:
        return w
    last = w[-1]
    if last == "c":
        return w[:-1] + "k"
    if last == "z":
        return w[:-1] + "h"
    if len(w) > 1 and w[-2] == "e":
        return w[:-2] + last
    return w


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem a folded word for both languages: `zavadou` -> `zavad`, `backups` -> `backup`."""
    if len(word) < _MIN_STEM_LEN or not word.isalpha():
        return word  # numbers, versions, codes: keep exact
    w = _czech_possessive(_czech_case(_english_plural(word)))
    w = _czech_normalize(w)
    return w if len(w) >= 2 else word


@lru_cache(maxsize=200_000)
def normalize(token: str) -> str:
    """Index form of one raw token, or "" for a stop word."""
    folded = fold(token)
    if folded in STOP_WORDS or (len(folded) < 2 and not folded.isdigit()):
        return ""
    return stem(folded)


class FoldStemTokenizer(Tokenizer):
    """Words -> lowercase -> fold -> stop words -> stem, in one pass (one cached call a word)."""

    is_morph = True

    def __init__(self):
        self.version = ANALYSIS_VERSION  # pickled with the index schema

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        matches = _WORD_RE.finditer(value) if tokenize else [_Whole(value)]
        for pos, m in enumerate(matches):
            word = m.group()
            text = normalize(word)
            if not text:
                if removestops:
                    continue
                t.stopped = True
                text = fold(word)
            else:
                t.stopped = False
            t.text = text
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            yield t


class _Whole:
    # Stands in for a regex match when the caller asks for no tokenizing.
    def __init__(self, value):
        self.value = value

    def group(self):
        return self.value

    def start(self):
        return 0

    def end(self):
        return len(self.value)


_WORD_RE = re.compile(WORD_PATTERN)

ANALYZER = FoldStemTokenizer()


def terms(text: str) -> list[str]:
    """Index terms of a text in order, duplicates kept; the same terms ANALYZER yields."""
    return [t for t in map(normalize, _WORD_RE.findall(text)) if t]


# -- Queries as people type them ------------------------------------------------------

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 12
_FIELD_PREFIX = re.compile(r"^[A-Za-z_]+:")


@dataclass
class ParsedQuery:
    """Index terms to find (with the word as typed, for "did you mean"), and to exclude."""

    words: list[tuple[str, str]]  # (index term, word as typed), de-duplicated, in order
    exclude: list[str]
    any_mode: bool  # the user wrote OR: any word may match


def parse_query(qstring: str) -> ParsedQuery:
    """People's syntax: words (all must match), `-word`/`NOT word` to exclude, `OR`.

    Anything else (quotes, brackets, `field:`, `*`) is read as plain words, so no
    query string can fail; field prefixes are dropped so nobody can aim at a field.
    """
    words: list[tuple[str, str]] = []
    seen: set[str] = set()
    exclude: list[str] = []
    any_mode = negate_next = False
    for chunk in (qstring or "")[:MAX_QUERY_CHARS].split():
        if chunk == "OR":
            any_mode = True
            continue
        if chunk in ("AND", "&&"):
            continue
        if chunk == "NOT":
            negate_next = True
            continue
        negate = negate_next or (chunk.startswith("-") and len(chunk) > 1)
        negate_next = False
        chunk = _FIELD_PREFIX.sub("", chunk.lstrip("-+"))
        for word in _WORD_RE.findall(chunk):
            term = normalize(word)
            if not term:
                continue
            if negate:
                exclude.append(term)
            elif term not in seen and len(words) < MAX_QUERY_TERMS:
                seen.add(term)
                words.append((term, word))
    return ParsedQuery(words, exclude, any_mode)


# -- Snippets -------------------------------------------------------------------------

SNIPPET_CHARS = 220


def highlight(text: str, wanted: set[str], width: int = SNIPPET_CHARS) -> str:
    """HTML snippet: everything escaped, words whose index term is in `wanted` in <mark>."""
    text = " ".join(text.split())
    if not text:
        return ""
    # A stem keeps all but the last two letters of the folded word, so a prefix test
    # skips stemming the words that cannot match (most of them).
    prefixes = tuple({t[:max(1, len(t) - 2)] for t in wanted})
    spans = [m.span() for m in _WORD_RE.finditer(text)
             if fold(m.group()).startswith(prefixes) and normalize(m.group()) in wanted]
    start = 0
    if spans:
        # The window holding the most matches (two pointers over the match starts),
        # with some context before its first match.
        best, count, j = 0, 0, 0
        for i, (s, _) in enumerate(spans):
            while spans[j][0] < s - width + 40:
                j += 1
            if i - j + 1 > count:
                best, count = j, i - j + 1
        start = max(0, min(spans[best][0] - 40, len(text) - width))
        if start:  # begin at a word
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < spans[best][0] else start
    end = min(len(text), start + width)
    if end < len(text):  # end at a word
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out = ["…"] if start else []
    pos = start
    for s, e in spans:
        if s >= start and e <= end:
            out.append(html.escape(text[pos:s]))
            out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
            pos = e
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
