"""Calendar, policy and contract forms (input shape only; the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from kbdesk.tickets.models import SEVERITIES

KIND_CHOICES = [("business", _l("Business hours")), ("24x7", _l("24/7"))]
ESCALATE_CHOICES = [("breach", _l("On a breach")), ("warning", _l("On a warning")),
                    ("never", _l("Never"))]
SEVERITY_LABELS = {"critical": _l("Critical"), "high": _l("High"), "normal": _l("Normal"),
                   "low": _l("Low")}


class CalendarForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    timezone = StringField(_l("Time zone"), default="Europe/Prague")
    hours = StringField(_l("Opening hours"), default="Mon-Fri 08:00-17:00")
    czech_holidays = BooleanField(_l("Closed on Czech public holidays"), default=True)
    holidays = TextAreaField(_l("Other closed days"))


class PolicyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"))
    warning_percent = StringField(_l("Warn at (percent of the target)"), default="80")
    escalate_on = SelectField(_l("Escalate"), choices=ESCALATE_CHOICES)
    escalate_to_lead = BooleanField(_l("Notify the team lead"), default=True)
    escalate_raise = BooleanField(_l("Raise the ticket to the top of queues"), default=True)


# One row of target fields per severity: critical_first_response, critical_calendar, ...
for _sev in SEVERITIES:
    setattr(PolicyForm, f"{_sev}_first_response", StringField(_l("First response")))
    setattr(PolicyForm, f"{_sev}_resolution", StringField(_l("Resolution")))
    setattr(PolicyForm, f"{_sev}_update", StringField(_l("Update interval")))
    setattr(PolicyForm, f"{_sev}_calendar", SelectField(_l("Calendar"), choices=[],
                                                        validate_choice=False))


def policy_payload(data: dict) -> dict:
    """The policy form's flat fields as the service's nested input."""
    out = {k: v for k, v in data.items() if not k.startswith(tuple(f"{s}_" for s in SEVERITIES))}
    out["targets"] = {sev: {"first_response": data.get(f"{sev}_first_response"),
                            "resolution": data.get(f"{sev}_resolution"),
                            "update": data.get(f"{sev}_update"),
                            "calendar": data.get(f"{sev}_calendar")} for sev in SEVERITIES}
    return out


def policy_field_errors(fields: dict) -> dict:
    """Service error keys (targets.critical.resolution) as form field names."""
    return {k.removeprefix("targets.").replace(".", "_"): v for k, v in fields.items()}


class ContractForm(FlaskForm):
    customer = SelectField(_l("Customer"), choices=[], validate_choice=False)
    name = StringField(_l("Name"), validators=[DataRequired()])
    policy = SelectField(_l("SLA policy"), choices=[], validate_choice=False)
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"))
