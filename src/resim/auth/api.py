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
from resim.web.context import (
    DB,
    DEVICE_HEADER,
    client_country,
    client_ip,
    deps_of,
    device_id,
    language,
)
from resim.web.security import current_tenant

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
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    session: Session = DB,
) -> CodeSent:
    """Send a sign-in code to the address, if it is a customer's: the answer is the same."""
    deps = deps_of(request)
    service.request_code(
        session,
        deps.settings,
        tenant,
        body.email,
        ip=client_ip(request),
        language=language(request),
        now=deps.clock.now(),
    )
    session.commit()
    return CodeSent(expires_in_minutes=deps.settings.security.signin_code_minutes)


@router.post("/token", response_model=TokenOut, response_model_by_alias=True)
def token(
    body: CodeVerification,
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    session: Session = DB,
) -> TokenOut:
    deps = deps_of(request)
    result = service.verify_code(
        session,
        deps.settings,
        tenant,
        body.email,
        body.code,
        ip=client_ip(request),
        now=deps.clock.now(),
        device=device_id(request.headers.get(DEVICE_HEADER)),
        country=client_country(request),
    )
    session.commit()  # a wrong code is counted even though the answer is an error
    if isinstance(result, service.SignedIn):
        return TokenOut(access_token=result.token, expires_at=result.expires_at)
    raise result


@router.post("/sign-out", status_code=204)
def sign_out(
    request: Request,
    who: service.Principal = Depends(api_customer),
    session: Session = DB,
) -> Response:
    service.sign_out(session, who.session_id, deps_of(request).clock.now())
    session.commit()
    return Response(status_code=204)
