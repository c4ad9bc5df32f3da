"""Webhooks for SIM swaps (CAMARA sim-swap-subscriptions v0.3.0): a bank subscribes to a
number; when that number's SIM changes, a CloudEvents 1.0 ``swapped`` event is POSTed to its
sink through the outbox (a job, retried with backoff), and a ``subscription-ended`` event
says why the subscription stopped (expired, deleted, the maximum of events reached, the
sink's credential expired, or the sink gone).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.camara.models import SwapSubscription
from resim.camara.service import rfc3339
from resim.camara.spec import SUBSCRIPTION_ENDED, SWAPPED, Refused
from resim.camara.subjects import Subject
from resim.camara.tokens import Access
from resim.jobs.models import Job, JobStatus
from resim.jobs.registry import JobType, Payload
from resim.kit.crypto import seal

PATH = "/camara/sim-swap-subscriptions/v0.3"


class SubscriptionRef(Payload):
    subscription: uuid.UUID


class Delivery(SubscriptionRef):
    event: dict[str, Any]  # the CloudEvent, as the sink will receive it


# A CloudEvent to the bank's sink, retried with backoff; a subscription's end when it is due.
NOTIFY = JobType("camara.notify", Delivery)
EXPIRE = JobType("camara.expire_subscription", SubscriptionRef)
ACTIVE, EXPIRED, DELETED = "ACTIVE", "EXPIRED", "DELETED"


@dataclass(frozen=True)
class Wanted:
    """A validated subscription request."""

    sink: str
    sink_token: str | None
    sink_token_expires_at: dt.datetime | None
    expires_at: dt.datetime | None
    max_events: int | None


def source(public_url: str) -> str:
    """The CloudEvents ``source`` of resim's SIM swap events."""
    return public_url.rstrip("/") + PATH


def check_request(
    *,
    protocol: str,
    sink: str,
    credential: dict[str, Any] | None,
    expire_time: dt.datetime | None,
    max_events: int | None,
    allow_http: bool,
    now: dt.datetime,
) -> Wanted:
    """The spec's 400s for a subscription request, in the order a client fixes them."""
    if protocol != "HTTP":
        raise Refused("INVALID_PROTOCOL", "Only HTTP is supported.")
    if not (sink.startswith("https://") or (allow_http and sink.startswith("http://"))):
        raise Refused("INVALID_SINK", "The sink must be an https:// URL.")
    token, token_expires = None, None
    if credential is not None:
        if credential.get("credentialType") != "ACCESSTOKEN":
            raise Refused("INVALID_CREDENTIAL", "Only Access token is supported.")
        if str(credential.get("accessTokenType", "")).lower() != "bearer":
            raise Refused("INVALID_TOKEN", "Only bearer token is supported.")
        token = credential.get("accessToken")
        expires_text = credential.get("accessTokenExpiresUtc")
        if not isinstance(token, str) or not token or not isinstance(expires_text, str):
            raise Refused(
                "INVALID_ARGUMENT",
                "An ACCESSTOKEN credential needs accessToken and accessTokenExpiresUtc.",
            )
        try:
            token_expires = dt.datetime.fromisoformat(expires_text.replace("Z", "+00:00"))
        except ValueError:
            raise Refused("INVALID_ARGUMENT", "accessTokenExpiresUtc is not a date-time.") from None
        if token_expires.tzinfo is None:
            token_expires = token_expires.replace(tzinfo=dt.UTC)
        if token_expires <= now:
            raise Refused("OUT_OF_RANGE", "accessTokenExpiresUtc is in the past.")
    if expire_time is not None:
        if expire_time.tzinfo is None:
            expire_time = expire_time.replace(tzinfo=dt.UTC)
        if expire_time <= now:
            raise Refused("OUT_OF_RANGE", "subscriptionExpireTime is in the past.")
    if max_events is not None and max_events < 1:
        raise Refused("OUT_OF_RANGE", "subscriptionMaxEvents must be 1 or more.")
    return Wanted(sink, token, token_expires, expire_time, max_events)


def create(
    session: Session,
    key: bytes,
    *,
    client_ref: uuid.UUID,
    subject: Subject,
    three_legged: bool,
    wanted: Wanted,
    at: dt.datetime,
) -> SwapSubscription:
    existing = session.scalar(
        select(SwapSubscription.id).where(
            SwapSubscription.client_ref == client_ref,
            SwapSubscription.line_id == subject.line_id,
            SwapSubscription.sink == wanted.sink,
            SwapSubscription.status == ACTIVE,
        )
    )
    if existing is not None:
        raise Refused("ALREADY_EXISTS", "A subscription for this number and sink exists.")
    subscription = SwapSubscription(
        client_ref=client_ref,
        tenant_id=subject.tenant_id,
        line_id=subject.line_id,
        phone_number=None if three_legged else subject.phone_number,
        sink=wanted.sink,
        sink_token=seal(key, wanted.sink_token) if wanted.sink_token else None,
        sink_token_expires_at=wanted.sink_token_expires_at,
        types=[SWAPPED],
        status=ACTIVE,
        starts_at=at,
        expires_at=wanted.expires_at,
        max_events=wanted.max_events,
        events_sent=0,
        ended_at=None,
        termination_reason=None,
    )
    session.add(subscription)
    session.flush()
    ends = [t for t in (wanted.expires_at, wanted.sink_token_expires_at) if t is not None]
    if ends:
        EXPIRE.enqueue(
            session,
            SubscriptionRef(subscription=subscription.id),
            at=at,
            tenant_id=subject.tenant_id,
            run_after=min(ends),
        )
    return subscription


