"""Applications for a replacement eSIM, for the operator's app (JSON, /api/v1)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from resim.auth.guards import api_customer, customer_actor
from resim.auth.service import Principal
from resim.errors import Forbidden, NotFound
from resim.kit.telecom import InvalidIdentifier, Msisdn
from resim.replacement import contacts, draft, flow, queries, submission
from resim.replacement.edge import attach_upload
from resim.replacement.models import Application
from resim.replacement.risk import REASONS
from resim.replacement.schemas import (
    ApplicationOut,
    CheckOut,
    CodeIn,
    DraftUpdate,
    EventOut,
    NewApplication,
    QuoteOut,
)
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context, translate
from resim.web.security import current_tenant
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/api/v1/{tenant}", tags=["applications"])
OUT = {"response_model": ApplicationOut, "response_model_by_alias": True}


def to_out(request: Request, session: Session, app: Application) -> ApplicationOut:
    line = queries.line_of(session, app)
    failure = queries.failure_of(session, app)
    return ApplicationOut(
        id=app.id,
        msisdn=line.msisdn,
        state=app.state.value,
        reason=app.reason,
        document_type=app.document_type,
        document_country=app.document_country,
        document_expiry=app.document_expiry,
        mrz_given=app.mrz is not None,
        self_declaration=app.self_declaration_at is not None,
        contact_email=app.contact_email,
        contact_email_verified=app.contact_email_verified_at is not None,
        alt_phone=app.alt_phone,
        alt_phone_verified=app.alt_phone_verified_at is not None,
        checks=[_check(request, check) for check in app.checks],
        risk_score=app.risk_score,
        risk_reasons=[
            CheckOut(code=code, passed=False, detail=translate(request, REASONS[code][1]))
            for code in app.risk_reasons
        ],
        fee=QuoteOut(
            amount_cents=app.fee_cents,
            charge_to=app.fee_charge_to or "none",
            free_reason=app.fee_free_reason,
            top_up_needed_cents=0,
        )
        if app.fee_cents is not None
        else None,
        submitted_at=app.submitted_at,
        confirm_until=app.confirm_until,
        failure=CheckOut(code=failure[0], passed=False, detail=translate(request, failure[1]))
        if failure
        else None,
        timeline=[
            EventOut(state=e.state, at=e.at, actor=e.actor, profile=e.details.get("profile"))
            for e in queries.timeline_of(session, app)
        ],
    )


def _check(request: Request, check: dict[str, Any]) -> CheckOut:
    message_id: str = check["message"]
    return CheckOut(
        code=check["code"], passed=check["passed"], detail=translate(request, message_id)
    )


@router.post("/applications", status_code=201, **OUT)  # type: ignore[arg-type]
def start(
    body: NewApplication,
    request: Request,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ApplicationOut:
    """Open a draft for one of your lines. One open application per line."""
    try:
        app = draft.start(
            session,
            who.tenant_id,
            who.customer_id,
            body.msisdn,
            body.reason,
            at=ctx.now,
            actor=customer_actor(request, who),
        )
    except Forbidden as exc:
        if exc.code == "NOT_HOLDER":
            keep_failed_try(session)  # the refusal is audited although the answer is 403
        raise
    return to_out(request, session, app)


@router.get("/applications/{app_id}", **OUT)  # type: ignore[arg-type]
def get(
    app_id: uuid.UUID,
    request: Request,
    who: Principal = Depends(api_customer),
    session: Session = DB,
) -> ApplicationOut:
    return to_out(request, session, queries.get(session, who.tenant_id, who.customer_id, app_id))


@router.patch("/applications/{app_id}", **OUT)  # type: ignore[arg-type]
def update(
    app_id: uuid.UUID,
    body: DraftUpdate,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ApplicationOut:
    """Save evidence in the draft; each field is checked as it is given."""
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    draft.update(session, tenant, app, body, at=ctx.now)
    return to_out(request, session, app)


@router.post("/applications/{app_id}/verifications/{channel}", status_code=202)
def send_code(
    app_id: uuid.UUID,
    channel: str,
    tenant: Tenant = Depends(current_tenant),
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> dict[str, str]:
    """Send a code to the contact e-mail (`email`) or the alternative phone (`sms`)."""
    _channel(channel)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    contacts.send_verification(
        session, ctx.settings, tenant, app, channel, language=ctx.language, at=ctx.now
    )
    return {"status": "sent"}


@router.post("/applications/{app_id}/verifications/{channel}/confirm", **OUT)  # type: ignore[arg-type]
def confirm_code(
    app_id: uuid.UUID,
    channel: str,
    body: CodeIn,
    request: Request,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ApplicationOut:
    _channel(channel)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    error = contacts.confirm_verification(
        session, ctx.settings, app, channel, body.code.strip(), at=ctx.now
    )
    if error is not None:
        keep_failed_try(session)  # a wrong code is counted although the answer is an error
        raise error
    return to_out(request, session, app)


@router.post("/applications/{app_id}/documents", status_code=201)
def upload(
    app_id: uuid.UUID,
    kind: str = Form(...),
    file: UploadFile = File(...),
    tenant: Tenant = Depends(current_tenant),
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> dict[str, object]:
    """Upload a photo or scan (JPEG, PNG or PDF) of the identity document or police report.

    The file is redrawn, encrypted and kept for the operator's retention period. For an
    identity document with no zone typed yet, the zone is read by OCR (``mrzFromImage``).
    """
    data = file.file.read(ctx.settings.documents.max_upload_bytes + 1)  # one byte over: too big
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    read = attach_upload(ctx, session, tenant, who, app, kind, data)
    return {"kind": kind, "mrzFromImage": read, "mrzGiven": app.mrz is not None}


@router.get("/applications/{app_id}/quote", response_model=QuoteOut, response_model_by_alias=True)
def quote(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> QuoteOut:
    """The fee the customer will pay, before submitting."""
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    found = draft.fee_quote(session, tenant, app, ctx.now)
    return QuoteOut(
        amount_cents=found.amount_cents,
        charge_to=found.charge_to,
        free_reason=found.free_reason,
        top_up_needed_cents=found.top_up_needed_cents,
    )


@router.post("/applications/{app_id}/submit", **OUT)  # type: ignore[arg-type]
def submit(
    app_id: uuid.UUID,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ApplicationOut:
    """Run every check; on success the AGCOM confirmation window opens."""
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    submission.submit(
        session,
        ctx.settings,
        tenant,
        app,
        ip=ctx.ip,
        at=ctx.now,
        actor=customer_actor(request, who),
        session_id=who.session_id,
    )
    return to_out(request, session, app)


@router.post("/applications/{app_id}/withdraw", **OUT)  # type: ignore[arg-type]
def withdraw(
    app_id: uuid.UUID,
    request: Request,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ApplicationOut:
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    flow.withdraw(session, app, at=ctx.now, actor=customer_actor(request, who))
    return to_out(request, session, app)


@router.post("/objections/{objection}", status_code=204)
def object_to(
    objection: str,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """The holder stops a SIM change with the token from the SMS or e-mail link."""
    flow.object_to(session, ctx.settings, tenant, objection, at=ctx.now, ip=ctx.ip)
    return Response(status_code=204)


@router.get("/sms/inbound", response_class=PlainTextResponse, operation_id="sms_reply_get")
@router.post("/sms/inbound", response_class=PlainTextResponse, operation_id="sms_reply_post")
def sms_reply(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> str:
    """Replies to the confirmation SMS, as the SMS gateway forwards them. ``NO`` or ``STOP``
    objects."""
    reply = ctx.deps.sms.inbound(request.query_params)
    try:
        number = str(Msisdn(reply.sender))
    except InvalidIdentifier:
        return ""
    stopped = flow.reply_by_sms(session, ctx.settings, tenant, number, reply.text, at=ctx.now)
    return "stopped" if stopped else ""


def _channel(channel: str) -> None:
    if channel not in ("email", "sms"):
        raise NotFound("NOT_FOUND", "Not found")
