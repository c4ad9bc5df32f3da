from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from resim.integrations.calls import CallRecord
from resim.integrations.es2plus.client import Es2PlusClient
from resim.integrations.es2plus.protocol import HANDLE_DOWNLOAD_PROGRESS_INFO, PATH_PREFIX
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.server import Notifier, create_app
from resim.smdp_sandbox.store import Store
from tests.servers import serve

TOKEN = "notify-token-for-tests"
TYPE = "aurora-consumer"
EID = "89049032111111111111111111111158"
OTHER_EID = "89049032222222222222222222222250"


@dataclass
class Collector:
    """The operator's side of handleDownloadProgressInfo, as a peer would see it."""

    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(PATH_PREFIX + HANDLE_DOWNLOAD_PROGRESS_INFO)
        async def take(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return Response(status_code=401)
            self.headers.append(dict(request.headers))
            self.received.append(await request.json())
            return Response(status_code=204)

        return app


@dataclass
class Smdp:
    url: str
    sandbox: Sandbox
    collector: Collector
    records: list[CallRecord]

    def client(self, requester: str = "resim-test", **options: Any) -> Es2PlusClient:
        return Es2PlusClient(self.url, requester, observer=self.records.append, **options)


def call_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def smdp() -> Iterator[Smdp]:
    collector = Collector()
    store = Store()
    sandbox = Sandbox(
        store, smdp_address="smdp.sandbox.resim.test", requesters=frozenset({"resim-test"})
    )
    sandbox.add_pool(TYPE, "893901550", "22201", 5)
    with serve(collector.app()) as operator_url:
        app = create_app(sandbox, Notifier(operator_url, TOKEN))
        with serve(app) as url:
            yield Smdp(url, sandbox, collector, [])
    store.close()
