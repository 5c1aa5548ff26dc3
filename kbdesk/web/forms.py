"""Helpers for pages that post forms to services."""

from __future__ import annotations

from flask_wtf import FlaskForm

from kbdesk.errors import ServiceError


def form_data(form: FlaskForm) -> dict:
    """The submitted values, without the CSRF token and buttons."""
    return {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}


def apply_errors(form: FlaskForm, exc: ServiceError) -> None:
    """Show a service's field errors beside the fields; the rest as a form error."""
    leftover = []
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), message]
        else:
            leftover.append(message)
    form.form_errors.extend(leftover or ([] if exc.fields else [exc.message]))
