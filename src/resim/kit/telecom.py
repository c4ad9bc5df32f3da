"""Telecom identifiers as value types that validate when built.

Each type is a ``str`` subclass holding the canonical form, so it stores in a
string column and serialises as JSON unchanged. Building one from bad input
raises :class:`InvalidIdentifier`, whose ``message`` is an English message id
that the web layer translates.
"""

from __future__ import annotations

import re
from typing import ClassVar, Self

import phonenumbers


def _N(message: str) -> str:  # noqa: N802 - the gettext marker name
    """Marks a message id for extraction; the web layer translates it."""
    return message


class InvalidIdentifier(ValueError):
    """Input that is not a valid identifier of the given kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_SEPARATORS = re.compile(r"[\s\-.]")


def _digits(value: object, code: str, message: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier(code, message)
    compact = _SEPARATORS.sub("", value)
    if not compact.isascii() or not compact.isdigit():
        raise InvalidIdentifier(code, message)
    return compact


def luhn_check_digit(payload: str) -> str:
    """The Luhn (ISO/IEC 7812-1) check digit for a string of digits."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number[:-1].isdigit() and luhn_check_digit(number[:-1]) == number[-1]


class Msisdn(str):
    """A phone number in E.164 form (``+393471234567``).

    Numbers without a ``+`` prefix are read as Italian. Any number that
    phonenumbers deems valid is accepted (an alternative phone may be foreign);
    :attr:`is_italian_mobile` tells whether it can be a line of an Italian operator.
    """

    CODE: ClassVar[str] = "INVALID_MSISDN"
    MESSAGE: ClassVar[str] = _N("This is not a valid phone number.")

    def __new__(cls, value: object) -> Self:
        if not isinstance(value, str) or len(value) > 32:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        text = value.strip()
        if text.startswith("00"):
            text = "+" + text[2:]
        try:
            parsed = phonenumbers.parse(text, "IT")
        except phonenumbers.NumberParseException as exc:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE) from exc
        if not phonenumbers.is_valid_number(parsed):
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return super().__new__(cls, e164)

    @property
    def is_italian_mobile(self) -> bool:
        parsed = phonenumbers.parse(str(self))
        return parsed.country_code == 39 and phonenumbers.number_type(parsed) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )

    @property
    def national(self) -> str:
        """The number as a person writes it at home, e.g. ``347 123 4567``."""
        parsed = phonenumbers.parse(str(self))
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


class ItalianMobile(Msisdn):
    """An MSISDN of an Italian mobile line: ``+39`` then a national number starting with 3."""

    CODE: ClassVar[str] = "INVALID_MSISDN"
    MESSAGE: ClassVar[str] = _N("This is not a valid Italian mobile number.")

    def __new__(cls, value: object) -> Self:
        number = super().__new__(cls, value)
        if not number.is_italian_mobile:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        return number


class Iccid(str):
    """ICCID per ITU-T E.118: ``89`` (telecom), country code, issuer, Luhn digit; 19-20 digits."""

    CODE: ClassVar[str] = "INVALID_ICCID"
    MESSAGE: ClassVar[str] = _N("This is not a valid ICCID (19 or 20 digits starting with 89).")

    def __new__(cls, value: object) -> Self:
        digits = _digits(value, cls.CODE, cls.MESSAGE)
        if not (19 <= len(digits) <= 20 and digits.startswith("89") and luhn_valid(digits)):
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        return super().__new__(cls, digits)

    @classmethod
    def build(cls, payload: str) -> Iccid:
        """Complete ``payload`` (18 or 19 digits) with its Luhn check digit."""
        return cls(payload + luhn_check_digit(payload))


class Imsi(str):
    """IMSI per 3GPP TS 23.003 on an Italian network: MCC 222, 2-digit MNC, 15 digits in all."""

    CODE: ClassVar[str] = "INVALID_IMSI"
    MESSAGE: ClassVar[str] = _N("This is not a valid Italian IMSI (15 digits starting with 222).")

    def __new__(cls, value: object) -> Self:
        digits = _digits(value, cls.CODE, cls.MESSAGE)
        if len(digits) != 15 or not digits.startswith("222"):
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        return super().__new__(cls, digits)

    @property
    def mcc(self) -> str:
        return self[:3]

    @property
    def mnc(self) -> str:
        return self[3:5]

    @property
    def msin(self) -> str:
        return self[5:]


class Eid(str):
    """eUICC identifier: 32 digits, the whole number being 1 modulo 97 (ISO 7064 MOD 97-10)."""

    CODE: ClassVar[str] = "INVALID_EID"
    MESSAGE: ClassVar[str] = _N("This is not a valid EID (32 digits).")

    def __new__(cls, value: object) -> Self:
        digits = _digits(value, cls.CODE, cls.MESSAGE)
        if len(digits) != 32 or int(digits) % 97 != 1:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        return super().__new__(cls, digits)

    @classmethod
    def build(cls, payload: str) -> Eid:
        """Complete a 30-digit ``payload`` with the two check digits."""
        check = 98 - (int(payload + "00") % 97)
        return cls(f"{payload}{check:02d}")
