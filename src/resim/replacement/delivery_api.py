"""The activation code for the operator's app (JSON, /api/v1): each call counts as a reveal."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from resim.auth.guards import api_customer, customer_actor
from resim.auth.service import Principal
from resim.deps import keyring
from resim.replacement import handover, queries
from resim.replacement.schemas import ApiModel
from resim.web.context import CTX, DB, Context

router = APIRouter(prefix="/api/v1/{tenant}", tags=["delivery"])


class ActivationCodeOut(ApiModel):
    iccid: str
    smdp_address: str
    matching_id: str
    activation_code: str  # LPA:1$address$matchingId, as the QR code carries it
    apple_install_link: str  # iOS 17.4 and later
    confirmation_code_required: bool  # then sent by SMS or e-mail, never in this answer
    expires_at: dt.datetime
    reveals_left: int


@router.post(
    "/applications/{app_id}/activation-code",
    response_model=ActivationCodeOut,
    response_model_by_alias=True,
)
def activation_code(
    app_id: uuid.UUID,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> ActivationCodeOut:
    app = queries.get(session, who.tenant_id, who.customer_id, app_id)
    shown = handover.reveal(
        session,
        keyring(ctx.deps),
        app,
        channel="app",
        at=ctx.now,
        actor=customer_actor(ctx.request, who),
        with_confirmation=False,
    )
    if shown.code.confirmation_code_required:
        handover.send_confirmation(session, ctx.settings, app, at=ctx.now)
    code = shown.code
    return ActivationCodeOut(
        iccid=shown.iccid,
        smdp_address=code.smdp_address,
        matching_id=code.matching_id,
        activation_code=code.lpa,
        apple_install_link=code.apple_link,
        confirmation_code_required=code.confirmation_code_required,
        expires_at=shown.expires_at,
        reveals_left=shown.left,
    )
