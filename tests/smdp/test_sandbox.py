"""The SM-DP+ sandbox against SGP.22's rules, driven through resim's ES2+ client over HTTP."""

from __future__ import annotations

import base64

import httpx
import pytest

from resim.integrations.es2plus.client import Es2PlusError
from resim.integrations.es2plus.protocol import MATCHING_ID, FinalProfileStatus
from resim.kit.telecom import Iccid
from tests.smdp.conftest import EID, OTHER_EID, TYPE, Smdp, call_id


def state(smdp: Smdp, iccid: str) -> str:
    answer = httpx.get(f"{smdp.url}/sandbox/profiles/{iccid}")
    assert answer.status_code == 200
    return str(answer.json()["state"])


def refused(call: object) -> tuple[str, bool]:
    """The subject/reason of a Failed answer, and whether the client calls it transient."""
    with pytest.raises(Es2PlusError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.code), caught.value.transient


def test_download_order_reserves_a_profile_of_the_type(smdp: Smdp) -> None:
    with smdp.client() as es2:
        allocated = es2.download_order(call_id(), profile_type=TYPE)
        linked = es2.download_order(call_id(), profile_type=TYPE, eid=EID)
    assert Iccid(allocated) and Iccid(linked) and allocated != linked  # Luhn-valid
    assert (state(smdp, allocated), state(smdp, linked)) == ("Allocated", "Linked")
    pool = httpx.get(f"{smdp.url}/sandbox/pool/{TYPE}").json()
    assert pool == {"Available": 3, "Allocated": 1, "Linked": 1}


def test_a_retry_with_the_same_call_identifier_gets_the_same_answer(smdp: Smdp) -> None:
    same = call_id()
    with smdp.client() as es2:
        first = es2.download_order(same, profile_type=TYPE)
        again = es2.download_order(same, profile_type=TYPE)
        other = es2.download_order(call_id(), profile_type=TYPE)
    assert first == again != other
    assert httpx.get(f"{smdp.url}/sandbox/pool/{TYPE}").json()["Available"] == 3


def test_download_order_refusals_carry_the_spec_codes(smdp: Smdp) -> None:
    with smdp.client() as es2:
        taken = es2.download_order(call_id(), profile_type=TYPE)
        assert refused(lambda: es2.download_order(call_id(), iccid="8939015500000000000")) == (
            "8.2.1/3.9",
            False,
        )
        assert refused(lambda: es2.download_order(call_id(), iccid=taken)) == ("8.2.1/3.3", False)
        assert refused(lambda: es2.download_order(call_id(), profile_type="nope")) == (
            "8.2.5/3.9",
            False,
        )
        bad_eid = EID[:-1] + "9"
        assert refused(lambda: es2.download_order(call_id(), profile_type=TYPE, eid=bad_eid)) == (
            "8.1.1/2.1",
            False,
        )
        for _ in range(4):
            es2.download_order(call_id(), profile_type=TYPE)
        assert refused(lambda: es2.download_order(call_id(), profile_type=TYPE)) == (
            "8.2.5/3.7",
            False,
        )


def test_confirm_and_release_follow_the_state_table(smdp: Smdp) -> None:
    with smdp.client() as es2:
        iccid = es2.download_order(call_id(), profile_type=TYPE, eid=EID)
        assert refused(lambda: es2.release_profile(call_id(), iccid=iccid)) == ("8.2.1/3.5", False)
        assert refused(
            lambda: es2.confirm_order(call_id(), iccid=iccid, eid=OTHER_EID, release_flag=False)
        ) == ("8.1.1/3.10", False)
        confirmed = es2.confirm_order(call_id(), iccid=iccid, release_flag=False)
        assert MATCHING_ID.match(confirmed.matching_id) and confirmed.eid == EID
        assert confirmed.smdp_address == "smdp.sandbox.resim.test"
        assert state(smdp, iccid) == "Confirmed"
        es2.release_profile(call_id(), iccid=iccid)
        assert state(smdp, iccid) == "Released"
        assert refused(lambda: es2.release_profile(call_id(), iccid=iccid)) == ("8.2.1/3.5", False)
        assert refused(lambda: es2.confirm_order(call_id(), iccid=iccid, release_flag=True)) == (
            "8.2.1/3.5",
            False,
        )
        second = es2.download_order(call_id(), profile_type=TYPE)
        assert refused(
            lambda: es2.confirm_order(
                call_id(), iccid=second, matching_id=confirmed.matching_id, release_flag=True
            )
        ) == ("8.2.6/3.3", False)
        chosen = es2.confirm_order(
            call_id(), iccid=second, matching_id="ABCDE-12345", release_flag=True
        )
        assert chosen.matching_id == "ABCDE-12345" and state(smdp, second) == "Released"


