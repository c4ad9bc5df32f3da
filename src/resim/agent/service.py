"""Agents' accounts: a set-up link, a password (argon2id) and a TOTP second factor; sign-in
with lockout after repeated failures; sessions that end when unused or too old.

Every sign-in, failure, lockout and account change is audited. A TOTP code is accepted once
(its time step is remembered), so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.agent.models import Agent, AgentSession
from resim.agent.roles import Action, Role, allowed
from resim.audit import service as audit
from resim.config import Settings
from resim.errors import AppError, Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from resim.i18n import N_
from resim.kit.crypto import keyed_hash, seal, token, unseal
from resim.message import service as messages

TOTP_STEP = 30
MIN_PASSWORD = 12
SIGNIN_WRONG = N_("The e-mail, password or code is wrong.")
LOCKED = N_("Too many failed sign-ins: this account is locked for %(minutes)d minutes.")
SETUP_INVALID = N_("This set-up link is not valid any more. Ask your administrator for a new one.")

_hasher = PasswordHasher()
# Checked against when the e-mail is unknown, so both cases take as long.
_DUMMY = _hasher.hash("resim-no-such-agent")


@dataclass(frozen=True)
class AgentPrincipal:
    """The signed-in agent of one request."""

    tenant_id: uuid.UUID
    agent_id: uuid.UUID
    session_id: uuid.UUID
    email: str
    name: str
    role: str

    def can(self, action: Action) -> bool:
        return allowed(self.role, action)

    def actor(self, ip: str | None = None) -> audit.Actor:
        return audit.Actor("agent", str(self.agent_id), ip)


@dataclass(frozen=True)
class SignedIn:
    token: str
    agent: Agent
    expires_at: dt.datetime


@dataclass(frozen=True)
class Setup:
    agent: Agent
    secret: str  # the TOTP secret to enrol (shown once, as a QR code and text)

    def uri(self, issuer: str) -> str:
        return pyotp.TOTP(self.secret).provisioning_uri(name=self.agent.email, issuer_name=issuer)


def require(who: AgentPrincipal, action: Action) -> None:
    if not who.can(action):
        raise Forbidden("NOT_ALLOWED", "Your role does not allow this.")


def _totp_key(settings: Settings) -> bytes:
    return keyed_hash(settings.secret_bytes, "agent-totp").encode()


def _audit(
    session: Session,
    agent: Agent,
    action: str,
    at: dt.datetime,
    actor: audit.Actor,
    **details: object,
) -> None:
    audit.record(
        session,
        tenant_id=agent.tenant_id,
        actor=actor,
        action=f"agent.{action}",
        subject_type="agent",
        subject_id=str(agent.id),
        at=at,
        details=dict(details),
    )


def create(
    session: Session,
    settings: Settings,
    tenant_id: uuid.UUID,
    *,
    email: str,
    name: str,
    role: Role,
    at: dt.datetime,
    actor: audit.Actor,
) -> tuple[Agent, str]:
    """A new account and its one-time set-up link's token (the caller hands it over)."""
    email = email.strip().lower()
    exists = session.scalar(select(Agent).where(Agent.tenant_id == tenant_id, Agent.email == email))
    if exists is not None:
        raise Conflict("AGENT_EXISTS", "There is already an agent with this e-mail.", field="email")
    setup = token(24)
    agent = Agent(
        tenant_id=tenant_id,
        email=email,
        name=name.strip(),
        role=role.value,
        created_at=at,
        setup_token_hash=keyed_hash(settings.secret_bytes, "agent-setup", setup),
        setup_expires_at=at + dt.timedelta(hours=settings.security.agent_setup_hours),
    )
    session.add(agent)
    session.flush()
    _audit(session, agent, "created", at, actor, role=role.value)
    return agent, setup


def new_setup_link(
    session: Session,
    settings: Settings,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    by: AgentPrincipal,
    at: dt.datetime,
    ip: str,
) -> tuple[Agent, str]:
    """A fresh set-up link: the agent chooses a new password and enrols a new TOTP device,
    and cannot sign in until done (a lost phone, a forgotten password). Sessions end."""
    agent = get(session, tenant_id, agent_id)
    if agent.id == by.agent_id:
        raise Conflict("CANNOT_CHANGE_SELF", "You cannot change your own role or account.")
    setup = token(24)
    agent.setup_token_hash = keyed_hash(settings.secret_bytes, "agent-setup", setup)
    agent.setup_expires_at = at + dt.timedelta(hours=settings.security.agent_setup_hours)
    agent.password_hash = None
    agent.totp_secret = None
    agent.totp_last_step = None
    agent.failed_signins = 0
    agent.locked_until = None
    _end_sessions(session, agent, at)
    _audit(session, agent, "reset", at, by.actor(ip))
    return agent, setup


def _end_sessions(session: Session, agent: Agent, at: dt.datetime) -> None:
    for found in session.scalars(
        select(AgentSession).where(
            AgentSession.agent_id == agent.id, AgentSession.revoked_at.is_(None)
        )
    ):
        found.revoked_at = at
    session.flush()


