"""resim's ES2+ client: faults mapped to transient or permanent, retries, records, mutual TLS."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from resim.integrations.es2plus.client import Es2PlusError, TlsFiles
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.server import create_app
from resim.smdp_sandbox.store import Store
from tests.servers import make_pki, serve
from tests.smdp.conftest import EID, TYPE, Smdp, call_id


def fault(smdp: Smdp, **spec: Any) -> None:
    assert httpx.post(f"{smdp.url}/sandbox/faults", json=spec).status_code == 204


def available(smdp: Smdp) -> int:
    return int(httpx.get(f"{smdp.url}/sandbox/pool/{TYPE}").json().get("Available", 0))


@pytest.mark.parametrize(
    ("spec", "transient", "outcome"),
    [
        ({"kind": "http500"}, True, "http 500"),
        ({"kind": "expired"}, True, "expired"),
        ({"kind": "failed", "subjectCode": "8.2.1", "reasonCode": "4.2"}, True, "failed 8.2.1/4.2"),
        (
            {"kind": "failed", "subjectCode": "8.2.5", "reasonCode": "3.7"},
            False,
            "failed 8.2.5/3.7",
        ),
    ],
)
def test_faults_are_transient_or_permanent_and_change_nothing(
    smdp: Smdp, spec: dict[str, Any], transient: bool, outcome: str
) -> None:
    fault(smdp, function="downloadOrder", **spec)
    same = call_id()
    with smdp.client() as es2:
        with pytest.raises(Es2PlusError) as caught:
            es2.download_order(same, profile_type=TYPE)
        assert caught.value.transient is transient
        assert available(smdp) == 5  # the sandbox did nothing
        assert es2.download_order(same, profile_type=TYPE)  # the retry works
    assert [r.outcome for r in smdp.records] == [outcome, "success"]
    assert {r.key for r in smdp.records} == {same}


def test_a_late_answer_times_out_and_the_retry_gets_the_first_result(smdp: Smdp) -> None:
    fault(smdp, function="downloadOrder", kind="timeout", delaySeconds=1.5)
    same = call_id()
    with smdp.client(timeout_seconds=0.5) as es2:
        with pytest.raises(Es2PlusError) as caught:
            es2.download_order(same, profile_type=TYPE, eid=EID)
        assert caught.value.transient
        reserved = es2.download_order(same, profile_type=TYPE, eid=EID)
    assert available(smdp) == 4  # the sandbox did the work once, not twice
    assert [r.outcome for r in smdp.records] == ["timeout", "success"]
    assert httpx.get(f"{smdp.url}/sandbox/profiles/{reserved}").json()["state"] == "Linked"


def test_records_keep_no_matching_id(smdp: Smdp) -> None:
    with smdp.client() as es2:
        iccid = es2.download_order(call_id(), profile_type=TYPE)
        matching = es2.confirm_order(call_id(), iccid=iccid, release_flag=True).matching_id
    confirm = smdp.records[-1]
    assert confirm.operation == "confirmOrder" and confirm.outcome == "success"
    assert confirm.response is not None and confirm.response["matchingId"] == "***"
    assert matching not in repr(smdp.records)
    assert all(r.duration_ms >= 0 and r.system == "smdp" for r in smdp.records)


def test_an_unreachable_smdp_is_a_transient_failure() -> None:
    from resim.integrations.es2plus.client import Es2PlusClient

    with (
        Es2PlusClient("http://127.0.0.1:9", "resim-test", timeout_seconds=1) as es2,
        pytest.raises(Es2PlusError) as caught,
    ):
        es2.download_order(call_id(), profile_type=TYPE)
    assert caught.value.transient and caught.value.system == "smdp"


def test_mutual_tls_admits_only_the_operators_certificate(tmp_path: Path) -> None:
    from resim.integrations.es2plus.client import Es2PlusClient

    pki = make_pki(tmp_path)
    store = Store()
    sandbox = Sandbox(store, smdp_address="smdp.sandbox.resim.test")
    sandbox.add_pool(TYPE, "893901550", "22201", 2)
    tls: dict[str, Any] = {
        "ssl_certfile": pki.server_cert,
        "ssl_keyfile": pki.server_key,
        "ssl_ca_certs": pki.ca,
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
    }
    with serve(create_app(sandbox), **tls) as url:
        ours = TlsFiles(pki.client_cert, pki.client_key, pki.ca)
        with Es2PlusClient(url, "resim", tls=ours) as es2:
            assert es2.download_order(call_id(), profile_type=TYPE)
        stranger = TlsFiles(pki.stranger_cert, pki.stranger_key, pki.ca)
        with (
            Es2PlusClient(url, "resim", tls=stranger, timeout_seconds=3) as es2,
            pytest.raises(Es2PlusError),
        ):
            es2.download_order(call_id(), profile_type=TYPE)
        # Trusting the server but showing no certificate of its own: refused too.
        with pytest.raises(httpx.HTTPError):
            httpx.post(
                f"{url}/gsma/rsp2/es2plus/downloadOrder",
                json={},
                verify=ssl.create_default_context(cafile=pki.ca),
                headers={"X-Admin-Protocol": "gsma/rsp/v2.2.0"},
            )
    assert sandbox.store.count_by_state(TYPE) == {"Allocated": 1, "Available": 1}
    store.close()
