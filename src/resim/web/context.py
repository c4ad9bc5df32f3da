"""Per-request plumbing shared by routes: the request context (deps, settings, clock and
the request's instant, language, client IP), the unit of work's session, cookies' names."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi import Depends, Request

from resim.config import Settings
from resim.deps import Deps
from resim.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext_for, negotiate
from resim.kit.clock import Clock
from resim.web.unit_of_work import DB as DB  # the routes' one import of their session

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


@dataclass(frozen=True)
class Context:
    """What a route knows about its request, gathered by one dependency (:data:`CTX`):
    the process's ports and settings, the request's one instant, who is calling from where.
    The tenant and the signed-in principal stay their own typed dependencies
    (``resim.web.security``), since which principal a route wants differs by route."""

    request: Request
    deps: Deps
    now: dt.datetime

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def ip(self) -> str:
        return client_ip(self.request)

    @property
    def language(self) -> str:
        """Read when asked: the tenant's default language is known once its guard ran."""
        return language(self.request)

    def translate(self, message: str, **params: object) -> str:
        return translate(self.request, message, **params)


async def request_context(request: Request) -> Context:
    """Async only to skip the thread hop: it reads the clock and nothing else."""
    deps = deps_of(request)
    return Context(request, deps, deps.clock.now())


CTX = Depends(request_context)
