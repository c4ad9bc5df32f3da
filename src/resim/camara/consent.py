"""OpenID Connect CIBA (Core 1.0, poll mode): a bank asks the holder of a number, who allows or
refuses by e-mail link or in the portal; the bank redeems the approval for a three-legged
token once (CAMARA's identity and consent management)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.camara.clients import granted_scopes
from resim.camara.models import ApiClient, ConsentRequest
from resim.camara.spec import PHONE_NUMBER, PURPOSE, OAuthError
from resim.camara.subjects import subject_by_number
from resim.config import CamaraSettings
from resim.customer import service as customers
from resim.errors import Conflict, NotFound
from resim.i18n import N_, gettext_for
from resim.kit.crypto import keyed_hash, token
from resim.line.models import Line
from resim.message import service as messages
from resim.tenant import service as tenants

PENDING, APPROVED, REFUSED, USED = "pending", "approved", "refused", "used"
CONSENT_SUBJECT = N_("%(bank)s asks about your number %(msisdn)s")
CONSENT_TEXT = N_(
    "%(bank)s asks to know whether the SIM of your number %(msisdn)s was changed recently, "
    "for this purpose: %(purpose)s.\n\nOpen this link to allow or refuse it (it works until "
    "%(until)s UTC):\n%(link)s\n\nIf you did not start anything with %(bank)s, refuse."
)


@dataclass(frozen=True)
class Started:
    auth_req_id: str
    expires_in: int
    interval: int


def start_consent(
    session: Session,
    *,
    key: bytes,
    settings: CamaraSettings,
    public_url: str,
    client: ApiClient,
    scope: str | None,
    login_hint: str | None,
    purpose: str | None,
    binding_message: str | None,
    at: dt.datetime,
) -> Started:
    """OpenID CIBA's backchannel authentication request: find the holder of the number in
    ``login_hint`` (``tel:+39...``), e-mail them a link to allow or refuse."""
    scopes = granted_scopes(client, scope, openid=True)
    if not login_hint:
        raise OAuthError("invalid_request", "login_hint is required: tel: and the number.")
    number = login_hint.removeprefix("tel:")
    if not PHONE_NUMBER.match(number):
        raise OAuthError("invalid_request", "login_hint must be tel: and a number like +39...")
    if not purpose or not PURPOSE.match(purpose):
        raise OAuthError("invalid_request", "purpose is required: a W3C DPV term like dpv:...")
    if binding_message is not None and len(binding_message) > 80:
        raise OAuthError("invalid_binding_message", "binding_message is longer than 80.")
    subject = subject_by_number(session, frozenset(uuid.UUID(t) for t in client.tenant_ids), number)
    if subject is None or subject.ceased:
        raise OAuthError("unknown_user_id", "No line with this number can be asked.")
    line = session.get(Line, subject.line_id)
    assert line is not None
    holder = customers.get(session, line.tenant_id, line.customer_id)
    tenant = tenants.by_id(session, line.tenant_id)
    auth_req_id, link = token(24), token(24)
    expires = at + dt.timedelta(seconds=settings.consent_seconds)
    request = ConsentRequest(
        tenant_id=line.tenant_id,
        line_id=line.id,
        client_ref=client.id,
        auth_req_hash=keyed_hash(key, "ciba", auth_req_id),
        link_hash=keyed_hash(key, "consent-link", link),
        scopes=scopes,
        purpose=purpose,
        binding_message=binding_message,
        state=PENDING,
        created_at=at,
        expires_at=expires,
        decided_at=None,
        last_polled_at=None,
        interval=settings.poll_interval_seconds,
    )
    session.add(request)
    session.flush()
    language = holder.language
    params = {
        "bank": client.name,
        "msisdn": line.msisdn,
        "purpose": purpose,
        "until": expires.strftime("%Y-%m-%d %H:%M"),
        "link": f"{public_url.rstrip('/')}/{tenant.slug}/consents/{link}",
    }
    messages.queue_email(
        session,
        key=key,
        tenant_id=line.tenant_id,
        to=holder.email,
        subject=gettext_for(language, CONSENT_SUBJECT) % params,
        text=gettext_for(language, CONSENT_TEXT) % params,
        at=at,
    )
    audit.record(
        session,
        tenant_id=line.tenant_id,
        actor=audit.Actor("api_client", client.client_id),
        action="consent.requested",
        subject_type="line",
        subject_id=str(line.id),
        at=at,
        details={"request": str(request.id), "scopes": scopes, "purpose": purpose},
    )
    return Started(auth_req_id, settings.consent_seconds, settings.poll_interval_seconds)


@dataclass(frozen=True)
class ConsentView:
    request: ConsentRequest
    client_name: str
    msisdn: str
    expired: bool


def _view(session: Session, request: ConsentRequest, now: dt.datetime) -> ConsentView:
    client = session.get(ApiClient, request.client_ref)
    line = session.get(Line, request.line_id)
    assert client is not None
    assert line is not None
    return ConsentView(request, client.name, line.msisdn, request.expires_at <= now)


def consent_by_link(
    session: Session, key: bytes, tenant_id: uuid.UUID, link: str, now: dt.datetime
) -> ConsentView:
    found = session.scalar(
        select(ConsentRequest).where(
            ConsentRequest.link_hash == keyed_hash(key, "consent-link", link),
            ConsentRequest.tenant_id == tenant_id,
        )
    )
    if found is None:
        raise NotFound("CONSENT_NOT_FOUND", "This link is not valid.")
    return _view(session, found, now)


def consents_of_customer(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, now: dt.datetime
) -> list[ConsentView]:
    """The requests about the customer's lines of the last 30 days, newest first."""
    stmt = (
        select(ConsentRequest)
        .join(Line, Line.id == ConsentRequest.line_id)
        .where(
            ConsentRequest.tenant_id == tenant_id,
            Line.customer_id == customer_id,
            ConsentRequest.created_at >= now - dt.timedelta(days=30),
        )
        .order_by(ConsentRequest.created_at.desc())
    )
    return [_view(session, r, now) for r in session.scalars(stmt)]


