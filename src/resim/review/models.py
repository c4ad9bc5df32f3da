"""Agents' claims on applications under review, and their decisions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class ReviewClaim(IdMixin, Base):
    """One agent works on an application at a time; a claim lapses if left."""

    __tablename__ = "review_claim"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), unique=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent.id"))
    claimed_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class ReviewDecision(IdMixin, Base):
    """An approval or a rejection. One per agent and application: the same person can never
    approve twice (the four-eyes rule holds in the schema, not only in code)."""

    __tablename__ = "review_decision"
    __table_args__ = (UniqueConstraint("application_id", "agent_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), index=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    reason: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]
