"""Jobs that deliver messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from resim.integrations.email.port import EmailMessage, EmailSender
from resim.integrations.sms.port import SmsMessage, SmsSender
from resim.jobs.worker import Handler, PermanentJobError
from resim.kit.crypto import unseal
from resim.message.service import SEND_EMAIL, SEND_SMS, open_payload


def handlers(
    key: bytes, sender_address: str, email: EmailSender, sms: SmsSender
) -> dict[str, Handler]:
    def send_email(_session: Session, payload: dict[str, Any]) -> None:
        if "sealed" not in payload:
            raise PermanentJobError("message content is gone")
        try:
            subject, text = open_payload(key, payload["sealed"])
        except ValueError as exc:
            raise PermanentJobError("message content cannot be opened with this key") from exc
        email.send(
            EmailMessage(
                message_id=payload["message_id"],
                sender=sender_address,
                to=payload["to"],
                subject=subject,
                text=text,
            )
        )

    def send_sms(_session: Session, payload: dict[str, Any]) -> None:
        if "sealed" not in payload:
            raise PermanentJobError("message content is gone")
        try:
            text = unseal(key, payload["sealed"])
        except ValueError as exc:
            raise PermanentJobError("message content cannot be opened with this key") from exc
        sms.send(SmsMessage(message_id=payload["message_id"], to=payload["to"], text=text))

    return {SEND_EMAIL: send_email, SEND_SMS: send_sms}
