"""The SGP.22 activation code: the SGP.23 test strings, the field rules, round trips."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resim.kit.activation_code import ActivationCode
from resim.kit.telecom import InvalidIdentifier

HOST = "testsmdpplus1.gsma.com"


def test_plain_code_from_the_conformance_set() -> None:
    code = ActivationCode.parse(f"LPA:1${HOST}$04386-AGYFT-A74Y8-3F815")
    assert code == ActivationCode(HOST, "04386-AGYFT-A74Y8-3F815")
    assert code.lpa == f"LPA:1${HOST}$04386-AGYFT-A74Y8-3F815"
    assert code.text == f"1${HOST}$04386-AGYFT-A74Y8-3F815"


def test_code_with_an_smdp_oid() -> None:
    code = ActivationCode.parse(f"LPA:1${HOST}$04386-AGYFT-A74Y8-3F816$2.999.10")
    assert code.smdp_oid == "2.999.10" and not code.confirmation_code_required
    assert code.lpa.endswith("3F816$2.999.10")


def test_code_that_requires_a_confirmation_code_keeps_the_empty_oid_field() -> None:
    code = ActivationCode.parse(f"LPA:1${HOST}$04386-AGYFT-A74Y8-3F817$$1")
    assert code.confirmation_code_required and code.smdp_oid is None
    assert code.text == f"1${HOST}$04386-AGYFT-A74Y8-3F817$$1"
    assert ActivationCode(HOST, "X", "2.999.10", True).text == f"1${HOST}$X$2.999.10$1"


def test_no_prefix_and_empty_matching_id() -> None:
    code = ActivationCode.parse(f"1${HOST}$$")
    assert code.matching_id == "" and code.smdp_oid is None
    assert code.text == f"1${HOST}$"


@pytest.mark.parametrize(
    "text",
    [
        f"LPA:1{HOST}$04386-AGYFT-A74Y8-3F815",  # no separator after the format
        f"LPA:2${HOST}$ABC",  # only format 1 exists
        f"LPA:1${HOST}",  # no matching ID field
        f"LPA:1${HOST}$ABC$2.999$1$9",  # too many fields
        f"LPA:1${HOST}$ABC$$2",  # the flag can only be 1
        "LPA:1$not a host$ABC",
        "LPA:1$localhost$ABC",  # a host name has a dot
        f"LPA:1$-{HOST}$ABC",
        f"LPA:1${HOST}$abc-lower",  # upper-case letters, digits and '-'
        f"LPA:1${HOST}$AB_C",
        f"LPA:1${HOST}$ABC$1.two.3",  # an OID is dotted decimal
        f"LPA:1${HOST}$" + "A" * 240,  # longer than 255
        f"LPA:1${HOST}$ÀBC",
        "",
    ],
)
def test_malformed_codes_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        ActivationCode.parse(text)
    assert caught.value.code == "INVALID_ACTIVATION_CODE"


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidIdentifier):
        ActivationCode.parse(None)


def test_building_checks_the_fields_too() -> None:
    with pytest.raises(InvalidIdentifier):
        ActivationCode(HOST, "HAS$DOLLAR")
    with pytest.raises(InvalidIdentifier):
        ActivationCode("smdp.example.it", "ABC", smdp_oid="")


def test_apple_link_carries_the_url_encoded_lpa_string() -> None:
    code = ActivationCode("smdp.example.it", "K2LM-3N4P-5Q6R", None, True)
    link = code.apple_link
    assert link.startswith("https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=")
    carddata = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["carddata"]
    assert carddata == ["LPA:1$smdp.example.it$K2LM-3N4P-5Q6R$$1"]
    assert "$" not in link and ":" not in link.split("carddata=")[1]


@given(
    matching_id=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", max_size=40),
    oid=st.one_of(st.none(), st.from_regex(r"\A[0-2](\.(0|[1-9][0-9]{0,3})){1,4}\Z")),
    required=st.booleans(),
)
def test_round_trip(matching_id: str, oid: str | None, required: bool) -> None:
    code = ActivationCode("smdp.sandbox.resim.test", matching_id, oid, required)
    assert ActivationCode.parse(code.lpa) == code
    assert ActivationCode.parse(code.text) == code
