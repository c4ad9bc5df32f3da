"""What the workflow keeps of each call to another system: no secrets in ``response``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallRecord:
    system: str  # smdp | hlr
    operation: str  # downloadOrder, subscriber.create ...
    key: str  # the functionCallIdentifier, or the IMSI the command was about
    outcome: str  # success, failed 8.2.1/3.9, expired, timeout, http 503, refused ...
    duration_ms: int
    response: dict[str, Any] | None


Observer = Callable[[CallRecord], None]
