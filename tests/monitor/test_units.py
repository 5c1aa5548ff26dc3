"""Small parts: targets, status specs, weekly windows across DST, certificate dates, notices."""

from __future__ import annotations

import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from kbdesk.monitor import notices, tlsinfo
from kbdesk.monitor.targets import BadTarget, parse_target, status_expected
from kbdesk.monitor.windows import covers


@pytest.mark.parametrize("kind,text,expected", [
    ("http", "https://shop.example.cz/health?x=1", ("https", "shop.example.cz", 443,
                                                    "/health?x=1")),
    ("http", "http://[::1]:8080", ("http", "::1", 8080, "/")),
    ("tcp", "db.example.cz:5432", ("tcp", "db.example.cz", 5432, "/")),
    ("tcp", "[2001:db8::1]:22", ("tcp", "2001:db8::1", 22, "/")),
    ("tls", "mail.example.cz", ("tls", "mail.example.cz", 443, "/")),
    ("dns", "Example.CZ.", ("dns", "example.cz", 0, "/")),
])
def test_parse_target(kind, text, expected):
    t = parse_target(kind, text)
    assert (t.scheme, t.host, t.port, t.path) == expected


@pytest.mark.parametrize("kind,text", [
    ("http", "shop.example.cz"), ("http", "javascript:alert(1)"), ("http", "http://"),
    ("http", "http://a:b@x.cz/"), ("tcp", "x.cz"), ("tcp", "x.cz:0"), ("tcp", "x.cz:http"),
    ("dns", "1.2.3.4"), ("dns", "bad host"), ("tls", "http://x.cz")])
def test_bad_targets(kind, text):
    with pytest.raises(BadTarget):
        parse_target(kind, text)


def test_status_specs():
    assert status_expected(204, "200-299") and not status_expected(301, "200-299, 302")
    assert status_expected(302, "200-299, 302")
    with pytest.raises(BadTarget):
        status_expected(200, "2xx")


def test_weekly_window_keeps_local_time_across_dst():
    # Sunday 02:00–04:00 Prague time, first set in summer (CEST, UTC+2).
    w = SimpleNamespace(starts_at=datetime(2026, 10, 4, 0, 0, tzinfo=UTC),
                        ends_at=datetime(2026, 10, 4, 2, 0, tzinfo=UTC), weekly=True)
    assert covers(w, datetime(2026, 10, 4, 1, 0, tzinfo=UTC), "Europe/Prague")
    # In winter (CET, UTC+1) 02:30 local is 01:30 UTC.
    assert covers(w, datetime(2026, 11, 1, 1, 30, tzinfo=UTC), "Europe/Prague")
    assert not covers(w, datetime(2026, 11, 1, 0, 30, tzinfo=UTC), "Europe/Prague")
    assert not covers(w, datetime(2026, 11, 2, 1, 30, tzinfo=UTC), "Europe/Prague")
    once = SimpleNamespace(starts_at=w.starts_at, ends_at=w.ends_at, weekly=False)
    assert not covers(once, datetime(2026, 10, 11, 1, 0, tzinfo=UTC), "Europe/Prague")


def test_not_after_reads_real_certificates(certs, tmp_path):
    for name, days in (("good", 365), ("soon", 3)):
        der = ssl.PEM_cert_to_DER_cert(certs[name][0].read_text())
        left = tlsinfo.not_after(der) - datetime.now(UTC)
        assert timedelta(days=days - 1) < left <= timedelta(days=days)
    # A certificate far in the future uses GeneralizedTime.
    cert, key = tmp_path / "far.pem", tmp_path / "far.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "40000", "-subj", "/CN=far"], check=True,
                   capture_output=True)
    assert tlsinfo.not_after(ssl.PEM_cert_to_DER_cert(cert.read_text())).year > 2100
    with pytest.raises(tlsinfo.BadCertificate):
        tlsinfo.not_after(b"\x30\x05\x02\x01")


def test_notice_texts(app):
    with app.app_context():
        ctx = {"app_name": "E-shop", "ticket_number": "2026-000001", "layer": "dns",
               "started": "1. 3. 2026 10:00", "again": False}
        cs_subject, cs_body = notices.render("down", "cs", **ctx)
        en_subject, en_body = notices.render("down", "en", **ctx)
        assert cs_subject == "[#2026-000001] Zjištěn výpadek: E-shop" and "překlad DNS" in cs_body
        assert en_subject == "[#2026-000001] Outage detected: E-shop" and "DNS resolution" in en_body
        assert notices.render("down", "de", **ctx)[0] == cs_subject  # unknown: Czech
    assert notices.duration(3725, "cs") == "1 h 02 min"
    assert notices.duration(420) == "7 min" and notices.duration(45) == "45 s"
    assert notices.when(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), "Europe/Prague", "cs") == \
        "1. 3. 2026 10:00 (CET)"
