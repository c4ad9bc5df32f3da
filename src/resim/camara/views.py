"""Pages of the SIM Swap API: the holder allows or refuses a bank's request (by the e-mail's
link or in the portal); the back office sees the banks' queries and manages their clients."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from resim.agent.guards import agent_actor, office
from resim.agent.roles import Action
from resim.agent.service import AgentPrincipal
from resim.audit.service import Actor
from resim.auth.guards import page_customer
from resim.auth.service import Principal
from resim.camara import service
from resim.camara.service import ConsentView
from resim.errors import AppError, Invalid
from resim.i18n import N_
from resim.kit.telecom import ItalianMobile
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context
from resim.web.errors import STATUS, app_error_message
from resim.web.forms import FORM
from resim.web.security import csrf, current_tenant
from resim.web.templating import render

router = APIRouter(prefix="/{tenant}", include_in_schema=False)
office_router = APIRouter(prefix="/{tenant}/office", include_in_schema=False)

SCOPE_TEXT = {
    service.CHECK: N_("whether the SIM was changed in a recent period"),
    service.RETRIEVE_DATE: N_("the date of the latest SIM change"),
    service.SUBSCRIBE: N_("a notice whenever the SIM changes"),
    service.SUBSCRIPTIONS_READ: N_("the notices it has asked for"),
    service.SUBSCRIPTIONS_DELETE: N_("stopping the notices it has asked for"),
}


def _consent_page(
    request: Request,
    view: ConsentView,
    action: str,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    response = render(
        request,
        "consent.html",
        {
            "view": view,
            "action": action,
            "scope_text": SCOPE_TEXT,
            "done": done,
            "error": error,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _decide(
    ctx: Context,
    session: Session,
    view: ConsentView,
    decision: str,
    actor: Actor,
    action: str,
) -> Response:
    if decision not in ("allow", "refuse"):
        raise Invalid("CONSENT_DECISION", "Choose to allow or to refuse.")
    request = ctx.request
    try:
        service.decide(session, view, decision == "allow", actor=actor, at=ctx.now)
    except AppError as exc:
        return _consent_page(
            request, view, action, error=app_error_message(request, exc), status=STATUS[exc.kind]
        )
    return _consent_page(request, view, action, done=view.request.state)


def _by_link(ctx: Context, session: Session, tenant: Tenant, link: str) -> ConsentView:
    return service.consent_by_link(session, ctx.settings.secret_bytes, tenant.id, link, ctx.now)


@router.get("/consents/{link}")
def consent_by_link(
    link: str,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """The page the e-mail's link opens: whoever holds the mailbox answers."""
    view = _by_link(ctx, session, tenant, link)
    return _consent_page(ctx.request, view, f"/{tenant.slug}/consents/{link}")


@router.post("/consents/{link}", dependencies=[Depends(csrf)])
def answer_by_link(
    link: str,
    decision: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    view = _by_link(ctx, session, tenant, link)
    actor = Actor("customer", "link", ctx.ip)
    return _decide(ctx, session, view, decision, actor, f"/{tenant.slug}/consents/{link}")


@router.get("/account/consents")
def consents_page(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """The banks' requests about the customer's numbers, in the last 30 days."""
    if who is None:
        return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)
    views = service.consents_of_customer(session, tenant.id, who.customer_id, ctx.now)
    return render(request, "consents.html", {"views": views, "scope_text": SCOPE_TEXT})


@router.post("/account/consents/{request_id}", dependencies=[Depends(csrf)])
def answer_in_portal(
    request_id: uuid.UUID,
    decision: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)
    view = service.consent_of_customer(session, tenant.id, who.customer_id, request_id, ctx.now)
    actor = Actor("customer", str(who.customer_id), ctx.ip)
    action = f"/{tenant.slug}/account/consents/{request_id}"
    return _decide(ctx, session, view, decision, actor, action)


# -- back office ---------------------------------------------------------------------------


@office_router.get("/bank-queries")
def bank_queries(
    request: Request,
    number: str = Query("", max_length=20),
    client: str = Query("", max_length=40),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.BANK_QUERIES)),
    session: Session = DB,
) -> Response:
    """Every SIM Swap API query about the tenant's numbers: client, number, outcome, time."""
    phone = str(ItalianMobile(number)) if number.strip() else None  # refused as any bad number
    rows = service.queries(session, tenant.id, phone_number=phone, client_id=client or None)
    return render(
        request,
        "office_bank_queries.html",
        {"rows": rows, "number": number, "client": client},
    )


def _clients_page(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    *,
    created: service.NewClient | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    response = render(
        ctx.request,
        "office_bank_clients.html",
        {
            "clients": service.clients_of(session, tenant.id),
            "scopes": service.SCOPES,
            "created": created,
            "error": error,
            "default_per_minute": ctx.settings.camara.per_minute,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"  # a new secret is shown once
    return response


@office_router.get("/bank-clients")
def bank_clients(
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.BANK_CLIENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _clients_page(ctx, session, tenant)


@office_router.post("/bank-clients", dependencies=[Depends(csrf)])
def bank_client_create(
    form: FormData = FORM,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.BANK_CLIENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """A client for this tenant's numbers; its secret is shown once, here."""
    try:
        per_minute = int(str(form.get("per_minute") or ctx.settings.camara.per_minute))
        per_day_text = str(form.get("per_day") or "").strip()
        per_day = int(per_day_text) if per_day_text else None
    except ValueError:
        message = ctx.translate("Limits are whole numbers above zero.")
        return _clients_page(ctx, session, tenant, error=message, status=422)
    try:
        created = service.create_client(
            session,
            ctx.settings.secret_bytes,
            name=str(form.get("name") or ""),
            scopes=[str(s) for s in form.getlist("scopes")],
            tenant_ids=[tenant.id],
            per_minute=per_minute,
            per_day=per_day,
            actor=agent_actor(ctx.request, who),
            at=ctx.now,
        )
    except AppError as exc:
        session.rollback()  # the list shows the clients as they stay
        message = app_error_message(ctx.request, exc)
        return _clients_page(ctx, session, tenant, error=message, status=STATUS[exc.kind])
    return _clients_page(ctx, session, tenant, created=created)


@office_router.post("/bank-clients/{ref}/active", dependencies=[Depends(csrf)])
def bank_client_active(
    ref: uuid.UUID,
    active: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.BANK_CLIENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    service.set_active(
        session, tenant.id, ref, active == "yes", actor=agent_actor(ctx.request, who), at=ctx.now
    )
    return RedirectResponse(f"/{tenant.slug}/office/bank-clients", status_code=303)
