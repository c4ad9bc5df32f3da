"""Showing the activation code to its holder, and nobody else, within the tenant's cap.

Every reveal (portal, one-time link, the operator's app) and every download the SM-DP+
reports counts against the cap. A one-time link by SMS or e-mail opens only with a code sent
on the other channel; where the tenant uses a confirmation code, it travels with that other
message, never beside the activation code. A code not installed in time is cancelled on the
SM-DP+ (``expire``); the holder can then ask again (``ask_again``), which orders a new
profile and moves the number to it, as the first time.
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
from resim.jobs import service as jobs
from resim.kit.activation_code import ActivationCode
from resim.kit.crypto import KeyRing, keyed_hash, numeric_code, token
from resim.line import service as lines
from resim.line.models import ProfileState
from resim.message import service as messages
from resim.provisioning import service as provisioning
from resim.provisioning.models import Provisioning
from resim.replacement import service as replacements
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState
from resim.tenant import service as tenants

REISSUE = "delivery.reissue"
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


def _profile_state(session: Session, prov: Provisioning) -> ProfileState | None:
    profile = lines.profile_anywhere(session, prov.new_iccid) if prov.new_iccid else None
    return profile.state if profile is not None else None


def status(session: Session, app: Application, at: dt.datetime) -> Status | None:
    found = schedule.of(session, app.id)
    prov = provisioning.for_application(session, app.id)
    if found is None or prov is None or app.state != ApplicationState.CODE_READY:
        return None
    state = _profile_state(session, prov)
    expired = found.released_at is not None or at >= found.expires_at
    failed = state == ProfileState.ERROR
    return Status(found, _left(found), expired, failed, (expired or failed) and _left(found) > 0)


def _ready(session: Session, app: Application, at: dt.datetime) -> tuple[Delivery, Provisioning]:
    found = schedule.of(session, app.id, lock=True)
    prov = provisioning.for_application(session, app.id)
    if found is None or prov is None or app.state != ApplicationState.CODE_READY:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    if found.released_at is not None or at >= found.expires_at:
        raise Conflict("CODE_EXPIRED", EXPIRED)
    if _left(found) <= 0:
        raise Conflict("CAP_REACHED", CAP_REACHED)
    return found, prov


def reveal(
    session: Session,
    keyring: KeyRing,
    app: Application,
    *,
    channel: str,
    at: dt.datetime,
    actor: audit.Actor,
    with_confirmation: bool = True,
) -> Revealed:
    """The activation code, counted against the cap and audited (without the code)."""
    found, prov = _ready(session, app, at)
    code = provisioning.activation_code(keyring, prov)
    if code is None or prov.new_iccid is None:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    found.reveals += 1
    found.updated_at = at
    if channel in ("screen", "app"):
        found.channel = channel
    audit.record(
        session,
        tenant_id=app.tenant_id,
        actor=actor,
        action="delivery.revealed",
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details={"channel": channel, "reveals": found.reveals, "cap": found.cap},
    )
    confirmation = provisioning.confirmation_code(keyring, prov) if with_confirmation else None
    return Revealed(code, prov.new_iccid, confirmation, found.expires_at, _left(found))


# One-time links.


def _contact(session: Session, app: Application, channel: str) -> str:
    """Where a message on this channel goes: the verified alternative number, or the
    application's verified e-mail (the address on file when none was given)."""
    if channel == "sms":
        if app.alt_phone is None or app.alt_phone_verified_at is None:
            raise Invalid("NO_PHONE", N_("This request has no verified phone number."))
        return app.alt_phone
    if app.contact_email and app.contact_email_verified_at is not None:
        return app.contact_email
    return customers.get(session, app.tenant_id, app.customer_id).email


