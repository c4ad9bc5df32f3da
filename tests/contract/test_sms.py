"""The SMS port's contract, the same assertions for each gateway: the outbox folder, and a real
Kannel (bearerbox, smsbox and its fake SMSC) whose calls back reach a real HTTP server.

The outbox has no network behind it: its reports and replies are the ones Kannel would send,
built from the same delivery-report address and sms-service parameters.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from resim.config import SmsSettings
from resim.errors import Forbidden, Invalid, Unauthenticated
from resim.integrations.sms.kannel import DLR_PATH, KannelCallbacks, KannelSms
from resim.integrations.sms.outbox import OutboxSms
from resim.integrations.sms.port import (
    DeliveryReport,
    InboundSms,
    ReportStatus,
    SmsGateway,
    SmsMessage,
)
from tests.kannel import Kannel, running_kannel
from tests.servers import serve

TO = "+41791234567"
PHONE = "393471234567"
TOKEN = "inbound-token-for-tests"
SECRET = b"contract-secret-" * 2
Params = dict[str, str]


@dataclass
class Resim:
    """resim's side of the callbacks, as the gateway reaches it over HTTP."""

    reports: list[Params] = field(default_factory=list)
    replies: list[Params] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get(DLR_PATH)
        def report(request: Request) -> Response:
            self.reports.append(dict(request.query_params))
            return Response(status_code=204)

        @app.get("/sms/inbound")
        def reply(request: Request) -> Response:
            self.replies.append(dict(request.query_params))
            return Response(status_code=200)

        return app


@dataclass
class Gateway:
    port: SmsGateway
    callbacks: KannelCallbacks
    delivered: Callable[[int], list[tuple[str, str]]]  # (to, text) of what reached the phones
    reports_on: Callable[[str], list[Params]]  # the gateway's calls back about one text
    phone_says: Callable[[str, str], Params]  # a phone's text, as the gateway forwards it


def _wait(found: Callable[[], list[Params]], what: str) -> list[Params]:
    deadline = time.monotonic() + 15
    while not (got := found()):
        assert time.monotonic() < deadline, f"no {what} came"
        time.sleep(0.05)
    return got


def _as_kannel_reports(callbacks: KannelCallbacks, message_id: str) -> list[Params]:
    """What Kannel GETs back for a text the SMSC accepted, then delivered."""
    url = urllib.parse.urlsplit(callbacks.dlr_url(message_id))
    return [dict(urllib.parse.parse_qsl(url.query.replace("%d", str(code)))) for code in (8, 1)]


def _outbox(folder: Path, callbacks: KannelCallbacks) -> Iterator[Gateway]:
    outbox = OutboxSms(folder / "sms", callbacks)

    def delivered(count: int) -> list[tuple[str, str]]:
        kept = outbox.messages()
        assert len(kept) == count
        return [(s.message.to, s.message.text) for s in kept]

    def phone_says(sender: str, text: str) -> Params:
        return {"token": TOKEN, "from": sender, "text": text}

    yield Gateway(
        outbox, callbacks, delivered, lambda mid: _as_kannel_reports(callbacks, mid), phone_says
    )


def _kannel(folder: Path, resim: Resim, url: str) -> Iterator[Gateway]:
    inbound = f"{url}/sms/inbound?token={TOKEN}&from=%p&text=%a"
    callbacks = KannelCallbacks(url, SECRET, TOKEN)
    with (
        running_kannel(folder, inbound_url=inbound) as kannel,
        KannelSms(_settings(kannel), callbacks) as sms,
    ):

        def delivered(count: int) -> list[tuple[str, str]]:
            return [(got.to, got.text) for got in kannel.wait_for(count)]

        def reports_on(message_id: str) -> list[Params]:
            return _wait(lambda: [r for r in resim.reports if r.get("id") == message_id], "report")

        def phone_says(sender: str, text: str) -> Params:
            kannel.phone_sends(sender, "4000", text)
            return _wait(lambda: list(resim.replies), "reply")[-1]

        yield Gateway(sms, callbacks, delivered, reports_on, phone_says)


def _settings(kannel: Kannel) -> SmsSettings:
    return SmsSettings(
        backend="kannel",
        kannel_url=kannel.sendsms_url,
        kannel_username=kannel.username,
        kannel_password=SecretStr(kannel.password),
        sender="Acme",
        timeout_seconds=5,
    )


@pytest.fixture(params=["outbox", "kannel"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gateway]:
    resim = Resim()
    with serve(resim.app()) as url:
        if request.param == "outbox":
            yield from _outbox(tmp_path, KannelCallbacks(url, SECRET, TOKEN))
        else:
            yield from _kannel(tmp_path, resim, url)


def test_a_text_reaches_the_phone_in_any_language(gateway: Gateway) -> None:
    gateway.port.send(SmsMessage("m-1", TO, "La tua nuova eSIM è pronta"))
    gateway.port.send(SmsMessage("m-2", TO, "您的新 eSIM 已就绪"))
    assert sorted(gateway.delivered(2)) == sorted(
        [(TO, "La tua nuova eSIM è pronta"), (TO, "您的新 eSIM 已就绪")]
    )


def test_the_gateways_reports_on_a_text_name_it_and_where_it_got_to(gateway: Gateway) -> None:
    gateway.port.send(SmsMessage("m-3", TO, "Codice 123456"))
    gateway.delivered(1)
    reports = [gateway.port.delivery_report(r) for r in gateway.reports_on("m-3")]
    assert {r.message_id for r in reports} == {"m-3"}
    assert {r.status for r in reports} <= {ReportStatus.SMSC_ACCEPTED, ReportStatus.DELIVERED}
    assert all(isinstance(r, DeliveryReport) and r.code in (1, 8) for r in reports)


def test_a_report_resim_did_not_ask_for_is_refused(gateway: Gateway) -> None:
    signed = _as_kannel_reports(gateway.callbacks, "m-4")[0]
    with pytest.raises(Forbidden):
        gateway.port.delivery_report({**signed, "id": "m-5"})  # another text's signature
    with pytest.raises(Forbidden):
        gateway.port.delivery_report({**signed, "sig": "0" * 32})
    for broken in ({"id": "m-4", "status": "1"}, {**signed, "status": "x"}, {**signed, "id": ""}):
        with pytest.raises(Invalid):
            gateway.port.delivery_report(broken)
    assert gateway.port.delivery_report({**signed, "status": "2"}) == DeliveryReport(
        "m-4", ReportStatus.FAILED, 2
    )


def test_a_phones_reply_comes_as_its_sender_and_text(gateway: Gateway) -> None:
    forwarded = gateway.phone_says(PHONE, "NO grazie")
    assert gateway.port.inbound(forwarded) == InboundSms(PHONE, "NO grazie")
    with pytest.raises(Unauthenticated):
        gateway.port.inbound({**forwarded, "token": "guess"})
    with pytest.raises(Unauthenticated):
        gateway.port.inbound({"from": PHONE, "text": "NO"})
