"""The customer's status page: lines, profiles, events; suspend and reactivate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.auth.guards import customer_actor, page_customer
from resim.auth.service import Principal
from resim.errors import AppError, Invalid
from resim.kit.telecom import InvalidIdentifier, ItalianMobile
from resim.line import service
from resim.line.schemas import ReactivateReason, SuspendReason
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context
from resim.web.security import csrf, current_tenant
from resim.web.templating import render

router = APIRouter(prefix="/{tenant}", include_in_schema=False)


def _signin(tenant: Tenant) -> Response:
    return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)


def _number(msisdn: str) -> str:
    try:
        return str(ItalianMobile(msisdn))
    except InvalidIdentifier as exc:
        raise Invalid(exc.code, exc.message) from exc


@router.get("/")
def tenant_home(
    tenant: Tenant = Depends(current_tenant), who: Principal | None = Depends(page_customer)
) -> Response:
    target = "lines" if who else "signin"
    return RedirectResponse(f"/{tenant.slug}/{target}", status_code=303)


@router.get("/lines")
def status_page(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    views = service.overview(session, who.tenant_id, who.customer_id)
    return render(request, "status.html", {"views": views})


@router.get("/lines/{msisdn}")
def line_page(
    msisdn: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    view = service.line_overview(session, who.tenant_id, who.customer_id, _number(msisdn))
    done = request.query_params.get("done")
    return render(
        request,
        "line.html",
        {
            "view": view,
            "done": done if done in ("suspended", "reactivated") else None,
            "suspend_reasons": list(SuspendReason),
            "reactivate_reasons": list(ReactivateReason),
            "error": None,
        },
    )


@router.post("/lines/{msisdn}/suspend", dependencies=[Depends(csrf)])
def suspend(
    msisdn: str,
    reason: str = Form("lost"),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    return _change(ctx, session, tenant, who, msisdn, "suspend", reason)


@router.post("/lines/{msisdn}/reactivate", dependencies=[Depends(csrf)])
def reactivate(
    msisdn: str,
    reason: str = Form("found"),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    return _change(ctx, session, tenant, who, msisdn, "reactivate", reason)


def _change(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: Principal,
    msisdn: str,
    action: str,
    reason: str,
) -> Response:
    request, now = ctx.request, ctx.now
    number = _number(msisdn)
    actor = customer_actor(request, who)
    try:
        if action == "suspend":
            if reason not in SuspendReason.__members__.values():
                raise Invalid("INVALID_REASON", "Choose one of the offered values.")
            service.suspend(
                session,
                who.tenant_id,
                who.customer_id,
                number,
                SuspendReason(reason),
                at=now,
                actor=actor,
            )
        else:
            if reason not in ReactivateReason.__members__.values():
                raise Invalid("INVALID_REASON", "Choose one of the offered values.")
            service.reactivate(
                session,
                who.tenant_id,
                who.customer_id,
                number,
                ReactivateReason(reason),
                at=now,
                actor=actor,
            )
    except AppError as exc:
        if exc.code == "LINE_NOT_FOUND":
            raise
        from resim.web.errors import STATUS, app_error_message

        session.rollback()  # the page shows the line as it stays
        view = service.line_overview(session, who.tenant_id, who.customer_id, number)
        return render(
            request,
            "line.html",
            {
                "view": view,
                "done": None,
                "suspend_reasons": list(SuspendReason),
                "reactivate_reasons": list(ReactivateReason),
                "error": app_error_message(request, exc),
            },
            STATUS[exc.kind],
        )
    done = "suspended" if action == "suspend" else "reactivated"
    return RedirectResponse(f"/{tenant.slug}/lines/{number}?done={done}", status_code=303)