def _visible(sub: SwapSubscription, access: Access) -> bool:
    return not access.three_legged or sub.line_id == access.line_id


def of_client(
    session: Session, client_ref: uuid.UUID, access: Access, phone_number: str | None = None
) -> list[SwapSubscription]:
    """The client's live subscriptions; with a three-legged token, the token's line's only."""
    stmt = (
        select(SwapSubscription)
        .where(SwapSubscription.client_ref == client_ref, SwapSubscription.status == ACTIVE)
        .order_by(SwapSubscription.starts_at)
    )
    found = [s for s in session.scalars(stmt) if _visible(s, access)]
    if phone_number is not None:
        found = [s for s in found if s.phone_number == phone_number]
    return found


def get(
    session: Session, client_ref: uuid.UUID, access: Access, subscription_id: str
) -> SwapSubscription:
    try:
        ref = uuid.UUID(subscription_id)
    except ValueError:
        raise Refused("NOT_FOUND", "The specified resource is not found.") from None
    sub = session.get(SwapSubscription, ref)
    if sub is None or sub.client_ref != client_ref or sub.status == DELETED:
        raise Refused("NOT_FOUND", "The specified resource is not found.")
    if not _visible(sub, access):
        raise Refused("SUBSCRIPTION_MISMATCH", "Inconsistent access token for this subscription.")
    return sub


def event(
    sub: SwapSubscription, kind: str, data: dict[str, Any], at: dt.datetime, source: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "source": source,
        "type": kind,
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": rfc3339(at),
        "data": {"subscriptionId": str(sub.id), **data},
    }


def end(session: Session, sub: SwapSubscription, reason: str, at: dt.datetime, source: str) -> None:
    """Stop a live subscription and tell its sink why."""
    if sub.status != ACTIVE:
        return
    sub.status = DELETED if reason == "SUBSCRIPTION_DELETED" else EXPIRED
    sub.ended_at, sub.termination_reason = at, reason
    _queue(
        session,
        sub,
        event(sub, SUBSCRIPTION_ENDED, {"terminationReason": reason}, at, source),
        at + dt.timedelta(milliseconds=1),
    )


def _queue(
    session: Session, sub: SwapSubscription, cloud_event: dict[str, Any], at: dt.datetime
) -> None:
    NOTIFY.enqueue(
        session,
        Delivery(subscription=sub.id, event=cloud_event),
        at=at,
        tenant_id=sub.tenant_id,
    )


def on_sim_change(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, at: dt.datetime, source: str
) -> int:
    """The line's SIM changed: a ``swapped`` event for each live subscription on it, in the
    same transaction as the change. Returns how many were queued."""
    stmt = (
        select(SwapSubscription)
        .where(
            SwapSubscription.tenant_id == tenant_id,
            SwapSubscription.line_id == line_id,
            SwapSubscription.status == ACTIVE,
        )
        .with_for_update()
    )
    queued = 0
    for sub in session.scalars(stmt):
        if sub.expires_at is not None and sub.expires_at <= at:
            end(session, sub, "SUBSCRIPTION_EXPIRED", at, source)
            continue
        data = {"phoneNumber": sub.phone_number} if sub.phone_number else {}
        _queue(session, sub, event(sub, SWAPPED, data, at, source), at)
        queued += 1
        sub.events_sent += 1
        if sub.max_events is not None and sub.events_sent >= sub.max_events:
            end(session, sub, "MAX_EVENTS_REACHED", at, source)
    return queued


def expire_if_due(
    session: Session, subscription_id: uuid.UUID, at: dt.datetime, source: str
) -> None:
    sub = session.get(SwapSubscription, subscription_id, with_for_update=True)
    if sub is None or sub.status != ACTIVE:
        return
    if sub.expires_at is not None and sub.expires_at <= at:
        end(session, sub, "SUBSCRIPTION_EXPIRED", at, source)
    elif sub.sink_token_expires_at is not None and sub.sink_token_expires_at <= at:
        end(session, sub, "ACCESS_TOKEN_EXPIRED", at, source)


def undelivered_before(session: Session, sub: SwapSubscription, delivery: Delivery) -> bool:
    """Whether an event queued for ``sub`` before this one is still waiting for its sink."""
    stmt = select(Job.payload).where(
        Job.tenant_id == sub.tenant_id,
        Job.name == NOTIFY.name,
        Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
    )
    mine = delivery.event["id"]
    return any(
        other["subscription"] == str(sub.id)
        and other["event"]["id"] != mine
        and other["event"]["time"] <= delivery.event["time"]
        for other in session.scalars(stmt)
    )


def body_of(cloud_event: dict[str, Any]) -> bytes:
    return json.dumps(cloud_event, separators=(",", ":")).encode()
