"""Jinja2 templates from every feature's templates/ folder, translated per request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from resim.i18n import LANGUAGES, gettext_for
from resim.kit.money import format_eur
from resim.web.context import CSRF_COOKIE, deps_of, language
from resim.web.unit_of_work import discard

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["web", "auth", "line", "replacement", "delivery", "office", "agent", "review", "camara"]

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(ROOT / name / "templates") for name in FOLDERS]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def share(**values: Any) -> None:
    """Values every template sees that a feature owns (the back office's role names): the
    app passes them once, so that the web layer imports no feature."""
    env.globals.update(values)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """The page in the request's language. An error page (4xx, 5xx) discards the request's
    unit of work: a form shown again keeps nothing half done."""
    if status_code >= 400:
        discard(request)
    lang = language(request)

    def _(message: str, **params: object) -> str:
        text = gettext_for(lang, message)
        return text % params if params else text

    def when(value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "—"
        from babel.dates import format_date, format_datetime

        locale = {"zh": "zh_Hans_CN"}.get(lang, lang)
        if isinstance(value, dt.datetime):
            return format_datetime(value, "medium", tzinfo=dt.UTC, locale=locale) + " UTC"
        return format_date(value, "medium", locale=locale)

    deps = deps_of(request)
    values: dict[str, Any] = {
        "request": request,
        "_": _,
        "lang": lang,
        "languages": LANGUAGES,
        "when": when,
        "money": lambda cents: format_eur(cents, lang),
        "csrf_token": request.state.csrf_token if hasattr(request.state, "csrf_token") else "",
        "demo": deps.settings.demo,
        "outbox_enabled": deps.outbox is not None,
        "tenant": getattr(request.state, "tenant", None),
        "branding": getattr(request.state, "branding", None),
        "signed_in": getattr(request.state, "signed_in", False),
        "office_agent": getattr(request.state, "agent", None),
        "path": request.url.path,
        "code_minutes": deps.settings.security.signin_code_minutes,
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    # Pages can hold personal data: never keep them in shared or browser caches.
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["CSRF_COOKIE", "render"]
