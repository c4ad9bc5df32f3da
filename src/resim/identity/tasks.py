"""Jobs of identity evidence."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from resim.config import Settings
from resim.identity import service
from resim.identity.service import PURGE, DocumentRef
from resim.kit.clock import Clock


class Env(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...


@PURGE.handler
def purge(env: Env, session: Session, ref: DocumentRef) -> None:
    service.purge(session, env.settings.documents.folder, ref.document_id, env.clock.now())
