"""The banks' API clients (OAuth 2.0 client credentials, secrets kept as keyed hashes), what
a call needs of one (cached for a few seconds), and each client's rate and daily quota."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.camara.models import ApiClient, SwapQuery
from resim.camara.spec import SCOPES, OAuthError, Refused
from resim.errors import Invalid, NotFound
from resim.kit.crypto import keyed_hash, same, token


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
