"""Send SMS through Kannel's HTTP sendsms interface (smsbox), asking for delivery reports.

Kannel answers 202 ("0: Accepted for delivery" or "3: Queued for later delivery") when it
takes the message; a 4xx means it refuses this message for good; 5xx and connection errors
are worth a retry. Texts go as UTF-8 with coding 2 (UCS-2 on the air), so Italian and Chinese
letters survive. Kannel calls ``dlr-url`` back for each report, with ``%d`` replaced by the
report type (1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16 rejected by it).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from resim.config import SmsSettings
from resim.errors import IntegrationError
from resim.integrations.sms.port import SmsMessage
from resim.kit.crypto import keyed_hash

DLR_MASK = 31  # every report type
DLR_PATH = "/sms/kannel/dlr"


def dlr_signature(secret: bytes, message_id: str) -> str:
    """Signs a delivery-report URL, so only the gateway resim told can report."""
    return keyed_hash(secret, "kannel-dlr", message_id)[:32]


def dlr_url(public_url: str, secret: bytes, message_id: str) -> str:
    """Where Kannel reports on a text: ``%d`` is Kannel's own placeholder for the type."""
    sig = dlr_signature(secret, message_id)
    return f"{public_url.rstrip('/')}{DLR_PATH}?id={message_id}&sig={sig}&status=%d"


class KannelSms:
    def __init__(self, settings: SmsSettings, dlr_url: Callable[[str], str] | None = None) -> None:
        """``dlr_url``: where Kannel reports on the text with this message id."""
        self.settings = settings
        self.dlr_url = dlr_url

    def send(self, message: SmsMessage) -> None:
        params = {
            "username": self.settings.kannel_username,
            "password": self.settings.kannel_password.get_secret_value(),
            "from": self.settings.sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "2",
        }
        if self.dlr_url:
            params["dlr-mask"] = str(DLR_MASK)
            params["dlr-url"] = self.dlr_url(message.message_id)
        try:
            answer = httpx.get(
                self.settings.kannel_url, params=params, timeout=self.settings.timeout_seconds
            )
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
