"""The CAMARA SIM Swap API (camaraproject/SimSwap r3.3: sim-swap v2.1.0): its clients, the
holders' consents (OpenID Connect CIBA), the answers and the record of every query.

The answer comes from the line's recorded SIM changes: the time the number was paired with
a new IMSI (a replacement's install), or with its first one (the activation; the spec counts
a new subscription as a swap). Changes older than the monitored period are withheld.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.camara.models import ApiClient, ConsentRequest, SwapQuery
from resim.config import CamaraSettings
from resim.customer import service as customers
from resim.errors import Conflict, Invalid, NotFound
from resim.i18n import N_, gettext_for
from resim.kit.crypto import keyed_hash, same, token
from resim.line.models import Line, LineEvent, LineEventKind, LineState
from resim.message import service as messages
from resim.tenant import service as tenants

CHECK = "sim-swap:check"
RETRIEVE_DATE = "sim-swap:retrieve-date"
SWAPPED = "org.camaraproject.sim-swap-subscriptions.v0.swapped"
SUBSCRIPTION_ENDED = "org.camaraproject.sim-swap-subscriptions.v0.subscription-ended"
SUBSCRIBE = f"sim-swap-subscriptions:{SWAPPED}:create"
SUBSCRIPTIONS_READ = "sim-swap-subscriptions:read"
SUBSCRIPTIONS_DELETE = "sim-swap-subscriptions:delete"
SCOPES = (CHECK, RETRIEVE_DATE, SUBSCRIBE, SUBSCRIPTIONS_READ, SUBSCRIPTIONS_DELETE)
PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{4,14}$")
# CAMARA's identity and consent profile: the purpose is a W3C DPV term.
PURPOSE = re.compile(r"^dpv:[A-Za-z][A-Za-z0-9]{1,80}(#[A-Za-z0-9:._-]{1,80})?$")
CHANGE_KINDS = (LineEventKind.SIM_CHANGED, LineEventKind.ACTIVATED)


class Refused(Exception):
    """A request the spec answers with an error: ``code`` is CAMARA's (the API layer gives
    the HTTP status), ``message`` says what to fix, in English as the spec's are."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retry_after = code, message, retry_after


class OAuthError(Exception):
    """RFC 6749 section 5.2 and OpenID CIBA section 13's errors."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status


# -- clients -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    secret: str  # shown once


def _secret_hash(key: bytes, secret: str) -> str:
    return keyed_hash(key, "api-client", secret)


def create_client(
    session: Session,
    key: bytes,
    *,
    name: str,
    scopes: Iterable[str],
    tenant_ids: Iterable[uuid.UUID],
    per_minute: int,
    per_day: int | None,
    actor: audit.Actor,
    at: dt.datetime,
    fixed: tuple[str, str] | None = None,
) -> NewClient:
    """A bank's credentials. The secret is random (32 bytes), kept as a keyed hash;
    ``fixed`` (client_id, secret) is for the demo's published bank only."""
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in SCOPES]
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid("CLIENT_NAME", "Give the client a name.", field="name")
    if not chosen or unknown:
        raise Invalid("CLIENT_SCOPES", "Choose at least one of the offered scopes.", field="scopes")
    allowed = sorted({str(t) for t in tenant_ids})
    if not allowed:
        raise Invalid("CLIENT_TENANTS", "Choose at least one operator.", field="tenants")
    if per_minute < 1 or (per_day is not None and per_day < 1):
        raise Invalid("CLIENT_LIMITS", "Limits are whole numbers above zero.", field="per_minute")
    client_id, secret = fixed or (f"rc_{token(12)}", token(32))
    client = ApiClient(
        client_id=client_id,
        name=name,
        secret_hash=_secret_hash(key, secret),
        scopes=chosen,
        tenant_ids=allowed,
        per_minute=per_minute,
        per_day=per_day,
        active=True,
        created_by=f"{actor.type}:{actor.id or ''}"[:80],
        created_at=at,
    )
    session.add(client)
    session.flush()
    for tenant_id in allowed:
        audit.record(
            session,
            tenant_id=uuid.UUID(tenant_id),
            actor=actor,
            action="api_client.created",
            subject_type="api_client",
            subject_id=client.client_id,
            at=at,
            details={"name": name, "scopes": chosen, "per_minute": per_minute},
        )
    return NewClient(client, secret)


def clients_of(session: Session, tenant_id: uuid.UUID) -> list[ApiClient]:
    """The clients allowed to ask about this tenant's numbers."""
    everyone = session.scalars(select(ApiClient).order_by(ApiClient.created_at))
    return [c for c in everyone if str(tenant_id) in c.tenant_ids]


def client_of_tenant(session: Session, tenant_id: uuid.UUID, ref: uuid.UUID) -> ApiClient:
    client = session.get(ApiClient, ref)
    if client is None or str(tenant_id) not in client.tenant_ids:
        raise NotFound("CLIENT_NOT_FOUND", "There is no such API client.")
    return client


