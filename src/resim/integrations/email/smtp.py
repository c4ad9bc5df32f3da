"""Send e-mail over SMTP with aiosmtplib."""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.message
import email.utils
from collections.abc import Coroutine
from typing import Any

import aiosmtplib

from resim.config import EmailSettings
from resim.errors import IntegrationError
from resim.integrations.email.port import EmailMessage


def _run(coroutine: Coroutine[Any, Any, object]) -> None:
    """Run to completion from sync code, even on a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


class SmtpEmail:
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        mime = email.message.EmailMessage()
        mime["From"] = message.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Message-ID"] = message.message_id
        mime["Date"] = email.utils.formatdate(usegmt=True)
        mime.set_content(message.text)
        password = self.settings.smtp_password
        try:
            _run(
                aiosmtplib.send(
                    mime,
                    hostname=self.settings.smtp_host,
                    port=self.settings.smtp_port,
                    username=self.settings.smtp_username,
                    password=password.get_secret_value() if password else None,
                    start_tls=self.settings.smtp_starttls,
                    timeout=self.settings.smtp_timeout_seconds,
                )
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx: try again later; 5xx: the server refuses this message for good.
            raise IntegrationError(
                "smtp", f"server answered {exc.code}", transient=exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise IntegrationError("smtp", type(exc).__name__, transient=True) from exc
