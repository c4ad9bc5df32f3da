"""The SMTP route against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from resim.config import EmailSettings
from resim.errors import IntegrationError
from resim.integrations.email.port import EmailMessage
from resim.integrations.email.smtp import SmtpEmail
from tests.workers import free_port


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse_with: str | None = None

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


MESSAGE = EmailMessage(
    message_id="<abc123@resim>",
    sender="resim <no-reply@resim.example>",
    to="giulia.rossi@example.it",
    subject="Il tuo codice è pronto",
    text="Codice: 123456",
)


def test_a_message_reaches_the_smtp_server(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    SmtpEmail(EmailSettings(backend="smtp", smtp_port=port)).send(MESSAGE)
    assert len(box.messages) == 1
    received = box.messages[0]
    assert received["To"] == "giulia.rossi@example.it"
    assert received["Message-ID"] == "<abc123@resim>"
    assert "Il tuo codice" in str(received["Subject"]) or "=?utf-8?" in str(received["Subject"])
    assert "123456" in received.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_a_permanent_refusal_is_not_retried(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    box.refuse_with = "550 mailbox unavailable"
    with pytest.raises(IntegrationError) as raised:
        SmtpEmail(EmailSettings(backend="smtp", smtp_port=port)).send(MESSAGE)
    assert not raised.value.transient and "550" in raised.value.detail


def test_a_temporary_refusal_is_retried(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    box.refuse_with = "451 try later"
    with pytest.raises(IntegrationError) as raised:
        SmtpEmail(EmailSettings(backend="smtp", smtp_port=port)).send(MESSAGE)
    assert raised.value.transient


def test_no_server_is_a_transient_failure() -> None:
    with pytest.raises(IntegrationError) as raised:
        SmtpEmail(
            EmailSettings(backend="smtp", smtp_port=free_port(), smtp_timeout_seconds=2)
        ).send(MESSAGE)
    assert raised.value.transient
