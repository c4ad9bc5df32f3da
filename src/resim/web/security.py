"""Route guards every feature shares: the tenant of the path, a bearer token, CSRF on forms.

Who is signed in is the auth feature's (:mod:`resim.auth.guards`) and the back office's
(:mod:`resim.agent.guards`) to say: the web layer imports no feature that has routes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from resim.errors import Forbidden
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.web.context import CSRF_COOKIE, DB


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


async def csrf(request: Request) -> None:
    """Forms carry the token of the CSRF cookie (double submit, SameSite=Strict cookie)."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            "CSRF_FAILED", "This form has expired. Go back, reload the page and try again."
        )
