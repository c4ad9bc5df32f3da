from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resim.kit.telecom import (
    Eid,
    Iccid,
    Imsi,
    InvalidIdentifier,
    ItalianMobile,
    Msisdn,
    luhn_check_digit,
)

digits = st.text(alphabet="0123456789", min_size=1)


@given(st.text(alphabet="0123456789", min_size=16, max_size=17))
def test_a_built_iccid_is_valid_and_keeps_its_digits(tail: str) -> None:
    iccid = Iccid.build("89" + tail)
    assert iccid == "89" + tail + iccid[-1]
    assert Iccid(iccid) == iccid


@given(st.text(alphabet="0123456789", min_size=16, max_size=17), st.data())
def test_changing_one_digit_of_an_iccid_breaks_its_check_digit(
    tail: str, data: st.DataObject
) -> None:
    iccid = Iccid.build("89" + tail)
    position = data.draw(st.integers(min_value=2, max_value=len(iccid) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != iccid[position]]))
    mutated = iccid[:position] + replacement + iccid[position + 1 :]
    with pytest.raises(InvalidIdentifier) as raised:
        Iccid(mutated)
    assert raised.value.code == "INVALID_ICCID"


def test_luhn_matches_a_published_iccid() -> None:
    # ITU-T E.118 example style: the Luhn digit of 8939100000000000000 payload.
    assert luhn_check_digit("7992739871") == "3"  # the classic Luhn example


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "89390100000000000",
        "8939010000000000000000",
        "9939010000000000012",
        "8939O100000000000012",
        None,
        42,
    ],
)
def test_iccid_refuses_bad_input(bad: object) -> None:
    with pytest.raises(InvalidIdentifier):
        Iccid(bad)


def test_iccid_accepts_spaces_and_stores_digits_only() -> None:
    iccid = Iccid.build("893901000000000000")
    spaced = " ".join(iccid[i : i + 4] for i in range(0, len(iccid), 4))
    assert Iccid(spaced) == iccid


@given(st.text(alphabet="0123456789", min_size=30, max_size=30))
def test_a_built_eid_is_one_modulo_97(payload: str) -> None:
    eid = Eid.build(payload)
    assert len(eid) == 32 and int(eid) % 97 == 1
    assert Eid(eid) == eid


@given(
    st.text(alphabet="0123456789", min_size=30, max_size=30), st.integers(0, 31), st.integers(1, 9)
)
def test_an_eid_with_a_changed_digit_is_refused(payload: str, position: int, delta: int) -> None:
    eid = Eid.build(payload)
    changed = eid[:position] + str((int(eid[position]) + delta) % 10) + eid[position + 1 :]
    with pytest.raises(InvalidIdentifier):
        Eid(changed)


def test_eid_refuses_wrong_lengths() -> None:
    with pytest.raises(InvalidIdentifier):
        Eid("8904903200000000000000000000001")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_italian_imsi_splits_into_mcc_mnc_msin(rest: str) -> None:
    imsi = Imsi("222" + rest)
    assert (imsi.mcc, imsi.mnc, imsi.msin) == ("222", rest[:2], rest[2:])


@pytest.mark.parametrize(
    "bad", ["22201123456789", "2220112345678901", "310150123456789", "22201abc4567890"]
)
def test_imsi_refuses_bad_input(bad: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Imsi(bad)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("347 123 4567", "+393471234567"),
        ("+39 347 1234567", "+393471234567"),
        ("0039 3471234567", "+393471234567"),
        ("+41 79 123 45 67", "+41791234567"),
    ],
)
def test_msisdn_normalises_to_e164(raw: str, e164: str) -> None:
    assert Msisdn(raw) == e164


def test_only_italian_mobiles_make_lines() -> None:
    assert ItalianMobile("+393471234567").is_italian_mobile
    for number in ["+390612345678", "+41791234567"]:
        assert Msisdn(number)
        with pytest.raises(InvalidIdentifier) as raised:
            ItalianMobile(number)
        assert raised.value.code == "INVALID_MSISDN"


@given(st.text(max_size=40))
def test_msisdn_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        number = Msisdn(text)
    except InvalidIdentifier:
        return
    assert number.startswith("+") and number[1:].isdigit()


@given(st.integers(min_value=3000000000, max_value=3999999999))
def test_valid_italian_mobiles_round_trip(national: int) -> None:
    try:
        number = ItalianMobile(str(national))
    except InvalidIdentifier:
        return  # not every 3xx block is allocated
    assert number == f"+39{national}"
    assert ItalianMobile(number) == number
