"""Staff pages: queues, the ticket page and its forms, new-ticket and phone-call forms."""

from __future__ import annotations

import io

from sqlalchemy import select

from kbdesk.customers.models import Contact
from kbdesk.tickets import services
from kbdesk.tickets.models import Ticket
from tests.conftest import csrf_from


def page(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def test_queues_and_filters(client, auth, users, open_ticket, db, make):
    spec = users["specialist"]
    team = make.Team(name="Support", members=[spec])
    mine = open_ticket(subject="Mine: export broken", severity="high")
    services.update_ticket(spec, mine.id, {"assignee": spec.id, "status": "open"})
    teams = open_ticket(subject="Team ticket", severity="low")
    services.update_ticket(spec, teams.id, {"team": team.id, "assignee": users["developer"].id})
    loose = open_ticket(subject="Nobody's printer", severity="critical")
    beta = open_ticket(customer="beta", subject="Beta invoice question", severity="low")
    closed = open_ticket(subject="Old closed one")
    services.update_ticket(spec, closed.id, {"status": "closed"})
    db.session.commit()
    auth.login("spec@kbdesk.test")

    def listed(url):
        html = page(client, url)
        return {t.number for t in (mine, teams, loose, beta, closed) if t.number in html}

    assert listed("/tickets/?queue=mine") == {mine.number}
    assert listed("/tickets/?queue=team") == {teams.number}
    assert listed("/tickets/?queue=unassigned") == {loose.number, beta.number}
    assert listed("/tickets/?queue=open") == {mine.number, teams.number, loose.number,
                                               beta.number}
    assert listed("/tickets/?queue=all") == {mine.number, teams.number, loose.number,
                                              beta.number, closed.number}
    assert listed("/tickets/?queue=open&customer=beta") == {beta.number}
    assert listed("/tickets/?queue=severity&severity=low") == {teams.number, beta.number}
    assert listed("/tickets/?queue=open&q=printer") == {loose.number}
    assert listed(f"/tickets/?queue=open&assignee={users['developer'].id}") == {teams.number}
    assert listed("/tickets/?queue=all&status=closed") == {closed.number}
    html = page(client, "/tickets/?queue=severity")
    assert html.index(loose.number) < html.index(mine.number) < html.index(beta.number)
    html = page(client, "/tickets/?queue=customer")
    assert html.index(loose.number) < html.index(beta.number)  # Alfa before Beta
    html = page(client, "/tickets/?queue=open&sort=created")
    assert html.index(mine.number) < html.index(beta.number)


def test_queue_pagination(client, auth, users, open_ticket):
    for i in range(52):
        open_ticket(subject=f"Bulk {i}")
    auth.login("spec@kbdesk.test")
    first = page(client, "/tickets/?queue=open")
    assert "1–50 / 52" in first and "Bulk 0<" not in first
    second = page(client, "/tickets/?queue=open&offset=50")
    assert "Bulk 0<" in second and "Bulk 51<" not in second


def test_ticket_page_triage_and_history(client, auth, users, open_ticket, db):
    ticket = open_ticket(subject="Výpadek přihlášení", description="Portál **nejde**.")
    auth.login("spec@kbdesk.test")
    html = page(client, f"/tickets/{ticket.number}")
    assert ticket.number in html and "Alfa s.r.o." in html and "<strong>nejde</strong>" in html
    assert "Suggested severity" in html and "‘Výpadek’ in the subject" in html
    resp = client.post(f"/tickets/{ticket.number}/triage", data={
        "csrf_token": csrf_from(html), "status": "open", "severity": "critical",
        "assignee": str(users["developer"].id), "team": ""})
    assert resp.status_code == 302
    db.session.refresh(ticket)
    assert (ticket.status, ticket.severity, ticket.assignee_id) == (
        "open", "critical", users["developer"].id)
    html = page(client, f"/tickets/{ticket.number}")
    assert "changed severity from Normal to Critical" in html and "assigned to Dev" in html
    resp = client.post(f"/tickets/{ticket.number}/triage", data={
        "csrf_token": csrf_from(html), "status": "open", "severity": "critical",
        "assignee": "999999", "team": ""})
    assert resp.status_code == 422 and "Not an active staff user." in resp.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, auth, users, open_ticket, db):
    ticket = open_ticket()
    auth.login("spec@kbdesk.test")
    resp = client.post(f"/tickets/{ticket.number}/triage", data={"status": "closed",
                                                                "severity": "low"})
    assert resp.status_code == 400
    db.session.refresh(ticket)
    assert ticket.status == "new"


