"""What the CAMARA SIM Swap API (camaraproject/SimSwap r3.3) names: its scopes, event types
and identifier formats, and its two kinds of refusal (the API's errors and OAuth 2.0's)."""

from __future__ import annotations

import re

from resim.line.models import LineEventKind

CHECK = "sim-swap:check"
RETRIEVE_DATE = "sim-swap:retrieve-date"
SWAPPED = "org.camaraproject.sim-swap-subscriptions.v0.swapped"
SUBSCRIPTION_ENDED = "org.camaraproject.sim-swap-subscriptions.v0.subscription-ended"
SUBSCRIBE = f"sim-swap-subscriptions:{SWAPPED}:create"
SUBSCRIPTIONS_READ = "sim-swap-subscriptions:read"
SUBSCRIPTIONS_DELETE = "sim-swap-subscriptions:delete"
SCOPES = (CHECK, RETRIEVE_DATE, SUBSCRIBE, SUBSCRIPTIONS_READ, SUBSCRIPTIONS_DELETE)
PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{4,14}$")
# CAMARA's identity and consent profile: the purpose is a W3C DPV term.
PURPOSE = re.compile(r"^dpv:[A-Za-z][A-Za-z0-9]{1,80}(#[A-Za-z0-9:._-]{1,80})?$")
CHANGE_KINDS = (LineEventKind.SIM_CHANGED, LineEventKind.ACTIVATED)


class Refused(Exception):
    """A request the spec answers with an error: ``code`` is CAMARA's (the API layer gives
    the HTTP status), ``message`` says what to fix, in English as the spec's are."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retry_after = code, message, retry_after


class OAuthError(Exception):
    """RFC 6749 section 5.2 and OpenID CIBA section 13's errors."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status
