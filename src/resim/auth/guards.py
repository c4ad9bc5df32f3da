"""Route guards of the customer's side: the signed-in customer of the JSON API (a bearer
token) and of the portal's pages (the session cookie), and how the audit log names them."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.audit.service import Actor
from resim.auth import service as auth
from resim.errors import Unauthenticated
from resim.tenant.models import Tenant
from resim.web.context import DB, SESSION_COOKIE, client_ip, deps_of
from resim.web.security import bearer, current_tenant


def api_customer(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    session: Session = DB,
) -> auth.Principal:
    deps = deps_of(request)
    return auth.principal(session, deps.settings, tenant, bearer(request), deps.clock.now())


def customer_actor(request: Request, who: auth.Principal) -> Actor:
    """The signed-in customer as the audit log names them, with the request's address."""
    return Actor("customer", str(who.customer_id), client_ip(request))


def page_customer(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    session: Session = DB,
) -> auth.Principal | None:
    """The signed-in customer of a page, or None (the page redirects to sign-in)."""
    deps = deps_of(request)
    try:
        found = auth.principal(
            session, deps.settings, tenant, request.cookies.get(SESSION_COOKIE), deps.clock.now()
        )
    except Unauthenticated:
        return None
    request.state.signed_in = True
    return found
