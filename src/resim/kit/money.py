"""Money is integer cents in euro."""

from __future__ import annotations

from babel.numbers import format_currency


def format_eur(cents: int, locale: str) -> str:
    return format_currency(cents / 100, "EUR", locale={"zh": "zh_Hans_CN"}.get(locale, locale))