def _send(
    session: Session, settings: Settings, app: Application, channel: str, text: str, at: dt.datetime
) -> None:
    to = _contact(session, app, channel)
    key = settings.secret_bytes
    if channel == "sms":
        messages.queue_sms(session, key=key, tenant_id=app.tenant_id, to=to, text=text, at=at)
        return
    lang = customers.get(session, app.tenant_id, app.customer_id).language
    messages.queue_email(
        session,
        key=key,
        tenant_id=app.tenant_id,
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
    app: Application,
    channel: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> DeliveryLink:
    """A one-time link on ``channel``; it opens with a code sent on the other channel."""
    if channel not in schedule.LINK_CHANNELS:
        raise Invalid("UNKNOWN_CHANNEL", N_("Choose SMS or e-mail."))
    found, _prov = _ready(session, app, at)
    _contact(session, app, channel)
    _contact(session, app, other_channel(channel))  # the proof code needs the other one too
    tenant = tenants.by_id(session, app.tenant_id)
    policy = tenants.policy(tenant)
    secret = token(18)
    expires = min(found.expires_at, at + dt.timedelta(hours=policy.delivery_link_hours))
    link = DeliveryLink(
        tenant_id=app.tenant_id,
        application_id=app.id,
        channel=channel,
        token_hash=keyed_hash(settings.secret_bytes, "delivery-link", secret),
        proof_tries=0,
        created_at=at,
        expires_at=expires,
    )
    session.add(link)
    found.channel, found.updated_at = channel, at
    lang = customers.get(session, app.tenant_id, app.customer_id).language
    text = gettext_for(lang, LINK_TEXT) % {
        "msisdn": replacements.line_of(session, app).msisdn,
        "url": f"{settings.public_url}/{tenant.slug}/d/{secret}",
        "until": f"{expires:%Y-%m-%d %H:%M} UTC",
        "other": gettext_for(lang, CHANNEL_NAMES[other_channel(channel)]),
    }
    _send(session, settings, app, channel, text + "\n" + gettext_for(lang, INSTALL_HELP), at)
    audit.record(
        session,
        tenant_id=app.tenant_id,
        actor=actor,
        action="delivery.link_sent",
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details={"channel": channel},
    )
    session.flush()
    return link


def link_by_token(
    session: Session, settings: Settings, tenant_id: uuid.UUID, secret: str, at: dt.datetime
) -> tuple[DeliveryLink, Application]:
    """A link that can still be used, and its application; anything else is NotFound."""
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
    app = session.get(Application, found.application_id)
    assert app is not None
    return found, app


def send_proof(
    session: Session, settings: Settings, link: DeliveryLink, app: Application, at: dt.datetime
) -> str:
    """The code that opens the link, on the other channel (with the confirmation code, where
    the tenant uses one). Returns that channel's name."""
    _found, prov = _ready(session, app, at)
    other = other_channel(link.channel)
    if link.proof_sent_at is not None and at - link.proof_sent_at < PROOF_RESEND:
        return other  # one code a minute: whoever holds the link cannot flood the customer
    code = numeric_code(6)
    link.proof_hash = keyed_hash(settings.secret_bytes, "delivery-proof", str(link.id), code)
    link.proof_sent_at = at
    lang = customers.get(session, app.tenant_id, app.customer_id).language
    text = gettext_for(lang, PROOF_TEXT) % {"code": code, "minutes": PROOF_MINUTES}
    confirmation = provisioning.confirmation_code(
        settings.documents.keyring(settings.secret_bytes), prov
    )
    if confirmation is not None:
        text += "\n" + gettext_for(lang, CONFIRMATION_TEXT) % {"code": confirmation}
    _send(session, settings, app, other, text, at)
    session.flush()
    return other


def send_confirmation(
    session: Session, settings: Settings, app: Application, *, at: dt.datetime
) -> None:
    """The confirmation code, by SMS to the verified alternative number (else by e-mail), for
    a code shown in the operator's app."""
    prov = provisioning.for_application(session, app.id)
    keyring = settings.documents.keyring(settings.secret_bytes)
    confirmation = provisioning.confirmation_code(keyring, prov) if prov else None
    if confirmation is None:
        return
    lang = customers.get(session, app.tenant_id, app.customer_id).language
    channel = "sms" if app.alt_phone and app.alt_phone_verified_at else "email"
    text = gettext_for(lang, CONFIRMATION_TEXT) % {"code": confirmation}
    _send(session, settings, app, channel, text, at)


def prove(
    session: Session,
    settings: Settings,
    link: DeliveryLink,
    app: Application,
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
    keyring = settings.documents.keyring(settings.secret_bytes)
    # The confirmation code went with the proof code, on the other channel.
    return reveal(
        session, keyring, app, channel=link.channel, at=at, actor=actor, with_confirmation=False
    )


# Expiry and asking again.


def expire(session: Session, ports: provisioning.Ports, app_id: uuid.UUID, due: str) -> None:
    """Job: a code not installed by its expiry is cancelled on the SM-DP+ (Unavailable)."""
    found = schedule.of(session, app_id, lock=True)
    if found is None or found.released_at is not None or found.expires_at.isoformat() != due:
        return  # a later round renewed the expiry, or it is released already
    app = replacements.lock_for_provisioning(session, app_id)
    prov = provisioning.for_application(session, app_id)
    if app is None or prov is None or app.state != ApplicationState.CODE_READY:
        return
    at = ports.clock.now()
    if _profile_state(session, prov) not in (ProfileState.RELEASED, ProfileState.ERROR):
        return  # downloaded: the installation is under way
    if not provisioning.release(session, ports, prov, at):
        return
    found.released_at, found.updated_at = at, at
    holder = customers.get(session, app.tenant_id, app.customer_id)
    messages.queue_email(
        session,
        key=ports.secret,
        tenant_id=app.tenant_id,
        to=holder.email,
        subject=gettext_for(holder.language, "Your new eSIM"),
        text=gettext_for(holder.language, EXPIRED_TEXT)
        % {"msisdn": replacements.line_of(session, app).msisdn},
        at=at,
    )


def ask_again(session: Session, app: Application, *, at: dt.datetime, actor: audit.Actor) -> int:
    """The holder asks for a new code after the last one expired or failed to install:
    within the cap, a new profile is ordered. Returns the new round."""
    current = status(session, app, at)
    if current is None:
        raise Conflict("CODE_NOT_READY", NOT_READY)
    if current.left <= 0:
        raise Conflict("CAP_REACHED", CAP_REACHED)
    if not current.can_ask_again:
        raise Conflict("CODE_STILL_VALID", N_("Your eSIM code is still valid: use it."))
    prov = provisioning.for_application(session, app.id)
    assert prov is not None
    round_ = prov.round + 1
    replacements.reissue_started(session, app, at, actor, round_)
    jobs.enqueue(
        session,
        REISSUE,
        {"application_id": str(app.id), "round": round_},
        at=at,
        tenant_id=app.tenant_id,
    )
    return round_


def reissue(session: Session, ports: provisioning.Ports, app_id: uuid.UUID, round_: int) -> None:
    """Job: cancel the previous round's profile if it still stands, then order a new one."""
    previous = session.scalar(
        select(Provisioning).where(
            Provisioning.application_id == app_id, Provisioning.round == round_ - 1
        )
    )
    if previous is not None and previous.activation_code is not None:
        found = schedule.of(session, app_id, lock=True)
        if provisioning.release(session, ports, previous, ports.clock.now()) and found:
            found.released_at = ports.clock.now()
    provisioning.start(session, ports, app_id, round_)
