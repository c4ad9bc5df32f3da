"""Back-office sign-in (password and TOTP), account set-up, and the admin's agents page."""

from __future__ import annotations

import uuid

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.agent import service
from resim.agent.guards import office, office_agent
from resim.agent.roles import Action, Role
from resim.agent.schemas import ChangeAgentForm, NewAgentForm, SetupForm, SignInForm
from resim.errors import AppError
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, OFFICE_COOKIE, Context, safe_next
from resim.web.errors import STATUS, app_error_message
from resim.web.forms import parse
from resim.web.security import csrf, current_tenant
from resim.web.templating import render
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/{tenant}/office", include_in_schema=False)


def _home(tenant: Tenant) -> str:
    return f"/{tenant.slug}/office/"


def _signin_page(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    target: str,
    errors: dict[str, str],
    email: str = "",
    status: int = 200,
) -> Response:
    hints = []
    if ctx.settings.demo:
        hints = service.demo_hints(session, ctx.settings, tenant.id, ctx.now)
    return render(
        ctx.request,
        "office_signin.html",
        {
            "errors": errors,
            "next": target,
            "email": email,
            "hints": hints,
            "demo_password": service.DEMO_PASSWORD,
        },
        status,
    )


@router.get("/signin")
def signin_page(
    next_: str = Query("", alias="next"),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _signin_page(ctx, session, tenant, safe_next(next_, _home(tenant)), {})


@router.post("/signin", dependencies=[Depends(csrf)])
def signin(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    code: str = Form(""),
    next_: str = Form("", alias="next"),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    target = safe_next(next_, _home(tenant))
    parsed = parse(request, SignInForm, {"email": email, "password": password, "code": code})
    if isinstance(parsed, dict):
        return _signin_page(ctx, session, tenant, target, parsed, email, 422)
    result = service.sign_in(
        session,
        ctx.settings,
        tenant.id,
        email=parsed.email,
        password=parsed.password,
        code=parsed.code,
        at=ctx.now,
        ip=ctx.ip,
    )
    if isinstance(result, AppError):
        keep_failed_try(session)  # counted towards the lock-out, and audited
        errors = {"form": app_error_message(request, result)}
        return _signin_page(ctx, session, tenant, target, errors, email, STATUS[result.kind])
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        OFFICE_COOKIE,
        result.token,
        max_age=ctx.settings.security.agent_session_minutes * 60,
        httponly=True,
        secure=ctx.settings.security.cookie_secure,
        samesite="strict",
        path=f"/{tenant.slug}/office",
    )
    return response


@router.post("/signout", dependencies=[Depends(csrf)])
def signout(
    tenant: Tenant = Depends(current_tenant),
    who: service.AgentPrincipal = Depends(office_agent),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    service.sign_out(session, who, ctx.now, ctx.ip)
    response = RedirectResponse(f"/{tenant.slug}/office/signin", status_code=303)
    response.delete_cookie(OFFICE_COOKIE, path=f"/{tenant.slug}/office")
    return response


def _setup_page(
    request: Request,
    tenant: Tenant,
    setup: service.Setup,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    uri = setup.uri(tenant.name)
    return render(
        request,
        "office_setup.html",
        {
            "agent": setup.agent,
            "secret": setup.secret,
            "qr_svg": segno.make(uri, error="m").svg_inline(scale=4),
            "errors": errors,
        },
        status,
    )


@router.get("/setup/{setup_token}")
def setup_page(
    request: Request,
    setup_token: str,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    setup = service.begin_setup(session, ctx.settings, tenant.id, setup_token, ctx.now)
    return _setup_page(request, tenant, setup, {})


@router.post("/setup/{setup_token}", dependencies=[Depends(csrf)])
def setup(
    request: Request,
    setup_token: str,
    password: str = Form(""),
    code: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    started = service.begin_setup(session, ctx.settings, tenant.id, setup_token, ctx.now)
    parsed = parse(request, SetupForm, {"password": password, "code": code})
    if isinstance(parsed, dict):
        return _setup_page(request, tenant, started, parsed, 422)
    try:
        service.finish_setup(
            session,
            ctx.settings,
            tenant.id,
            setup_token,
            password=parsed.password,
            code=parsed.code,
            at=ctx.now,
            ip=ctx.ip,
        )
    except AppError as exc:
        errors = {exc.field or "form": app_error_message(request, exc)}
        return _setup_page(request, tenant, started, errors, STATUS[exc.kind])
    return RedirectResponse(f"/{tenant.slug}/office/signin?ready=1", status_code=303)


def _agents_page(
    request: Request,
    session: Session,
    tenant: Tenant,
    *,
    errors: dict[str, str] | None = None,
    link: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "office_agents.html",
        {
            "agents": service.agents(session, tenant.id),
            "roles": list(Role),
            "errors": errors or {},
            "link": link,
        },
        status,
    )


@router.get("/agents")
def agents_page(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: service.AgentPrincipal = Depends(office(Action.AGENTS)),
    session: Session = DB,
) -> Response:
    return _agents_page(request, session, tenant)


def _setup_link(ctx: Context, tenant: Tenant, setup_token: str) -> str:
    base = ctx.settings.public_url.rstrip("/")
    return f"{base}/{tenant.slug}/office/setup/{setup_token}"


@router.post("/agents", dependencies=[Depends(csrf)])
def create_agent(
    request: Request,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: service.AgentPrincipal = Depends(office(Action.AGENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    parsed = parse(request, NewAgentForm, {"email": email, "name": name, "role": role})
    if isinstance(parsed, dict):
        return _agents_page(request, session, tenant, errors=parsed, status=422)
    try:
        agent, setup_token = service.create(
            session,
            ctx.settings,
            tenant.id,
            email=parsed.email,
            name=parsed.name,
            role=parsed.role,
            at=ctx.now,
            actor=who.actor(ctx.ip),
        )
    except AppError as exc:
        errors = {exc.field or "form": app_error_message(request, exc)}
        return _agents_page(request, session, tenant, errors=errors, status=STATUS[exc.kind])
    link = _setup_link(ctx, tenant, setup_token)
    service.send_setup_link(session, ctx.settings, tenant.name, agent, link, at=ctx.now)
    return _agents_page(request, session, tenant, link=agent.email)


@router.post("/agents/{agent_id}", dependencies=[Depends(csrf)])
def change_agent(
    request: Request,
    agent_id: uuid.UUID,
    role: str = Form(""),
    active: str = Form(""),
    reset: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: service.AgentPrincipal = Depends(office(Action.AGENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    try:
        if reset:
            agent, setup_token = service.new_setup_link(
                session, ctx.settings, tenant.id, agent_id, by=who, at=ctx.now, ip=ctx.ip
            )
            link = _setup_link(ctx, tenant, setup_token)
            service.send_setup_link(session, ctx.settings, tenant.name, agent, link, at=ctx.now)
            return _agents_page(request, session, tenant, link=agent.email)
        parsed = parse(request, ChangeAgentForm, {"role": role, "active": bool(active)})
        if isinstance(parsed, dict):
            return _agents_page(request, session, tenant, errors=parsed, status=422)
        service.change(
            session,
            tenant.id,
            agent_id,
            role=parsed.role,
            active=parsed.active,
            by=who,
            at=ctx.now,
            ip=ctx.ip,
        )
    except AppError as exc:
        if exc.kind.value == "not_found":
            raise
        errors = {"form": app_error_message(request, exc)}
        return _agents_page(request, session, tenant, errors=errors, status=STATUS[exc.kind])
    return RedirectResponse(f"/{tenant.slug}/office/agents", status_code=303)