def set_active(
    session: Session,
    tenant_id: uuid.UUID,
    ref: uuid.UUID,
    active: bool,
    *,
    actor: audit.Actor,
    at: dt.datetime,
) -> ApiClient:
    """Switch a client off (its tokens stop working within seconds) or on again."""
    client = client_of_tenant(session, tenant_id, ref)
    if client.active != active:
        client.active = active
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="api_client.enabled" if active else "api_client.disabled",
            subject_type="api_client",
            subject_id=client.client_id,
            at=at,
        )
    return client


def authenticate(session: Session, key: bytes, client_id: str, secret: str) -> ApiClient:
    """The client these credentials belong to, if it is active (RFC 6749 invalid_client)."""
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if (
        client is None
        or not client.active
        or not same(client.secret_hash, _secret_hash(key, secret))
    ):
        raise OAuthError("invalid_client", "Client authentication failed.", status=401)
    return client


def granted_scopes(client: ApiClient, requested: str | None, *, openid: bool = False) -> list[str]:
    """The scopes a token carries: those asked for (all the client's if none), each one
    the client holds; ``openid`` is CIBA's and not an API scope."""
    asked = (requested or "").split()
    if openid:
        if "openid" not in asked:
            raise OAuthError("invalid_scope", "The scope must include openid.")
        asked = [s for s in asked if s != "openid"]
        if not asked:
            raise OAuthError("invalid_scope", "Ask for at least one API scope besides openid.")
    if not asked:
        return list(client.scopes)
    refused = [s for s in asked if s not in client.scopes]
    if refused:
        raise OAuthError("invalid_scope", f"Scope not granted to this client: {refused[0]}")
    return sorted(set(asked))


@dataclass(frozen=True)
class ClientView:
    """What the API needs of a client on every call, cached for a few seconds."""

    ref: uuid.UUID
    client_id: str
    active: bool
    tenant_ids: frozenset[uuid.UUID]
    per_minute: int
    per_day: int | None


class ClientCache:
    def __init__(self, ttl_seconds: float = 5.0) -> None:
        self._ttl = ttl_seconds
        self._known: dict[str, tuple[float, ClientView | None]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, client_id: str) -> ClientView | None:
        now = time.monotonic()
        with self._lock:
            hit = self._known.get(client_id)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        row = session.execute(
            select(
                ApiClient.id,
                ApiClient.active,
                ApiClient.tenant_ids,
                ApiClient.per_minute,
                ApiClient.per_day,
            ).where(ApiClient.client_id == client_id)
        ).first()
        view = (
            ClientView(
                row.id,
                client_id,
                row.active,
                frozenset(uuid.UUID(t) for t in row.tenant_ids),
                row.per_minute,
                row.per_day,
            )
            if row
            else None
        )
        with self._lock:
            self._known[client_id] = (now, view)
        return view


class Limiter:
    """Per-client rate (a token bucket refilled at ``per_minute``) and daily quota, in this
    process's memory: a second process has its own buckets."""

    def __init__(self) -> None:
        self._buckets: dict[uuid.UUID, tuple[float, float]] = {}
        self._days: dict[uuid.UUID, tuple[dt.date, int]] = {}
        self._lock = threading.Lock()

    def take(self, session: Session, client: ClientView, now: dt.datetime) -> None:
        moment = time.monotonic()
        rate = client.per_minute / 60.0
        with self._lock:
            level, last = self._buckets.get(client.ref, (float(client.per_minute), moment))
            level = min(float(client.per_minute), level + (moment - last) * rate)
            if level < 1.0:
                self._buckets[client.ref] = (level, moment)
                wait = max(1, int((1.0 - level) / rate + 0.999))
                raise Refused(
                    "TOO_MANY_REQUESTS",
                    f"Rejected: more than {client.per_minute} requests a minute.",
                    retry_after=wait,
                )
            self._buckets[client.ref] = (level - 1.0, moment)
        if client.per_day is None:
            return
        today = now.date()
        with self._lock:
            day = self._days.get(client.ref)
        if day is None or day[0] != today:
            start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
            used = session.scalar(
                select(func.count())
                .select_from(SwapQuery)
                .where(SwapQuery.client_ref == client.ref, SwapQuery.at >= start)
            )
            day = (today, int(used or 0))
        if day[1] >= client.per_day:
            raise Refused(
                "QUOTA_EXCEEDED", f"Rejected: the quota of {client.per_day} requests a day is used."
            )
        with self._lock:
            self._days[client.ref] = (today, day[1] + 1)


# -- the subject of a query ----------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    tenant_id: uuid.UUID
    line_id: uuid.UUID
    phone_number: str
    ceased: bool
    latest_change: dt.datetime | None


