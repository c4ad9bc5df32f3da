"""Customer sign-in without the lost number: a one-time code to the e-mail on file.

Codes are 6 digits, live ``signin_code_minutes``, are single use and stored only as a
keyed hash; ``signin_code_max_tries`` wrong tries lock a code. Requests are limited per
address and per IP. A request for an unknown address looks the same as for a known one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.auth.models import CustomerSession, RateLimitHit, SigninChallenge
from resim.config import Settings
from resim.customer import service as customers
from resim.customer.models import Customer
from resim.errors import AppError, Invalid, RateLimited, Unauthenticated
from resim.i18n import N_, gettext_for
from resim.kit.crypto import keyed_hash, numeric_code, token
from resim.message import service as messages
from resim.tenant.models import Tenant

CODE_WRONG = N_("This code is wrong or has expired. Ask for a new one.")
CODE_LOCKED = N_("Too many wrong codes. Ask for a new one.")


@dataclass(frozen=True)
class SignedIn:
    token: str
    customer: Customer
    expires_at: dt.datetime


@dataclass(frozen=True)
class Principal:
    """The signed-in customer of one request."""

    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    session_id: uuid.UUID
    signed_in_at: dt.datetime


def _limit(session: Session, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> None:
    session.execute(
        delete(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.at < now - window)
    )
    count = session.scalar(
        select(func.count()).select_from(RateLimitHit).where(RateLimitHit.key == key)
    )
    if (count or 0) >= limit:
        oldest = session.scalar(select(func.min(RateLimitHit.at)).where(RateLimitHit.key == key))
        retry = int(((oldest or now) + window - now).total_seconds()) + 1
        raise RateLimited(
            "TOO_MANY_ATTEMPTS",
            "Too many attempts. Try again in %(minutes)d minutes.",
            params={"minutes": max(1, (retry + 59) // 60)},
            retry_after=retry,
        )
    session.add(RateLimitHit(key=key, at=now))
    session.flush()


def request_code(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    email: str,
    *,
    ip: str,
    language: str,
    now: dt.datetime,
) -> None:
    sec = settings.security
    window = dt.timedelta(minutes=sec.signin_window_minutes)
    _limit(session, f"signin-ip:{ip}", sec.signin_per_ip, window, now)
    address_key = keyed_hash(settings.secret_bytes, "addr", str(tenant.id), email)[:40]
    _limit(session, f"signin-addr:{address_key}", sec.signin_per_address, window, now)
    customer = customers.find_by_email(session, tenant.id, email)
    if customer is None:
        return  # same answer as for a known address: no way to probe who is a customer
    session.execute(
        update(SigninChallenge)
        .where(
            SigninChallenge.tenant_id == tenant.id,
            SigninChallenge.email == email,
            SigninChallenge.used_at.is_(None),
        )
        .values(used_at=now)
    )
    challenge_id = uuid.uuid4()
    code = numeric_code(6)
    session.add(
        SigninChallenge(
            id=challenge_id,
            tenant_id=tenant.id,
            email=email,
            customer_id=customer.id,
            code_hash=keyed_hash(settings.secret_bytes, "signin", str(challenge_id), code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=sec.signin_code_minutes),
        )
    )
    lang = customer.language if language not in ("it", "en", "zh") else language
    subject = gettext_for(lang, "Your sign-in code for %(operator)s") % {"operator": tenant.name}
    text = gettext_for(
        lang,
        "Your sign-in code is %(code)s. It expires in %(minutes)d minutes.\n\n"
        "If you did not ask for it, you can ignore this message: nobody can sign in "
        "without the code.",
    ) % {"code": code, "minutes": sec.signin_code_minutes}
    messages.queue_email(
        session,
        key=settings.secret_bytes,
        tenant_id=tenant.id,
        to=email,
        subject=subject,
        text=text,
        at=now,
    )
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=audit.Actor("customer", str(customer.id), ip),
        action="auth.code_sent",
        subject_type="customer",
        subject_id=str(customer.id),
        at=now,
    )


def verify_code(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    email: str,
    code: str,
    *,
    ip: str,
    now: dt.datetime,
    device: str | None = None,
    country: str | None = None,
) -> SignedIn | AppError:
    """Check a code. A wrong one is counted: the caller commits, then reports the error.

    ``device`` is the browser's or app's own id (stored as a keyed hash), ``country`` the
    ISO code the trusted edge proxy put in a header: the session remembers both, so a later
    application can tell a sign-in from a device or country the customer never used.
    """
    sec = settings.security
    try:
        _limit(
            session,
            f"signin-ip:{ip}",
            sec.signin_per_ip,
            dt.timedelta(minutes=sec.signin_window_minutes),
            now,
        )
    except RateLimited as exc:
        return exc
    challenge = session.scalar(
        select(SigninChallenge)
        .where(
            SigninChallenge.tenant_id == tenant.id,
            SigninChallenge.email == email,
            SigninChallenge.used_at.is_(None),
        )
        .order_by(SigninChallenge.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if challenge is None or challenge.customer_id is None or challenge.expires_at <= now:
        return Invalid("CODE_INVALID", CODE_WRONG, field="code")
    if challenge.locked_at is not None:
        return Invalid("CODE_LOCKED", CODE_LOCKED, field="code")
    expected = keyed_hash(settings.secret_bytes, "signin", str(challenge.id), code)
    actor = audit.Actor("customer", str(challenge.customer_id), ip)
    if expected != challenge.code_hash:
        challenge.failed_tries += 1
        locked = challenge.failed_tries >= sec.signin_code_max_tries
        if locked:
            challenge.locked_at = now
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="auth.code_rejected",
            subject_type="customer",
            subject_id=str(challenge.customer_id),
            at=now,
            details={"tries": challenge.failed_tries, "locked": locked},
        )
        return Invalid(
            "CODE_LOCKED" if locked else "CODE_INVALID",
            CODE_LOCKED if locked else CODE_WRONG,
            field="code",
        )
    challenge.used_at = now
    customer = customers.get(session, tenant.id, challenge.customer_id)
    secret = token()
    expires = now + dt.timedelta(minutes=sec.session_minutes)
    session.add(
        CustomerSession(
            tenant_id=tenant.id,
            customer_id=customer.id,
            token_hash=keyed_hash(settings.secret_bytes, "session", secret),
            device_hash=keyed_hash(settings.secret_bytes, "device", device) if device else None,
            country=country,
            created_at=now,
            expires_at=expires,
        )
    )
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="auth.signed_in",
        subject_type="customer",
        subject_id=str(customer.id),
        at=now,
    )
    return SignedIn(token=secret, customer=customer, expires_at=expires)


def principal(
    session: Session, settings: Settings, tenant: Tenant, secret: str | None, now: dt.datetime
) -> Principal:
    """The customer behind a session token, or Unauthenticated."""
    if secret:
        found = session.scalar(
            select(CustomerSession).where(
                CustomerSession.token_hash == keyed_hash(settings.secret_bytes, "session", secret)
            )
        )
        if (
            found is not None
            and found.tenant_id == tenant.id
            and found.revoked_at is None
            and found.expires_at > now
        ):
            return Principal(tenant.id, found.customer_id, found.id, found.created_at)
    raise Unauthenticated("SIGN_IN_REQUIRED", "Please sign in.")


def sign_out(session: Session, session_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(
        update(CustomerSession).where(CustomerSession.id == session_id).values(revoked_at=now)
    )


def new_device_or_country(session: Session, session_id: uuid.UUID) -> bool:
    """Whether this session comes from a device or country none of the customer's earlier
    sessions came from. A customer who never signed in before has nothing to compare with."""
    current = session.get(CustomerSession, session_id)
    if current is None:
        return False
    earlier = session.execute(
        select(CustomerSession.device_hash, CustomerSession.country).where(
            CustomerSession.tenant_id == current.tenant_id,
            CustomerSession.customer_id == current.customer_id,
            CustomerSession.created_at < current.created_at,
            CustomerSession.id != current.id,
        )
    ).all()
    if not earlier:
        return False
    devices = {d for d, _ in earlier if d}
    countries = {c for _, c in earlier if c}
    new_device = bool(devices) and current.device_hash not in (None, *devices)
    new_country = bool(countries) and current.country not in (None, *countries)
    return new_device or new_country
