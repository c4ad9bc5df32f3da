"""The CAMARA SIM Swap API (camaraproject/SimSwap r3.3: sim-swap v2.1.0) as the rest of resim
calls it: the answers and the record of every query here, and the names of its clients
(:mod:`resim.camara.clients`), the holders' consents (:mod:`resim.camara.consent`) and the
lines asked about (:mod:`resim.camara.subjects`), so that a caller outside the feature needs
only this module (STYLE: a feature calls another feature's service).

A SIM change older than the monitored period is withheld.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from resim.camara.clients import (
    ClientView,
    NewClient,
    authenticate,
    clients_of,
    create_client,
    granted_scopes,
    set_active,
)
from resim.camara.consent import (
    ConsentView,
    consent_by_link,
    consent_of_customer,
    consents_of_customer,
    decide,
    redeem,
    start_consent,
)
from resim.camara.models import ApiClient, SwapQuery
from resim.camara.spec import (
    CHECK,
    RETRIEVE_DATE,
    SCOPES,
    SUBSCRIBE,
    SUBSCRIPTION_ENDED,
    SUBSCRIPTIONS_DELETE,
    SUBSCRIPTIONS_READ,
    SWAPPED,
    Refused,
)
from resim.camara.subjects import Subject, subject_by_line, subject_by_number
from resim.config import CamaraSettings

_RECORD = insert(SwapQuery)


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


__all__ = [
    "CHECK",
    "RETRIEVE_DATE",
    "SCOPES",
    "SUBSCRIBE",
    "SUBSCRIPTIONS_DELETE",
    "SUBSCRIPTIONS_READ",
    "SUBSCRIPTION_ENDED",
    "SWAPPED",
    "ClientView",
    "ConsentView",
    "DateAnswer",
    "NewClient",
    "QueryRow",
    "authenticate",
    "check_max_age",
    "clients_of",
    "consent_by_link",
    "consent_of_customer",
    "consents_of_customer",
    "create_client",
    "decide",
    "granted_scopes",
    "queries",
    "record_query",
    "redeem",
    "retrieve_date",
    "rfc3339",
    "set_active",
    "start_consent",
    "subject_by_line",
    "subject_by_number",
    "swapped",
]
