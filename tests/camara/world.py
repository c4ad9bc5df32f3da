"""A bank with client credentials, and lines whose SIM changed (or not) at known times."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from resim.audit.service import Actor
from resim.camara import service as camara
from resim.db.engine import transaction
from resim.deps import Deps
from resim.line import service as lines
from resim.line.models import LineEventKind

CHECK = "/camara/sim-swap/v2/check"
RETRIEVE = "/camara/sim-swap/v2/retrieve-date"
TOKEN = "/camara/oauth2/token"
BC_AUTHORIZE = "/camara/oauth2/bc-authorize"
SUBSCRIPTIONS = "/camara/sim-swap-subscriptions/v0.3/subscriptions"


@dataclass(frozen=True)
class Bank:
    client_id: str
    secret: str
    ref: uuid.UUID

    def basic(self) -> dict[str, str]:
        pair = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}


def bank(
    deps: Deps,
    tenant_ids: list[uuid.UUID],
    *,
    name: str = "Banca Uno",
    scopes: tuple[str, ...] = camara.SCOPES,
    per_minute: int = 1000,
    per_day: int | None = None,
) -> Bank:
    with transaction(deps.sessions) as session:
        made = camara.create_client(
            session,
            deps.settings.secret_bytes,
            name=name,
            scopes=scopes,
            tenant_ids=tenant_ids,
            per_minute=per_minute,
            per_day=per_day,
            actor=Actor("cli"),
            at=deps.clock.now(),
        )
        return Bank(made.client.client_id, made.secret, made.client.id)


def token(client: TestClient, who: Bank, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    answer = client.post(TOKEN, data=data, headers=who.basic())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def ask(
    client: TestClient,
    path: str,
    access: str | None,
    body: Any,
    correlator: str | None = None,
) -> Response:
    headers = {"Authorization": f"Bearer {access}"} if access else {}
    if correlator is not None:
        headers["x-correlator"] = correlator
    answer: Response = client.post(path, json=body, headers=headers)
    return answer


def sim_changed(deps: Deps, tenant_id: uuid.UUID, msisdn: str, at: dt.datetime) -> None:
    """A SIM change recorded for the line at ``at`` (as an import or the demo records it)."""
    with transaction(deps.sessions) as session:
        line = lines.find_line(session, tenant_id, msisdn)
        assert line is not None
        lines.record_sim_change(session, line, at=at, actor=Actor("import"))


def activation_of(deps: Deps, tenant_id: uuid.UUID, msisdn: str) -> dt.datetime:
    with deps.sessions() as session:
        line = lines.find_line(session, tenant_id, msisdn)
        assert line is not None
        events = lines.history(session, tenant_id, line.id)
        return min(e.at for e in events if e.kind == LineEventKind.ACTIVATED)
