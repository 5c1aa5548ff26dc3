"""The tickets API: create, list, change, messages, links, merge, events, permissions."""

from __future__ import annotations

from kbdesk.tickets import services
from kbdesk.tickets.models import Ticket


def test_create_answers_201_with_matches_and_suggestion(api, users, db):
    resp = api("specialist").post("/tickets", json={
        "customer": "alfa", "subject": "Výpadek portálu", "description": "Nikdo se nepřihlásí.",
        "contact": None})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["number"].endswith("-000001") and body["status"] == "new"
    assert body["severity"] == "normal" and body["customer"] == "alfa"
    assert body["suggested_severity"]["severity"] == "critical"
    assert "Výpadek" in body["suggested_severity"]["reason"]
    assert set(body["similar"]) == {"tickets", "articles", "notes"}
    ticket = db.session.get(Ticket, body["id"])
    assert ticket.channel == "api" and [e.kind for e in ticket.events] == ["created"]


def test_create_validates_and_changes_nothing(api, users, db):
    resp = api("specialist").post("/tickets", json={"customer": "nope", "subject": ""})
    assert resp.status_code == 422
    assert set(resp.json["error"]["fields"]) >= {"subject", "customer"}
    resp = api("specialist").post("/tickets", json={"customer": "alfa", "subject": "x",
                                                     "severity": "apocalyptic"})
    assert resp.status_code == 422 and "severity" in resp.json["error"]["fields"]
    assert db.session.query(Ticket).count() == 0


def test_customer_token_files_for_own_customer(api, users, db):
    resp = api("alice").post("/tickets", json={"subject": "Export is slow"})
    assert resp.status_code == 201
    assert resp.json["customer"] == "alfa" and "watchers" not in resp.json
    resp = api("alice").post("/tickets", json={"subject": "x", "customer": "beta"})
    assert resp.status_code == 422


def test_list_filters(api, users, open_ticket):
    spec = users["specialist"]
    a = open_ticket(subject="Printer jam", severity="low")
    b = open_ticket(subject="Portal down", severity="critical")
    open_ticket(customer="beta", subject="Beta thing")
    services.update_ticket(spec, b.id, {"assignee": spec.email, "status": "open"})
    from kbdesk.extensions import db
    db.session.commit()
    client = api("specialist")
    numbers = lambda r: [t["number"] for t in r.json["items"]]  # noqa: E731
    assert client.get("/tickets").json["total"] == 3
    assert numbers(client.get("/tickets?customer=alfa&severity=critical")) == [b.number]
    assert numbers(client.get("/tickets?status=new&customer=alfa")) == [a.number]
    assert numbers(client.get(f"/tickets?assignee={spec.email}")) == [b.number]
    assert numbers(client.get("/tickets?q=printer")) == [a.number]
    page = client.get("/tickets?limit=1&offset=0").json
    assert page["total"] == 3 and len(page["items"]) == 1 and page["next"]
    assert client.get("/tickets?limit=0").status_code == 422


def test_get_and_patch(api, users, open_ticket):
    ticket = open_ticket()
    client = api("specialist")
    assert client.get(f"/tickets/{ticket.id}").json["number"] == ticket.number
    resp = client.patch(f"/tickets/{ticket.id}", json={
        "status": "open", "severity": "high", "assignee": users["developer"].email,
        "subject": "Portal login fails"})
    assert resp.status_code == 200, resp.json
    assert resp.json["assignee"]["name"] == "Dev" and resp.json["severity"] == "high"
    events = client.get(f"/tickets/{ticket.id}/events").json["items"]
    assert [e["kind"] for e in events] == ["created", "status", "severity", "subject",
                                           "assignee"]
    assert client.patch(f"/tickets/{ticket.id}", json={"status": "exploded"}).status_code == 422
    assert client.get("/tickets/999999").status_code == 404


def test_messages_and_internal_notes(api, users, open_ticket):
    ticket = open_ticket()
    staff = api("specialist")
    resp = staff.post(f"/tickets/{ticket.id}/messages", json={"body": "We are on it."})
    assert resp.status_code == 201 and not resp.json["internal"]
    resp = staff.post(f"/tickets/{ticket.id}/messages", json={"body": "Secret cause",
                                                              "internal": True})
    assert resp.status_code == 201 and resp.json["internal"]
    assert staff.post(f"/tickets/{ticket.id}/messages", json={"body": " "}).status_code == 422
    assert staff.get(f"/tickets/{ticket.id}/messages").json["total"] == 2
    alice = api("alice")
    msgs = alice.get(f"/tickets/{ticket.id}/messages").json["items"]
    assert [m["body"] for m in msgs] == ["We are on it."]
    events = alice.get(f"/tickets/{ticket.id}/events").json["items"]
    assert all(e["public"] for e in events) and len(events) < len(
        staff.get(f"/tickets/{ticket.id}/events").json["items"])
    resp = alice.post(f"/tickets/{ticket.id}/messages", json={"body": "psst", "internal": True})
    assert resp.status_code == 403
    resp = alice.post(f"/tickets/{ticket.id}/messages", json={"body": "Thanks!"})
    assert resp.status_code == 201