# The API's hot path: statements built once, run on the session's connection (the ORM's
# per-call statement building cost more than the database's work).
_LATEST_CHANGE = (
    select(func.max(LineEvent.at))
    .where(LineEvent.line_id == Line.id, LineEvent.kind.in_(CHANGE_KINDS))
    .scalar_subquery()
)
_SUBJECT = select(Line.id, Line.tenant_id, Line.msisdn, Line.state, _LATEST_CHANGE.label("latest"))
_BY_NUMBER = (
    _SUBJECT.where(
        Line.msisdn == bindparam("number"),
        Line.tenant_id.in_(bindparam("tenants", expanding=True)),
    )
    .order_by(Line.created_at.desc())
    .limit(1)
)
_BY_LINE = _SUBJECT.where(Line.id == bindparam("line"), Line.tenant_id == bindparam("tenant"))
_RECORD = insert(SwapQuery)


def _subject(row: object | None) -> Subject | None:
    if row is None:
        return None
    return Subject(
        tenant_id=row.tenant_id,  # type: ignore[attr-defined]
        line_id=row.id,  # type: ignore[attr-defined]
        phone_number=row.msisdn,  # type: ignore[attr-defined]
        ceased=row.state == LineState.CEASED,  # type: ignore[attr-defined]
        latest_change=row.latest,  # type: ignore[attr-defined]
    )


def subject_by_number(
    session: Session, tenant_ids: frozenset[uuid.UUID], phone_number: str
) -> Subject | None:
    """The line with this number among the client's tenants (one query)."""
    if not tenant_ids:
        return None
    params = {"number": phone_number, "tenants": list(tenant_ids)}
    return _subject(session.connection().execute(_BY_NUMBER, params).first())


def subject_by_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> Subject | None:
    params = {"line": line_id, "tenant": tenant_id}
    return _subject(session.connection().execute(_BY_LINE, params).first())


# -- the answers ---------------------------------------------------------------------------


def rfc3339(at: dt.datetime) -> str:
    """A time as the API and its events write it: UTC, milliseconds, ``Z``."""
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class DateAnswer:
    latest_sim_change: dt.datetime | None
    monitored_period: int | None  # days, given when the date is withheld


def retrieve_date(subject: Subject, now: dt.datetime, settings: CamaraSettings) -> DateAnswer:
    """The latest SIM change, or null with the monitored period when it is older than what
    may be told (or none is recorded)."""
    horizon = now - dt.timedelta(days=settings.monitored_days)
    latest = subject.latest_change
    if latest is None or latest < horizon:
        return DateAnswer(None, settings.monitored_days)
    return DateAnswer(latest, None)


def check_max_age(max_age: int, settings: CamaraSettings) -> None:
    """A maxAge within the spec's 1..2400 but beyond the monitored period is OUT_OF_RANGE."""
    if max_age > settings.monitored_days * 24:
        raise Refused(
            "OUT_OF_RANGE",
            f"maxAge cannot exceed the monitored period of {settings.monitored_days} days "
            f"({settings.monitored_days * 24} hours).",
        )


def swapped(subject: Subject, max_age: int, now: dt.datetime) -> bool:
    latest = subject.latest_change
    return latest is not None and latest >= now - dt.timedelta(hours=max_age)


def record_query(
    session: Session,
    *,
    at: dt.datetime,
    client_ref: uuid.UUID | None,
    tenant_id: uuid.UUID | None,
    phone_number: str | None,
    operation: str,
    legs: int,
    status: int,
    outcome: str,
) -> None:
    """One row per answered request (a plain INSERT: this is the API's hot path)."""
    session.connection().execute(
        _RECORD,
        {
            "id": uuid.uuid4(),
            "at": at,
            "client_ref": client_ref,
            "tenant_id": tenant_id,
            "phone_number": phone_number,
            "operation": operation,
            "legs": legs,
            "status": status,
            "outcome": outcome,
        },
    )


@dataclass(frozen=True)
class QueryRow:
    at: dt.datetime
    client_id: str
    client_name: str
    phone_number: str | None
    operation: str
    legs: int
    status: int
    outcome: str


def queries(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    phone_number: str | None = None,
    client_id: str | None = None,
    limit: int = 200,
) -> list[QueryRow]:
    """The tenant's answered queries, newest first, for the back office."""
    stmt = (
        select(SwapQuery, ApiClient.client_id, ApiClient.name)
        .join(ApiClient, ApiClient.id == SwapQuery.client_ref)
        .where(SwapQuery.tenant_id == tenant_id)
        .order_by(SwapQuery.at.desc())
        .limit(limit)
    )
    if phone_number:
        stmt = stmt.where(SwapQuery.phone_number == phone_number)
    if client_id:
        stmt = stmt.where(ApiClient.client_id == client_id)
    return [
        QueryRow(q.at, cid, name, q.phone_number, q.operation, q.legs, q.status, q.outcome)
        for q, cid, name in session.execute(stmt)
    ]


# -- CIBA: the holder's consent ------------------------------------------------------------

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
