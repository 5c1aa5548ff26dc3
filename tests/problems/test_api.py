"""The problems API: staff only, validation, ticket links, release planning, proposals."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.problems.models import Problem, ProblemEvent
from kbdesk.releases import services as releases
from kbdesk.releases.models import ReleaseTicket
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import TicketEvent
from tests.problems.conftest import bearer


def _staff(make, users):
    return bearer(make.token(users["specialist"]))


def test_create_link_and_read_a_problem(client, db, users, make, portal):
    staff = _staff(make, users)
    t = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    db.session.commit()
    resp = client.post("/api/v1/problems", headers=staff, json={
        "title": "Export hangs on big invoices", "application_id": portal.id,
        "workaround": "Export **per month**. <script>alert(1)</script>"})
    assert resp.status_code == 201, resp.get_json()
    p = resp.get_json()
    assert p["status"] == "open" and p["number"] == f"P-{p['id']}"
    assert "<strong>per month</strong>" in p["workaround_html"]
    assert "<script" not in p["workaround_html"]
    linked = client.post(f"/api/v1/problems/{p['id']}/tickets", headers=staff,
                         json={"ticket_id": t.number})
    assert linked.status_code == 201, linked.get_json()
    assert [x["id"] for x in linked.get_json()["tickets"]] == [t.id]
    again = client.post(f"/api/v1/problems/{p['id']}/tickets", headers=staff,
                        json={"ticket_id": t.id})
    assert again.status_code == 409
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                                        TicketEvent.kind == "problem_linked"))
    assert event is not None and event.public is False and event.data["problem_id"] == p["id"]
    on_ticket = client.get(f"/api/v1/tickets/{t.id}/problems", headers=staff).get_json()
    assert [x["id"] for x in on_ticket["items"]] == [p["id"]]
    listed = client.get("/api/v1/problems?status=open", headers=staff).get_json()
    assert listed["total"] == 1 and listed["items"][0]["ticket_count"] == 1
    assert client.get("/api/v1/problems?status=proposed", headers=staff).get_json()["total"] == 0
    gone = client.delete(f"/api/v1/problems/{p['id']}/tickets/{t.id}", headers=staff)
    assert gone.status_code == 200 and gone.get_json()["tickets"] == []
    assert client.delete(f"/api/v1/problems/{p['id']}/tickets/{t.id}",
                         headers=staff).status_code == 404
    kinds = [e["kind"] for e in client.get(f"/api/v1/problems/{p['id']}",
                                           headers=staff).get_json()["history"]]
    assert kinds == ["created", "ticket_linked", "ticket_unlinked"]


def test_bad_input_is_422_and_changes_nothing(client, db, users, make, portal):
    staff = _staff(make, users)
    for body, field in [({}, "title"), ({"title": "x", "status": "fixed"}, "status"),
                        ({"title": "x", "release_id": 999}, "release_id"),
                        ({"title": "x", "application_id": "abc"}, "application_id"),
                        ({"title": "x" * 301}, "title")]:
        resp = client.post("/api/v1/problems", headers=staff, json=body)
        assert resp.status_code == 422, body
        assert field in resp.get_json()["error"]["fields"], resp.get_json()
    assert db.session.scalar(select(Problem.id)) is None
    p = client.post("/api/v1/problems", headers=staff, json={"title": "Real"}).get_json()
    bad = client.patch(f"/api/v1/problems/{p['id']}", headers=staff,
                       json={"title": "Changed", "status": "proposed"})
    assert bad.status_code == 422
    assert client.get(f"/api/v1/problems/{p['id']}", headers=staff).get_json()["title"] == "Real"
    assert client.post(f"/api/v1/problems/{p['id']}/tickets", headers=staff,
                       json={}).status_code == 422


def test_customers_never_see_problems(client, db, users, make):
    staff = _staff(make, users)
    own = tickets.open_ticket(users["alice"], {"subject": "Mine"}, channel="portal")
    other = tickets.open_ticket(users["bob"], {"subject": "Theirs"}, channel="portal")
    db.session.commit()
    p = client.post("/api/v1/problems", headers=staff,
                    json={"title": "Internal", "root_cause": "secret cause"}).get_json()
    client.post(f"/api/v1/problems/{p['id']}/tickets", headers=staff, json={"ticket_id": own.id})
    alice = bearer(make.token(users["alice"]))
    assert client.get("/api/v1/problems", headers=alice).status_code == 403
    assert client.post("/api/v1/problems", headers=alice, json={"title": "x"}).status_code == 403
    assert client.post("/api/v1/problems/propose", headers=alice).status_code == 403
    for method, url in [("get", f"/api/v1/problems/{p['id']}"),
                        ("patch", f"/api/v1/problems/{p['id']}"),
                        ("post", f"/api/v1/problems/{p['id']}/accept"),
                        ("post", f"/api/v1/problems/{p['id']}/reject"),
                        ("post", f"/api/v1/problems/{p['id']}/tickets"),
                        ("delete", f"/api/v1/problems/{p['id']}/tickets/{own.id}"),
                        ("get", f"/api/v1/tickets/{other.id}/problems")]:
        resp = getattr(client, method)(url, headers=alice, json={"ticket_id": own.id})
        assert resp.status_code == 404, (method, url, resp.status_code)
        assert "secret" not in resp.get_data(as_text=True)
    assert client.get(f"/api/v1/tickets/{own.id}/problems", headers=alice).status_code == 403
    assert "secret" not in client.get(f"/api/v1/tickets/{own.id}", headers=alice).get_data(
        as_text=True)
    assert db.session.get(Problem, p["id"]).status == "open"


def test_fix_release_plans_linked_tickets_and_shows_fixed_in(client, db, users, make, portal):
    staff = _staff(make, users)
    mine = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    beta = tickets.open_ticket(users["bob"], {"subject": "Export hangs too"}, channel="portal")
    release = releases.create_release(users["admin"], portal.id, {"version": "3.1"})
    db.session.commit()
    p = client.post("/api/v1/problems", headers=staff, json={"title": "Export"}).get_json()
    for t in (mine, beta):
        client.post(f"/api/v1/problems/{p['id']}/tickets", headers=staff, json={"ticket_id": t.id})
    resp = client.patch(f"/api/v1/problems/{p['id']}", headers=staff,
                        json={"release_id": release.id, "status": "known_error"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["release"]["version"] == "3.1" and resp.get_json()["fixed_in"] is None
    planned = set(db.session.scalars(select(ReleaseTicket.ticket_id).where(
        ReleaseTicket.release_id == release.id)))
    assert planned == {mine.id}  # the other customer's ticket cannot be in alfa's release
    # the customer sees the plan through the existing release display
    assert client.get(f"/api/v1/releases/{release.id}",
                      headers=bearer(make.token(users["alice"]))).get_json()["tickets"][0][
        "number"] == mine.number
    releases.update_release(users["admin"], release.id, {"state": "released"})
    db.session.commit()
    shipped = client.get(f"/api/v1/problems/{p['id']}", headers=staff).get_json()
    assert shipped["fixed_in"] == "3.1" and shipped["status"] == "fixed"
    kinds = list(db.session.scalars(select(ProblemEvent.kind).where(
        ProblemEvent.problem_id == p["id"])))
    assert "release" in kinds and "status" in kinds


def test_propose_accept_and_reject_through_the_api(client, db, users, make, open_similar):
    staff = _staff(make, users)
    open_similar(3)
    resp = client.post("/api/v1/problems/propose", headers=staff)
    assert resp.status_code == 200
    items = resp.get_json()["items"]
    assert len(items) == 1 and items[0]["status"] == "proposed" and len(items[0]["tickets"]) == 3
    pid = items[0]["id"]
    bad = client.post(f"/api/v1/problems/{pid}/accept", headers=staff, json={"title": ""})
    assert bad.status_code == 422
    ok = client.post(f"/api/v1/problems/{pid}/accept", headers=staff,
                     json={"title": "PDF export timeouts"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "open"
    assert ok.get_json()["title"] == "PDF export timeouts"
    assert client.post(f"/api/v1/problems/{pid}/accept", headers=staff).status_code == 409
    assert client.post(f"/api/v1/problems/{pid}/reject", headers=staff).get_json()[
        "status"] == "rejected"
    assert client.post(f"/api/v1/problems/{pid}/reject", headers=staff).status_code == 409
    assert client.post("/api/v1/problems/propose", headers=staff).get_json()["items"] == []


def test_list_pages_and_rejects_an_unknown_status(client, db, users, make):
    staff = _staff(make, users)
    for title in ("First", "Second", "Third"):
        client.post("/api/v1/problems", headers=staff, json={"title": title})
    first = client.get("/api/v1/problems?limit=2", headers=staff).get_json()
    assert first["total"] == 3 and [p["title"] for p in first["items"]] == ["Third", "Second"]
    rest = client.get("/api/v1/problems?limit=2&offset=2", headers=staff).get_json()
    assert [p["title"] for p in rest["items"]] == ["First"]
    bad = client.get("/api/v1/problems?status=solved", headers=staff)
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
