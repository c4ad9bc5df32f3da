"""One table from error kinds to HTTP statuses, and the renderers.

The JSON API answers RFC 9457 problem documents (``application/problem+json``) with a
stable ``code``; pages get an HTML error page. Messages are in the caller's language.
An unexpected failure is a 500 with a correlation id, logged once without personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from resim.errors import AppError, ErrorKind, Invalid, Unauthenticated
from resim.i18n import N_
from resim.kit.telecom import InvalidIdentifier
from resim.web.context import translate
from resim.web.templating import render

log = structlog.get_logger("resim.web")

STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.INVALID: 422,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.RATE_LIMITED: 429,
}

TITLES: dict[int, str] = {
    400: N_("Bad request"),
    401: N_("Sign-in required"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}

# Pydantic error types to a message id a person understands.
FIELD_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This value has the wrong format."),
    "literal_error": N_("Choose one of the offered values."),
    "enum": N_("Choose one of the offered values."),
    "date_from_datetime_parsing": N_("This is not a valid date."),
    "date_parsing": N_("This is not a valid date."),
    "date_type": N_("This is not a valid date."),
    "int_parsing": N_("This must be a whole number."),
    "int_type": N_("This must be a whole number."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "dict_type": N_("The request body must be a JSON object."),
    "extra_forbidden": N_("This field is not allowed."),
    "greater_than_equal": N_("This value is too small."),
    "less_than_equal": N_("This value is too large."),
}


class OfficeSignIn(Unauthenticated):
    """A back-office page without a live agent session: the browser goes to the sign-in
    form, which brings it back."""


@dataclass(frozen=True)
class ErrorShape:
    """An API under ``prefix`` whose errors have a body of their own, not RFC 9457's (CAMARA's
    ``{status, code, message}``): it renders Pydantic's complaints and Starlette's refusals."""

    prefix: str
    validation: Callable[[Request, list[dict[str, Any]]], Response]
    http: Callable[[Request, int, str], Response]


def add_shape(app: FastAPI, shape: ErrorShape) -> None:
    """Errors under ``shape.prefix`` take its shape; the feature that owns the API says so."""
    app.state.error_shapes = (*getattr(app.state, "error_shapes", ()), shape)


def shape_of(request: Request) -> ErrorShape | None:
    shapes: tuple[ErrorShape, ...] = getattr(request.app.state, "error_shapes", ())
    return next((s for s in shapes if request.url.path.startswith(s.prefix + "/")), None)


def is_api(request: Request) -> bool:
    """JSON for machines: resim's API, the ES2+ endpoint the SM-DP+ calls, and an API with an
    error shape of its own (CAMARA's)."""
    return request.url.path.startswith(("/api/", "/gsma/")) or shape_of(request) is not None


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://resim.example/problems/{code.lower().replace('_', '-')}",
        "title": translate(request, TITLES.get(status, N_("Error"))),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
        "correlationId": getattr(request.state, "correlation_id", None),
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def error_page(request: Request, status: int, code: str, detail: str) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": translate(request, TITLES.get(status, N_("Error"))),
            "detail": detail,
            "code": code,
            "correlation_id": getattr(request.state, "correlation_id", None),
        },
        status_code=status,
    )


def app_error_message(request: Request, exc: AppError) -> str:
    return translate(request, exc.message, **exc.params)


def respond(request: Request, exc: AppError) -> Response:
    status = STATUS[exc.kind]
    detail = app_error_message(request, exc)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    if is_api(request):
        errors = [{"field": exc.field, "code": exc.code, "detail": detail}] if exc.field else None
        return problem(request, status, exc.code, detail, errors=errors, headers=headers)
    response = error_page(request, status, exc.code, detail)
    if headers:
        response.headers.update(headers)
    return response


def validation_errors(request: Request, exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        location = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "form")
        ]
        kind = str(error.get("type", ""))
        if kind == "value_error":
            # Our own validators raise ValueError with a message id as the text.
            ctx = error.get("ctx") or {}
            raw = ctx.get("error")
            message = getattr(raw, "message", None) or (
                str(raw) if raw else N_("This value is not valid.")
            )
            code = getattr(raw, "code", "INVALID_VALUE")
        else:
            message = FIELD_MESSAGES.get(kind, N_("This value is not valid."))
            code = "INVALID_VALUE" if kind != "missing" else "MISSING_VALUE"
        out.append(
            {
                "field": ".".join(location) or None,
                "code": code,
                "detail": translate(request, message),
            }
        )
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return respond(request, exc)

    @app.exception_handler(OfficeSignIn)
    async def _office_signin(request: Request, exc: OfficeSignIn) -> Response:
        slug = request.path_params.get("tenant", "")
        target = request.url.path if request.method == "GET" else f"/{slug}/office/"
        return RedirectResponse(f"/{slug}/office/signin?next={quote(target)}", status_code=303)

    @app.exception_handler(InvalidIdentifier)
    async def _identifier(request: Request, exc: InvalidIdentifier) -> Response:
        return respond(request, Invalid(exc.code, exc.message))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        shape = shape_of(request)
        if shape is not None:
            return shape.validation(request, list(exc.errors()))
        errors = validation_errors(request, exc)
        detail = translate(request, "Some fields are not valid.")
        if is_api(request):
            return problem(request, 422, "INVALID_INPUT", detail, errors=errors)
        messages = "; ".join(e["detail"] for e in errors)
        return error_page(request, 422, "INVALID_INPUT", f"{detail} {messages}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, f"HTTP_{status}")
        shape = shape_of(request)
        if shape is not None:
            return shape.http(request, status, str(TITLES.get(status, "Error")))
        detail = translate(request, TITLES.get(status, N_("Error")))
        if is_api(request):
            return problem(request, status, code, detail)
        return error_page(request, status, code, detail)
