"""Drive the app as a client would: sign in with the code from the outbox."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from resim.deps import Deps
from resim.tasks import make_worker

CODE = re.compile(r"\b(\d{6})\b")


def deliver(deps: Deps) -> None:
    """Run the job worker until nothing is due (e-mails reach the outbox)."""
    make_worker(deps).run_until_idle()


def last_code(deps: Deps, to: str) -> str:
    assert deps.outbox is not None
    for sent in deps.outbox.messages():
        if sent.message.to == to:
            match = CODE.search(sent.message.text)
            assert match, "no code in the message"
            return match.group(1)
    raise AssertionError(f"no message to {to}")


def api_token(client: TestClient, deps: Deps, tenant: str, email: str) -> str:
    answer = client.post(f"/api/v1/{tenant}/auth/code", json={"email": email})
    assert answer.status_code == 202, answer.text
    deliver(deps)
    code = last_code(deps, email)
    answer = client.post(f"/api/v1/{tenant}/auth/token", json={"email": email, "code": code})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["accessToken"]
    return token


def last_sms(deps: Deps, to: str) -> str:
    assert deps.sms_outbox is not None
    for sent in deps.sms_outbox.messages():
        if sent.message.to == to:
            return sent.message.text
    raise AssertionError(f"no text to {to}")
