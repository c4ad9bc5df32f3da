"""CAMARA's error model on the wire: ``{status, code, message}`` with the status each code
calls for, ``x-correlator`` echoed, and the OAuth 2.0 error body of the token endpoints
(CAMARA Commonalities r3.3, API design guide section 3; RFC 6749 section 5.2)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from resim.camara.schemas import CORRELATOR_PATTERN, ErrorInfo
from resim.camara.spec import OAuthError

_CORRELATOR = re.compile(CORRELATOR_PATTERN)

STATUS = {
    "INVALID_ARGUMENT": 400,
    "OUT_OF_RANGE": 400,
    "INVALID_PROTOCOL": 400,
    "INVALID_SINK": 400,
    "INVALID_CREDENTIAL": 400,
    "INVALID_TOKEN": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "SUBSCRIPTION_MISMATCH": 403,
    "NOT_FOUND": 404,
    "IDENTIFIER_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "ALREADY_EXISTS": 409,
    "SERVICE_NOT_APPLICABLE": 422,
    "MISSING_IDENTIFIER": 422,
    "UNNECESSARY_IDENTIFIER": 422,
    "QUOTA_EXCEEDED": 429,
    "TOO_MANY_REQUESTS": 429,
}


def _error_response(description: str) -> dict[str, Any]:
    return {"model": ErrorInfo, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error_response("Bad Request: INVALID_ARGUMENT or OUT_OF_RANGE"),
    401: _error_response("Unauthorized: UNAUTHENTICATED"),
    403: _error_response("Forbidden: PERMISSION_DENIED"),
    404: _error_response("Not found: NOT_FOUND or IDENTIFIER_NOT_FOUND"),
    422: _error_response(
        "Unprocessable Content: SERVICE_NOT_APPLICABLE, MISSING_IDENTIFIER or "
        "UNNECESSARY_IDENTIFIER"
    ),
    429: _error_response("Too Many Requests: QUOTA_EXCEEDED or TOO_MANY_REQUESTS"),
}


def correlated(request: Request, response: Response) -> Response:
    value = request.headers.get("x-correlator")
    if value is not None and _CORRELATOR.match(value):
        response.headers["x-correlator"] = value
    return response


def _answer(
    request: Request, status: int, code: str, message: str, retry_after: int | None = None
) -> Response:
    """CAMARA's error body ``{status, code, message}``, with the headers its status calls for."""
    response = JSONResponse({"status": status, "code": code, "message": message}, status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="resim"'
    return correlated(request, response)


def error(request: Request, code: str, message: str, retry_after: int | None = None) -> Response:
    return _answer(request, STATUS[code], code, message, retry_after)


# Starlette's own refusals (an unreadable body, an unknown path or method) in CAMARA's words.
HTTP_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "INVALID_ARGUMENT",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def http_error(request: Request, status: int, message: str) -> Response:
    return _answer(request, status, HTTP_CODES.get(status, f"HTTP_{status}"), message)


def validation_error(request: Request, errors: list[dict[str, Any]]) -> Response:
    """Pydantic's complaint in CAMARA's words: a bound of maxAge (or of another bounded
    number) is OUT_OF_RANGE, anything else INVALID_ARGUMENT."""
    for problem in errors:
        kind = str(problem.get("type", ""))
        where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
        if kind in ("greater_than_equal", "less_than_equal"):
            return error(request, "OUT_OF_RANGE", f"{where} is out of range.")
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":  # its loc is a character offset, not a field
        return error(request, "INVALID_ARGUMENT", "The request body is not valid JSON.")
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return error(request, "INVALID_ARGUMENT", f"Client specified an invalid argument: {where}.")


SUBSCRIPTION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error_response(
        "Bad Request: INVALID_ARGUMENT, OUT_OF_RANGE, INVALID_PROTOCOL, INVALID_SINK, "
        "INVALID_CREDENTIAL or INVALID_TOKEN"
    ),
    401: _error_response("Unauthorized: UNAUTHENTICATED"),
    403: _error_response("Forbidden: PERMISSION_DENIED or SUBSCRIPTION_MISMATCH"),
    404: _error_response("Not found: NOT_FOUND or IDENTIFIER_NOT_FOUND"),
    409: _error_response("Conflict: ALREADY_EXISTS"),
    422: _error_response(
        "Unprocessable Content: SERVICE_NOT_APPLICABLE, MISSING_IDENTIFIER or "
        "UNNECESSARY_IDENTIFIER"
    ),
    429: _error_response("Too Many Requests: QUOTA_EXCEEDED or TOO_MANY_REQUESTS"),
}


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="resim"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=headers,
    )
