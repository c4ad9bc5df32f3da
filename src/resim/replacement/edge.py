"""What the portal pages and the JSON API share at the edge: taking an upload."""

from __future__ import annotations

from sqlalchemy.orm import Session

from resim.auth.guards import customer_actor
from resim.auth.service import Principal
from resim.deps import keyring
from resim.replacement import draft
from resim.replacement.models import Application
from resim.tenant.models import Tenant
from resim.web.context import Context


def attach_upload(
    ctx: Context,
    session: Session,
    tenant: Tenant,
    who: Principal,
    app: Application,
    kind: str,
    data: bytes,
) -> bool:
    """Keep an upload with the configured keys, size limit and OCR (``draft.attach``)."""
    return draft.attach(
        session,
        keyring=keyring(ctx.deps),
        folder=ctx.settings.documents.folder,
        max_bytes=ctx.settings.documents.max_upload_bytes,
        ocr=ctx.deps.ocr,
        tenant=tenant,
        app=app,
        kind=kind,
        data=data,
        at=ctx.now,
        actor=customer_actor(ctx.request, who),
    )
