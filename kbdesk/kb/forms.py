"""Article editor and attachment upload forms (input shape only; rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

KIND_CHOICES = [("article", _l("Article")), ("config", _l("Configuration note"))]
VISIBILITY_CHOICES = [("public", _l("Public")), ("customer", _l("Customer")),
                      ("internal", _l("Internal"))]
STATUS_CHOICES = [("draft", _l("Draft")), ("in_review", _l("In review")),
                  ("published", _l("Published")),
                  ("archived", _l("Archived"))]
LANG_CHOICES = [("cs", "Čeština"), ("en", "English")]


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()])
    slug = StringField(_l("Short name (slug)"))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    visibility = SelectField(_l("Visibility"), choices=VISIBILITY_CHOICES, default="internal")
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    language = SelectField(_l("Language"), choices=LANG_CHOICES)
    # Choices are filled by the view; the service checks the values.
    customer = SelectField(_l("Customer"), choices=[], validate_choice=False)
    application = SelectField(_l("Application"), choices=[], validate_choice=False)
    tags = StringField(_l("Tags"))
    body = TextAreaField(_l("Text (Markdown)"))
    note = StringField(_l("What changed (optional)"))
    base_revision = HiddenField()


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])
