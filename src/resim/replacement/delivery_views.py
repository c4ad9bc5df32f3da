"""The eSIM code in the portal (after a recent sign-in) and behind the one-time links."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from resim.audit.service import Actor
from resim.auth.guards import customer_actor, page_customer
from resim.auth.service import Principal
from resim.delivery import device, qr, service
from resim.delivery.service import Revealed
from resim.deps import SANDBOX_MOUNT, keyring
from resim.errors import AppError
from resim.replacement import flow, handover, queries
from resim.replacement.models import Application
from resim.smdp_sandbox import phone
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, Context, deps_of
from resim.web.errors import STATUS, app_error_message
from resim.web.security import csrf, current_tenant
from resim.web.templating import render
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/{tenant}", include_in_schema=False)


def _esim(request: Request, app: Application, shown: Revealed, via_link: str | None) -> Response:
    """The code, the QR code, the manual fields and the route for this phone: never cached
    (every page is no-store), counted once per showing."""
    return render(
        request,
        "esim.html",
        {
            "app": app,
            "shown": shown,
            "qr_svg": qr.svg(shown.code.lpa),
            "qr_png": qr.png_data_uri(shown.code.lpa),
            "device": device.kind(request.headers.get("user-agent", "")),
            "via_link": via_link,
            "other_channel": service.other_channel(via_link) if via_link else None,
            "demo_phone": _demo_phone(request),
        },
    )


def _demo_phone(request: Request) -> str | None:
    """In the demo with the embedded SM-DP+ sandbox: where its simulated phone takes codes."""
    settings = deps_of(request).settings
    return SANDBOX_MOUNT + phone.PATH if settings.demo and settings.smdp.embedded else None


def _back(tenant: Tenant, app_id: uuid.UUID, note: str | None = None) -> Response:
    suffix = f"?note={note}" if note else ""
    return RedirectResponse(f"/{tenant.slug}/applications/{app_id}{suffix}", status_code=303)


def _fresh(ctx: Context, who: Principal) -> bool:
    limit = dt.timedelta(minutes=ctx.settings.security.fresh_signin_minutes)
    return ctx.now - who.signed_in_at <= limit


@router.post("/applications/{app_id}/esim", dependencies=[Depends(csrf)])
def show(
    app_id: uuid.UUID,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    page = f"/{tenant.slug}/applications/{app_id}"
    if who is None:
        return RedirectResponse(f"/{tenant.slug}/signin?next={page}", status_code=303)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    if not _fresh(ctx, who):
        return RedirectResponse(f"/{tenant.slug}/signin?again=1&next={page}", status_code=303)
    try:
        shown = handover.reveal(
            session,
            keyring(ctx.deps),
            app,
            channel="screen",
            at=ctx.now,
            actor=customer_actor(request, who),
        )
    except AppError as exc:
        session.rollback()
        return _refused(request, app, exc)
    return _esim(request, app, shown, None)


def _refused(request: Request, app: Application | None, exc: AppError) -> Response:
    """Why no code is shown; with no application (a link), it points to the sign-in."""
    return render(
        request,
        "esim_refused.html",
        {"app": app, "message": app_error_message(request, exc)},
        STATUS[exc.kind],
    )


@router.post("/applications/{app_id}/esim/link/{channel}", dependencies=[Depends(csrf)])
def send_link(
    app_id: uuid.UUID,
    channel: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    try:
        handover.send_link(
            session, ctx.settings, app, channel, at=ctx.now, actor=customer_actor(request, who)
        )
    except AppError as exc:
        session.rollback()
        return _refused(request, app, exc)
    return _back(tenant, app.id, f"link-{channel}")


@router.post("/applications/{app_id}/esim/again", dependencies=[Depends(csrf)])
def ask_again(
    app_id: uuid.UUID,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: Principal | None = Depends(page_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if who is None:
        return RedirectResponse(f"/{tenant.slug}/signin", status_code=303)
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    try:
        flow.ask_again(session, app, at=ctx.now, actor=customer_actor(request, who))
    except AppError as exc:
        session.rollback()
        return _refused(request, app, exc)
    return _back(tenant, app.id)


# The one-time link: GET shows only a button (link scanners must not send codes), the
# button sends the code on the other channel, the right code shows the eSIM once.


def _link_page(
    request: Request, secret: str, channel: str, *, sent_to: str | None, error: str | None = None
) -> Response:
    return render(
        request,
        "esim_link.html",
        {"secret": secret, "channel": channel, "sent_to": sent_to, "error": error},
        422 if error else 200,
    )


@router.get("/d/{secret}")
def link_page(
    secret: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    try:
        link, _app = handover.link_by_token(session, ctx.settings, tenant.id, secret, ctx.now)
    except AppError as exc:
        return _refused(request, None, exc)
    return _link_page(request, secret, link.channel, sent_to=None)


@router.post("/d/{secret}/code", dependencies=[Depends(csrf)])
def link_code(
    secret: str,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    try:
        link, app = handover.link_by_token(session, ctx.settings, tenant.id, secret, ctx.now)
        other = handover.send_proof(session, ctx.settings, link, app, ctx.now)
    except AppError as exc:
        session.rollback()
        return _refused(request, None, exc)
    return _link_page(request, secret, link.channel, sent_to=other)


@router.post("/d/{secret}", dependencies=[Depends(csrf)])
def link_open(
    secret: str,
    request: Request,
    code: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    try:
        link, app = handover.link_by_token(session, ctx.settings, tenant.id, secret, ctx.now)
    except AppError as exc:
        return _refused(request, None, exc)
    actor = Actor("customer", str(app.customer_id), ctx.ip)
    try:
        shown = handover.prove(session, ctx.settings, link, app, code, at=ctx.now, actor=actor)
    except AppError as exc:
        keep_failed_try(session)  # the wrong try is counted although the page is an error
        if exc.code != "CODE_INVALID":
            return _refused(request, None, exc)
        other = service.other_channel(link.channel)
        return _link_page(
            request, secret, link.channel, sent_to=other, error=app_error_message(request, exc)
        )
    return _esim(request, app, shown, link.channel)
