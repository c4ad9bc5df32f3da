"""Correlation ids and logs, security headers, the CSRF cookie, Idempotency-Key replay."""

from __future__ import annotations

import datetime as dt
import re
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resim.config import Settings
from resim.db.engine import transaction
from resim.errors import AppError
from resim.idempotency import service as idempotency
from resim.kit.crypto import digest, keyed_hash, token
from resim.web.context import CSRF_COOKIE, client_ip, deps_of, translate
from resim.web.errors import error_page, is_api, problem, respond

log = structlog.get_logger("resim.web")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-_.:]{8,80}$")

Next = Callable[[Request], Awaitable[Response]]

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def install(app: FastAPI) -> None:
    # Added last runs first: the edge wraps everything. Both are plain ASGI: a request
    # without an Idempotency-Key pays for no extra task or stream.
    app.add_middleware(_Idempotency)
    app.add_middleware(_Edge)


class _Edge:
    """Correlation id and the request's log line, security headers, the CSRF cookie, and
    a 500 in the caller's language for anything unexpected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        incoming = request.headers.get("x-request-id", "")
        correlation_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.correlation_id = correlation_id
        existing = request.cookies.get(CSRF_COOKIE)
        request.state.csrf_token = existing or token(24)
        settings = deps_of(request).settings
        new_cookie = None if existing or is_api(request) else _csrf_cookie(request, settings)
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500
        begun = False

        async def sending(message: Message) -> None:
            nonlocal status, begun
            if message["type"] == "http.response.start":
                begun = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = correlation_id
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if settings.production:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                if new_cookie is not None:
                    headers.append("set-cookie", new_cookie)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            log.error(
                "request.failed",
                error=type(exc).__name__,
                where=f"{frame.filename}:{frame.lineno}" if frame else None,
            )
            if begun:  # half an answer is out: nothing better to do than drop the connection
                raise
            detail = translate(request, "Something went wrong on our side. Please try again.")
            failure: Response
            if is_api(request):
                failure = problem(request, 500, "INTERNAL_ERROR", detail)
            else:
                failure = error_page(request, 500, "INTERNAL_ERROR", detail)
            await failure(scope, receive, sending)
        finally:
            # Only the route template is logged: paths may carry phone numbers.
            route = scope.get("route")
            log.info(
                "request",
                method=scope["method"],
                route=getattr(route, "path", "unmatched"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("correlation_id")


def _csrf_cookie(request: Request, settings: Settings) -> str:
    """The Set-Cookie value that gives a browser its CSRF token."""
    carrier = Response()
    carrier.set_cookie(
        CSRF_COOKIE,
        request.state.csrf_token,
        httponly=True,
        samesite="strict",
        secure=settings.security.cookie_secure,
        path="/",
    )
    return carrier.headers["set-cookie"]


class _Idempotency:
    """Only a POST carrying an Idempotency-Key goes through the replay store."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.replaying = BaseHTTPMiddleware(app, dispatch=_idempotency)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and any(name == b"idempotency-key" for name, _ in scope["headers"])
        ):
            await self.replaying(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _idempotency(request: Request, call_next: Next) -> Response:
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or key is None or not is_api(request):
        return await call_next(request)
    deps = deps_of(request)
    secret = deps.settings.secret_bytes
    authorization = request.headers.get("authorization")
    principal = keyed_hash(secret, "idem", authorization or f"ip:{client_ip(request)}")[:64]
    body = await request.body()
    request_hash = digest(request.method.encode() + request.url.path.encode() + b"\n" + body)
    ttl = deps.settings.security.idempotency_hours
    try:
        with transaction(deps.sessions) as session:
            replay = idempotency.begin(
                session,
                principal=principal,
                key=key,
                request_hash=request_hash,
                secret=secret,
                now=deps.clock.now(),
                ttl=dt.timedelta(hours=ttl),
            )
    except AppError as exc:
        return respond(request, exc)
    if replay is not None:
        return Response(
            replay.body,
            status_code=replay.status_code,
            media_type=replay.content_type,
            headers={"Idempotent-Replayed": "true"},
        )
    response = await call_next(request)
    chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
    content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
    with transaction(deps.sessions) as session:
        idempotency.finish(
            session,
            principal=principal,
            key=key,
            status_code=response.status_code,
            content_type=response.headers.get("content-type", "application/json"),
            body=content,
            secret=secret,
        )
    replayable = Response(content, status_code=response.status_code)
    replayable.raw_headers = [
        (name, value) for name, value in response.raw_headers if name.lower() != b"content-length"
    ] + [(b"content-length", str(len(content)).encode())]
    return replayable
