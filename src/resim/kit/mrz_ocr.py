"""Find a machine-readable zone in OCR output and undo OCR's usual confusions.

Tesseract reads the filler ``<`` as ``K`` now and then, drops a trailing character, and mixes
up digits and letters that look alike. The fixes below only touch places where ICAO 9303 allows
one kind of character, and a zone is accepted only when every field's check digit holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

from resim.kit.mrz import InvalidMrz, Mrz, check_digit, parse

_TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "Q": "0",
        "D": "0",
        "U": "0",
        "I": "1",
        "L": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "G": "6",
        "T": "7",
    }
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"})
_FILLER_TAIL = re.compile(r"[K<]*$")
# What OCR makes of a run of fillers: "<" mostly, then K, S, E, R, X, C.
_FILLERISH = set("<KSERXC")
# Italian document numbers: CIE two letters, five digits, two letters; passport 2 + 7.
_ITALIAN_NUMBERS = {"TD1": "LLDDDDDLL", "TD3": "LLDDDDDDD"}


def _fillerish(text: str) -> bool:
    return set(text) <= _FILLERISH and text.count("<") >= min(3, len(text))


def _by_shape(text: str, shape: str) -> str:
    """Letters where the shape says L, digits where it says D."""
    return "".join(
        c.translate(_TO_LETTER) if kind == "L" else c.translate(_TO_DIGIT)
        for c, kind in zip(text, shape, strict=True)
    )


def _first_line(line: str, width: int) -> str:
    line = (line + "<" * width)[:width]
    return (
        line[0] + ("<" if line[1] == "K" else line[1]) + line[2:5].translate(_TO_LETTER) + line[5:]
    )


_TD3_LINE2 = re.compile(
    r"^(?P<number>[A-Z0-9<]{9})(?P<c1>.)(?P<nationality>.{3})(?P<birth>.{6})(?P<c2>.)"
    r"(?P<sex>[MFX<])(?P<expiry>.{6})(?P<c3>.)(?P<rest>.*)$"
)


def _clean_names(line: str, width: int, start: int = 0) -> str:
    """Everything after the names is filler: OCR noise there becomes fillers again.

    The names are ``SURNAME<<GIVEN<NAMES``; the first ``<<`` after the given names starts
    the filler run.
    """
    separator = line.find("<<", start)
    if separator >= 0:
        for position in range(separator + 2, len(line)):
            rest = line[position:]
            if (
                line[position] == "<"
                and set(rest) <= _FILLERISH
                and rest.count("<") * 3 >= len(rest)
            ):
                line = line[:position] + "<" * len(rest)
                break
    tail = _FILLER_TAIL.search(line)
    if tail and tail.group().count("<") >= 2 and tail.group().count("K") >= 1:
        line = line[: tail.start()] + "<" * len(tail.group())
    return (line + "<" * width)[:width]


def _digits(text: str) -> str:
    return text.translate(_TO_DIGIT)


def _td3_second(line: str) -> str | None:
    """Rebuild a passport's second line from OCR text, field by field."""
    match = _TD3_LINE2.match(line)
    if match is None:
        return None
    number = match["number"]
    if match["nationality"].translate(_TO_LETTER) == "ITA":
        number = _by_shape(number, _ITALIAN_NUMBERS["TD3"])
    head = (
        number
        + _digits(match["c1"])
        + match["nationality"].translate(_TO_LETTER)
        + _digits(match["birth"])
        + _digits(match["c2"])
        + match["sex"]
        + _digits(match["expiry"])
        + _digits(match["c3"])
    )
    rest = match["rest"]
    if not rest or _fillerish(rest[:-1] if len(rest) > 2 else rest):  # empty optional field
        optional = "<" * 14
        return (
            head
            + optional
            + "<"
            + check_digit(head[0:10] + head[13:20] + head[21:28] + optional + "<")
        )
    rest = (rest + "<" * 16)[:16]
    return head + rest


def _td1_first(line: str) -> str:
    one = _first_line(line, 30)
    number = one[5:14]
    if one[2:5] == "ITA":
        number = _by_shape(number, _ITALIAN_NUMBERS["TD1"])
    optional = "<" * 15 if _fillerish(one[15:30]) else one[15:30]
    return one[0:5] + number + _digits(one[14]) + optional


def _td1_second(line: str) -> str:
    two = (line + "<" * 30)[:30]
    optional = "<" * 11 if _fillerish(two[18:29]) else two[18:29]
    return (
        _digits(two[0:7])
        + two[7]
        + _digits(two[8:15])
        + two[15:18].translate(_TO_LETTER)
        + optional
        + _digits(two[29])
    )


def find_mrz(text: str, today: dt.date) -> tuple[str, Mrz] | None:
    """The first zone in ``text`` whose check digits all hold, with its corrected text."""
    lines = [re.sub(r"[^A-Z0-9<]", "", line.upper()) for line in text.splitlines()]
    lines = [line for line in lines if len(line) >= 25 and "<" in line]
    for first, second in itertools.pairwise(lines):
        if first.startswith("P") and 36 <= len(second) <= 48:
            rebuilt = _td3_second(second)
            if rebuilt is not None:
                found = _try([_clean_names(_first_line(first, 44), 44, 5), rebuilt], today)
                if found:
                    return found
    for first, second, third in zip(lines, lines[1:], lines[2:], strict=False):
        if all(26 <= len(line) <= 34 for line in (first, second, third)):
            candidate = [_td1_first(first), _td1_second(second), _clean_names(third, 30)]
            found = _try(candidate, today)
            if found:
                return found
    return None


def _try(lines: list[str], today: dt.date) -> tuple[str, Mrz] | None:
    text = "\n".join(lines)
    try:
        return text, parse(text, today)
    except InvalidMrz:
        return None
