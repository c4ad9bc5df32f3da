"""Sign-in for the operator's app: a code by e-mail, exchanged for a bearer token."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from resim.auth import service
from resim.auth.guards import api_customer
from resim.auth.schemas import CodeRequest, CodeVerification
from resim.tenant.models import Tenant
from resim.web.context import CTX, DB, DEVICE_HEADER, Context, client_country, device_id
from resim.web.security import current_tenant
from resim.web.unit_of_work import keep_failed_try

router = APIRouter(prefix="/api/v1/{tenant}/auth", tags=["sign-in"])


class CodeSent(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    status: str = "sent"
    expires_in_minutes: int


class TokenOut(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: dt.datetime


@router.post("/code", status_code=202, response_model=CodeSent, response_model_by_alias=True)
def request_code(
    body: CodeRequest,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> CodeSent:
    """Send a sign-in code to the address, if it is a customer's: the answer is the same."""
    service.request_code(
        session, ctx.settings, tenant, body.email, ip=ctx.ip, language=ctx.language, now=ctx.now
    )
    return CodeSent(expires_in_minutes=ctx.settings.security.signin_code_minutes)


@router.post("/token", response_model=TokenOut, response_model_by_alias=True)
def token(
    body: CodeVerification,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    ctx: Context = CTX,
    session: Session = DB,
) -> TokenOut:
    result = service.verify_code(
        session,
        ctx.settings,
        tenant,
        body.email,
        body.code,
        ip=ctx.ip,
        now=ctx.now,
        device=device_id(request.headers.get(DEVICE_HEADER)),
        country=client_country(request),
    )
    if isinstance(result, service.SignedIn):
        return TokenOut(access_token=result.token, expires_at=result.expires_at)
    keep_failed_try(session)  # a wrong code is counted even though the answer is an error
    raise result


@router.post("/sign-out", status_code=204)
def sign_out(
    who: service.Principal = Depends(api_customer), ctx: Context = CTX, session: Session = DB
) -> Response:
    service.sign_out(session, who.session_id, ctx.now)
    return Response(status_code=204)
