"""Site-wide pages: choose an operator, switch language, the device checklist, the outbox."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.errors import NotFound
from resim.i18n import LANGUAGES
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, LANG_COOKIE, Context, safe_next
from resim.web.security import current_tenant
from resim.web.templating import render

router = APIRouter(include_in_schema=False)
tenant_router = APIRouter(prefix="/{tenant}", include_in_schema=False)


@router.get("/")
def home(request: Request, ctx: Context = CTX, session: Session = DB) -> Response:
    demo_accounts: list[tuple[str, str]] = []
    if ctx.settings.demo:
        demo_accounts = request.app.state.demo_accounts
    return render(
        request,
        "home.html",
        {"tenants": tenants.all_tenants(session), "demo_accounts": demo_accounts},
    )


@router.get("/healthz")
def healthz(session: Session = DB) -> dict[str, str]:
    """Ready: the database answers."""
    session.connection()
    return {"status": "ok"}


@router.get("/livez")
async def livez() -> dict[str, str]:
    """Alive: the process answers (no database; the cheapest route, a benchmark's ceiling)."""
    return {"status": "ok"}


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, ctx: Context = CTX) -> Response:
    if code not in LANGUAGES:
        raise NotFound("LANGUAGE_NOT_FOUND", "This language is not supported.")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=ctx.settings.security.cookie_secure,
    )
    return response


@router.get("/outbox")
def outbox(request: Request, ctx: Context = CTX) -> Response:
    box = ctx.deps.outbox
    if box is None or not ctx.settings.demo:
        raise NotFound("NOT_FOUND", "Not found")
    sms = ctx.deps.sms_outbox
    texts = sms.messages(50) if sms is not None else []
    return render(request, "outbox.html", {"messages": box.messages(50), "texts": texts})


@tenant_router.get("/checklist")
def checklist(request: Request, tenant: Tenant = Depends(current_tenant)) -> Response:
    return render(request, "checklist.html", {})
