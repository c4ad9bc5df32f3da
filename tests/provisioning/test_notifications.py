"""handleDownloadProgressInfo: the SM-DP+ sandbox plays the device and tells resim over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from resim.app import create_app
from resim.deps import Deps, keyring
from resim.integrations.es2plus.protocol import ADMIN_PROTOCOL
from resim.kit.clock import FixedClock
from resim.line.models import (
    DeviceState,
    EsimProfile,
    Line,
    LineEvent,
    LineEventKind,
    LineState,
    ProfileState,
)
from resim.provisioning import service as provisioning
from resim.provisioning.models import ProfileNotification
from resim.smdp_sandbox.server import Notifier
from resim.tasks import make_worker
from tests import factories
from tests.provisioning.world import approve, embedded, holder, state_of
from tests.servers import serve

EID = "89049032111111111111111111111158"
PATH = "/gsma/rsp2/es2plus/handleDownloadProgressInfo"


@pytest.fixture
def resim_url(deps: Deps) -> Iterator[str]:
    with serve(create_app(deps=deps)) as url:
        yield url


def token(deps: Deps) -> str:
    return deps.settings.smdp.notify_token.get_secret_value()


def notice(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "header": {"functionRequesterIdentifier": "smdp", "functionCallIdentifier": "n-1"},
        "iccid": "8939010000000000018",
        "profileType": "x",
        "timestamp": "2026-11-24T10:00:00Z",
        "notificationPointId": 3,
        "notificationPointStatus": {"status": "Executed-Success"},
    }
    body.update(overrides)
    return body


def test_download_and_installation_end_the_replacement_and_lift_the_suspension(
    deps: Deps, clock: FixedClock, resim_url: str
) -> None:
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    worker = make_worker(deps)
    for _ in range(5):
        worker.run_until_idle()
        clock.advance(dt.timedelta(minutes=1))
    assert state_of(deps.sessions, app_id)[0] == "code_ready"
    with deps.sessions() as session:
        prov = provisioning.for_application(session, app_id)
        assert prov is not None and prov.new_iccid is not None
        code = provisioning.activation_code(keyring(deps), prov)
    assert code is not None
    matching_id = code.matching_id
    notifier = Notifier(resim_url, token(deps))

    assert factories.SANDBOX.download(matching_id, EID, None).ok
    notifier.deliver(factories.SANDBOX)
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None and line.eid == EID and line.state == LineState.SUSPENDED
    assert factories.SANDBOX.install(prov.new_iccid).ok
    notifier.deliver(factories.SANDBOX)

    assert state_of(deps.sessions, app_id)[0] == "installed"
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None and line.state == LineState.ACTIVE
        lifted = session.scalar(
            select(LineEvent)
            .where(LineEvent.line_id == line.id, LineEvent.kind == LineEventKind.REACTIVATED)
            .order_by(LineEvent.seq.desc())
        )
        assert lifted is not None and lifted.reason == "new_esim_installed"
        profile = session.scalar(select(EsimProfile).where(EsimProfile.iccid == prov.new_iccid))
        assert profile is not None
        assert (profile.state, profile.device_state) == (
            ProfileState.INSTALLED,
            DeviceState.ENABLED,
        )
        points = session.scalars(
            select(ProfileNotification.point).where(ProfileNotification.iccid == prov.new_iccid)
        )
        assert sorted(points) == [3, 4]

    assert factories.SANDBOX.delete(prov.new_iccid).ok
    notifier.deliver(factories.SANDBOX)
    with deps.sessions() as session:
        profile = session.scalar(select(EsimProfile).where(EsimProfile.iccid == prov.new_iccid))
        assert profile is not None
        assert (profile.state, profile.device_state) == (
            ProfileState.UNAVAILABLE,
            DeviceState.DELETED,
        )


def test_the_endpoint_wants_the_token_the_protocol_and_a_notification(
    deps: Deps, resim_url: str
) -> None:
    url = resim_url + PATH
    good = {"authorization": f"Bearer {token(deps)}", "x-admin-protocol": ADMIN_PROTOCOL}
    answer = httpx.post(url, json=notice(), headers={**good, "authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.json()["code"] == "BAD_SMDP_TOKEN"
    answer = httpx.post(url, json=notice(), headers={"authorization": good["authorization"]})
    assert answer.status_code == 422 and answer.json()["code"] == "ADMIN_PROTOCOL_REQUIRED"
    bad: dict[str, Any]
    for bad in (
        {"iccid": "12"},
        {"notificationPointId": "three"},
        {"notificationPointStatus": {"status": "Fine"}},
        {"header": {}},
        {"eid": "123"},
    ):
        answer = httpx.post(url, json=notice(**bad), headers=good)
        assert answer.status_code == 422, bad
        assert answer.json()["code"] == "INVALID_NOTIFICATION"
    answer = httpx.post(url, content=b"{not json", headers=good)
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_NOTIFICATION"
    with deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProfileNotification)) == 0
    # A notification about a profile resim does not know is kept, once, and acknowledged.
    for _ in range(2):
        answer = httpx.post(url, json=notice(), headers=good)
        assert answer.status_code == 204
        assert answer.headers["x-admin-protocol"] == ADMIN_PROTOCOL
    with deps.sessions() as session:
        kept = list(session.scalars(select(ProfileNotification)))
        assert [(n.iccid, n.applied) for n in kept] == [("8939010000000000018", "unknown iccid")]


def test_resim_serves_its_own_sandbox_and_provisions_through_it(
    deps: Deps, clock: FixedClock
) -> None:
    """The embedded default: no SM-DP+ URL, so resim mounts the sandbox and calls itself."""
    case, port = embedded(deps, clock.now(), "embedded", ("8939970", "22297"))
    app_id = approve(deps.sessions, case, clock.now())
    with serve(create_app(deps=deps), port=port) as url:
        make_worker(deps).run_until_idle()
        assert state_of(deps.sessions, app_id)[0] == "code_ready"
        pool = httpx.get(f"{url}/smdp-sandbox/sandbox/pool/embedded").json()
        assert pool == {"Available": 1, "Released": 1}
        with deps.sessions() as session:
            prov = provisioning.for_application(session, app_id)
            assert prov is not None
            code = provisioning.activation_code(keyring(deps), prov)
        assert code is not None
        device = {"matchingId": code.matching_id, "eid": EID}
        answer = httpx.post(f"{url}/smdp-sandbox/sandbox/device/download", json=device).json()
        assert answer["ok"] and answer["delivered"] == 1  # handleDownloadProgressInfo to resim
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None and line.eid == EID
