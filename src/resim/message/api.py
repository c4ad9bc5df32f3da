"""The SMS gateway's delivery reports: a GET to the address resim gave with each text."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from resim.integrations.sms.kannel import DLR_PATH
from resim.message import service
from resim.web.context import DB, deps_of

router = APIRouter(tags=["sms"])


@router.get(DLR_PATH, status_code=204, response_class=Response)
def report(request: Request, session: Session = DB) -> Response:
    deps = deps_of(request)
    service.record_report(session, deps.sms.delivery_report(request.query_params), deps.clock.now())
    session.commit()
    return Response(status_code=204)
