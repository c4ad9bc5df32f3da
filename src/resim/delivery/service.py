"""Showing the activation code to its holder, and nobody else, within the tenant's cap.

Every reveal (portal, one-time link, the operator's app) and every download the SM-DP+
reports counts against the cap. A one-time link by SMS or e-mail opens only with a code sent
on the other channel; where the tenant uses a confirmation code, it travels with that other
message, never beside the activation code. A code not installed in time is cancelled on the
SM-DP+ and the holder can then ask again for a new one: both are the replacement flow's
decisions, which keeps the books here (:mod:`resim.delivery.schedule`).

Delivery knows neither the application nor the provisioning: it is given whom the code is
for (:class:`Holder`) and the ready code (:class:`ReadyCode`), or None when there is none.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.auth.service import CODE_WRONG
from resim.config import Settings
from resim.customer import service as customers
from resim.delivery import schedule
from resim.delivery.models import Delivery, DeliveryLink
from resim.errors import Conflict, Invalid, NotFound
from resim.i18n import N_, gettext_for
from resim.kit.activation_code import ActivationCode
from resim.kit.crypto import keyed_hash, numeric_code, token
from resim.line import service as lines
from resim.line.models import ProfileState
from resim.message import service as messages
from resim.tenant import service as tenants

PROOF_TRIES = 5
PROOF_MINUTES = 15
PROOF_RESEND = dt.timedelta(minutes=1)

CAP_REACHED = N_(
    "You have seen this code as many times as allowed. To get a new eSIM, start a new "
    "replacement request or call us."
)
EXPIRED = N_("This code has expired without being installed. You can ask for a new one.")
NOT_READY = N_("There is no eSIM code to show for this request.")
LINK_INVALID = N_(
    "This link is not valid any more. Sign in to see your eSIM, or ask for a new link."
)

INSTALL_HELP = N_(
    "iPhone: Settings > Mobile Service > Add eSIM > Use QR Code. "
    "Android: Settings > Network & internet > SIMs > Add eSIM, then scan the QR code."
)
LINK_TEXT = N_(
    "Your new eSIM for %(msisdn)s is ready. Open %(url)s (valid until %(until)s) and enter "
    "the code we send you by %(other)s."
)
PROOF_TEXT = N_("Your code to open your eSIM link: %(code)s. It expires in %(minutes)d minutes.")
CONFIRMATION_TEXT = N_("The confirmation code your phone will ask for: %(code)s")
EXPIRED_TEXT = N_(
    "The eSIM code for %(msisdn)s was not installed in time and no longer works. "
    "Sign in to ask for a new one."
)
CHANNEL_NAMES = {"sms": N_("text message"), "email": N_("e-mail")}


@dataclass(frozen=True)
class Holder:
    """Whom a code is for, and where messages on each channel reach them."""

    tenant_id: uuid.UUID
    application_id: uuid.UUID
    customer_id: uuid.UUID
    msisdn: str  # the line being replaced
    phone: str | None  # the verified alternative number
    email: str | None  # the verified contact e-mail (None: the address on file)


@dataclass(frozen=True)
class ReadyCode:
    """A round's code as provisioning made it; ``code`` and ``confirmation_code`` are secrets
    (None when not decrypted for this use), never logged."""

    round: int
    iccid: str | None
    code: ActivationCode | None = None
    confirmation_code: str | None = None


@dataclass(frozen=True)
class Revealed:
    code: ActivationCode
    iccid: str
    confirmation_code: str | None  # shown apart, or None where it went on another channel
    expires_at: dt.datetime
    left: int  # reveals and downloads left under the cap


@dataclass(frozen=True)
class Status:
    """What the holder's page shows of the delivery, without the secret."""

    delivery: Delivery
    left: int
    expired: bool
    install_failed: bool
    can_ask_again: bool


def _left(found: Delivery) -> int:
    return max(0, found.cap - found.reveals - found.downloads)


def profile_state(session: Session, ready: ReadyCode) -> ProfileState | None:
    """Where the ready code's profile stands, as the SM-DP+ last reported it."""
    profile = lines.profile_anywhere(session, ready.iccid) if ready.iccid else None
    return profile.state if profile is not None else None


def status(
    session: Session, app_id: uuid.UUID, ready: ReadyCode | None, at: dt.datetime
) -> Status | None:
    found = schedule.of(session, app_id)
    if found is None or ready is None:
        return None
    state = profile_state(session, ready)
    expired = found.released_at is not None or at >= found.expires_at
    failed = state == ProfileState.ERROR
    return Status(found, _left(found), expired, failed, (expired or failed) and _left(found) > 0)


