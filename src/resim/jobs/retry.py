"""Exponential backoff with full jitter."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Delay before attempt ``attempt + 1``: uniform in [base/2, min(cap, base * 2^(attempt-1))]."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return (rng or random.SystemRandom()).uniform(min(base / 2, ceiling), ceiling)
