"""The SMS gateway's delivery reports: a GET to the address resim gave with each text."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from resim.integrations.sms.kannel import DLR_PATH
from resim.message import service
from resim.web.context import CTX, DB, Context

router = APIRouter(tags=["sms"])


@router.get(DLR_PATH, status_code=204, response_class=Response)
def report(request: Request, ctx: Context = CTX, session: Session = DB) -> Response:
    service.record_report(session, ctx.deps.sms.delivery_report(request.query_params), ctx.now)
    return Response(status_code=204)
