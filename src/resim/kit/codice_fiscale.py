"""The Italian codice fiscale of a person: validation, decoding, and encoding for matching."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Literal, Self

from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale as _cf

from resim.kit.telecom import _N, InvalidIdentifier

Sex = Literal["M", "F"]

_MONTHS = "ABCDEHLMPRST"
_VOWELS = set("AEIOU")
# Omocodia: when two people share a code, digits are replaced by these letters.
_OMOCODIA = {letter: str(i) for i, letter in enumerate("LMNPQRSTUV")}
_DIGIT_POSITIONS = (6, 7, 9, 10, 12, 13, 14)


def _letters(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    return "".join(c for c in folded.upper() if "A" <= c <= "Z")


def surname_code(surname: str) -> str:
    """Three letters from a surname: its consonants, then its vowels, padded with X."""
    letters = _letters(surname)
    consonants = [c for c in letters if c not in _VOWELS]
    vowels = [c for c in letters if c in _VOWELS]
    return ("".join(consonants + vowels) + "XXX")[:3]


def given_name_code(given_name: str) -> str:
    """Three letters from a given name: with four or more consonants, the 1st, 3rd and 4th."""
    letters = _letters(given_name)
    consonants = [c for c in letters if c not in _VOWELS]
    if len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    vowels = [c for c in letters if c in _VOWELS]
    return ("".join(consonants + vowels) + "XXX")[:3]


class CodiceFiscale(str):
    """A personal codice fiscale (16 characters), upper case, check character verified."""

    CODE = "INVALID_CODICE_FISCALE"
    MESSAGE = _N("This is not a valid codice fiscale.")

    def __new__(cls, value: object) -> Self:
        if not isinstance(value, str) or len(value) > 32:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        compact = _cf.compact(value)
        if len(compact) != 16:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE)
        try:
            _cf.validate(compact)
            _cf.get_birth_date(compact)
        except (ValidationError, ValueError) as exc:
            raise InvalidIdentifier(cls.CODE, cls.MESSAGE) from exc
        return super().__new__(cls, compact)

    @classmethod
    def from_person(
        cls,
        surname: str,
        given_name: str,
        birth_date: dt.date,
        sex: Sex,
        birthplace_code: str,
    ) -> CodiceFiscale:
        """The code a person with these details receives (without omocodia)."""
        day = birth_date.day + (40 if sex == "F" else 0)
        body = (
            surname_code(surname)
            + given_name_code(given_name)
            + f"{birth_date.year % 100:02d}"
            + _MONTHS[birth_date.month - 1]
            + f"{day:02d}"
            + birthplace_code.upper()
        )
        return cls(body + _cf.calc_check_digit(body))

    def _decoded(self) -> str:
        chars = list(self)
        for pos in _DIGIT_POSITIONS:
            chars[pos] = _OMOCODIA.get(chars[pos], chars[pos])
        return "".join(chars)

    def birth_date(self, today: dt.date) -> dt.date:
        """The encoded birth date; of the two possible centuries, the latest not after today."""
        date = _cf.get_birth_date(str(self), minyear=today.year - 99)
        if date > today:
            date = date.replace(year=date.year - 100)
        return date

    @property
    def sex(self) -> Sex:
        return "F" if _cf.get_gender(str(self)) == "F" else "M"

    @property
    def birthplace_code(self) -> str:
        """Belfiore code of the birthplace: a comune, or Z plus a country number for abroad."""
        return self._decoded()[11:15]

    def matches_names(self, surname: str, given_name: str) -> bool:
        return self[0:3] == surname_code(surname) and self[3:6] == given_name_code(given_name)
