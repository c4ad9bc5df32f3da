"""Machine-readable zones of identity documents (ICAO Doc 9303).

Two formats: TD1, three lines of 30 characters (identity cards, the Italian CIE), and TD3,
two lines of 44 (passports). Every check digit is verified (weights 7, 3, 1 over digits,
letters A=10 ... Z=35 and the filler ``<`` = 0). :func:`compose_td1` and
:func:`compose_td3` write a zone from its fields, for tests and demo documents.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from resim.kit.telecom import _N, InvalidIdentifier

Kind = Literal["TD1", "TD3"]
_ALPHABET = re.compile(r"^[A-Z0-9<]+$")
_WEIGHTS = (7, 3, 1)


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(field: str) -> str:
    """The ICAO 9303 check digit of a field."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


class InvalidMrz(InvalidIdentifier):
    """A zone that cannot be read, or whose check digits disagree (``failed`` names them)."""

    def __init__(self, message: str, failed: list[str] | None = None) -> None:
        super().__init__("INVALID_MRZ", message)
        self.failed = failed or []


@dataclass(frozen=True)
class Mrz:
    kind: Kind
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birth_date: dt.date
    sex: Literal["M", "F", "X"]
    expiry_date: dt.date
    surname: str
    given_names: str
    optional_data: str


def _date(text: str, *, birth: bool, today: dt.date) -> dt.date:
    if not text.isdigit():
        raise InvalidMrz(_N("The machine-readable zone has an invalid date."))
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    century = today.year // 100 * 100
    year = century + yy
    if birth and year > today.year:
        year -= 100  # nobody is born in the future
    if not birth and year > today.year + 50:
        year -= 100  # expiry dates lie within decades of today
    try:
        return dt.date(year, mm, dd)
    except ValueError as exc:
        raise InvalidMrz(_N("The machine-readable zone has an invalid date.")) from exc


def _names(field: str) -> tuple[str, str]:
    surname, _, given = field.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _sex(char: str) -> Literal["M", "F", "X"]:
    if char == "M":
        return "M"
    if char == "F":
        return "F"
    if char == "<" or char == "X":
        return "X"
    raise InvalidMrz(_N("The machine-readable zone has an invalid sex field."))


def normalise(text: str) -> list[str]:
    """Lines of a zone as typed or read by OCR: upper case, spaces and blank lines removed."""
    lines = [re.sub(r"\s+", "", line).upper() for line in text.strip().splitlines()]
    return [line for line in lines if line]


def parse(text: str, today: dt.date) -> Mrz:
    lines = normalise(text)
    if len(lines) == 3 and all(len(line) == 30 for line in lines):
        return _parse_td1(lines, today)
    if len(lines) == 2 and all(len(line) == 44 for line in lines):
        return _parse_td3(lines, today)
    raise InvalidMrz(
        _N("Type the machine-readable zone exactly: 3 lines of 30 characters or 2 lines of 44.")
    )


def _verify(checks: list[tuple[str, str, str]]) -> None:
    failed = [name for name, field, digit in checks if check_digit(field) != digit]
    if failed:
        raise InvalidMrz(
            _N("A check digit of the machine-readable zone is wrong: check what you typed."),
            failed,
        )


def _alphabet(lines: list[str]) -> None:
    if not all(_ALPHABET.match(line) for line in lines):
        raise InvalidMrz(_N("The machine-readable zone may hold only A-Z, 0-9 and <."))


def _parse_td3(lines: list[str], today: dt.date) -> Mrz:
    _alphabet(lines)
    one, two = lines
    if one[0] != "P":
        raise InvalidMrz(_N("This is not a passport's machine-readable zone."))
    optional_digit = two[42]
    checks = [
        ("document_number", two[0:9], two[9]),
        ("birth_date", two[13:19], two[19]),
        ("expiry_date", two[21:27], two[27]),
        ("composite", two[0:10] + two[13:20] + two[21:43], two[43]),
    ]
    if not (optional_digit == "<" and set(two[28:42]) <= {"<"}):
        checks.append(("optional_data", two[28:42], optional_digit))
    _verify(checks)
    surname, given = _names(one[5:44])
    return Mrz(
        kind="TD3",
        document_code=one[0:2].rstrip("<"),
        issuing_state=one[2:5].rstrip("<"),
        document_number=two[0:9].rstrip("<"),
        nationality=two[10:13].rstrip("<"),
        birth_date=_date(two[13:19], birth=True, today=today),
        sex=_sex(two[20]),
        expiry_date=_date(two[21:27], birth=False, today=today),
        surname=surname,
        given_names=given,
        optional_data=two[28:42].rstrip("<"),
    )


