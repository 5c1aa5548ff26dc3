"""Header decoding that never raises: RFC 2047 words, raw 8-bit bytes, unknown charsets."""

from __future__ import annotations

import codecs
import re
from email.header import Header, decode_header
from email.utils import getaddresses

_WS = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]{1,300})>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[\w](?:[\w.-]*[\w])?$")
_BRACKETED = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def known_charset(name: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when unknown."""
    if not name:
        return None
    label = name.strip().strip('"').lower()
    # Outlook and others label Czech text with these; the codecs know them by other names.
    label = {"x-cp1250": "cp1250", "windows-1250": "cp1250", "cp-1250": "cp1250",
             "latin2": "iso-8859-2", "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
             "ks_c_5601-1987": "cp949"}.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset; mislabelled or unknown gives replacement marks."""
    codec = known_charset(charset)
    single_byte = codec not in (None, "utf-8", "utf-16", "utf-32", "utf-7", "cp949",
                                "gb2312", "gbk", "gb18030", "big5", "shift_jis", "euc_jp",
                                "iso2022_jp", "euc_kr")
    if codec and single_byte and _is_utf8_text(data):
        # Valid multi-byte UTF-8 almost never occurs in genuine single-byte text:
        # the label is wrong (a common mistake of web forms and scripts).
        codec = "utf-8"
    for candidate in (codec, "utf-8"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec or "utf-8", errors="replace")


def _is_utf8_text(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_text(value, fallback_charset: str | None) -> str:
    """A header as str: raw 8-bit bytes (unknown-8bit) decoded in the message's charset."""
    if isinstance(value, Header):
        out = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                known = None if charset in (None, "unknown-8bit") else charset
                chunk = decode_bytes(chunk, known or fallback_charset)
            out.append(chunk)
        return "".join(out)
    return _unescape(value if isinstance(value, str) else str(value), fallback_charset)


def header_text(value, fallback_charset: str | None = None) -> str:
    """A header value as one clean line of text (CR/LF removed, whitespace collapsed)."""
    if value is None:
        return ""
    value = _as_text(value, fallback_charset)
    try:
        parts = decode_header(value)
    except Exception:  # malformed encoded words: keep the raw value
        parts = [(value, None)]
    out: list[str] = []
    previous = None
    for chunk, charset in parts:
        if isinstance(chunk, str):
            piece, encoded = chunk, False
        elif charset is None:
            # decode_header hands unencoded runs back as raw-unicode-escape bytes.
            piece, encoded = chunk.decode("raw-unicode-escape", errors="replace"), False
        else:
            piece, encoded = decode_bytes(chunk, charset), True
        # decode_header drops the space between plain text and an encoded word.
        if previous is not None and previous != encoded and out and piece \
                and not out[-1][-1:].isspace() and not piece[:1].isspace():
            out.append(" ")
        out.append(piece)
        previous = encoded
    return one_line("".join(out)) or one_line(value)


def _unescape(text: str, fallback_charset: str | None) -> str:
    # Raw 8-bit header bytes arrive as surrogate escapes from the bytes parser.
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("utf-8", "surrogateescape"), fallback_charset)
    return text


def one_line(text: str) -> str:
    """Collapse CR, LF and runs of whitespace: safe for headers and one-line fields."""
    return _WS.sub(" ", text.replace("\x00", "")).strip()


def message_ids(value) -> list[str]:
    """The <id> tokens of a Message-ID, In-Reply-To or References header, in order."""
    if not value:
        return []
    text = str(value)
    found = _MSGID.findall(text)
    if not found and text.strip() and " " not in text.strip():
        found = [text.strip().strip("<>")]
    return [f for f in found if f][:100]


def ids_header(msg, name: str) -> str:
    """A Message-ID/In-Reply-To/References header as text (some senders encode long ids)."""
    value = msg.get(name)
    if value is None:
        return ""
    return header_text(value) if "=?" in str(value) else str(value)


def first_address(value, fallback_charset: str | None = None) -> tuple[str, str]:
    """(display name, lower-case address) of the first address in a header; blanks if none."""
    if not value:
        return "", ""
    text = _as_text(value, fallback_charset)
    try:
        pairs = getaddresses([text])
    except Exception:  # a mangled header is not a reason to fail intake
        pairs = []
    for name, addr in pairs:
        addr = one_line(addr).strip("<>").lower()
        if _ADDRESS.match(addr):
            return header_text(name, fallback_charset)[:200], addr[:254]
    # Encoded words hiding ':' or quotes confuse the parser: the last <addr> is the address.
    found = _BRACKETED.findall(text)
    if found and _ADDRESS.match(found[-1].lower()):
        name = text[:text.rfind("<" + found[-1])].strip().strip('"')
        return header_text(name, fallback_charset)[:200], found[-1].lower()[:254]
    return "", ""


def domain_of(address: str) -> str:
    """The domain part of an address, lower-case."""
    return address.rpartition("@")[2].strip().lower().rstrip(".")
