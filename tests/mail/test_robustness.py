"""Mail no one here wrote: mutated and truncated fixtures never crash parsing or intake."""

from __future__ import annotations

import random

import pytest

from kbdesk.mail.parse import parse_mail
from kbdesk.mail.quotes import strip_quoted
from tests.mail.support import all_fixtures, fixture_bytes, inbound

NASTY = [
    b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
    b"Content-Type: multipart/alternative\r\n\r\nno boundary parameter at all\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nFrom: x\r\n\r\nhi",
    b"From: =?utf-8?q?=?= <>\r\nSubject: =?utf-8?b?====?=\r\n\r\nbody",
    b"From: <<<@@@>>>\r\nTo: ,,,,\r\nIn-Reply-To: <<<>>>\r\nReferences: " + b"<a@b> " * 5000 + b"\r\n\r\nx",
    b"Content-Type: text/plain; charset=\"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%%",
    b"Content-Type: text/plain; charset*=bogus''%FF%FE\r\n\r\n\xff\xfe\x00\x01",
    b"Content-Disposition: attachment; filename*0*=utf-8''%C3; filename*1*=%A9; filename*2=\"\"\r\n"
    b"Content-Type: application/octet-stream\r\n\r\ndata",
    b"Subject: " + "Ř".encode() * 3000 + b"\r\n\r\n" + b"x" * 10,
    b"\x00\x00\x00\x00",
    b"\r\n\r\n\r\n",
    b"Content-Type: text/html\r\n\r\n<" * 2000,
]


@pytest.mark.parametrize("raw", NASTY)
def test_nasty_inputs_parse(raw):
    parsed = parse_mail(raw, max_attachment_bytes=1_000_000)
    assert isinstance(parsed.text, str)


def test_mutated_fixtures_never_crash_the_parser():
    rng = random.Random(20260115)
    names = all_fixtures()
    for i in range(400):
        raw = bytearray(fixture_bytes(names[i % len(names)]))
        if len(raw) > 200_000:
            raw = raw[:200_000]
        for _ in range(rng.randint(1, 20)):
            pos = rng.randrange(len(raw))
            op = rng.random()
            if op < 0.4:
                raw[pos] = rng.randrange(256)
            elif op < 0.7:
                del raw[pos:pos + rng.randint(1, 200)]
            else:
                raw[pos:pos] = rng.choice([b"\r\n", b"--", b"=?", b"?=", b";", b"\x00", b"\r\n\r\n"])
        if rng.random() < 0.3:
            raw = raw[: rng.randrange(len(raw) or 1)]
        parsed = parse_mail(bytes(raw), max_attachment_bytes=100_000)
        assert isinstance(parsed.subject, str) and isinstance(parsed.text, str)
        strip_quoted(parsed.text)


def test_mutated_mail_goes_through_intake(ingest, db):
    rng = random.Random(7)
    for name in all_fixtures()[:12]:
        raw = bytearray(fixture_bytes(name))
        for _ in range(10):
            pos = rng.randrange(len(raw))
            raw[pos:pos + 5] = bytes(rng.randrange(256) for _ in range(5))
        assert ingest(bytes(raw)).exit_code == 0
    assert all(m.state in ("parsed", "ignored") for m in inbound()), [m.error for m in inbound()]
