"""Route guards of the customer's side: the signed-in customer of the JSON API (a bearer
token) and of the portal's pages (the session cookie), and how the audit log names them."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.audit.service import Actor
from resim.auth import service as auth
from resim.errors import Unauthenticated
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, SESSION_COOKIE, Context, client_ip
from resim.web.security import bearer, current_tenant


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
