"""Model factories with sequences (redash style): make rows with sensible defaults."""

from __future__ import annotations

import itertools

from kbdesk.accounts.models import Team, TeamMember, User
from kbdesk.accounts.services import create_token, hash_password
from kbdesk.customers.models import Application, Contact, Customer
from kbdesk.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)

# Hashing is slow by design; tests share one hash of the common password.
_HASH: dict[str, str] = {}


def _password_hash(password: str) -> str:
    if password not in _HASH:
        _HASH[password] = hash_password(password)
    return _HASH[password]


class ModelFactory:
    """Builds a model with defaults, overridden by keyword arguments, and flushes it."""

    model: type
    defaults: dict = {}

    @classmethod
    def build(cls, **kwargs):
        n = next(_seq)
        values = {k: (v(n) if callable(v) else v) for k, v in cls.defaults.items()}
        values.update(kwargs)
        return cls.model(**values)

    @classmethod
    def create(cls, **kwargs):
        obj = cls.build(**kwargs)
        db.session.add(obj)
        db.session.flush()
        return obj


class CustomerFactory(ModelFactory):
    model = Customer
    defaults = {"name": lambda n: f"Customer {n}", "slug": lambda n: f"customer-{n}",
                "language": "cs", "allowed_domains": lambda n: [f"customer{n}.example.cz"]}


class ApplicationFactory(ModelFactory):
    model = Application
    defaults = {"name": lambda n: f"App {n}", "environment": "prod", "platform": "IIS 10"}


class ContactFactory(ModelFactory):
    model = Contact
    defaults = {"name": lambda n: f"Contact {n}", "email": lambda n: f"contact{n}@example.cz"}


class UserFactory(ModelFactory):
    model = User
    defaults = {"email": lambda n: f"user{n}@kbdesk.test", "name": lambda n: f"User {n}",
                "role": "specialist", "locale": "en"}

    @classmethod
    def build(cls, password: str = PASSWORD, **kwargs):
        user = super().build(**kwargs)
        user.password_hash = _password_hash(password)
        return user


class TeamFactory(ModelFactory):
    model = Team
    defaults = {"name": lambda n: f"Team {n}", "kind": "support"}

    @classmethod
    def create(cls, members=(), **kwargs):
        team = super().create(**kwargs)
        for user in members:
            team.members.append(TeamMember(user=user))
        db.session.flush()
        return team


def token_for(user) -> str:
    """A fresh API token for a user (committed)."""
    _tok, plain = create_token(user, "test")
    db.session.commit()
    return plain


from kbdesk.tickets.models import Ticket  # noqa: E402


class TicketFactory(ModelFactory):
    """A ticket numbered like the service numbers them (no event, no signals)."""

    model = Ticket
    defaults = {"subject": lambda n: f"Ticket {n}", "description": "", "channel": "web",
                "severity": "normal", "status": "new"}

    @classmethod
    def build(cls, **kwargs):
        from kbdesk.db_types import utcnow
        from kbdesk.tickets.services import next_number

        kwargs.setdefault("number", next_number(kwargs.get("created_at") or utcnow()))
        return super().build(**kwargs)
