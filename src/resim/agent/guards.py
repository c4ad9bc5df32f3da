"""Route guards of the back office: the signed-in agent (the office cookie) and what their
role allows."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.agent import service as agents
from resim.agent.roles import Action
from resim.audit.service import Actor
from resim.errors import Unauthenticated
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, OFFICE_COOKIE, Context, client_ip
from resim.web.errors import OfficeSignIn
from resim.web.security import current_tenant
from resim.web.unit_of_work import keep_failed_try


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
