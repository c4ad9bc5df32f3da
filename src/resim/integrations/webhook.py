"""POST a CloudEvent to a bank's sink (CAMARA's notification callback)."""

from __future__ import annotations

import httpx

from resim.errors import IntegrationError

CONTENT_TYPE = "application/cloudevents+json"


class SinkGone(Exception):
    """The sink answered 410 Gone: it wants no more events."""


def post_event(url: str, body: bytes, *, token: str | None, correlator: str, timeout: float) -> int:
    """Deliver once; the status on success (2xx). 429, 5xx and network failures are
    transient (the job retries with backoff); other 4xx are not."""
    headers = {"content-type": CONTENT_TYPE, "x-correlator": correlator}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise IntegrationError("sink", type(exc).__name__, transient=True) from None
    status = answer.status_code
    if 200 <= status < 300:
        return status
    if status == 410:
        raise SinkGone
    transient = status == 429 or status >= 500
    raise IntegrationError("sink", f"HTTP {status}", transient=transient)