def _ready(
    session: Session, app_id: uuid.UUID, ready: ReadyCode | None, at: dt.datetime
) -> tuple[Delivery, ReadyCode]:
    found = schedule.of(session, app_id, lock=True)
    if found is None or ready is None:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    if found.released_at is not None or at >= found.expires_at:
        raise Conflict("CODE_EXPIRED", EXPIRED)
    if _left(found) <= 0:
        raise Conflict("CAP_REACHED", CAP_REACHED)
    return found, ready


def reveal(
    session: Session,
    holder: Holder,
    ready: ReadyCode | None,
    *,
    channel: str,
    at: dt.datetime,
    actor: audit.Actor,
    with_confirmation: bool = True,
) -> Revealed:
    """The activation code, counted against the cap and audited (without the code)."""
    found, ready = _ready(session, holder.application_id, ready, at)
    code = ready.code
    if code is None or ready.iccid is None:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    found.reveals += 1
    found.updated_at = at
    if channel in ("screen", "app"):
        found.channel = channel
    audit.record(
        session,
        tenant_id=holder.tenant_id,
        actor=actor,
        action="delivery.revealed",
        subject_type="application",
        subject_id=str(holder.application_id),
        at=at,
        details={"channel": channel, "reveals": found.reveals, "cap": found.cap},
    )
    confirmation = ready.confirmation_code if with_confirmation else None
    return Revealed(code, ready.iccid, confirmation, found.expires_at, _left(found))


# One-time links.


def _contact(session: Session, holder: Holder, channel: str) -> str:
    """Where a message on this channel goes: the verified alternative number, or the
    application's verified e-mail (the address on file when none was given)."""
    if channel == "sms":
        if holder.phone is None:
            raise Invalid("NO_PHONE", N_("This request has no verified phone number."))
        return holder.phone
    if holder.email:
        return holder.email
    return customers.get(session, holder.tenant_id, holder.customer_id).email


def _language(session: Session, holder: Holder) -> str:
    return customers.get(session, holder.tenant_id, holder.customer_id).language


def _send(
    session: Session, key: bytes, holder: Holder, channel: str, text: str, at: dt.datetime
) -> None:
    to = _contact(session, holder, channel)
    if channel == "sms":
        messages.queue_sms(session, key=key, tenant_id=holder.tenant_id, to=to, text=text, at=at)
        return
    lang = _language(session, holder)
    messages.queue_email(
        session,
        key=key,
        tenant_id=holder.tenant_id,
        to=to,
        subject=gettext_for(lang, "Your new eSIM"),
        text=text,
        at=at,
    )


def other_channel(channel: str) -> str:
    return "email" if channel == "sms" else "sms"


