"""Kannel's delivery reports: a GET to the dlr-url resim gave with each text, signed."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from resim.errors import Forbidden
from resim.message.models import SmsReport
from resim.message.service import DLR_PATH, dlr_signature
from resim.web.context import CTX, DB, Context

router = APIRouter(tags=["sms"])
MEANINGS = {1: "delivered", 2: "failed", 4: "buffered", 8: "smsc_accepted", 16: "smsc_rejected"}


@router.get(DLR_PATH, status_code=204, response_class=Response)
def report(
    message_id: str = Query(..., alias="id", min_length=1, max_length=64),
    sig: str = Query(..., max_length=64),
    status: int = Query(..., ge=0, le=64),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    if not hmac.compare_digest(sig, dlr_signature(ctx.settings.secret_bytes, message_id)):
        raise Forbidden("BAD_SIGNATURE", "This delivery report is not signed by resim.")
    session.add(
        SmsReport(
            message_id=message_id,
            status=status,
            meaning=MEANINGS.get(status, "other"),
            received_at=ctx.now,
        )
    )
    return Response(status_code=204)
