"""One analyzer for Czech and English text, used for indexing and querying alike.

Pipeline: words -> lowercase -> fold diacritics -> drop stop words -> stem.
The index does not know a token's language (a query never says, and `zavada` must
find `závada`), so the stemmer is a single function of the folded word: a light
English plural stripper, then a light Czech stemmer (after Dolamic & Savoy:
case endings, possessives, then a normalisation of the stem's last letters).
Running the same function at index and query time is what makes it consistent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer

# Version numbers stay whole ("2.4.1"); everything else splits into words, so
# "example" finds "www.example.com". No wildcard characters.
WORD_PATTERN = r"\d+(?:\.\d+)+|\w+"

# Letters NFKD does not decompose.
_EXTRA_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})

# Kept small on purpose: high-frequency function words only, folded. Words such as
# "not"/"ne" stay searchable phrases' noise; "error", "chyba" stay meaningful.
STOP_WORDS = frozenset(
    """
    a an and are as at be been but by for from has have if in into is it its of on or
    so such than that the their then there these they this to was were will with
    i you we he she me my our your do does did can could would should
    aby ale ani ano az bude budou by byl byla byli bylo byt ci co do i jak jako je jeho
    jej jeji jejich jen jeste ji jiz jsem jsi jsme jsou jste k kam kde kdo kdyz ke
    ktera ktere kteri ktery ma mate mi mu muze na nad nam nas ne nebo neni nez o od
    on ona oni ono pak po pod pokud pro proc proto protoze pri s se si sve ta tak take
    tam te tedy ten tento teto tim to tohle toho tom tomto tu tuto ty u uz v ve vsak z
    za ze
    """.split()
)

_MIN_STEM_LEN = 3  # never stem words this short ("vs", "db", "ie")


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


class FoldStemFilter(Filter):
    """Lowercase, fold, drop stop words and stem, through one cached call per token."""

    is_morph = True

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            text = normalize(t.text)
            if text:
                t.text = text
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


def make_analyzer():
    """The analyzer for every text field (index and query)."""
    return RegexTokenizer(WORD_PATTERN) | FoldStemFilter()


ANALYZER = make_analyzer()

_WORD_RE = re.compile(WORD_PATTERN)


def terms(text: str) -> list[str]:
    """Index terms of a text, in order, duplicates kept (for queries and highlighting)."""
    out = []
    for m in _WORD_RE.finditer(text):
        t = normalize(m.group())
        if t:
            out.append(t)
    return out