def send_setup_link(
    session: Session, settings: Settings, operator: str, agent: Agent, link: str, *, at: dt.datetime
) -> None:
    """E-mail the set-up link to the agent's address (it is not shown to the admin)."""
    hours = settings.security.agent_setup_hours
    text = (
        f"Hello {agent.name},\n\nan account in the {operator} back office was prepared for you. "
        f"Open this link within {hours} hours to choose your password and set up the "
        f"second factor (an authenticator app):\n\n{link}\n\n"
        "If you did not expect this e-mail, tell your administrator."
    )
    messages.queue_email(
        session,
        key=settings.secret_bytes,
        tenant_id=agent.tenant_id,
        to=agent.email,
        subject=f"Your {operator} back-office account",
        text=text,
        at=at,
    )


DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's accounts, shown on its pages


def demo_hints(
    session: Session, settings: Settings, tenant_id: uuid.UUID, now: dt.datetime
) -> list[tuple[str, str, str]]:
    """Demo only: each set-up account's e-mail, role and current TOTP code, so a newcomer
    can sign in without an authenticator app."""
    if not settings.demo:
        return []
    hints = []
    for agent in agents(session, tenant_id):
        if agent.active and agent.totp_secret and agent.password_hash:
            secret = unseal(_totp_key(settings), agent.totp_secret)
            hints.append((agent.email, agent.role, pyotp.TOTP(secret).at(now)))
    return hints


def create_ready(
    session: Session,
    settings: Settings,
    tenant_id: uuid.UUID,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    totp_secret: str,
    at: dt.datetime,
    actor: audit.Actor,
) -> Agent:
    """An account already set up (demo data and tests): password and TOTP secret given."""
    agent, _ = create(
        session, settings, tenant_id, email=email, name=name, role=role, at=at, actor=actor
    )
    agent.password_hash = _hasher.hash(password)
    agent.totp_secret = seal(_totp_key(settings), totp_secret)
    agent.setup_token_hash = None
    agent.setup_expires_at = None
    session.flush()
    return agent


def _by_setup(
    session: Session, settings: Settings, tenant_id: uuid.UUID, setup: str, at: dt.datetime
) -> Agent:
    agent = session.scalar(
        select(Agent)
        .where(
            Agent.tenant_id == tenant_id,
            Agent.setup_token_hash == keyed_hash(settings.secret_bytes, "agent-setup", setup),
        )
        .with_for_update()
    )
    if agent is None or not agent.active or agent.setup_expires_at is None:
        raise NotFound("SETUP_INVALID", SETUP_INVALID)
    if agent.setup_expires_at <= at:
        raise NotFound("SETUP_INVALID", SETUP_INVALID)
    return agent


def begin_setup(
    session: Session, settings: Settings, tenant_id: uuid.UUID, setup: str, at: dt.datetime
) -> Setup:
    """The account behind a set-up link, with the TOTP secret to enrol (the same one each
    time the page is opened, until the set-up is finished)."""
    agent = _by_setup(session, settings, tenant_id, setup, at)
    if agent.totp_secret is None:
        agent.totp_secret = seal(_totp_key(settings), pyotp.random_base32())
        session.flush()
    return Setup(agent, unseal(_totp_key(settings), agent.totp_secret))


def finish_setup(
    session: Session,
    settings: Settings,
    tenant_id: uuid.UUID,
    setup: str,
    *,
    password: str,
    code: str,
    at: dt.datetime,
    ip: str,
) -> Agent:
    started = begin_setup(session, settings, tenant_id, setup, at)
    agent = started.agent
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            "PASSWORD_TOO_SHORT",
            "Choose a password of at least %(count)d characters.",
            params={"count": MIN_PASSWORD},
            field="password",
        )
    if password.strip().lower() in (agent.email, agent.name.lower()):
        raise Invalid(
            "PASSWORD_WEAK", "Do not use your e-mail or name as password.", field="password"
        )
    step = _matching_step(started.secret, code, at, None)
    if step is None:
        raise Invalid(
            "TOTP_WRONG", "This code is wrong: type the one your app shows now.", field="code"
        )
    agent.password_hash = _hasher.hash(password)
    agent.totp_last_step = step
    agent.setup_token_hash = None
    agent.setup_expires_at = None
    session.flush()
    _audit(session, agent, "set_up", at, audit.Actor("agent", str(agent.id), ip))
    return agent


