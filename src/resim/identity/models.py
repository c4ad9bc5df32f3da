"""Identity evidence files: kept encrypted on disk, described here, deleted after retention."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class StoredDocument(IdMixin, Base):
    __tablename__ = "stored_document"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    owner_type: Mapped[str] = mapped_column(String(20))  # application
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # identity | police_report
    content_type: Mapped[str] = mapped_column(String(40))  # after redrawing
    size: Mapped[int]
    key_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    delete_after: Mapped[dt.datetime] = mapped_column(index=True)
    deleted_at: Mapped[dt.datetime | None]
