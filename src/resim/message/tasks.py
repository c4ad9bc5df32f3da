"""Jobs that deliver messages."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from resim.config import Settings
from resim.integrations.email.port import EmailMessage, EmailSender
from resim.integrations.sms.port import SmsMessage, SmsSender
from resim.jobs.worker import PermanentJobError
from resim.kit.crypto import unseal
from resim.message.service import SEND_EMAIL, SEND_SMS, Outgoing, open_payload


class Env(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def email(self) -> EmailSender: ...
    @property
    def sms(self) -> SmsSender: ...


def _sealed(message: Outgoing) -> str:
    if message.sealed is None:
        raise PermanentJobError("message content is gone")
    return message.sealed


@SEND_EMAIL.handler
def send_email(env: Env, _session: Session, message: Outgoing) -> None:
    try:
        subject, text = open_payload(env.settings.secret_bytes, _sealed(message))
    except ValueError as exc:
        raise PermanentJobError("message content cannot be opened with this key") from exc
    env.email.send(
        EmailMessage(
            message_id=message.message_id,
            sender=env.settings.email.sender,
            to=message.to,
            subject=subject,
            text=text,
        )
    )


@SEND_SMS.handler
def send_sms(env: Env, _session: Session, message: Outgoing) -> None:
    try:
        text = unseal(env.settings.secret_bytes, _sealed(message))
    except ValueError as exc:
        raise PermanentJobError("message content cannot be opened with this key") from exc
    env.sms.send(SmsMessage(message_id=message.message_id, to=message.to, text=text))