def send_link(
    session: Session,
    settings: Settings,
    holder: Holder,
    ready: ReadyCode | None,
    channel: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> DeliveryLink:
    """A one-time link on ``channel``; it opens with a code sent on the other channel."""
    if channel not in schedule.LINK_CHANNELS:
        raise Invalid("UNKNOWN_CHANNEL", N_("Choose SMS or e-mail."))
    found, _ready_code = _ready(session, holder.application_id, ready, at)
    _contact(session, holder, channel)
    _contact(session, holder, other_channel(channel))  # the proof code needs the other one too
    tenant = tenants.by_id(session, holder.tenant_id)
    policy = tenants.policy(tenant)
    secret = token(18)
    expires = min(found.expires_at, at + dt.timedelta(hours=policy.delivery_link_hours))
    link = DeliveryLink(
        tenant_id=holder.tenant_id,
        application_id=holder.application_id,
        channel=channel,
        token_hash=keyed_hash(settings.secret_bytes, "delivery-link", secret),
        proof_tries=0,
        created_at=at,
        expires_at=expires,
    )
    session.add(link)
    found.channel, found.updated_at = channel, at
    lang = _language(session, holder)
    text = gettext_for(lang, LINK_TEXT) % {
        "msisdn": holder.msisdn,
        "url": f"{settings.public_url}/{tenant.slug}/d/{secret}",
        "until": f"{expires:%Y-%m-%d %H:%M} UTC",
        "other": gettext_for(lang, CHANNEL_NAMES[other_channel(channel)]),
    }
    help_text = gettext_for(lang, INSTALL_HELP)
    _send(session, settings.secret_bytes, holder, channel, text + "\n" + help_text, at)
    audit.record(
        session,
        tenant_id=holder.tenant_id,
        actor=actor,
        action="delivery.link_sent",
        subject_type="application",
        subject_id=str(holder.application_id),
        at=at,
        details={"channel": channel},
    )
    session.flush()
    return link


def link_by_token(
    session: Session, settings: Settings, tenant_id: uuid.UUID, secret: str, at: dt.datetime
) -> DeliveryLink:
    """A link that can still be used; anything else is NotFound."""
    found = session.scalar(
        select(DeliveryLink)
        .where(
            DeliveryLink.token_hash == keyed_hash(settings.secret_bytes, "delivery-link", secret)
        )
        .with_for_update()
    )
    if (
        found is None
        or found.tenant_id != tenant_id
        or found.used_at is not None
        or found.expires_at <= at
        or found.proof_tries >= PROOF_TRIES
    ):
        raise NotFound("LINK_INVALID", LINK_INVALID)
    return found


def send_proof(
    session: Session,
    settings: Settings,
    link: DeliveryLink,
    holder: Holder,
    ready: ReadyCode | None,
    at: dt.datetime,
) -> str:
    """The code that opens the link, on the other channel (with the confirmation code, where
    the tenant uses one). Returns that channel's name."""
    _found, ready = _ready(session, holder.application_id, ready, at)
    other = other_channel(link.channel)
    if link.proof_sent_at is not None and at - link.proof_sent_at < PROOF_RESEND:
        return other  # one code a minute: whoever holds the link cannot flood the customer
    code = numeric_code(6)
    link.proof_hash = keyed_hash(settings.secret_bytes, "delivery-proof", str(link.id), code)
    link.proof_sent_at = at
    lang = _language(session, holder)
    text = gettext_for(lang, PROOF_TEXT) % {"code": code, "minutes": PROOF_MINUTES}
    if ready.confirmation_code is not None:
        text += "\n" + gettext_for(lang, CONFIRMATION_TEXT) % {"code": ready.confirmation_code}
    _send(session, settings.secret_bytes, holder, other, text, at)
    session.flush()
    return other


def send_confirmation(
    session: Session,
    settings: Settings,
    holder: Holder,
    ready: ReadyCode | None,
    *,
    at: dt.datetime,
) -> None:
    """The confirmation code, by SMS to the verified alternative number (else by e-mail), for
    a code shown in the operator's app."""
    confirmation = ready.confirmation_code if ready is not None else None
    if confirmation is None:
        return
    lang = _language(session, holder)
    channel = "sms" if holder.phone else "email"
    text = gettext_for(lang, CONFIRMATION_TEXT) % {"code": confirmation}
    _send(session, settings.secret_bytes, holder, channel, text, at)


def prove(
    session: Session,
    settings: Settings,
    link: DeliveryLink,
    holder: Holder,
    ready: ReadyCode | None,
    code: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Revealed:
    """The right code opens the link once; wrong ones are counted (the caller commits)."""
    expected = keyed_hash(settings.secret_bytes, "delivery-proof", str(link.id), code.strip())
    fresh = link.proof_sent_at is not None and at < link.proof_sent_at + dt.timedelta(
        minutes=PROOF_MINUTES
    )
    if link.proof_hash is None or not fresh or expected != link.proof_hash:
        link.proof_tries += 1
        raise Invalid("CODE_INVALID", CODE_WRONG, field="code")
    link.used_at = at
    # The confirmation code went with the proof code, on the other channel.
    return reveal(
        session, holder, ready, channel=link.channel, at=at, actor=actor, with_confirmation=False
    )


# Expiry and asking again: the flow decides, these keep the books.


def releasable(session: Session, app_id: uuid.UUID, ready: ReadyCode, due: str) -> bool:
    """Whether the code due to expire at ``due`` is still unused and not renewed: its
    profile never downloaded, or its installation failed."""
    found = schedule.of(session, app_id, lock=True)
    if found is None or found.released_at is not None or found.expires_at.isoformat() != due:
        return False  # a later round renewed the expiry, or it is released already
    return profile_state(session, ready) in (ProfileState.RELEASED, ProfileState.ERROR)


def expired(session: Session, key: bytes, holder: Holder, at: dt.datetime) -> None:
    """The code was cancelled on the SM-DP+ unused: recorded, and the holder told."""
    schedule.released(session, holder.application_id, at)
    person = customers.get(session, holder.tenant_id, holder.customer_id)
    messages.queue_email(
        session,
        key=key,
        tenant_id=holder.tenant_id,
        to=person.email,
        subject=gettext_for(person.language, "Your new eSIM"),
        text=gettext_for(person.language, EXPIRED_TEXT) % {"msisdn": holder.msisdn},
        at=at,
    )


def may_ask_again(
    session: Session, app_id: uuid.UUID, ready: ReadyCode | None, at: dt.datetime
) -> None:
    """A new code may be asked for after the last one expired or failed to install, within
    the cap; otherwise a Conflict says why not."""
    current = status(session, app_id, ready, at)
    if current is None:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    if current.left <= 0:
        raise Conflict("CAP_REACHED", CAP_REACHED)
    if not current.can_ask_again:
        raise Conflict("CODE_STILL_VALID", N_("Your eSIM code is still valid: use it."))
