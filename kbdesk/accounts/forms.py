"""Login, user and team forms (input shape only; rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Optional

from kbdesk.accounts.models import ROLES, TEAM_KINDS


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    customer = SelectField(_l("Customer"), choices=[], validate_choice=False)
    locale = SelectField(_l("Language"), choices=[("cs", "Čeština"), ("en", "English")])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional()])


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[(k, k) for k in TEAM_KINDS])
    description = StringField(_l("Description"))
    members = SelectMultipleField(_l("Members"), coerce=int, choices=[], validate_choice=False)
    leads = SelectMultipleField(_l("Leads"), coerce=int, choices=[], validate_choice=False)


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired()])
