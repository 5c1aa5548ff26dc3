"""Shared fixtures for problem tests: similar tickets of one application."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kbdesk.db_types import utcnow
from kbdesk.search.indexing import rebuild
from kbdesk.tickets import services as tickets

EXPORT = ("Invoice PDF export times out", "Exporting the monthly invoice to PDF times out "
          "after 60 seconds with a gateway timeout error.")
OTHER = [("Password reset mail never arrives", "Users do not get the password reset e-mail."),
         ("Dashboard shows wrong currency", "Totals on the dashboard are in USD, not CZK."),
         ("Printer mapping lost after reboot", "Label printer disappears after a reboot.")]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def portal(make, users):
    return make.Application(customer=users["alfa"], name="Portal", environment="prod")


@pytest.fixture
def open_similar(db, users, portal):
    """open_similar(n, days_apart=1, customer="alfa"): n near-identical export tickets."""

    def make_tickets(n: int, days_apart: float = 1, customer: str = "alfa", app=portal,
                     start_days_ago: float = 0):
        made = []
        for i in range(n):
            data = {"customer": customer, "subject": f"{EXPORT[0]} ({customer} {i})",
                    "description": EXPORT[1]}
            if app is not None and customer == "alfa":
                data["application"] = app.id
            t = tickets.open_ticket(users["specialist"], data, channel="phone")
            t.created_at = utcnow() - timedelta(days=start_days_ago + i * days_apart)
            made.append(t)
        for subject, body in OTHER:
            tickets.open_ticket(users["specialist"], {"customer": customer, "subject": subject,
                                                      "description": body}, channel="phone")
        db.session.commit()
        # The index is derived; rebuilding makes these tests depend on matching alone, not on
        # the after-commit indexing path (which other features' savepoints may disturb).
        rebuild()
        return made

    return make_tickets
