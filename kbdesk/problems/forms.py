"""Problem forms (input shape only; the services own the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from kbdesk.problems.models import STATUSES

STATUS_CHOICES = [("proposed", _l("Proposed")), ("open", _l("Open")),
                  ("known_error", _l("Known error")), ("fixed", _l("Fixed")),
                  ("closed", _l("Closed")), ("rejected", _l("Rejected"))]
assert [c for c, _x in STATUS_CHOICES] == list(STATUSES)


class ProblemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    application_id = SelectField(_l("Application"), choices=[], validate_choice=False)
    release_id = SelectField(_l("Fix planned in release"), choices=[], validate_choice=False)
    owner_id = SelectField(_l("Owner"), choices=[], validate_choice=False)
    root_cause = TextAreaField(_l("Root cause (Markdown)"), render_kw={"rows": 5})
    workaround = TextAreaField(_l("Workaround (Markdown)"), render_kw={"rows": 5})


class AcceptForm(FlaskForm):
    # its own id: the edit form on the same page has a title field too
    title = StringField(_l("Title"), validators=[DataRequired()], id="accept-title")


class LinkTicketForm(FlaskForm):
    ticket = StringField(_l("Ticket number"), validators=[DataRequired()])


class PanelLinkForm(FlaskForm):
    problem = SelectField(_l("Problem"), choices=[], validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button-only form (reject, unlink): the CSRF token is its only field."""
