"""Per-request plumbing shared by routes: deps, the unit of work, language, client IP."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.deps import Deps
from resim.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext_for, negotiate

LANG_COOKIE = "resim_lang"
SESSION_COOKIE = "resim_session"
CSRF_COOKIE = "resim_csrf"
OFFICE_COOKIE = "resim_office"
DEVICE_COOKIE = "resim_device"
DEVICE_HEADER = "x-device-id"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LOCAL_PATH = re.compile(r"^/[A-Za-z0-9/_\-.?=&%]*$")


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def db(request: Request) -> Iterator[Session]:
    """The request's unit of work: the route commits; anything else is rolled back."""
    session = deps_of(request).sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def language(request: Request) -> str:
    """The switcher's cookie, else the browser's Accept-Language, else the tenant's default."""
    cached = getattr(request.state, "language", None)
    if isinstance(cached, str):
        return cached
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen not in LANGUAGES:
        chosen = negotiate(request.headers.get("accept-language"))
    if chosen is None:
        chosen = getattr(request.state, "tenant_language", None) or DEFAULT_LANGUAGE
    request.state.language = chosen
    return chosen


def translate(request: Request, message: str, **params: object) -> str:
    text = gettext_for(language(request), message)
    return text % params if params else text


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def client_country(request: Request) -> str | None:
    """The ISO country code the trusted edge proxy put in the configured header, if any."""
    header = deps_of(request).settings.security.country_header
    value = request.headers.get(header, "").strip().upper() if header else ""
    return value if _COUNTRY.match(value) else None


def device_id(value: str | None) -> str | None:
    """A browser's device cookie or an app's install id, if it has a sane shape."""
    return value if value and _DEVICE_ID.match(value) else None


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths: a redirect target never leaves the site."""
    if value and _LOCAL_PATH.match(value) and not value.startswith("//"):
        return value
    return default


# The session closes as soon as the route returns, before the answer is streamed: nothing
# holds a database lock while middleware (Idempotency-Key) writes afterwards.
DB = Depends(db, scope="function")
