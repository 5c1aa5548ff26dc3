"""Attachments: content-hash storage, size limit, download headers, text extraction."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from kbdesk.tickets.attachments import (
    content_disposition,
    extract_text,
    sanitize_filename,
)
from kbdesk.tickets.models import Attachment


def upload(client, ticket, data: bytes, name: str, **form):
    return client.post(f"/tickets/{ticket.id}/attachments",
                       data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    root = Path(app.config["DATA_DIR"]) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_stores_by_hash_and_records_event(app, api, users, open_ticket, db):
    ticket = open_ticket()
    data = "2026-03-01 ERROR Připojení k databázi selhalo\n".encode()
    resp = upload(api("specialist"), ticket, data, "../../etc/app.log")
    assert resp.status_code == 201, resp.json
    body = resp.json
    sha = hashlib.sha256(data).hexdigest()
    assert body["sha256"] == sha and body["filename"] == "app.log" and body["size"] == len(data)
    path = Path(app.config["DATA_DIR"]) / "attachments" / sha[:2] / sha
    assert path.read_bytes() == data
    att = db.session.get(Attachment, body["id"])
    assert "Připojení k databázi" in att.text
    db.session.refresh(ticket)
    event = ticket.events[-1]
    assert event.kind == "attachment" and event.data["filename"] == "app.log" and event.public
    # The same content again is stored once.
    assert upload(api("specialist"), ticket, data, "copy.log").status_code == 201
    assert len(stored_files(app)) == 1


def test_size_limit_is_a_clear_413_and_stores_nothing(app, api, users, open_ticket, db):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    ticket = open_ticket()
    resp = upload(api("specialist"), ticket, b"x" * 1001, "big.txt")
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "too_large" and "1000 bytes" in resp.json["error"][
        "message"]
    assert stored_files(app) == [] and db.session.query(Attachment).count() == 0
    db.session.refresh(ticket)
    assert [e.kind for e in ticket.events] == ["created"]
    assert upload(api("specialist"), ticket, b"x" * 1000, "ok.txt").status_code == 201


def test_upload_needs_a_file(api, users, open_ticket):
    ticket = open_ticket()
    resp = api("specialist").post(f"/tickets/{ticket.id}/attachments", data={},
                                  content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.json["error"]["fields"]
    assert upload(api("specialist"), ticket, b"", "empty.txt").status_code == 422


def test_download_headers(api, users, open_ticket):
    ticket = open_ticket()
    payload = b"<html><script>alert(1)</script></html>"
    att = upload(api("specialist"), ticket, payload, "Výpis chyb.html").json
    resp = api("specialist").get(f"/tickets/{ticket.id}/attachments/{att['id']}")
    assert resp.status_code == 200 and resp.data == payload
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''V%C3%BDpis%20chyb.html" in disposition
    assert resp.mimetype == "application/octet-stream"  # never rendered as HTML


def test_internal_attachments_are_staff_only(api, users, open_ticket):
    ticket = open_ticket(actor=users["alice"], channel="portal", customer=None)
    staff = api("specialist")
    internal = upload(staff, ticket, b"db password dump", "notes.txt", internal="true").json
    public = upload(staff, ticket, b"hello", "readme.txt").json
    assert internal["internal"] is True
    alice = api("alice")
    assert alice.get(f"/tickets/{ticket.id}/attachments/{internal['id']}").status_code == 404
    assert alice.get(f"/tickets/{ticket.id}/attachments/{public['id']}").status_code == 200
    assert [a["id"] for a in alice.get(f"/tickets/{ticket.id}/attachments").json] == \
        [public["id"]]
    assert upload(alice, ticket, b"x", "x.txt", internal="true").status_code == 403
    assert upload(alice, ticket, b"x", "mine.txt").status_code == 201


def test_attachment_of_another_ticket_is_404(api, users, open_ticket):
    a, b = open_ticket(), open_ticket(subject="B")
    att = upload(api("specialist"), a, b"data", "a.txt").json
    assert api("specialist").get(f"/tickets/{b.id}/attachments/{att['id']}").status_code == 404


@pytest.mark.parametrize("raw,name,expected", [
    ("Chyba při exportu – řádek 5".encode(), "log.txt", "Chyba při exportu – řádek 5"),
    ("Chyba při exportu – řádek 5".encode("cp1250"), "log.txt", "Chyba při exportu – řádek 5"),
    (b"\xef\xbb\xbfid;name\n1;a\n", "data.csv", "id;name\n1;a\n"),
    (b'{"error": "boom"}', "resp.JSON", '{"error": "boom"}'),
    (b"<r>x</r>", "a.xml", "<r>x</r>"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image.png", ""),
    (b"MZ\x00\x00binary", "fake.log", ""),
])
def test_text_extraction(raw, name, expected):
    assert extract_text(raw, name) == expected


def test_extracted_text_is_capped():
    from kbdesk.tickets.attachments import TEXT_MAX_CHARS

    text = extract_text(b"a" * (TEXT_MAX_CHARS + 10), "big.log")
    assert len(text) == TEXT_MAX_CHARS


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\report.pdf", "report.pdf"),
    ("bad<>:\"|?*name.txt", "bad_name.txt"), ("\x00\x1f", "attachment"), ("..", "attachment"),
    ("Žádost o přístup.docx", "Žádost o přístup.docx"),
])
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_content_disposition_rfc5987():
    value = content_disposition('Účet "2026".pdf')
    assert value.startswith('attachment; filename="Ucet _2026_.pdf"')
    assert value.endswith("filename*=UTF-8''%C3%9A%C4%8Det%20%222026%22.pdf")
