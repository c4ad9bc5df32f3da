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
from resim.web.context import DB, client_ip, deps_of
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
    session: Session = DB,
) -> Response:
    filters = service.Filters(
        route=route if route in ("review", "four_eyes") else None,
        reason=reason if reason in REASONS else None,
        older_than_hours=_int(older_than_hours),
        overdue_only=bool(overdue),
    )
    now = deps_of(request).clock.now()
    items = service.queue(session, tenant.id, now, filters)
    return render(
        request,
        "office_queue.html",
        {"items": items, "filters": filters, "reasons": REASONS, "now": now},
    )


def _review_page(
    request: Request,
    session: Session,
    tenant: Tenant,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    now = deps_of(request).clock.now()
    app = queries.for_review(session, tenant.id, app_id)
    holder = customers.get(session, tenant.id, app.customer_id)
    line = lines.get_line(session, tenant.id, app.line_id)
    decided = service.decisions(session, tenant.id, app.id)
    names = agents.names(session, tenant.id)
    claim = service.claim_of(session, tenant.id, app.id, now)
    return render(
        request,
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
    request: Request,
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.QUEUE)),
    session: Session = DB,
) -> Response:
    return _review_page(request, session, tenant, who, app_id)


def _decide(
    request: Request,
    session: Session,
    tenant: Tenant,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    step: str,
    **form: str,
) -> Response:
    deps = deps_of(request)
    now, ip = deps.clock.now(), client_ip(request)
    queries.for_review(session, tenant.id, app_id)  # another tenant's: 404
    try:
        if step == "claim":
            service.claim(session, deps.settings, who, app_id, at=now, ip=ip)
        elif step == "release":
            service.release(session, who, app_id, at=now, ip=ip)
        elif step == "approve":
            service.approve(session, deps.settings, who, app_id, note=form["note"], at=now, ip=ip)
        else:
            service.reject(
                session,
                deps.settings,
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
            request,
            session,
            tenant,
            who,
            app_id,
            error=app_error_message(request, exc),
            status=STATUS[exc.kind],
        )
    session.commit()
    target = f"/{tenant.slug}/office/applications/{app_id}"
    if step in ("approve", "reject"):
        target = f"/{tenant.slug}/office/queue?done={app_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/applications/{app_id}/claim", dependencies=[Depends(csrf)])
def claim(
    request: Request,
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    session: Session = DB,
) -> Response:
    return _decide(request, session, tenant, who, app_id, "claim")


@router.post("/applications/{app_id}/release", dependencies=[Depends(csrf)])
def release(
    request: Request,
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    session: Session = DB,
) -> Response:
    return _decide(request, session, tenant, who, app_id, "release")


@router.post("/applications/{app_id}/approve", dependencies=[Depends(csrf)])
def approve(
    request: Request,
    app_id: uuid.UUID,
    note: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    session: Session = DB,
) -> Response:
    return _decide(request, session, tenant, who, app_id, "approve", note=note)


@router.post("/applications/{app_id}/reject", dependencies=[Depends(csrf)])
def reject(
    request: Request,
    app_id: uuid.UUID,
    reason: str = Form(""),
    note: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DECIDE)),
    session: Session = DB,
) -> Response:
    return _decide(request, session, tenant, who, app_id, "reject", reason=reason, note=note)


@router.get("/applications/{app_id}/documents/{document_id}")
def document(
    request: Request,
    app_id: uuid.UUID,
    document_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DOCUMENTS)),
    session: Session = DB,
) -> Response:
    """The decrypted document, for display only: audited, never cached."""
    app = queries.for_review(session, tenant.id, app_id)
    if document_id not in {d.id for d in identity.documents_of(session, tenant.id, app.id)}:
        raise NotFound("DOCUMENT_NOT_FOUND", "This document does not exist.")
    deps = deps_of(request)
    found, clear = identity.open_document(
        session,
        keyring=keyring(deps),
        folder=deps.settings.documents.folder,
        tenant_id=tenant.id,
        document_id=document_id,
        at=deps.clock.now(),
        actor=who.actor(client_ip(request)),
    )
    session.commit()
    return Response(
        clear,
        media_type=found.content_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
        },
    )
