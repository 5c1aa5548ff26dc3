"""Helpers for ticket tests: open tickets through the service, call the API with tokens."""

from __future__ import annotations

import pytest

from kbdesk.tickets import services


@pytest.fixture
def open_ticket(db, users):
    """Open a ticket through the real service as a staff user and commit it."""

    def make(customer="alfa", subject="Portal nefunguje", actor=None, channel="web", **data):
        ticket = services.open_ticket(actor or users["specialist"],
                                      {"customer": customer, "subject": subject, **data},
                                      channel=channel)
        db.session.commit()
        return ticket

    return make


class Api:
    """A JSON API client acting with one user's bearer token."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            return getattr(self.client, method)("/api/v1" + path, headers=self.headers, **kwargs)

        return call


@pytest.fixture
def api(client, make, users):
    """api("alice") -> an API client with a fresh token of that user."""

    def for_user(key):
        return Api(client, make.token(users[key]))

    return for_user
