"""Which install route suits the phone that opened the page, from its User-Agent."""

from __future__ import annotations

import re

_IOS = re.compile(r"iPhone; CPU iPhone OS (\d+)_(\d+)")


def kind(user_agent: str) -> str:
    """``iphone`` (iOS 17.4 or later: Apple's install link works), ``iphone_old``,
    ``android``, or ``other`` (a computer: the QR code is scanned with the phone)."""
    found = _IOS.search(user_agent)
    if found:
        version = (int(found.group(1)), int(found.group(2)))
        return "iphone" if version >= (17, 4) else "iphone_old"
    if "Android" in user_agent:
        return "android"
    return "other"