def consent_of_customer(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    request_id: uuid.UUID,
    now: dt.datetime,
) -> ConsentView:
    for view in consents_of_customer(session, tenant_id, customer_id, now):
        if view.request.id == request_id:
            return view
    raise NotFound("CONSENT_NOT_FOUND", "This link is not valid.")


def decide(
    session: Session, view: ConsentView, allow: bool, *, actor: audit.Actor, at: dt.datetime
) -> ConsentRequest:
    """The holder's answer, once, before the request expires."""
    request = view.request
    if request.state != PENDING:
        raise Conflict("CONSENT_DECIDED", "You have answered this request already.")
    if request.expires_at <= at:
        raise Conflict("CONSENT_EXPIRED", "This request has expired: the bank must ask again.")
    request.state = APPROVED if allow else REFUSED
    request.decided_at = at
    audit.record(
        session,
        tenant_id=request.tenant_id,
        actor=actor,
        action="consent.approved" if allow else "consent.refused",
        subject_type="line",
        subject_id=str(request.line_id),
        at=at,
        details={"request": str(request.id), "client": view.client_name},
    )
    return request


def redeem(
    session: Session, key: bytes, client: ApiClient, auth_req_id: str | None, at: dt.datetime
) -> ConsentRequest:
    """CIBA's poll of the token endpoint: the approved request (once), or the error that
    tells the bank to wait, slow down or give up."""
    if not auth_req_id:
        raise OAuthError("invalid_request", "auth_req_id is required.")
    request = session.scalar(
        select(ConsentRequest)
        .where(ConsentRequest.auth_req_hash == keyed_hash(key, "ciba", auth_req_id))
        .with_for_update()
    )
    if request is None or request.client_ref != client.id:
        raise OAuthError("invalid_grant", "Unknown auth_req_id.")
    if request.state == USED:
        raise OAuthError("invalid_grant", "This auth_req_id was redeemed already.")
    if request.state == REFUSED:
        raise OAuthError("access_denied", "The holder refused the request.")
    if request.state == PENDING and request.expires_at <= at:
        raise OAuthError("expired_token", "The request expired before the holder answered.")
    if request.state == PENDING:
        early = request.last_polled_at is not None and (at - request.last_polled_at) < dt.timedelta(
            seconds=request.interval
        )
        request.last_polled_at = at
        if early:
            raise OAuthError("slow_down", f"Poll at most every {request.interval} seconds.")
        raise OAuthError("authorization_pending", "The holder has not answered yet.")
    request.state = USED
    return request
