from __future__ import annotations

import datetime as dt

import pytest

from resim.kit.documents import check_not_expired, document_number
from resim.kit.telecom import InvalidIdentifier


@pytest.mark.parametrize(
    ("kind", "number", "country", "canonical"),
    [
        ("cie", "ca 12345 ab", "ITA", "CA12345AB"),
        ("passport", "YA1234567", "ITA", "YA1234567"),
        ("passport", "C01X00T47", "DEU", "C01X00T47"),
        ("driving_licence", "U1AB12345C", "ITA", "U1AB12345C"),
    ],
)
def test_valid_numbers_are_made_canonical(
    kind: str, number: str, country: str, canonical: str
) -> None:
    assert document_number(kind, number, country) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "number", "country", "code"),
    [
        ("cie", "AA1234567", "ITA", "INVALID_DOCUMENT_NUMBER"),  # the old paper card
        ("cie", "CA12345AB", "FRA", "INVALID_DOCUMENT"),
        ("passport", "Y1234567", "ITA", "INVALID_DOCUMENT_NUMBER"),
        ("passport", "ABCDEFGH", "DEU", "INVALID_DOCUMENT_NUMBER"),
        ("passport", "YA1234567", "IT", "INVALID_COUNTRY"),
        ("residence_permit", "I12345678", "FRA", "INVALID_DOCUMENT"),
    ],
)
def test_bad_numbers_are_refused(kind: str, number: str, country: str, code: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        document_number(kind, number, country)  # type: ignore[arg-type]
    assert raised.value.code == code


def test_a_document_is_valid_through_its_expiry_day() -> None:
    today = dt.date(2026, 11, 24)
    check_not_expired(today, today)
    with pytest.raises(InvalidIdentifier) as raised:
        check_not_expired(today - dt.timedelta(days=1), today)
    assert raised.value.code == "DOCUMENT_EXPIRED"
