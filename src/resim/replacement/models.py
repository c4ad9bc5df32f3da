"""Applications for a replacement eSIM, their timeline, and contact verifications."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin
from resim.replacement.states import ApplicationState


class Application(IdMixin, Base):
    __tablename__ = "application"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    state: Mapped[ApplicationState] = mapped_column(
        Enum(
            ApplicationState,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    reason: Mapped[str] = mapped_column(String(20))
    document_type: Mapped[str | None] = mapped_column(String(20))
    document_number: Mapped[str | None] = mapped_column(String(20), index=True)
    document_country: Mapped[str | None] = mapped_column(String(3))
    document_expiry: Mapped[dt.date | None]
    mrz: Mapped[str | None] = mapped_column(String(100))
    mrz_source: Mapped[str | None] = mapped_column(String(10))  # typed | image
    codice_fiscale: Mapped[str | None] = mapped_column(String(16))
    self_declaration_at: Mapped[dt.datetime | None]
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_email_verified_at: Mapped[dt.datetime | None]
    alt_phone: Mapped[str | None] = mapped_column(String(16))
    alt_phone_verified_at: Mapped[dt.datetime | None]
    reseller_order: Mapped[str | None] = mapped_column(String(40))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id"))
    checks: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    risk_score: Mapped[int | None]
    risk_reasons: Mapped[list[str]] = mapped_column(default=list)
    route: Mapped[str | None] = mapped_column(String(20))
    fee_cents: Mapped[int | None]
    fee_charge_to: Mapped[str | None] = mapped_column(String(10))
    fee_free_reason: Mapped[str | None] = mapped_column(String(20))
    submitted_ip: Mapped[str | None] = mapped_column(String(45))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    confirm_until: Mapped[dt.datetime | None]
    objection_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ApplicationEvent(IdMixin, Base):
    """The customer's timeline of an application."""

    __tablename__ = "application_event"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), index=True)
    seq: Mapped[int]
    at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]]


class ContactVerification(IdMixin, Base):
    """A code sent to a contact address or phone given in an application."""

    __tablename__ = "contact_verification"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    target: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    failed_tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None]