def _parse_td1(lines: list[str], today: dt.date) -> Mrz:
    _alphabet(lines)
    one, two, three = lines
    if one[0] not in "IAC":
        raise InvalidMrz(_N("This is not an identity card's machine-readable zone."))
    _verify(
        [
            ("document_number", one[5:14], one[14]),
            ("birth_date", two[0:6], two[6]),
            ("expiry_date", two[8:14], two[14]),
            ("composite", one[5:30] + two[0:7] + two[8:15] + two[18:29], two[29]),
        ]
    )
    surname, given = _names(three)
    return Mrz(
        kind="TD1",
        document_code=one[0:2].rstrip("<"),
        issuing_state=one[2:5].rstrip("<"),
        document_number=one[5:14].rstrip("<"),
        nationality=two[15:18].rstrip("<"),
        birth_date=_date(two[0:6], birth=True, today=today),
        sex=_sex(two[7]),
        expiry_date=_date(two[8:14], birth=False, today=today),
        surname=surname,
        given_names=given,
        optional_data=(one[15:30] + two[18:29]).strip("<"),
    )


def _field(text: str, width: int) -> str:
    folded = re.sub(r"[^A-Z0-9]+", "<", text.upper())
    if len(folded) > width:
        raise ValueError(f"{text!r} does not fit in {width} characters")
    return folded.ljust(width, "<")


def _latin(text: str) -> str:
    """Names as ICAO writes them: accents dropped, anything else a filler."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return re.sub(r"[^A-Z]+", "<", folded).strip("<")


def _name_field(surname: str, given_names: str, width: int) -> str:
    return (_latin(surname) + "<<" + _latin(given_names))[:width].ljust(width, "<")


def names_match(mrz_surname: str, mrz_given: str, surname: str, given_names: str) -> bool:
    """Names from a zone against names typed or on file, compared the ICAO way."""
    return (_latin(mrz_surname), _latin(mrz_given)) == (_latin(surname), _latin(given_names))


def _yymmdd(value: dt.date) -> str:
    return value.strftime("%y%m%d")


def compose_td3(
    *,
    document_number: str,
    issuing_state: str,
    nationality: str,
    surname: str,
    given_names: str,
    birth_date: dt.date,
    sex: str,
    expiry_date: dt.date,
    optional: str = "",
) -> str:
    number = _field(document_number, 9)
    birth, expiry, extra = _yymmdd(birth_date), _yymmdd(expiry_date), _field(optional, 14)
    extra_digit = check_digit(extra) if optional else "<"
    body = number + check_digit(number) + _field(nationality, 3) + birth + check_digit(birth)
    body += sex + expiry + check_digit(expiry) + extra + extra_digit
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    line1 = "P<" + _field(issuing_state, 3) + _name_field(surname, given_names, 39)
    return line1 + "\n" + body + composite


def compose_td1(
    *,
    document_number: str,
    issuing_state: str,
    nationality: str,
    surname: str,
    given_names: str,
    birth_date: dt.date,
    sex: str,
    expiry_date: dt.date,
    document_code: str = "C<",
    optional: str = "",
) -> str:
    number = _field(document_number, 9)
    line1 = _field(document_code, 2) + _field(issuing_state, 3) + number + check_digit(number)
    line1 += _field(optional, 15)
    birth, expiry = _yymmdd(birth_date), _yymmdd(expiry_date)
    line2 = birth + check_digit(birth) + sex + expiry + check_digit(expiry)
    line2 += _field(nationality, 3) + "<" * 11
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    line3 = _name_field(surname, given_names, 30)
    return "\n".join([line1, line2, line3])
