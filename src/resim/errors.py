"""Application errors. ``code`` is a stable SCREAMING_SNAKE string, part of the API contract.

``message`` is an English message id; the web layer translates it to the user's language
and fills in ``params``. No HTTP here: web/errors.py maps kinds to statuses.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorKind(enum.Enum):
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"


class AppError(Exception):
    kind: ErrorKind = ErrorKind.INVALID

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.params = params or {}
        self.retry_after = retry_after


class NotFound(AppError):
    kind = ErrorKind.NOT_FOUND


class Conflict(AppError):
    kind = ErrorKind.CONFLICT


class Invalid(AppError):
    kind = ErrorKind.INVALID


class Forbidden(AppError):
    kind = ErrorKind.FORBIDDEN


class Unauthenticated(AppError):
    kind = ErrorKind.UNAUTHENTICATED


class RateLimited(AppError):
    kind = ErrorKind.RATE_LIMITED


class IntegrationError(Exception):
    """An external system failed. ``transient`` ones are retried; the others fail the step.

    ``detail`` must be safe to store and show: no codes, tokens or personal data.
    """

    def __init__(self, system: str, detail: str, *, transient: bool) -> None:
        super().__init__(f"{system}: {detail}")
        self.system = system
        self.detail = detail
        self.transient = transient
