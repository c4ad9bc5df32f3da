"""Route guards: the tenant of the path, the signed-in customer, CSRF on forms."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.agent import service as agents
from resim.agent.roles import Action
from resim.audit.service import Actor
from resim.auth import service as auth
from resim.errors import Forbidden, Unauthenticated
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.web.context import (
    CSRF_COOKIE,
    CTX,
    DB,
    OFFICE_COOKIE,
    SESSION_COOKIE,
    Context,
    client_ip,
)
from resim.web.errors import OfficeSignIn
from resim.web.unit_of_work import keep_failed_try


@dataclass(frozen=True)
class TenantRef:
    slug: str
    name: str


def current_tenant(tenant: str, request: Request, session: Session = DB) -> Tenant:
    found = tenants.get(session, tenant)
    # A plain copy for templates: error pages render after the session is gone.
    request.state.tenant = TenantRef(found.slug, found.name)
    request.state.branding = tenants.branding(found)
    request.state.tenant_language = found.default_language
    return found


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def api_customer(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> auth.Principal:
    return auth.principal(session, ctx.settings, tenant, bearer(request), ctx.now)


def customer_actor(request: Request, who: auth.Principal) -> Actor:
    """The signed-in customer as the audit log names them, with the request's address."""
    return Actor("customer", str(who.customer_id), client_ip(request))


def page_customer(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> auth.Principal | None:
    """The signed-in customer of a page, or None (the page redirects to sign-in)."""
    try:
        found = auth.principal(
            session, ctx.settings, tenant, request.cookies.get(SESSION_COOKIE), ctx.now
        )
    except Unauthenticated:
        return None
    request.state.signed_in = True
    return found


async def csrf(request: Request) -> None:
    """Forms carry the token of the CSRF cookie (double submit, SameSite=Strict cookie)."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            "CSRF_FAILED", "This form has expired. Go back, reload the page and try again."
        )


def office_agent(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> agents.AgentPrincipal:
    try:
        who = agents.principal(
            session, ctx.settings, tenant.id, request.cookies.get(OFFICE_COOKIE), ctx.now
        )
    except Unauthenticated as exc:
        raise OfficeSignIn(exc.code, exc.message) from None
    keep_failed_try(session)  # the session's last use counts even if the route then fails
    request.state.agent = who
    return who


def office(action: Action) -> Callable[..., agents.AgentPrincipal]:
    """The signed-in agent, if their role allows ``action`` (403 otherwise)."""

    def guard(who: agents.AgentPrincipal = Depends(office_agent)) -> agents.AgentPrincipal:
        agents.require(who, action)
        return who

    return guard


def agent_actor(request: Request, who: agents.AgentPrincipal) -> Actor:
    return who.actor(client_ip(request))