def _matching_step(secret: str, code: str, at: dt.datetime, last: int | None) -> int | None:
    """The time step whose code this is (one step of clock drift either way), if it was not
    used before."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    now_step = int(at.timestamp()) // TOTP_STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if (last is None or step > last) and pyotp.utils.strings_equal(
            totp.at(step * TOTP_STEP), code
        ):
            return step
    return None


def sign_in(
    session: Session,
    settings: Settings,
    tenant_id: uuid.UUID,
    *,
    email: str,
    password: str,
    code: str,
    at: dt.datetime,
    ip: str,
) -> SignedIn | AppError:
    """Check password and TOTP code. A failure is counted (the caller commits, then shows
    the error); the same answer whichever of the three was wrong."""
    sec = settings.security
    wrong = Unauthenticated("SIGNIN_FAILED", SIGNIN_WRONG)
    agent = session.scalar(
        select(Agent)
        .where(Agent.tenant_id == tenant_id, Agent.email == email.strip().lower())
        .with_for_update()
    )
    if agent is None or not agent.active or agent.password_hash is None:
        _check(_DUMMY, password)
        return wrong
    actor = audit.Actor("agent", str(agent.id), ip)
    if agent.locked_until is not None and agent.locked_until > at:
        _audit(session, agent, "signin_refused", at, actor, why="locked")
        minutes = int((agent.locked_until - at).total_seconds() // 60) + 1
        return Unauthenticated("ACCOUNT_LOCKED", LOCKED, params={"minutes": minutes})
    assert agent.totp_secret is not None
    step = None
    if _check(agent.password_hash, password):
        secret = unseal(_totp_key(settings), agent.totp_secret)
        step = _matching_step(secret, code, at, agent.totp_last_step)
    if step is None:
        agent.failed_signins += 1
        locked = agent.failed_signins >= sec.agent_max_failures
        if locked:
            agent.locked_until = at + dt.timedelta(minutes=sec.agent_lockout_minutes)
            agent.failed_signins = 0
        _audit(session, agent, "signin_failed", at, actor, locked=locked)
        if locked:
            return Unauthenticated(
                "ACCOUNT_LOCKED", LOCKED, params={"minutes": sec.agent_lockout_minutes}
            )
        return wrong
    agent.totp_last_step = step
    agent.failed_signins = 0
    agent.locked_until = None
    secret_token = token(32)
    expires = at + dt.timedelta(minutes=sec.agent_session_minutes)
    session.add(
        AgentSession(
            tenant_id=tenant_id,
            agent_id=agent.id,
            token_hash=keyed_hash(settings.secret_bytes, "agent-session", secret_token),
            created_at=at,
            last_seen_at=at,
            expires_at=expires,
        )
    )
    session.flush()
    _audit(session, agent, "signed_in", at, actor)
    return SignedIn(secret_token, agent, expires)


def _check(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def principal(
    session: Session, settings: Settings, tenant_id: uuid.UUID, secret: str | None, now: dt.datetime
) -> AgentPrincipal:
    """The agent behind a session cookie. Another tenant's session is not found (404): one
    tenant's staff cannot even learn what another's back office holds."""
    if not secret:
        raise Unauthenticated("SIGNIN_REQUIRED", "Sign in first.")
    found = session.scalar(
        select(AgentSession).where(
            AgentSession.token_hash == keyed_hash(settings.secret_bytes, "agent-session", secret)
        )
    )
    idle = dt.timedelta(minutes=settings.security.agent_idle_minutes)
    if (
        found is None
        or found.revoked_at is not None
        or found.expires_at <= now
        or found.last_seen_at + idle <= now
    ):
        raise Unauthenticated("SIGNIN_REQUIRED", "Your session has ended. Sign in again.")
    if found.tenant_id != tenant_id:
        raise NotFound("NOT_FOUND", "This page does not exist.")
    agent = session.get(Agent, found.agent_id)
    if agent is None or not agent.active:
        raise Unauthenticated("SIGNIN_REQUIRED", "Your session has ended. Sign in again.")
    found.last_seen_at = now
    session.flush()
    return AgentPrincipal(tenant_id, agent.id, found.id, agent.email, agent.name, agent.role)


def sign_out(session: Session, who: AgentPrincipal, at: dt.datetime, ip: str) -> None:
    found = session.get(AgentSession, who.session_id)
    if found is not None and found.revoked_at is None:
        found.revoked_at = at
        agent = session.get(Agent, who.agent_id)
        assert agent is not None
        _audit(session, agent, "signed_out", at, who.actor(ip))
        session.flush()


def agents(session: Session, tenant_id: uuid.UUID) -> list[Agent]:
    return list(
        session.scalars(select(Agent).where(Agent.tenant_id == tenant_id).order_by(Agent.email))
    )


def get(session: Session, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or agent.tenant_id != tenant_id:
        raise NotFound("AGENT_NOT_FOUND", "There is no such agent.")
    return agent


def names(session: Session, tenant_id: uuid.UUID) -> dict[str, str]:
    """Agent id (text, as audit events carry it) to name."""
    return {str(a.id): a.name for a in agents(session, tenant_id)}


def change(
    session: Session,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    role: Role,
    active: bool,
    by: AgentPrincipal,
    at: dt.datetime,
    ip: str,
) -> Agent:
    """Change an agent's role or switch the account off (its sessions end at once)."""
    agent = get(session, tenant_id, agent_id)
    if agent.id == by.agent_id:
        raise Conflict("CANNOT_CHANGE_SELF", "You cannot change your own role or account.")
    before = {"role": agent.role, "active": agent.active}
    agent.role, agent.active = role.value, active
    if not active:
        _end_sessions(session, agent, at)
    session.flush()
    _audit(
        session,
        agent,
        "changed",
        at,
        by.actor(ip),
        before=before,
        after={"role": role.value, "active": active},
    )
    return agent