def test_cancel_order_returns_to_the_pool_or_retires_for_good(smdp: Smdp) -> None:
    with smdp.client() as es2:
        back = es2.download_order(call_id(), profile_type=TYPE)
        es2.confirm_order(call_id(), iccid=back, release_flag=True)
        es2.cancel_order(call_id(), iccid=back, final_status=FinalProfileStatus.AVAILABLE)
        assert state(smdp, back) == "Available"
        gone = es2.download_order(call_id(), profile_type=TYPE)
        es2.cancel_order(call_id(), iccid=gone, final_status=FinalProfileStatus.UNAVAILABLE)
        assert state(smdp, gone) == "Unavailable"
        assert refused(lambda: es2.download_order(call_id(), iccid=gone)) == ("8.2.1/3.3", False)
        assert refused(
            lambda: es2.cancel_order(
                call_id(), iccid=gone, final_status=FinalProfileStatus.AVAILABLE
            )
        ) == ("8.2.1/3.5", False)


def test_the_device_side_sends_download_progress_to_the_operator(smdp: Smdp) -> None:
    with smdp.client() as es2:
        iccid = es2.download_order(call_id(), profile_type=TYPE, eid=EID)
        matching = es2.confirm_order(call_id(), iccid=iccid, release_flag=True).matching_id
    device = f"{smdp.url}/sandbox/device"
    wrong = httpx.post(f"{device}/download", json={"matchingId": matching, "eid": OTHER_EID})
    assert wrong.json()["ok"] is False and wrong.json()["delivered"] == 1
    assert httpx.post(f"{device}/download", json={"matchingId": matching, "eid": EID}).json()["ok"]
    assert httpx.post(f"{device}/install", json={"iccid": iccid}).json()["state"] == "Installed"
    assert httpx.post(f"{device}/delete", json={"iccid": iccid}).json()["state"] == "Unavailable"
    got = smdp.collector.received
    assert [n["notificationPointId"] for n in got] == [1, 3, 4, 5]
    assert got[0]["notificationPointStatus"] == {
        "status": "Failed",
        "statusCodeData": {"subjectCode": "8.1.1", "reasonCode": "3.10", "message": "another EID"},
    }
    assert all(n["iccid"] == iccid and n["profileType"] == TYPE for n in got)
    assert got[2]["eid"] == EID and base64.b64decode(got[2]["resultData"])
    assert all(h["x-admin-protocol"].startswith("gsma/rsp/v2.") for h in smdp.collector.headers)
    ids = {n["header"]["functionCallIdentifier"] for n in got}
    assert len(ids) == 4  # each notification is its own call


def test_too_many_wrong_confirmation_codes_end_in_error(smdp: Smdp) -> None:
    with smdp.client() as es2:
        iccid = es2.download_order(call_id(), profile_type=TYPE)
        matching = es2.confirm_order(
            call_id(), iccid=iccid, confirmation_code="4711", release_flag=True
        ).matching_id
    url = f"{smdp.url}/sandbox/device/download"
    for _ in range(4):
        answer = httpx.post(url, json={"matchingId": matching, "eid": EID, "confirmationCode": "1"})
        assert answer.json()["detail"] == "wrong confirmation code"
    last = httpx.post(url, json={"matchingId": matching, "eid": EID, "confirmationCode": "2"})
    assert last.json()["state"] == "Error"
    note = smdp.collector.received[-1]
    assert note["notificationPointId"] == 2
    assert note["notificationPointStatus"]["statusCodeData"]["reasonCode"] == "6.4"
    right = httpx.post(url, json={"matchingId": matching, "eid": EID, "confirmationCode": "4711"})
    assert right.json()["ok"] is False  # too late: the profile is in Error


def test_a_right_confirmation_code_downloads(smdp: Smdp) -> None:
    with smdp.client() as es2:
        iccid = es2.download_order(call_id(), profile_type=TYPE)
        matching = es2.confirm_order(
            call_id(), iccid=iccid, confirmation_code="4711", release_flag=True
        ).matching_id
    answer = httpx.post(
        f"{smdp.url}/sandbox/device/download",
        json={"matchingId": matching, "eid": EID, "confirmationCode": "4711"},
    )
    assert answer.json()["state"] == "Downloaded"


def test_an_unknown_requester_is_refused_and_plain_http_is_not_es2plus(smdp: Smdp) -> None:
    with smdp.client("someone-else") as es2:
        assert refused(lambda: es2.download_order(call_id(), profile_type=TYPE)) == (
            "1.1/1.2",
            False,
        )
    bare = httpx.post(
        f"{smdp.url}/gsma/rsp2/es2plus/downloadOrder",
        json={
            "header": {"functionRequesterIdentifier": "resim-test", "functionCallIdentifier": "x"}
        },
    )
    assert bare.status_code == 400  # no X-Admin-Protocol header