def test_reply_public_and_internal_with_attachment(client, auth, users, open_ticket, db):
    ticket = open_ticket(actor=users["alice"], channel="portal", customer=None)
    auth.login("spec@kbdesk.test")
    html = page(client, f"/tickets/{ticket.number}")
    resp = client.post(f"/tickets/{ticket.number}/reply", data={
        "csrf_token": csrf_from(html), "internal": "y", "body": "Root cause: <script>x</script>",
        "files": (io.BytesIO(b"stack trace line"), "trace.log")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    client.post(f"/tickets/{ticket.number}/reply", data={
        "csrf_token": csrf_from(html), "internal": "", "body": "We have *fixed* it."})
    db.session.refresh(ticket)
    note, reply = ticket.messages
    assert note.internal and not reply.internal
    assert ticket.attachments[0].internal and ticket.attachments[0].message_id == note.id
    assert ticket.status == "open" and ticket.first_response_at is not None
    html = page(client, f"/tickets/{ticket.number}")
    assert "<script>x" not in html and "<em>fixed</em>" in html and "trace.log" in html
    empty = client.post(f"/tickets/{ticket.number}/reply", data={
        "csrf_token": csrf_from(html), "body": ""})
    assert empty.status_code == 422

    auth.logout()
    auth.login("alice@alfa.test")
    html = page(client, f"/tickets/{ticket.number}")
    assert "fixed" in html and "Root cause" not in html and "trace.log" not in html
    assert "Triage" not in html
    att = ticket.attachments[0]
    assert client.get(f"/tickets/{ticket.number}/attachments/{att.id}").status_code == 404
    resp = client.post(f"/tickets/{ticket.number}/reply", data={
        "csrf_token": csrf_from(html), "internal": "y", "body": "sneaky"})
    assert resp.status_code == 403


def test_links_merge_watchers_visits_on_the_page(client, auth, users, open_ticket, db):
    a = open_ticket(subject="Export to Excel fails")
    b = open_ticket(subject="Export to Excel fails too")
    auth.login("spec@kbdesk.test")
    html = page(client, f"/tickets/{a.number}")
    token = csrf_from(html)
    assert client.post(f"/tickets/{a.number}/links", data={
        "csrf_token": token, "kind": "related_to", "target": b.number}).status_code == 302
    resp = client.post(f"/tickets/{a.number}/links", data={
        "csrf_token": token, "kind": "related_to", "target": a.number})
    assert resp.status_code == 422 and "cannot be linked to itself" in resp.get_data(as_text=True)
    assert client.post(f"/tickets/{a.number}/watchers", data={
        "csrf_token": token, "user": str(users["tester"].id)}).status_code == 302
    assert client.post(f"/tickets/{a.number}/visits", data={
        "csrf_token": token, "visit_date": "2026-04-01", "engineer": str(users["specialist"].id),
        "duration_minutes": "120", "work_done": "Reinstalled the client.",
        "confirmed_by": "Ing. Novák"}).status_code == 302
    html = page(client, f"/tickets/{a.number}")
    assert "Reinstalled the client." in html and "Tester" in html and b.number in html
    resp = client.post(f"/tickets/{b.number}/merge", data={"csrf_token": token,
                                                           "target": a.number})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets/{a.number}")
    db.session.refresh(b)
    assert b.merged_into_id == a.id
    html = page(client, f"/tickets/{b.number}")
    assert "Merged into" in html


def test_possible_duplicate_panel(client, auth, users, open_ticket, monkeypatch):
    from kbdesk.tickets import similar

    original = open_ticket(subject="Tiskárna netiskne faktury")
    ticket = open_ticket(subject="Tiskárna netiskne faktury!")
    monkeypatch.setattr(similar, "_matcher", lambda: lambda actor, t: {
        "tickets": [{"id": original.id, "title": original.subject, "score": 0.9,
                     "reasons": ["tiskarna"], "url": "/tickets/" + original.number}],
        "articles": [{"id": 1, "kind": "article", "title": "Jak vyčistit frontu tisku",
                      "url": "/kb/1", "score": 0.5, "reasons": ["tisk"]}],
        "notes": []})
    auth.login("spec@kbdesk.test")
    html = page(client, f"/tickets/{ticket.number}")
    assert "possible duplicate" in html and "Link as duplicate" in html
    assert "Merge into it" in html and "Jak vyčistit frontu tisku" in html


def test_new_ticket_form(client, auth, users, db, make):
    app_row = make.Application(customer=users["alfa"], name="Portál")
    auth.login("spec@kbdesk.test")
    html = page(client, "/tickets/new")
    resp = client.post("/tickets/new", data={
        "csrf_token": csrf_from(html), "customer_query": "Alfa s.r.o.", "customer": "",
        "application": str(app_row.id), "subject": "Nelze se přihlásit",
        "description": "Od rána.", "severity": "high",
        "files": (io.BytesIO(b"login failed"), "auth.log")}, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert ticket.channel == "web" and ticket.application_id == app_row.id
    assert ticket.attachments[0].text == "login failed"
    resp = client.post("/tickets/new", data={"csrf_token": csrf_from(html),
                                             "customer_query": "Nobody", "subject": "x"})
    assert resp.status_code == 422 and "No such customer." in resp.get_data(as_text=True)


def test_phone_call_form_end_to_end(client, auth, users, db, make):
    contact = make.Contact(customer=users["alfa"], name="Karel Dvořák", phone="+420 111")
    auth.login("spec@kbdesk.test")
    html = page(client, "/tickets/phone")
    assert 'data-ac="customers"' in html
    # Autocomplete endpoints the form's script calls.
    found = client.get("/tickets/lookup/customers?q=alf").json["items"]
    assert [c["slug"] for c in found] == ["alfa"]
    found = client.get("/tickets/lookup/contacts?customer=alfa&q=dvo").json["items"]
    assert [c["id"] for c in found] == [contact.id]
    assert client.get("/tickets/lookup/contacts?customer=beta&q=dvo").json["items"] == []
    # An existing contact picked in the autocomplete.
    resp = client.post("/tickets/phone", data={
        "csrf_token": csrf_from(html), "customer_query": "Alfa s.r.o.", "customer": "alfa",
        "caller": "Karel Dvořák", "contact": str(contact.id), "subject": "Tiskárna nefunguje",
        "notes": "Volal v 9:05.", "severity": "high"})
    assert resp.status_code == 302
    ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))
    assert resp.headers["Location"].endswith(f"/tickets/{ticket.number}")
    assert ticket.channel == "phone" and ticket.reporter_contact_id == contact.id
    assert ticket.severity == "high" and ticket.description == "Volal v 9:05."
    # A new caller saved as a contact on the fly.
    resp = client.post("/tickets/phone", data={
        "csrf_token": csrf_from(html), "customer_query": "alfa", "caller": "Jana Nová",
        "caller_phone": "+420 222", "caller_email": "jana@alfa.test", "save_contact": "y",
        "subject": "Dotaz na export", "severity": "low"})
    assert resp.status_code == 302
    jana = db.session.scalar(select(Contact).where(Contact.name == "Jana Nová"))
    assert jana.customer_id == users["alfa"].id and jana.phone == "+420 222"
    ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))
    assert ticket.reporter_contact_id == jana.id and ticket.reporter_email == "jana@alfa.test"
    # Errors: nothing is created, the form says why.
    count = db.session.query(Ticket).count()
    resp = client.post("/tickets/phone", data={
        "csrf_token": csrf_from(html), "customer_query": "", "caller": "X", "save_contact": "y",
        "caller_email": "not-an-email", "subject": ""})
    assert resp.status_code == 422
    assert db.session.query(Ticket).count() == count
    assert db.session.scalar(select(Contact).where(Contact.name == "X")) is None
    # Without CSRF nothing happens.
    resp = client.post("/tickets/phone", data={"customer": "alfa", "subject": "x"})
    assert resp.status_code == 400 and db.session.query(Ticket).count() == count


def test_phone_call_keeps_an_unsaved_caller(client, auth, users, db):
    auth.login("spec@kbdesk.test")
    html = page(client, "/tickets/phone")
    client.post("/tickets/phone", data={
        "csrf_token": csrf_from(html), "customer_query": "alfa", "caller": "Pan Neznámý",
        "caller_phone": "+420 333", "subject": "Hlášení", "notes": "Nejde tisk."})
    ticket = db.session.scalar(select(Ticket))
    assert ticket.reporter_contact_id is None
    assert ticket.description.startswith("Caller: Pan Neznámý, +420 333")


def test_staff_pages_refuse_customers(client, auth, users):
    auth.login("alice@alfa.test")
    for url in ("/tickets/", "/tickets/new", "/tickets/phone", "/tickets/lookup/customers?q=a"):
        assert client.get(url).status_code == 403, url


def test_dashboard_panels(client, auth, users, open_ticket):
    open_ticket(subject="Critical outage", severity="critical")
    open_ticket(subject="Low thing", severity="low")
    auth.login("spec@kbdesk.test")
    html = page(client, "/")
    assert "Waiting longest" in html and "Unassigned" in html and "Critical outage" in html
    assert 'href="/tickets/?queue=open&amp;severity=critical"' in html
