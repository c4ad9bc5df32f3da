"""The CAMARA SIM Swap API's records: the banks' API clients, holders' consents asked
through OpenID Connect CIBA, every query answered, and webhook subscriptions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class ApiClient(IdMixin, Base):
    """A relying party (a bank) with OAuth 2.0 client credentials."""

    __tablename__ = "api_client"

    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    secret_hash: Mapped[str] = mapped_column(String(64))  # keyed hash: the secret is random
    scopes: Mapped[list[str]]
    tenant_ids: Mapped[list[str]]  # the tenants whose numbers it may ask about
    per_minute: Mapped[int]  # requests to the SIM Swap API a minute
    per_day: Mapped[int | None]  # a business quota, if the contract has one
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class ConsentRequest(IdMixin, Base):
    """A CIBA backchannel authentication request: a bank asks the holder of a line."""

    __tablename__ = "consent_request"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    client_ref: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id"), index=True)
    auth_req_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the e-mail's link
    scopes: Mapped[list[str]]
    purpose: Mapped[str] = mapped_column(String(200))
    binding_message: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(12))  # pending | approved | refused | used
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    last_polled_at: Mapped[dt.datetime | None]
    interval: Mapped[int]


class SwapQuery(IdMixin, Base):
    """One answered (or refused) request to the SIM Swap API, for the auditor."""

    __tablename__ = "swap_query"
    __table_args__ = (Index("ix_swap_query_tenant_at", "tenant_id", "at"),)

    at: Mapped[dt.datetime] = mapped_column(index=True)
    client_ref: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_client.id"), index=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenant.id"))
    phone_number: Mapped[str | None] = mapped_column(String(16))
    operation: Mapped[str] = mapped_column(String(40))
    legs: Mapped[int]  # 2: client credentials; 3: the holder's consent
    status: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(40))  # swapped | not_swapped | date | CODE


class SwapSubscription(IdMixin, Base):
    """A bank's webhook for SIM swaps on one number (sim-swap-subscriptions v0.3.0)."""

    __tablename__ = "swap_subscription"

    client_ref: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"))
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    phone_number: Mapped[str | None] = mapped_column(String(16))  # None: from a 3-legged token
    sink: Mapped[str] = mapped_column(String(2000))
    sink_token: Mapped[str | None] = mapped_column(String(4000))  # sealed
    sink_token_expires_at: Mapped[dt.datetime | None]
    types: Mapped[list[str]]
    status: Mapped[str] = mapped_column(String(24))  # ACTIVE | EXPIRED | DELETED
    starts_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    max_events: Mapped[int | None]
    events_sent: Mapped[int] = mapped_column(default=0)
    ended_at: Mapped[dt.datetime | None]
    termination_reason: Mapped[str | None] = mapped_column(String(40))
