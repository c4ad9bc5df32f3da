"""The ready code handed to delivery: whom it is for and what provisioning made, read from
the application and its latest round, so that delivery knows neither.

The portal's and the operator's app's code routes call these with the application.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.config import Settings
from resim.delivery import service as delivery
from resim.delivery.models import DeliveryLink
from resim.kit.crypto import KeyRing
from resim.provisioning import service as provisioning
from resim.replacement import queries
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState


def holder(session: Session, app: Application) -> delivery.Holder:
    """Whom the application's code is for, and its verified contacts."""
    return delivery.Holder(
        tenant_id=app.tenant_id,
        application_id=app.id,
        customer_id=app.customer_id,
        msisdn=queries.line_of(session, app).msisdn,
        phone=app.alt_phone if app.alt_phone_verified_at is not None else None,
        email=app.contact_email if app.contact_email_verified_at is not None else None,
    )


def ready_code(
    session: Session, app: Application, keyring: KeyRing | None = None
) -> delivery.ReadyCode | None:
    """The code of the application's latest round while the application is ``code_ready``;
    with ``keyring``, its secrets decrypted."""
    prov = provisioning.for_application(session, app.id)
    if prov is None or app.state != ApplicationState.CODE_READY:
        return None
    if keyring is None:
        return delivery.ReadyCode(prov.round, prov.new_iccid)
    return delivery.ReadyCode(
        prov.round,
        prov.new_iccid,
        provisioning.activation_code(keyring, prov),
        provisioning.confirmation_code(keyring, prov),
    )


def _keyring(settings: Settings) -> KeyRing:
    return settings.documents.keyring(settings.secret_bytes)


def status(session: Session, app: Application, at: dt.datetime) -> delivery.Status | None:
    return delivery.status(session, app.id, ready_code(session, app), at)


def reveal(
    session: Session,
    keyring: KeyRing,
    app: Application,
    *,
    channel: str,
    at: dt.datetime,
    actor: audit.Actor,
    with_confirmation: bool = True,
) -> delivery.Revealed:
    """The activation code, counted against the cap (:func:`resim.delivery.service.reveal`)."""
    return delivery.reveal(
        session,
        holder(session, app),
        ready_code(session, app, keyring),
        channel=channel,
        at=at,
        actor=actor,
        with_confirmation=with_confirmation,
    )


def send_link(
    session: Session,
    settings: Settings,
    app: Application,
    channel: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> DeliveryLink:
    ready = ready_code(session, app)
    return delivery.send_link(
        session, settings, holder(session, app), ready, channel, at=at, actor=actor
    )


def link_by_token(
    session: Session, settings: Settings, tenant_id: uuid.UUID, secret: str, at: dt.datetime
) -> tuple[DeliveryLink, Application]:
    """A link that can still be used, and its application; anything else is NotFound."""
    link = delivery.link_by_token(session, settings, tenant_id, secret, at)
    app = queries.for_review(session, link.tenant_id, link.application_id)
    return link, app


def send_proof(
    session: Session, settings: Settings, link: DeliveryLink, app: Application, at: dt.datetime
) -> str:
    ready = ready_code(session, app, _keyring(settings))
    return delivery.send_proof(session, settings, link, holder(session, app), ready, at)


def send_confirmation(
    session: Session, settings: Settings, app: Application, *, at: dt.datetime
) -> None:
    ready = ready_code(session, app, _keyring(settings))
    delivery.send_confirmation(session, settings, holder(session, app), ready, at=at)


def prove(
    session: Session,
    settings: Settings,
    link: DeliveryLink,
    app: Application,
    code: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> delivery.Revealed:
    ready = ready_code(session, app, _keyring(settings))
    return delivery.prove(
        session, settings, link, holder(session, app), ready, code, at=at, actor=actor
    )
