"""Messages to customers, queued in the caller's transaction and sent by a job.

The text is sealed (AES-GCM) in the job row, since it may carry a one-time code, and
the sealed text is dropped once the message is delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from resim.integrations.sms.port import DeliveryReport
from resim.jobs import service as jobs
from resim.jobs.registry import JobType, Payload
from resim.kit.crypto import seal, unseal
from resim.message.models import SmsReport


class Outgoing(Payload):
    """A message to send: its id (the key reused on every retry), where it goes, and its
    sealed content, which the worker drops once it is delivered."""

    message_id: str
    to: str
    sealed: str | None = None


SEND_EMAIL: JobType[Outgoing] = JobType("message.send_email", Outgoing)
SEND_SMS: JobType[Outgoing] = JobType("message.send_sms", Outgoing)


def queue_email(
    session: Session,
    *,
    key: bytes,
    tenant_id: uuid.UUID,
    to: str,
    subject: str,
    text: str,
    at: dt.datetime,
) -> str:
    """Queue an e-mail; returns its Message-ID, the key reused on every retry."""
    message_id = f"<{uuid.uuid4().hex}@resim>"
    sealed = seal(key, json.dumps({"subject": subject, "text": text}))
    SEND_EMAIL.enqueue(
        session, Outgoing(message_id=message_id, to=to, sealed=sealed), at=at, tenant_id=tenant_id
    )
    return message_id


def open_payload(key: bytes, sealed: str) -> tuple[str, str]:
    content = json.loads(unseal(key, sealed))
    return str(content["subject"]), str(content["text"])


def queue_sms(
    session: Session,
    *,
    key: bytes,
    tenant_id: uuid.UUID,
    to: str,
    text: str,
    at: dt.datetime,
) -> str:
    """Queue a text message; returns its id, the key reused on every retry."""
    message_id = uuid.uuid4().hex
    SEND_SMS.enqueue(
        session,
        Outgoing(message_id=message_id, to=to, sealed=seal(key, text)),
        at=at,
        tenant_id=tenant_id,
    )
    return message_id


def record_report(session: Session, report: DeliveryReport, at: dt.datetime) -> None:
    """Keep the gateway's report on a text resim sent."""
    session.add(
        SmsReport(
            message_id=report.message_id,
            status=report.code,
            meaning=report.status.value,
            received_at=at,
        )
    )


@dataclass(frozen=True)
class Sent:
    at: dt.datetime
    channel: str  # email | sms
    to: str
    status: str  # the job's: queued, running, done, parked


def sent_to(session: Session, tenant_id: uuid.UUID, recipients: set[str]) -> list[Sent]:
    """Messages queued for these addresses and numbers, newest first; never their text."""
    found = jobs.sent_to(session, tenant_id, (SEND_EMAIL.name, SEND_SMS.name), recipients)
    return [
        Sent(
            j.created_at,
            "email" if j.name == SEND_EMAIL.name else "sms",
            str(j.payload["to"]),
            j.status.value,
        )
        for j in found
    ]
