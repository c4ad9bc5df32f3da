"""Sign-in pages: ask for a code by e-mail, then type it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.auth import service
from resim.auth.guards import page_customer
from resim.auth.schemas import CodeRequest, CodeVerification
from resim.errors import AppError
from resim.kit.crypto import token
from resim.tenant.models import Tenant
from resim.web.context import (
    CTX,
    DB,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    Context,
    client_country,
    device_id,
    safe_next,
)
from resim.web.errors import STATUS, app_error_message
from resim.web.forms import parse
from resim.web.security import csrf, current_tenant
from resim.web.templating import render
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/{tenant}", include_in_schema=False)


@router.get("/signin")
def signin_page(
    request: Request,
    next_: str = Query("", alias="next"),
    again: bool = False,
    tenant: Tenant = Depends(current_tenant),
    who: service.Principal | None = Depends(page_customer),
) -> Response:
    """``again``: a signed-in customer signs in anew (an eSIM code needs a recent sign-in)."""
    target = safe_next(next_, f"/{tenant.slug}/lines")
    if who is not None and not again:
        return RedirectResponse(target, status_code=303)
    return render(
        request, "signin.html", {"email": "", "errors": {}, "next": target, "again": again}
    )


@router.post("/signin", dependencies=[Depends(csrf)])
def signin_request(
    request: Request,
    email: str = Form(""),
    next_: str = Form("", alias="next"),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    target = safe_next(next_, f"/{tenant.slug}/lines")
    parsed = parse(request, CodeRequest, {"email": email})
    if isinstance(parsed, dict):
        page = {"email": email, "errors": parsed, "next": target}
        return render(request, "signin.html", page, 422)
    try:
        service.request_code(
            session,
            ctx.settings,
            tenant,
            parsed.email,
            ip=ctx.ip,
            language=ctx.language,
            now=ctx.now,
        )
    except AppError as exc:
        page = {
            "email": email,
            "errors": {"email": app_error_message(request, exc)},
            "next": target,
        }
        return render(request, "signin.html", page, STATUS[exc.kind])
    return render(
        request,
        "signin_code.html",
        {
            "email": parsed.email,
            "errors": {},
            "code_minutes": ctx.settings.security.signin_code_minutes,
            "next": target,
        },
    )


@router.post("/signin/code", dependencies=[Depends(csrf)])
def signin_verify(
    request: Request,
    email: str = Form(""),
    code: str = Form(""),
    next_: str = Form("", alias="next"),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    target = safe_next(next_, f"/{tenant.slug}/lines")
    parsed = parse(request, CodeVerification, {"email": email, "code": code})
    if isinstance(parsed, dict):
        page = {"email": email, "errors": parsed, "next": target}
        return render(request, "signin_code.html", page, 422)
    device = device_id(request.cookies.get(DEVICE_COOKIE)) or token(24)
    result = service.verify_code(
        session,
        ctx.settings,
        tenant,
        parsed.email,
        parsed.code,
        ip=ctx.ip,
        now=ctx.now,
        device=device,
        country=client_country(request),
    )
    if not isinstance(result, service.SignedIn):
        keep_failed_try(session)  # a wrong code is counted even though the page is an error
        errors = {"code": app_error_message(request, result)}
        return render(
            request,
            "signin_code.html",
            {"email": parsed.email, "errors": errors, "next": target},
            STATUS[result.kind],
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=ctx.settings.security.session_minutes * 60,
        httponly=True,
        secure=ctx.settings.security.cookie_secure,
        samesite="lax",
        path=f"/{tenant.slug}",
    )
    # The browser's own id, kept across sessions: a sign-in from a new one is a risk signal.
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=400 * 24 * 3600,
        httponly=True,
        secure=ctx.settings.security.cookie_secure,
        samesite="lax",
        path="/",
    )
    return response


@router.post("/signout", dependencies=[Depends(csrf)])
def signout(
    tenant: Tenant = Depends(current_tenant),
    who: service.Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is not None:
        service.sign_out(session, who.session_id, ctx.now)
    response = RedirectResponse(f"/{tenant.slug}/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"/{tenant.slug}")
    return response
