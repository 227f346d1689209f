"""The collector's one exception tree. The HTTP edge turns each into ``{"error", "detail"}``
with its status; the CLI turns each into a message and a non-zero exit."""

from __future__ import annotations


class CanhgacError(Exception):
    """Base: ``code`` is a stable machine-readable slug, the message is for people."""

    status = 400
    code = "bad_request"
    transient = False

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class InvalidInput(CanhgacError):
    status = 422
    code = "invalid_input"


class Unauthorized(CanhgacError):
    status = 401
    code = "unauthorized"


class Forbidden(CanhgacError):
    status = 403
    code = "forbidden"


class NotFound(CanhgacError):
    status = 404
    code = "not_found"


class Conflict(CanhgacError):
    status = 409
    code = "conflict"


class PayloadTooLarge(CanhgacError):
    status = 413
    code = "body_too_large"


class TooManyRequests(CanhgacError):
    """Past a rate limit: try again in ``retry_after_s`` seconds (the HTTP edge sends Retry-After)."""

    status = 429
    code = "too_many_requests"
    transient = True

    def __init__(self, detail: str, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(detail, code)
        self.retry_after_s = max(1, retry_after_s)
