"""ES2+ towards resim: the SM-DP+ reports a profile's download, installation or deletion.

Served here, beside the replacement's flow that applies what a report means for the
application; provisioning records it (:mod:`resim.provisioning.notifications`)."""

from __future__ import annotations

import hmac
import json

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from resim.errors import Invalid, Unauthenticated
from resim.integrations.es2plus.protocol import (
    ADMIN_PROTOCOL,
    ADMIN_PROTOCOL_PREFIX,
    HANDLE_DOWNLOAD_PROGRESS_INFO,
    PATH_PREFIX,
)
from resim.provisioning import notifications
from resim.replacement import flow
from resim.web.context import CTX, DB, Context
from resim.web.forms import BODY

router = APIRouter(tags=["es2plus"])


@router.post(PATH_PREFIX + HANDLE_DOWNLOAD_PROGRESS_INFO, status_code=204)
def handle_download_progress_info(
    request: Request, body: bytes = BODY, ctx: Context = CTX, session: Session = DB
) -> Response:
    """Authenticated by the bearer token agreed with the SM-DP+ (``RESIM_SMDP__NOTIFY_TOKEN``);
    answered 204 once the notification is kept, so the SM-DP+ stops sending it."""
    expected = f"Bearer {ctx.settings.smdp.notify_token.get_secret_value()}"
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthenticated("BAD_SMDP_TOKEN", "Please sign in.")
    if not request.headers.get("x-admin-protocol", "").startswith(ADMIN_PROTOCOL_PREFIX):
        raise Invalid("ADMIN_PROTOCOL_REQUIRED", "X-Admin-Protocol: gsma/rsp/v2.x.y is required.")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise Invalid("INVALID_NOTIFICATION", "The body must be a JSON object.") from exc
    notice = notifications.parse(document)
    flow.profile_notified(session, ctx.settings.secret_bytes, notice, at=ctx.now)
    return Response(status_code=204, headers={"X-Admin-Protocol": ADMIN_PROTOCOL})
