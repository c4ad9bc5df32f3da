"""SMS through a real Kannel (bearerbox, smsbox, and its fake SMSC) on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from resim.app import create_app
from resim.config import SmsSettings
from resim.db.engine import transaction
from resim.deps import Deps, build_deps
from resim.errors import IntegrationError
from resim.integrations.sms.kannel import KannelCallbacks, KannelSms
from resim.integrations.sms.port import SmsMessage
from resim.message import service as messages
from resim.message.models import SmsReport
from resim.tasks import make_worker
from tests import factories
from tests.kannel import Kannel, running_kannel
from tests.servers import serve
from tests.workers import free_port

TO = "+41791234567"
# Reports on the texts of the tests that send without resim listening go nowhere.
NOWHERE = KannelCallbacks("http://127.0.0.1:9", b"s" * 32, "inbound-token")


@pytest.fixture
def kannel(tmp_path: Path) -> Iterator[Kannel]:
    with running_kannel(tmp_path) as found:
        yield found


def _settings(kannel: Kannel, password: str | None = None) -> SmsSettings:
    return SmsSettings(
        backend="kannel",
        kannel_url=kannel.sendsms_url,
        kannel_username=kannel.username,
        kannel_password=SecretStr(password or kannel.password),
        sender="Acme",
        timeout_seconds=5,
    )


def test_a_text_reaches_the_smsc_in_any_language(kannel: Kannel) -> None:
    sms = KannelSms(_settings(kannel), NOWHERE)
    sms.send(SmsMessage("m-1", TO, "La tua nuova eSIM è pronta: https://x.example/d/abc"))
    sms.send(SmsMessage("m-2", TO, "您的新 eSIM 已就绪"))
    got = kannel.wait_for(2)
    assert {(g.sender, g.to) for g in got} == {("Acme", TO)}
    assert sorted(g.text for g in got) == sorted(
        ["La tua nuova eSIM è pronta: https://x.example/d/abc", "您的新 eSIM 已就绪"]
    )


def test_a_refused_login_is_permanent_and_a_dead_gateway_is_transient(kannel: Kannel) -> None:
    with pytest.raises(IntegrationError) as refused:
        KannelSms(_settings(kannel, password="wrong"), NOWHERE).send(SmsMessage("m-3", TO, "x"))
    assert not refused.value.transient and "kannel answered 4" in refused.value.detail
    down = _settings(kannel).model_copy(
        update={"kannel_url": f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"}
    )
    with pytest.raises(IntegrationError) as unreachable:
        KannelSms(down, NOWHERE).send(SmsMessage("m-4", TO, "x"))
    assert unreachable.value.transient
    time.sleep(0.5)
    assert kannel.received == []


def test_queued_texts_go_through_kannel_and_its_delivery_reports_are_recorded(
    deps: Deps, kannel: Kannel
) -> None:
    port = free_port()
    settings = deps.settings
    settings.public_url = f"http://127.0.0.1:{port}"
    settings.sms = _settings(kannel)
    wired = build_deps(settings, clock=deps.clock)
    assert isinstance(wired.sms, KannelSms)
    with serve(create_app(deps=wired), port=port):
        with transaction(wired.sessions) as session:
            tenant = factories.tenant(session, "acme", deps.clock.now())
            sent_id = messages.queue_sms(
                session,
                key=settings.secret_bytes,
                tenant_id=tenant.id,
                to=TO,
                text="Codice 123456",
                at=deps.clock.now(),
            )
        make_worker(wired).run_until_idle()
        assert [g.text for g in kannel.wait_for(1)] == ["Codice 123456"]
        deadline = time.monotonic() + 15
        while True:
            with wired.sessions() as session:
                reports = list(
                    session.scalars(select(SmsReport).where(SmsReport.message_id == sent_id))
                )
            meanings = {r.meaning for r in reports}
            if "delivered" in meanings:
                break
            assert time.monotonic() < deadline, f"reports so far: {meanings}"
            time.sleep(0.1)
        assert meanings <= {"smsc_accepted", "delivered"}
        # A report not signed by resim is refused and changes nothing.
        forged = httpx.get(
            f"http://127.0.0.1:{port}/sms/kannel/dlr",
            params={"id": sent_id, "sig": "0" * 32, "status": 2},
        )
        assert forged.status_code == 403
        with wired.sessions() as session:
            failed = session.scalar(select(SmsReport).where(SmsReport.meaning == "failed"))
            assert failed is None
    wired.close()
