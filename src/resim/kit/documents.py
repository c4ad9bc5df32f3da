"""Identity documents: number formats by type and issuing country, and expiry.

Italian formats: the CIE (carta d'identità elettronica) number is two letters, five digits,
two letters (CA00000AA); an Italian passport number is two letters and seven digits. For the
driving licence and the residence permit, and for documents of other countries, only the
length and alphabet are checked: no public format specification was at hand.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from resim.kit.telecom import _N, InvalidIdentifier

DocumentType = Literal["cie", "passport", "driving_licence", "residence_permit"]

_ITALIAN = {
    "cie": re.compile(r"^[A-Z]{2}\d{5}[A-Z]{2}$"),
    "passport": re.compile(r"^[A-Z]{2}\d{7}$"),
    "driving_licence": re.compile(r"^[A-Z][A-Z0-9]{9}$"),
    "residence_permit": re.compile(r"^[A-Z][A-Z0-9]{7,9}$"),
}
_ANY = re.compile(r"^(?=.*\d)[A-Z0-9]{6,12}$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")


def document_number(kind: DocumentType, number: str, issuing_country: str) -> str:
    """The number in canonical form (upper case, no spaces), or InvalidIdentifier."""
    if not _COUNTRY.match(issuing_country):
        raise InvalidIdentifier(
            "INVALID_COUNTRY", _N("Give the issuing country as three letters, e.g. ITA.")
        )
    if kind == "cie" and issuing_country != "ITA":
        raise InvalidIdentifier("INVALID_DOCUMENT", _N("A CIE is issued by Italy only."))
    if kind == "residence_permit" and issuing_country != "ITA":
        raise InvalidIdentifier(
            "INVALID_DOCUMENT", _N("Only an Italian residence permit is accepted.")
        )
    compact = re.sub(r"[\s\-]", "", number).upper()
    pattern = _ITALIAN[kind] if issuing_country == "ITA" else _ANY
    if not pattern.match(compact):
        raise InvalidIdentifier(
            "INVALID_DOCUMENT_NUMBER",
            _N("This document number does not have the format of the chosen document."),
        )
    return compact


def check_not_expired(expiry: dt.date, today: dt.date) -> None:
    """A document is valid through its expiry date."""
    if expiry < today:
        raise InvalidIdentifier("DOCUMENT_EXPIRED", _N("This document has expired."))
