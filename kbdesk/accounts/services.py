"""Rules for users, teams, logins and API tokens; add and flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kbdesk.accounts.models import (
    ROLES,
    TEAM_KINDS,
    ApiToken,
    LoginAttempt,
    Team,
    TeamMember,
    User,
)
from kbdesk.accounts.permissions import require_admin
from kbdesk.customers.models import LANGUAGES, Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import Conflict, NotFound, ServiceError, Throttled
from kbdesk.extensions import db
from kbdesk.validation import Checker

MIN_PASSWORD = 8
TOKEN_PREFIX = "kbd_"
# Per-address failures allowed before throttling: higher than per-account because
# a company's staff may share one NAT address.
ADDRESS_FACTOR = 4


def hash_password(password: str) -> str:
    """A salted, slow hash of a password."""
    return generate_password_hash(password)


def _user_fields(c: Checker, user: User | None) -> dict:
    partial = user is not None
    out: dict = {}
    if not partial or c.has("email"):
        out["email"] = c.email("email", required=True)
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True)
    if not partial or c.has("role"):
        out["role"] = c.choice("role", ROLES)
    if not partial or c.has("locale"):
        out["locale"] = c.choice("locale", LANGUAGES, default="cs")
    if not partial or c.has("active"):
        out["active"] = c.boolean("active", default=True)
    if c.has("customer"):
        slug = c.text("customer", max_len=80)
        customer = db.session.scalar(select(Customer).where(Customer.slug == slug)) if slug else None
        if slug and customer is None:
            c.error("customer", "No such customer.")
        out["customer"] = customer
    if c.has("password") and (c.data.get("password") or not partial):
        password = c.data.get("password")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            c.error("password", f"At least {MIN_PASSWORD} characters.")
        else:
            out["password_hash"] = hash_password(password)
    return out


def _check_role_customer(c: Checker, role: str, customer: Customer | None) -> None:
    if role == "customer" and customer is None:
        c.error("customer", "A customer user needs a customer.")
    if role != "customer" and customer is not None:
        c.error("customer", "Only customer users belong to a customer.")


def _check_email_free(email: str, user: User | None) -> None:
    other = db.session.scalar(select(User).where(User.email == email))
    if other is not None and other is not user:
        raise Conflict("A user with this e-mail already exists.", {"email": "Already taken."})


def create_user(actor, data: dict) -> User:
    """Create a user; actor None means the command line (trusted)."""
    if actor is not None:
        require_admin(actor)
    c = Checker(data)
    fields = _user_fields(c, None)
    _check_role_customer(c, fields.get("role", ""), fields.get("customer"))
    c.done()
    _check_email_free(fields["email"], None)
    user = User(**fields)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(actor, user_id: int, data: dict) -> User:
    """Change a user's fields (administrators)."""
    require_admin(actor)
    user = get_user(actor, user_id)
    c = Checker(data)
    fields = _user_fields(c, user)
    _check_role_customer(c, fields.get("role", user.role), fields.get("customer", user.customer))
    c.done()
    if "email" in fields:
        _check_email_free(fields["email"], user)
    if user.id == actor.id and (fields.get("active") is False or fields.get("role", "admin") != "admin"):
        raise ServiceError("You cannot demote or deactivate yourself.")
    for key, value in fields.items():
        setattr(user, key, value)
    db.session.flush()
    return user


def get_user(actor, user_id: int) -> User:
    """One user; staff see all, a customer user only itself."""
    user = db.session.get(User, user_id)
    if user is None or (not actor.is_staff and user.id != actor.id):
        raise NotFound("No such user.")
    return user


def list_users(actor, *, role: str | None = None) -> list[User]:
    """All users (staff), ordered by name."""
    stmt = select(User).order_by(User.name)
    if not actor.is_staff:
        stmt = stmt.where(User.id == actor.id)
    if role:
        stmt = stmt.where(User.role == role)
    return list(db.session.scalars(stmt))


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail, case-insensitively."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _failures_since(column, value: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count()).where(
            column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since
        )
    ) or 0


def authenticate(email: str, password: str, address: str) -> User:
    """Check a login; throttles repeated failures per account and per address.

    The attempt is recorded even when the login fails, so the caller commits either way.
    """
    email = (email or "").strip().lower()
    limit = current_app.config["LOGIN_THROTTLE_MAX"]
    window = current_app.config["LOGIN_THROTTLE_WINDOW"]
    now = utcnow()
    since = now - timedelta(seconds=window)
    if (_failures_since(LoginAttempt.email, email, since) >= limit
            or _failures_since(LoginAttempt.address, address, since) >= limit * ADDRESS_FACTOR):
        minutes = max(1, window // 60)
        raise Throttled(f"Too many failed sign-in attempts. Try again in {minutes} minutes.")
    user = find_user_by_email(email) if email else None
    ok = bool(user and user.active and user.password_hash
              and check_password_hash(user.password_hash, password or ""))
    db.session.add(LoginAttempt(email=email[:254], address=address[:64], success=ok, at=now))
    if not ok:
        db.session.flush()
        raise ServiceError("Wrong e-mail or password.")
    user.last_login_at = now
    db.session.flush()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue an API token; the plain value is returned once and never stored."""
    if not user.active:
        raise ServiceError("The user is not active.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:100], prefix=plain[:12], token_hash=_hash_token(plain))
    db.session.add(token)
    db.session.flush()
    return token, plain


def user_for_token(plain: str) -> User | None:
    """The active user owning a valid, unrevoked token."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def revoke_token(actor, token_id: int) -> None:
    """Revoke a token: its owner or an administrator."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.is_admin):
        raise NotFound("No such token.")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.flush()


def list_teams() -> list[Team]:
    """All teams by name."""
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def get_team(team_id: int) -> Team:
    """One team."""
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


def save_team(actor, data: dict, team_id: int | None = None) -> Team:
    """Create or change a team and its members (administrators)."""
    require_admin(actor)
    team = get_team(team_id) if team_id else None
    c = Checker(data)
    name = c.text("name", required=True, max_len=100)
    kind = c.choice("kind", TEAM_KINDS, default="support")
    description = c.text("description", max_len=500)
    member_ids = _int_list(c, "members")
    lead_ids = set(_int_list(c, "leads"))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(member_ids)))}
    if missing := [i for i in member_ids if i not in users or not users[i].is_staff]:
        c.error("members", f"Not staff users: {missing}")
    c.done()
    other = db.session.scalar(select(Team).where(Team.name == name))
    if other is not None and other is not team:
        raise Conflict("A team with this name already exists.", {"name": "Already taken."})
    if team is None:
        team = Team()
        db.session.add(team)
    team.name, team.kind, team.description = name, kind, description
    current = {m.user_id: m for m in team.members}
    for uid in set(current) - set(member_ids):
        team.members.remove(current[uid])
    for uid in member_ids:
        member = current.get(uid) or TeamMember(user=users[uid])
        member.is_lead = uid in lead_ids
        if uid not in current:
            team.members.append(member)
    db.session.flush()
    return team


def _int_list(c: Checker, key: str) -> list[int]:
    raw = c.data.get(key, [])
    if isinstance(raw, str):
        raw = [p for p in raw.replace(",", " ").split() if p]
    try:
        return list(dict.fromkeys(int(v) for v in raw))
    except (TypeError, ValueError):
        c.error(key, "Must be a list of ids.")
        return []
