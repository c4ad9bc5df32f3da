"""POST a CloudEvent to a bank's sink (CAMARA's notification callback)."""

from __future__ import annotations

import httpx

from resim.errors import IntegrationError

CONTENT_TYPE = "application/cloudevents+json"


class SinkGone(Exception):
    """The sink answered 410 Gone: it wants no more events."""


class WebhookPoster:
    """Delivers events to the banks' sinks through one ``httpx.Client`` per process, so the
    CA bundle is loaded once and a sink's connection is reused between events."""

    def __init__(self, timeout_seconds: float) -> None:
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0))
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WebhookPoster:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def post_event(self, url: str, body: bytes, *, token: str | None, correlator: str) -> int:
        """Deliver once; the status on success (2xx). 429, 5xx and network failures are
        transient (the job retries with backoff); other 4xx are not."""
        headers = {"content-type": CONTENT_TYPE, "x-correlator": correlator}
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            answer = self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise IntegrationError("sink", type(exc).__name__, transient=True) from None
        status = answer.status_code
        if 200 <= status < 300:
            return status
        if status == 410:
            raise SinkGone
        transient = status == 429 or status >= 500
        raise IntegrationError("sink", f"HTTP {status}", transient=transient)
