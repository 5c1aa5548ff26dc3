"""Monitor and maintenance-window forms (input shape only; the services own the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Optional

KIND_CHOICES = [("http", _l("HTTP(S) request")), ("tcp", _l("TCP connect")),
                ("tls", _l("TLS certificate expiry")), ("dns", _l("DNS resolution"))]
SEVERITY_CHOICES = [("", _l("By environment (critical for production)")),
                    ("critical", _l("critical")), ("high", _l("high")),
                    ("normal", _l("normal")), ("low", _l("low"))]


class MonitorForm(FlaskForm):
    application = SelectField(_l("Application"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    target = StringField(_l("Target"), validators=[DataRequired()])
    method = SelectField(_l("HTTP method"), choices=[("GET", "GET"), ("HEAD", "HEAD"),
                                                      ("POST", "POST")])
    expected_status = StringField(_l("Expected status"), default="200-399")
    keyword = StringField(_l("Keyword"))
    keyword_absent = BooleanField(_l("The keyword must be absent"))
    timeout_ms = IntegerField(_l("Timeout (ms)"), default=10_000, validators=[Optional()])
    latency_threshold_ms = IntegerField(_l("Latency threshold (ms)"), validators=[Optional()])
    max_redirects = IntegerField(_l("Redirects to follow"), default=5, validators=[Optional()])
    verify_tls = BooleanField(_l("Verify the TLS certificate"), default=True)
    tls_warn_days = IntegerField(_l("Warn days before the certificate expires"),
                                 validators=[Optional()])
    interval_s = IntegerField(_l("Interval (seconds, at least 30)"), default=60,
                              validators=[Optional()])
    failures_before_down = IntegerField(_l("Consecutive failures before down"), default=3,
                                        validators=[Optional()])
    severity = SelectField(_l("Incident severity"), choices=SEVERITY_CHOICES)
    auto_resolve = BooleanField(_l("Resolve the incident on recovery"), default=True)
    internal = BooleanField(_l("Internal: may reach private and local addresses (administrators)"))
    enabled = BooleanField(_l("Enabled"), default=True)


class WindowForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    weekly = BooleanField(_l("Repeat every week"))
    reason = StringField(_l("Reason"))
