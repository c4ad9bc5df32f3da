"""The ES2+ port's contract (SGP.22 5.3.1 to 5.3.3), against the SM-DP+ sandbox over real HTTP:
the client as every process builds it once, over plain HTTP and over mutual TLS, each job step
seeing it through its own observed view."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from resim.integrations.calls import CallRecord
from resim.integrations.es2plus.client import Es2PlusClient, TlsFiles
from resim.integrations.es2plus.port import Es2Plus, Es2PlusError
from resim.integrations.es2plus.protocol import FinalProfileStatus
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.server import create_app
from resim.smdp_sandbox.store import Store
from tests.servers import make_pki, serve

TYPE = "contract-consumer"
ADDRESS = "smdp.contract.resim.test"
REQUESTER = "resim-contract"


@dataclass
class Smdp:
    client: Es2PlusClient  # the process's one client
    store: Store
    connections: list[int]  # the client port of each request the SM-DP+ received

    def step(self, records: list[CallRecord]) -> Es2Plus:
        """What one job step gets: the port, recording its calls in ``records``."""
        return self.client.observed(records.append)

    def pool(self) -> dict[str, int]:
        return self.store.count_by_state(TYPE)


def _recording(app: Any, connections: list[int]) -> Any:
    """The SM-DP+ app, noting the client port each request came from."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            connections.append(scope["client"][1])
        await app(scope, receive, send)

    return wrapped


@pytest.fixture(params=["http", "mutual-tls"])
def smdp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Smdp]:
    store = Store()
    sandbox = Sandbox(store, smdp_address=ADDRESS, requesters=frozenset({REQUESTER}))
    sandbox.add_pool(TYPE, "893901550", "22201", 4)
    connections: list[int] = []
    server_tls: dict[str, Any] = {}
    client_tls = None
    if request.param == "mutual-tls":
        pki = make_pki(tmp_path)
        server_tls = {
            "ssl_certfile": pki.server_cert,
            "ssl_keyfile": pki.server_key,
            "ssl_ca_certs": pki.ca,
            "ssl_cert_reqs": ssl.CERT_REQUIRED,
        }
        client_tls = TlsFiles(pki.client_cert, pki.client_key, pki.ca)
    with (
        serve(_recording(create_app(sandbox), connections), **server_tls) as url,
        Es2PlusClient(url, REQUESTER, timeout_seconds=5, tls=client_tls) as client,
    ):
        yield Smdp(client, store, connections)
    store.close()


def call_id() -> str:
    return str(uuid.uuid4())


def test_download_order_reserves_a_profile_and_a_retry_gets_the_same_one(smdp: Smdp) -> None:
    es2, same = smdp.step([]), call_id()
    iccid = es2.download_order(same, profile_type=TYPE)
    assert es2.download_order(same, profile_type=TYPE) == iccid
    assert iccid.startswith("893901550")
    assert smdp.pool() == {"Allocated": 1, "Available": 3}


def test_confirm_order_releases_the_profile_with_its_matching_id(smdp: Smdp) -> None:
    es2 = smdp.step([])
    iccid = es2.download_order(call_id(), profile_type=TYPE)
    same = call_id()
    confirmed = es2.confirm_order(same, iccid=iccid, release_flag=True)
    assert confirmed.matching_id and confirmed.smdp_address == ADDRESS
    assert es2.confirm_order(same, iccid=iccid, release_flag=True) == confirmed
    assert smdp.pool() == {"Released": 1, "Available": 3}


def test_cancel_order_puts_the_profile_back_or_retires_it(smdp: Smdp) -> None:
    es2 = smdp.step([])
    back = es2.download_order(call_id(), profile_type=TYPE)
    gone = es2.download_order(call_id(), profile_type=TYPE)
    es2.confirm_order(call_id(), iccid=gone, release_flag=True)
    es2.cancel_order(call_id(), iccid=back, final_status=FinalProfileStatus.AVAILABLE)
    es2.cancel_order(call_id(), iccid=gone, final_status=FinalProfileStatus.UNAVAILABLE)
    assert smdp.pool() == {"Available": 3, "Unavailable": 1}


def test_a_refusal_is_permanent_and_names_the_spec_code(smdp: Smdp) -> None:
    with pytest.raises(Es2PlusError) as refused:
        smdp.step([]).download_order(call_id(), profile_type="no-such-type")
    assert not refused.value.transient and str(refused.value.code) == "8.2.5/3.9"


def test_each_step_records_its_own_calls_over_the_process_connection(smdp: Smdp) -> None:
    first: list[CallRecord] = []
    second: list[CallRecord] = []
    ordered = call_id()
    iccid = smdp.step(first).download_order(ordered, profile_type=TYPE)
    confirmed = call_id()
    code = smdp.step(second).confirm_order(confirmed, iccid=iccid, release_flag=True)
    assert [(r.system, r.operation, r.key, r.outcome) for r in first + second] == [
        ("smdp", "downloadOrder", ordered, "success"),
        ("smdp", "confirmOrder", confirmed, "success"),
    ]
    assert second[0].response is not None and second[0].response["matchingId"] == "***"
    assert code.matching_id not in repr(second)
    # One connection (one TLS handshake) carries every step's calls.
    assert len(smdp.connections) == 2 and len(set(smdp.connections)) == 1
