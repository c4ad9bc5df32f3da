"""The whole sign-in with e-mail over SMTP: the code arrives at a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from resim.app import create_app
from resim.config import Settings
from resim.deps import build_deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import deliver
from tests.integrations.test_smtp import Mailbox
from tests.workers import free_port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_the_sign_in_code_arrives_by_smtp(
    settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    settings.email.backend = "smtp"
    settings.email.smtp_port = port
    deps = build_deps(settings, clock=clock)
    world = factories.world(deps.sessions, clock.now())
    with TestClient(create_app(deps=deps)) as client:
        assert client.post("/api/v1/acme/auth/code", json={"email": world.email}).status_code == 202
        deliver(deps)
        assert len(box.messages) == 1
        body = box.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
        code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
        answer = client.post("/api/v1/acme/auth/token", json={"email": world.email, "code": code})
        assert answer.status_code == 200
    deps.close()
