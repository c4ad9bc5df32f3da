from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from resim.kit.mrz import (
    InvalidMrz,
    char_value,
    check_digit,
    compose_td1,
    compose_td3,
    names_match,
    parse,
)

TODAY = dt.date(2026, 11, 24)

# The specimens printed in ICAO Doc 9303 (a fictitious Utopian passport and identity card).
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
ICAO_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)


def test_check_digits_follow_icao() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert [char_value(c) for c in "09AZ<"] == [0, 9, 10, 35, 0]


def test_the_icao_passport_specimen() -> None:
    mrz = parse(ICAO_TD3, dt.date(2010, 1, 1))
    assert (mrz.kind, mrz.issuing_state, mrz.document_number) == ("TD3", "UTO", "L898902C3")
    assert (mrz.surname, mrz.given_names, mrz.sex) == ("ERIKSSON", "ANNA MARIA", "F")
    assert mrz.birth_date == dt.date(1974, 8, 12) and mrz.expiry_date == dt.date(2012, 4, 15)
    assert mrz.optional_data == "ZE184226B"


def test_the_icao_identity_card_specimen() -> None:
    mrz = parse(ICAO_TD1, dt.date(2010, 1, 1))
    assert (mrz.kind, mrz.document_number, mrz.nationality) == ("TD1", "D23145890", "UTO")


def test_typing_slips_are_tolerated() -> None:
    sloppy = "  " + ICAO_TD3.lower().replace("\n", "\n\n   ") + "\n"
    assert parse(sloppy, dt.date(2010, 1, 1)).document_number == "L898902C3"


@pytest.mark.parametrize(
    ("text", "failed"),
    [
        (ICAO_TD3.replace("C36UTO", "C37UTO"), {"document_number", "composite"}),
        (ICAO_TD3.replace("7408122F", "7408132F"), {"birth_date", "composite"}),
        (ICAO_TD3[:-1] + "1", {"composite"}),
        (ICAO_TD1.replace("D231458907", "D231458908"), {"document_number", "composite"}),
    ],
)
def test_a_wrong_check_digit_names_the_field(text: str, failed: set[str]) -> None:
    with pytest.raises(InvalidMrz) as raised:
        parse(text, dt.date(2010, 1, 1))
    assert set(raised.value.failed) == failed
    assert raised.value.code == "INVALID_MRZ"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P<UTO",
        ICAO_TD3.replace("P<UTO", "P<UT0É"),
        ICAO_TD3.replace("7408122", "74AB122"),
        ICAO_TD3.replace("P<UTO", "X<UTO"),
        ICAO_TD3.replace("7408122F", "7413122F"),
    ],
)
def test_unreadable_zones_are_refused(text: str) -> None:
    with pytest.raises(InvalidMrz):
        parse(text, dt.date(2010, 1, 1))


names = st.from_regex(r"[A-Z]{2,10}( [A-Z]{2,8})?", fullmatch=True)
numbers = st.from_regex(r"[A-Z]{2}[0-9]{7}", fullmatch=True)
births = st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31))
expiries = st.dates(dt.date(2020, 1, 1), dt.date(2040, 12, 31))


@given(numbers, names, names, births, st.sampled_from("MF"), expiries)
def test_a_composed_passport_zone_reads_back(
    number: str, surname: str, given_names: str, birth: dt.date, sex: str, expiry: dt.date
) -> None:
    text = compose_td3(
        document_number=number,
        issuing_state="ITA",
        nationality="ITA",
        surname=surname,
        given_names=given_names,
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
    )
    assert [len(line) for line in text.splitlines()] == [44, 44]
    mrz = parse(text, TODAY)
    assert (mrz.document_number, mrz.birth_date, mrz.expiry_date, mrz.sex) == (
        number,
        birth,
        expiry,
        sex,
    )
    if len(surname) + 2 + len(given_names) <= 39:  # longer names are truncated, as ICAO says
        assert names_match(mrz.surname, mrz.given_names, surname, given_names)


@given(st.from_regex(r"[A-Z]{2}[0-9]{5}[A-Z]{2}", fullmatch=True), names, names, births, expiries)
def test_a_composed_cie_zone_reads_back(
    number: str, surname: str, given_names: str, birth: dt.date, expiry: dt.date
) -> None:
    text = compose_td1(
        document_number=number,
        issuing_state="ITA",
        nationality="ITA",
        surname=surname,
        given_names=given_names,
        birth_date=birth,
        sex="F",
        expiry_date=expiry,
    )
    assert [len(line) for line in text.splitlines()] == [30, 30, 30]
    assert parse(text, TODAY).document_number == number


@given(numbers, births, expiries, st.data())
def test_a_changed_character_in_a_checked_field_is_caught(
    number: str, birth: dt.date, expiry: dt.date, data: st.DataObject
) -> None:
    text = compose_td3(
        document_number=number,
        issuing_state="ITA",
        nationality="ITA",
        surname="ROSSI",
        given_names="GIULIA",
        birth_date=birth,
        sex="F",
        expiry_date=expiry,
    )
    line1, line2 = text.splitlines()
    position = data.draw(st.sampled_from([*range(0, 9), *range(13, 19), *range(21, 27)]))
    new = data.draw(st.sampled_from("0123456789"))
    # Weights 7, 3, 1 are prime to 10: any change of a value by other than a multiple of ten shows.
    assume((char_value(new) - char_value(line2[position])) % 10 != 0)
    changed = line2[:position] + new + line2[position + 1 :]
    with pytest.raises(InvalidMrz):
        parse(line1 + "\n" + changed, TODAY)


def test_names_compare_without_accents_or_punctuation() -> None:
    assert names_match("D ANGELO", "NICCOLO", "D'Angelo", "Niccolò")
    assert not names_match("ROSSI", "GIULIA", "Rossi", "Giulio")