def test_customer_may_not_triage_link_or_merge(api, users, open_ticket):
    ticket = open_ticket(actor=users["alice"], channel="portal", customer=None)
    other = open_ticket(actor=users["alice"], channel="portal", customer=None, subject="Other")
    alice = api("alice")
    assert alice.get(f"/tickets/{ticket.id}").status_code == 200
    for data in ({"severity": "critical"}, {"assignee": users["developer"].email},
                 {"team": "1"}, {"subject": "mine now"}):
        assert alice.patch(f"/tickets/{ticket.id}", json=data).status_code == 403
    assert alice.patch(f"/tickets/{ticket.id}", json={"status": "closed"}).status_code == 200
    assert alice.post(f"/tickets/{ticket.id}/links", json={
        "kind": "related_to", "target": other.number}).status_code == 403
    assert alice.post(f"/tickets/{ticket.id}/merge",
                      json={"target": other.number}).status_code == 403
    assert alice.post(f"/tickets/{ticket.id}/visits", json={}).status_code == 403


def test_links_and_merge_api(api, users, open_ticket, db):
    a, b, c = open_ticket(), open_ticket(subject="B"), open_ticket(subject="C")
    staff = api("specialist")
    resp = staff.post(f"/tickets/{a.id}/links", json={"kind": "duplicate_of",
                                                      "target": b.number})
    assert resp.status_code == 201 and resp.json["number"] == b.number
    assert staff.post(f"/tickets/{a.id}/links", json={"kind": "duplicate_of",
                                                      "target": b.id}).status_code == 409
    assert staff.post(f"/tickets/{a.id}/links", json={"kind": "related_to",
                                                      "target": a.id}).status_code == 422
    assert [link["kind"] for link in staff.get(f"/tickets/{b.id}/links").json] == \
        ["has_duplicate"]
    staff.post(f"/tickets/{c.id}/messages", json={"body": "hello from C"})
    resp = staff.post(f"/tickets/{c.id}/merge", json={"target": a.number})
    assert resp.status_code == 200 and resp.json["number"] == a.number
    merged = staff.get(f"/tickets/{c.id}").json
    assert merged["merged_into"]["number"] == a.number and merged["status"] == "closed"
    assert [m["body"] for m in staff.get(f"/tickets/{a.id}/messages").json["items"]] == \
        ["hello from C"]
    assert staff.post(f"/tickets/{c.id}/merge", json={"target": b.number}).status_code == 409
    # A late reply on the merged ticket lands on the survivor.
    late = staff.post(f"/tickets/{c.id}/messages", json={"body": "late reply"})
    assert late.status_code == 201 and late.json["ticket"] == a.id


def test_similar_endpoint_uses_matching_adapter(api, users, open_ticket, monkeypatch):
    from kbdesk.tickets import similar

    target = open_ticket(subject="Login page crashes")
    foreign = open_ticket(customer="beta", subject="Login page crashes")
    ticket = open_ticket(subject="Login page crashes again")

    def fake(actor, t):
        return {"tickets": [
            {"id": target.id, "kind": "ticket", "title": target.subject, "url": "/x",
             "score": 3.2, "reasons": ["login", "crash"], "severity": "critical"},
            {"id": foreign.id, "kind": "ticket", "title": foreign.subject, "url": "/y",
             "score": 3.0, "reasons": ["login"], "severity": "critical"}],
            "articles": [], "notes": []}

    monkeypatch.setattr(similar, "_matcher", lambda: fake)
    staff = api("specialist").get(f"/tickets/{ticket.id}/similar").json
    ids = [i["id"] for i in staff["similar"]["tickets"]]
    assert ids == [target.id, foreign.id]
    first = staff["similar"]["tickets"][0]
    assert first["status"] == "new" and first["possible_duplicate"] is True
    assert staff["similar"]["tickets"][1]["possible_duplicate"] is False  # other customer
    assert staff["suggested_severity"]["severity"] == "critical"
    assert "2 of 2 similar tickets were critical" in staff["suggested_severity"]["reason"]


def test_openapi_documents_ticket_routes(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}" in doc["paths"]
    assert {"Ticket", "TicketCreated", "Match"} <= set(doc["components"]["schemas"])


def test_similar_adapter_degrades_to_empty_lists(api, users, open_ticket, monkeypatch,
                                                  client, auth):
    from kbdesk.tickets import similar

    ticket = open_ticket()
    monkeypatch.setattr(similar, "_matcher", lambda: None)  # matching not installed
    body = api("specialist").get(f"/tickets/{ticket.id}/similar").json
    assert body["similar"] == {"tickets": [], "articles": [], "notes": []}

    def broken(actor, t):
        raise RuntimeError("index gone")

    monkeypatch.setattr(similar, "_matcher", lambda: broken)
    assert api("specialist").get(f"/tickets/{ticket.id}/similar").status_code == 200
    auth.login("spec@kbdesk.test")
    assert client.get(f"/tickets/{ticket.number}").status_code == 200


def test_customer_matches_hide_what_it_may_not_read(api, users, open_ticket, monkeypatch):
    from kbdesk.tickets import similar

    mine = open_ticket(actor=users["alice"], channel="portal", customer=None)
    foreign = open_ticket(customer="beta", subject="Beta's")
    monkeypatch.setattr(similar, "_matcher", lambda: lambda actor, t: {
        "tickets": [{"id": foreign.id, "title": "Beta's"}], "articles": [],
        "notes": [{"id": 999, "kind": "config", "title": "Beta VPN password"}]})
    body = api("alice").get(f"/tickets/{mine.id}/similar").json
    assert body["similar"] == {"tickets": [], "articles": [], "notes": []}
