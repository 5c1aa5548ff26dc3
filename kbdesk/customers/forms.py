"""Customer, application and contact forms (input shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from kbdesk.customers.models import ENVIRONMENTS

LANG_CHOICES = [("cs", "Čeština"), ("en", "English")]


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    slug = StringField(_l("Short name (slug)"))
    timezone = StringField(_l("Time zone"), default="Europe/Prague")
    language = SelectField(_l("Language"), choices=LANG_CHOICES)
    allowed_domains = StringField(_l("Allowed e-mail domains"))
    portal_sees_all = BooleanField(_l("Portal users see all the customer's tickets"), default=True)
    active = BooleanField(_l("Active"), default=True)


class ApplicationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    environment = SelectField(_l("Environment"), choices=[(e, e) for e in ENVIRONMENTS])
    platform = StringField(_l("Platform"))
    version = StringField(_l("Version"))
    url = StringField(_l("URL"))
    notes = TextAreaField(_l("Notes"))


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    email = EmailField(_l("E-mail"))
    phone = StringField(_l("Phone"))
    role = StringField(_l("Role"))
    language = SelectField(_l("Language"), choices=LANG_CHOICES)
