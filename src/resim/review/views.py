"""The review queue, an application's review page, its documents, and the decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.agent import service as agents
from resim.agent.guards import office
from resim.agent.roles import Action
from resim.agent.service import AgentPrincipal
from resim.customer import service as customers
from resim.deps import keyring
from resim.errors import AppError, NotFound
from resim.identity import service as identity
from resim.line import service as lines
from resim.replacement import queries
from resim.replacement.risk import REASONS
from resim.review import service
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context
from resim.web.errors import STATUS, app_error_message
from resim.web.security import csrf, current_tenant
from resim.web.templating import render

router = APIRouter(prefix="/{tenant}/office", include_in_schema=False)


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.get("/queue")
def queue_page(
    request: Request,
    route: str = Query(""),
    reason: str = Query(""),
    older_than_hours: str = Query(""),
    overdue: str = Query(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.QUEUE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    filters = service.Filters(
        route=route if route in ("review", "four_eyes") else None,
        reason=reason if reason in REASONS else None,
        older_than_hours=_int(older_than_hours),
        overdue_only=bool(overdue),
    )
    items = service.queue(session, tenant.id, ctx.now, filters)
    return render(
        request,
        "office_queue.html",
        {"items": items, "filters": filters, "reasons": REASONS, "now": ctx.now},
    )


def _review_page(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    app = queries.for_review(session, tenant.id, app_id)
    holder = customers.get(session, tenant.id, app.customer_id)
    line = lines.get_line(session, tenant.id, app.line_id)
    decided = service.decisions(session, tenant.id, app.id)
    names = agents.names(session, tenant.id)
    claim = service.claim_of(session, tenant.id, app.id, ctx.now)
    return render(
        ctx.request,
        "office_review.html",
        {
            "app": app,
            "holder": holder,
            "line": line,
            "events": queries.timeline_of(session, app),
            "documents": identity.documents_of(session, tenant.id, app.id)
            if who.can(Action.DOCUMENTS)
            else [],
            "past": [
                a for a in queries.of_customer(session, tenant.id, holder.id) if a.id != app.id
            ],
            "line_events": lines.history(session, tenant.id, line.id, 50),
            "decisions": decided,
            "names": names,
            "claim": claim,
            "claimed_by": names.get(str(claim.agent_id)) if claim else None,
            "mine": claim is not None and claim.agent_id == who.agent_id,
            "reasons": REASONS,
            "rejections": queries.REJECTIONS,
            "failure": queries.failure_of(session, app),
            "approvals": sum(1 for d in decided if d.decision == "approve"),
            "needed": 2 if app.route == "four_eyes" else 1,
            "error": error,
        },
        status,
    )


@router.get("/applications/{app_id}")
def review_page(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.QUEUE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _review_page(ctx, session, tenant, who, app_id)


def _decide(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    step: str,
    **form: str,
) -> Response:
    settings, now, ip = ctx.settings, ctx.now, ctx.ip
    queries.for_review(session, tenant.id, app_id)  # another tenant's: 404
    try:
        if step == "claim":
            service.claim(session, settings, who, app_id, at=now, ip=ip)
        elif step == "release":
            service.release(session, who, app_id, at=now, ip=ip)
        elif step == "approve":
            service.approve(session, settings, who, app_id, note=form["note"], at=now, ip=ip)
        else:
            service.reject(
                session,
                settings,
                who,
                app_id,
                reason=form["reason"],
                note=form["note"],
                at=now,
                ip=ip,
            )
    except AppError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        return _review_page(
            ctx,
            session,
            tenant,
            who,
            app_id,
            error=app_error_message(ctx.request, exc),
            status=STATUS[exc.kind],
        )
    target = f"/{tenant.slug}/office/applications/{app_id}"
    if step in ("approve", "reject"):
        target = f"/{tenant.slug}/office/queue?done={app_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/applications/{app_id}/claim", dependencies=[Depends(csrf)])
def claim(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _decide(ctx, session, tenant, who, app_id, "claim")


@router.post("/applications/{app_id}/release", dependencies=[Depends(csrf)])
def release(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _decide(ctx, session, tenant, who, app_id, "release")


@router.post("/applications/{app_id}/approve", dependencies=[Depends(csrf)])
def approve(
    app_id: uuid.UUID,
    note: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _decide(ctx, session, tenant, who, app_id, "approve", note=note)


@router.post("/applications/{app_id}/reject", dependencies=[Depends(csrf)])
def reject(
    app_id: uuid.UUID,
    reason: str = Form(""),
    note: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    return _decide(ctx, session, tenant, who, app_id, "reject", reason=reason, note=note)


@router.get("/applications/{app_id}/documents/{document_id}")
def document(
    app_id: uuid.UUID,
    document_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DOCUMENTS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """The decrypted document, for display only: audited, never cached."""
    app = queries.for_review(session, tenant.id, app_id)
    if document_id not in {d.id for d in identity.documents_of(session, tenant.id, app.id)}:
        raise NotFound("DOCUMENT_NOT_FOUND", "This document does not exist.")
    found, clear = identity.open_document(
        session,
        keyring=keyring(ctx.deps),
        folder=ctx.settings.documents.folder,
        tenant_id=tenant.id,
        document_id=document_id,
        at=ctx.now,
        actor=who.actor(ctx.ip),
    )
    return Response(
        clear,
        media_type=found.content_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
        },
    )
