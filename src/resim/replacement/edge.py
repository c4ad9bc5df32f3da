"""What the portal pages and the JSON API share at the edge: taking an upload."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from resim.auth.guards import customer_actor
from resim.auth.service import Principal
from resim.deps import keyring
from resim.replacement import draft
from resim.replacement.models import Application
from resim.tenant.models import Tenant
from resim.web.context import deps_of


def attach_upload(
    request: Request,
    session: Session,
    tenant: Tenant,
    who: Principal,
    app: Application,
    kind: str,
    data: bytes,
) -> bool:
    """Keep an upload with the configured keys, size limit and OCR (``draft.attach``)."""
    deps = deps_of(request)
    return draft.attach(
        session,
        keyring=keyring(deps),
        folder=deps.settings.documents.folder,
        max_bytes=deps.settings.documents.max_upload_bytes,
        ocr=deps.ocr,
        tenant=tenant,
        app=app,
        kind=kind,
        data=data,
        at=deps.clock.now(),
        actor=customer_actor(request, who),
    )
