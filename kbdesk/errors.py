"""Errors raised by services; views and the API turn them into responses."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the request; nothing was changed."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "You may not do this."):
        super().__init__(message)


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class ValidationError(ServiceError):
    status = 422
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str = "Some fields are not valid."):
        super().__init__(message, fields)


class Throttled(ServiceError):
    status = 429
    code = "too_many_requests"
