"""The eSIM activation code of GSMA SGP.22 section 4.1, built and parsed by one type.

Text form: ``1$<SM-DP+ address>$<matching ID>``, optionally followed by ``$<SM-DP+ OID>``
and ``$1`` (a confirmation code is required); to set that flag without an OID the OID field
is left empty (``1$host$TOKEN$$1``). A QR code carries the text with the prefix ``LPA:``.
``$`` separates the fields, so no field may contain it; ``1`` is the only format. The
confirmation code itself never travels inside the activation code.

Our reading of the field rules: the address is a DNS host name (labels of letters, digits
and inner hyphens, at most 255 characters in all); the matching ID uses upper-case letters,
digits and ``-`` and may be empty (the device then asks the SM-DP+ by its EID); the OID is
dotted decimal; the whole text, without ``LPA:``, is at most 255 characters.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from resim.kit.telecom import _N, InvalidIdentifier

PREFIX = "LPA:"
FORMAT = "1"
MAX_LENGTH = 255
APPLE_LINK = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata="

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
_MATCHING_ID = re.compile(r"^[0-9A-Z-]*$")
_OID = re.compile(r"^[0-2](?:\.(?:0|[1-9][0-9]*))+$")
INVALID = _N("This is not a valid eSIM activation code.")


def _refuse(detail: str) -> InvalidIdentifier:
    error = InvalidIdentifier("INVALID_ACTIVATION_CODE", INVALID)
    error.add_note(detail)  # for developers; users see the translated message
    return error


@dataclass(frozen=True)
class ActivationCode:
    smdp_address: str
    matching_id: str
    smdp_oid: str | None = None
    confirmation_code_required: bool = False

    def __post_init__(self) -> None:
        if len(self.smdp_address) > MAX_LENGTH or not _HOST.match(self.smdp_address):
            raise _refuse("the SM-DP+ address is not a host name")
        if not _MATCHING_ID.match(self.matching_id):
            raise _refuse("the matching ID allows A-Z, 0-9 and '-' only")
        if self.smdp_oid is not None and not _OID.match(self.smdp_oid):
            raise _refuse("the SM-DP+ OID is not a dotted-decimal object identifier")
        if len(self.text) > MAX_LENGTH:
            raise _refuse(f"longer than {MAX_LENGTH} characters")

    @property
    def text(self) -> str:
        """The activation code itself, as typed in a phone's manual entry: ``1$host$ID``."""
        fields = [FORMAT, self.smdp_address, self.matching_id]
        if self.smdp_oid is not None or self.confirmation_code_required:
            fields.append(self.smdp_oid or "")
        if self.confirmation_code_required:
            fields.append("1")
        return "$".join(fields)

    @property
    def lpa(self) -> str:
        """What a QR code carries: ``LPA:1$host$ID``."""
        return PREFIX + self.text

    @property
    def apple_link(self) -> str:
        """Apple's universal link that installs this code on an iPhone (iOS 17.4 and later)."""
        return APPLE_LINK + urllib.parse.quote(self.lpa, safe="")

    def __str__(self) -> str:
        return self.lpa

    @classmethod
    def parse(cls, value: object) -> ActivationCode:
        """An activation code, with or without ``LPA:``; anything else is refused."""
        if not isinstance(value, str) or not value.isascii():
            raise _refuse("not ASCII text")
        text = value.strip()
        if text.upper().startswith(PREFIX):
            text = text[len(PREFIX) :]
        fields = text.split("$")
        if fields[0] != FORMAT:
            raise _refuse("the format must be '1', followed by '$'")
        if not 3 <= len(fields) <= 5:
            raise _refuse("three to five fields separated by '$'")
        address, matching_id = fields[1], fields[2]
        oid = fields[3] if len(fields) > 3 and fields[3] else None
        flag = fields[4] if len(fields) == 5 else None
        if flag not in (None, "1"):
            raise _refuse("the confirmation code flag can only be '1'")
        return cls(address, matching_id, oid, flag == "1")
