"""Ticket forms (input shape only; the services own the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired

from kbdesk.tickets.models import LINK_KINDS, SEVERITIES, STATUSES

SEVERITY_CHOICES = [("critical", _l("Critical")), ("high", _l("High")),
                    ("normal", _l("Normal")), ("low", _l("Low"))]
STATUS_CHOICES = [("new", _l("New")), ("open", _l("Open")),
                  ("waiting_customer", _l("Waiting on customer")),
                  ("waiting_third_party", _l("Waiting on third party")),
                  ("resolved", _l("Resolved")), ("closed", _l("Closed"))]
LINK_CHOICES = [("duplicate_of", _l("is a duplicate of")), ("related_to", _l("is related to")),
                ("caused_by", _l("is caused by"))]
assert [c for c, _x in SEVERITY_CHOICES] == list(SEVERITIES)
assert [c for c, _x in STATUS_CHOICES] == list(STATUSES)
assert [c for c, _x in LINK_CHOICES] == list(LINK_KINDS)


class TriageForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES)
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)
    team = SelectField(_l("Team"), choices=[], validate_choice=False)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Message"))
    internal = BooleanField(_l("Internal note (staff only)"))
    files = MultipleFileField(_l("Attachments"))


class LinkForm(FlaskForm):
    kind = SelectField(_l("This ticket"), choices=LINK_CHOICES)
    target = StringField(_l("Ticket number"), validators=[DataRequired()])


class MergeForm(FlaskForm):
    target = StringField(_l("Merge this ticket into (number)"), validators=[DataRequired()])


class WatcherForm(FlaskForm):
    user = SelectField(_l("Watcher"), choices=[], validate_choice=False)


class VisitForm(FlaskForm):
    visit_date = DateField(_l("Date"), validators=[DataRequired()])
    engineer = SelectField(_l("Engineer"), choices=[], validate_choice=False)
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[DataRequired()])
    work_done = TextAreaField(_l("Work done"), validators=[DataRequired()])
    confirmed_by = StringField(_l("Confirmed by (customer's person)"))


class NewTicketForm(FlaskForm):
    customer_query = StringField(_l("Customer"))
    customer = HiddenField()
    application = SelectField(_l("Application"), choices=[], validate_choice=False)
    contact_query = StringField(_l("Reporter (contact)"))
    contact = HiddenField()
    subject = StringField(_l("Subject"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"))
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES, default="normal")
    files = MultipleFileField(_l("Attachments"))


class PhoneForm(FlaskForm):
    customer_query = StringField(_l("Customer"))
    customer = HiddenField()
    caller = StringField(_l("Caller"))
    contact = HiddenField()
    caller_phone = StringField(_l("Caller's phone"))
    caller_email = StringField(_l("Caller's e-mail"))
    save_contact = BooleanField(_l("Save the caller as a new contact"))
    subject = StringField(_l("Subject"), validators=[DataRequired()])
    notes = TextAreaField(_l("Notes"))
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES, default="normal")
