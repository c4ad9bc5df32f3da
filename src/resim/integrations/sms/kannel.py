"""Kannel, the SMS gateway: its HTTP sendsms interface (smsbox) and its two calls back to resim.

Sending: Kannel answers 202 ("0: Accepted for delivery" or "3: Queued for later delivery") when
it takes the message; a 4xx means it refuses this message for good; 5xx and connection errors
are worth a retry. Texts go as UTF-8 with coding 2 (UCS-2 on the air), so Italian and Chinese
letters survive. One ``httpx.Client`` per process keeps the connection to smsbox.

Calling back: Kannel GETs the ``dlr-url`` given with each text, ``%d`` replaced by the report
type (1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16 rejected by it); resim
signs that URL, so only the gateway it told can report. Customers' texts come from an
``sms-service`` whose get-url is ``.../sms/inbound?token=<inbound token>&from=%p&text=%a``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from resim.config import SmsSettings
from resim.errors import Forbidden, IntegrationError, Invalid, Unauthenticated
from resim.integrations.sms.port import DeliveryReport, InboundSms, ReportStatus, SmsMessage
from resim.kit.crypto import keyed_hash

DLR_MASK = 31  # every report type
DLR_PATH = "/sms/kannel/dlr"
REPORT_TYPES = {
    1: ReportStatus.DELIVERED,
    2: ReportStatus.FAILED,
    4: ReportStatus.BUFFERED,
    8: ReportStatus.SMSC_ACCEPTED,
    16: ReportStatus.SMSC_REJECTED,
}


@dataclass(frozen=True)
class KannelCallbacks:
    """Kannel's side of the conversation that comes to resim: delivery reports and replies."""

    public_url: str  # where Kannel reaches resim
    secret: bytes  # signs the delivery-report URLs
    inbound_token: str  # what Kannel's sms-service get-url carries

    def dlr_url(self, message_id: str) -> str:
        """Where Kannel reports on a text: ``%d`` is Kannel's own placeholder for the type."""
        sig = self._signature(message_id)
        return f"{self.public_url.rstrip('/')}{DLR_PATH}?id={message_id}&sig={sig}&status=%d"

    def delivery_report(self, params: Mapping[str, str]) -> DeliveryReport:
        message_id, sig = params.get("id", ""), params.get("sig")
        code = params.get("status", "")
        if not 0 < len(message_id) <= 64 or sig is None or len(sig) > 64 or not _small_int(code):
            raise Invalid("INVALID_INPUT", "Some fields are not valid.")
        if not hmac.compare_digest(sig, self._signature(message_id)):
            raise Forbidden("BAD_SIGNATURE", "This delivery report is not signed by resim.")
        status = int(code)
        return DeliveryReport(message_id, REPORT_TYPES.get(status, ReportStatus.OTHER), status)

    def inbound(self, params: Mapping[str, str]) -> InboundSms:
        token = params.get("token", "")
        if not hmac.compare_digest(token.encode(), self.inbound_token.encode()):
            raise Unauthenticated("BAD_GATEWAY_TOKEN", "Please sign in.")
        return InboundSms(sender=params.get("from", ""), text=params.get("text", ""))

    def _signature(self, message_id: str) -> str:
        return keyed_hash(self.secret, "kannel-dlr", message_id)[:32]


def _small_int(text: str) -> bool:
    """Kannel's report types are bit flags below 64."""
    return text.isascii() and text.isdigit() and int(text) <= 64


class KannelSms:
    def __init__(self, settings: SmsSettings, callbacks: KannelCallbacks) -> None:
        self.settings = settings
        self.callbacks = callbacks
        seconds = settings.timeout_seconds
        self._http = httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KannelSms:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: SmsMessage) -> None:
        params = {
            "username": self.settings.kannel_username,
            "password": self.settings.kannel_password.get_secret_value(),
            "from": self.settings.sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "2",
            "dlr-mask": str(DLR_MASK),
            "dlr-url": self.callbacks.dlr_url(message.message_id),
        }
        try:
            answer = self._http.get(self.settings.kannel_url, params=params)
        except httpx.HTTPError as exc:
            raise IntegrationError("sms", type(exc).__name__, transient=True) from exc
        if answer.status_code in (200, 202):
            return
        # The body names the reason ("Authorization failed", "Missing receiver number"...).
        reason = answer.text.strip()[:80]
        raise IntegrationError(
            "sms",
            f"kannel answered {answer.status_code}: {reason}",
            transient=answer.status_code >= 500,
        )

    def delivery_report(self, params: Mapping[str, str]) -> DeliveryReport:
        return self.callbacks.delivery_report(params)

    def inbound(self, params: Mapping[str, str]) -> InboundSms:
        return self.callbacks.inbound(params)
