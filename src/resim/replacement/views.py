"""The application in the portal: a guided form saved step by step, then its tracking page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from resim.auth.guards import customer_actor, page_customer
from resim.auth.service import Principal
from resim.billing import service as billing
from resim.errors import AppError, NotFound
from resim.identity import service as identity
from resim.line import service as lines
from resim.replacement import contacts, draft, flow, handover, queries, submission
from resim.replacement.edge import attach_upload
from resim.replacement.models import Application
from resim.replacement.risk import REASONS
from resim.replacement.schemas import NEEDS_DECLARATION, DraftUpdate, NewApplication, Reason
from resim.replacement.states import ApplicationState
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context
from resim.web.errors import STATUS, app_error_message
from resim.web.forms import FORM, parse
from resim.web.security import csrf, current_tenant
from resim.web.templating import render
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/{tenant}", include_in_schema=False)


def _signin(tenant: Tenant) -> Response:
    return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)


def _page(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    app: Application,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    line = queries.line_of(session, app)
    quote = None
    if app.state == ApplicationState.DRAFT:
        quote = draft.fee_quote(session, tenant, app, ctx.now)
    return render(
        ctx.request,
        "application.html",
        {
            "app": app,
            "line": line,
            "events": queries.timeline_of(session, app),
            "failure": queries.failure_of(session, app),
            "quote": quote,
            "errors": errors or {},
            "needs_declaration": Reason(app.reason) in NEEDS_DECLARATION,
            "documents": tenants.policy(tenant).accepted_documents,
            "reasons": REASONS,
            "uploads": identity.documents_of(session, app.tenant_id, app.id),
            "plan_choice": draft.plan_choice(session, app, ctx.now),
            "loss_evidence": tenants.policy(tenant).accepted_loss_evidence,
            "delivery": handover.status(session, app, ctx.now),
            "charge": billing.charge_of(session, app.id),
            "note": ctx.request.query_params.get("note"),
        },
        status,
    )


@router.get("/lines/{msisdn}/replace")
def start_page(
    msisdn: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    view = lines.line_overview(
        session,
        who.tenant_id,
        who.customer_id,
        NewApplication(msisdn=msisdn, reason=Reason.LOST).msisdn,
    )
    existing = queries.open_application(session, who.tenant_id, view.line.id)
    if existing is not None:
        return RedirectResponse(f"/{tenant.slug}/applications/{existing.id}", status_code=303)
    return render(
        request, "apply_start.html", {"view": view, "reasons": list(Reason), "error": None}
    )


@router.post("/lines/{msisdn}/replace", dependencies=[Depends(csrf)])
def start(
    msisdn: str,
    request: Request,
    reason: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    parsed = parse(request, NewApplication, {"msisdn": msisdn, "reason": reason})
    if isinstance(parsed, dict):
        view = lines.line_overview(
            session,
            who.tenant_id,
            who.customer_id,
            NewApplication(msisdn=msisdn, reason=Reason.LOST).msisdn,
        )
        return render(
            request,
            "apply_start.html",
            {"view": view, "reasons": list(Reason), "error": next(iter(parsed.values()))},
            422,
        )
    try:
        app = draft.start(
            session,
            who.tenant_id,
            who.customer_id,
            parsed.msisdn,
            parsed.reason,
            at=ctx.now,
            actor=customer_actor(request, who),
        )
    except AppError as exc:
        if exc.code == "APPLICATION_OPEN":
            return RedirectResponse(
                f"/{tenant.slug}/applications/{exc.params['id']}", status_code=303
            )
        if exc.code == "NOT_HOLDER":
            keep_failed_try(session)  # the refusal is audited although the page is an error
        raise
    return RedirectResponse(f"/{tenant.slug}/applications/{app.id}", status_code=303)


@router.get("/applications/{app_id}")
def application_page(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    return _page(ctx, session, tenant, queries.get(session, who.tenant_id, who.customer_id, app_id))


def _save(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: Principal,
    app_id: uuid.UUID,
    data: dict[str, Any],
) -> Response:
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    parsed = parse(ctx.request, DraftUpdate, data)
    if isinstance(parsed, dict):
        session.rollback()
        return _page(ctx, session, tenant, app, parsed, 422)
    try:
        draft.update(session, tenant, app, parsed, at=ctx.now)
    except AppError as exc:
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


def _error(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: Principal,
    app_id: uuid.UUID,
    exc: AppError,
) -> Response:
    session.rollback()  # the page shows the application as it stays
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    key = exc.field or "form"
    message = app_error_message(ctx.request, exc)
    return _page(ctx, session, tenant, app, {key: message}, STATUS[exc.kind])


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("/applications/{app_id}/document", dependencies=[Depends(csrf)])
def save_document(
    app_id: uuid.UUID,
    document_type: str = Form(""),
    document_number: str = Form(""),
    document_country: str = Form(""),
    document_expiry: str = Form(""),
    mrz: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    data = {
        "document_type": _blank(document_type),
        "document_number": _blank(document_number),
        "document_country": _blank(document_country),
        "document_expiry": _blank(document_expiry),
        "mrz": mrz.strip(),
    }
    return _save(
        ctx, session, tenant, who, app_id, {k: v for k, v in data.items() if v is not None}
    )


@router.post("/applications/{app_id}/upload/{kind}", dependencies=[Depends(csrf)])
def upload(
    app_id: uuid.UUID,
    kind: str,
    form: FormData = FORM,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    file = form.get("file")
    limit = ctx.settings.documents.max_upload_bytes
    data = file.file.read(limit + 1) if isinstance(file, StarletteUpload) else b""
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    try:
        attach_upload(ctx, session, tenant, who, app, kind, data)
    except AppError as exc:
        exc.field = f"{kind}_file"
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


@router.post("/applications/{app_id}/demo-sample", dependencies=[Depends(csrf)])
def demo_sample(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """Demo mode only: fill the document step with a passport drawn for the holder."""
    if not ctx.settings.demo:
        raise NotFound("NOT_FOUND", "Not found")
    if who is None:
        return _signin(tenant)
    from resim.customer import service as customers
    from resim.identity.specimen import sample_passport

    holder = customers.get(session, who.tenant_id, who.customer_id)
    fields, image = sample_passport(
        holder.family_name,
        holder.given_name,
        holder.birth_date,
        holder.sex,
        ctx.now.date(),
    )
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    try:
        fields["codice_fiscale"] = holder.codice_fiscale  # what the holder knows by heart
        draft.update(session, tenant, app, DraftUpdate.model_validate(fields), at=ctx.now)
        attach_upload(ctx, session, tenant, who, app, "identity", image)
    except AppError as exc:
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


@router.post("/applications/{app_id}/identity", dependencies=[Depends(csrf)])
def save_identity(
    app_id: uuid.UUID,
    codice_fiscale: str = Form(""),
    self_declaration: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    data: dict[str, Any] = {"self_declaration": self_declaration == "yes"}
    if codice_fiscale.strip():
        data["codice_fiscale"] = codice_fiscale
    return _save(ctx, session, tenant, who, app_id, data)


@router.post("/applications/{app_id}/plan", dependencies=[Depends(csrf)])
def save_plan(
    app_id: uuid.UUID,
    plan_code: str = Form(""),
    reseller_order: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    data = {"plan_code": _blank(plan_code), "reseller_order": _blank(reseller_order)}
    return _save(ctx, session, tenant, who, app_id, {k: v for k, v in data.items() if v})


@router.post("/applications/{app_id}/contacts", dependencies=[Depends(csrf)])
def save_contacts(
    app_id: uuid.UUID,
    contact_email: str = Form(""),
    alt_phone: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    data = {"contact_email": _blank(contact_email), "alt_phone": _blank(alt_phone)}
    return _save(
        ctx, session, tenant, who, app_id, {k: v for k, v in data.items() if v is not None}
    )


@router.post("/applications/{app_id}/code/{channel}", dependencies=[Depends(csrf)])
def code(
    app_id: uuid.UUID,
    channel: str,
    code: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """Without a code: send one. With a code: confirm it."""
    if who is None:
        return _signin(tenant)
    if channel not in ("email", "sms"):
        raise NotFound("NOT_FOUND", "Not found")
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    try:
        if not code.strip():
            contacts.send_verification(
                session, ctx.settings, tenant, app, channel, language=ctx.language, at=ctx.now
            )
        else:
            error = contacts.confirm_verification(
                session, ctx.settings, app, channel, code.strip(), at=ctx.now
            )
            if error is not None:
                keep_failed_try(session)  # a wrong code is counted although the page is an error
                raise error
    except AppError as exc:
        exc.field = f"{channel}_code"
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


@router.post("/applications/{app_id}/submit", dependencies=[Depends(csrf)])
def submit(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    try:
        submission.submit(
            session,
            ctx.settings,
            tenant,
            app,
            ip=ctx.ip,
            at=ctx.now,
            actor=customer_actor(ctx.request, who),
            session_id=who.session_id,
        )
    except AppError as exc:
        failed = getattr(exc, "checks", None)
        if failed:
            session.rollback()
            app = queries.get(session, who.tenant_id, who.customer_id, app_id)
            errors = {
                c.code: app_error_message(ctx.request, AppError(c.code, c.message))
                for c in failed
                if not c.passed
            }
            return _page(
                ctx, session, tenant, app, {"form": next(iter(errors.values())), **errors}, 422
            )
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


@router.post("/applications/{app_id}/withdraw", dependencies=[Depends(csrf)])
def withdraw(
    app_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return _signin(tenant)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id, lock=True)
    try:
        flow.withdraw(session, app, at=ctx.now, actor=customer_actor(ctx.request, who))
    except AppError as exc:
        return _error(ctx, session, tenant, who, app_id, exc)
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}", status_code=303)


@router.get("/objection/{objection}")
def objection_page(
    objection: str, request: Request, tenant: Tenant = Depends(current_tenant)
) -> Response:
    return render(request, "objection.html", {"objection": objection, "done": False, "error": None})


@router.post("/objection/{objection}", dependencies=[Depends(csrf)])
def object_to(
    objection: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    try:
        flow.object_to(session, ctx.settings, tenant, objection, at=ctx.now, ip=ctx.ip)
    except AppError as exc:
        return render(
            request,
            "objection.html",
            {"objection": objection, "done": False, "error": app_error_message(request, exc)},
            STATUS[exc.kind],
        )
    return render(request, "objection.html", {"objection": objection, "done": True, "error": None})
