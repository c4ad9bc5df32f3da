"""Signed, short-lived tokens for the banks' API: access tokens (RFC 9068 JWTs) and CIBA's
ID tokens, signed with ES256 by a key derived from the installation's secret, whose public
half is published as a JWK set.

Access tokens are checked on every call: a verified token is remembered until it expires,
so a bank reusing its token costs one signature check, not one per request.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

AUDIENCE = "resim-camara"
ACCESS_TYPE = "at+jwt"
# The order of P-256's group: a private scalar is in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class InvalidToken(Exception):
    """Missing, malformed, badly signed, expired or meant for someone else."""


@dataclass(frozen=True)
class Access:
    """What a verified access token grants."""

    client_id: str
    scopes: frozenset[str]
    expires: int
    # Three-legged: the holder's line the token was issued for.
    tenant_id: uuid.UUID | None = None
    line_id: uuid.UUID | None = None

    @property
    def three_legged(self) -> bool:
        return self.line_id is not None


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


class Signer:
    def __init__(self, secret: bytes, issuer: str, cache_size: int = 10_000) -> None:
        seed = hashlib.sha256(b"resim-camara-es256\x00" + secret).digest()
        scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
        self._key = ec.derive_private_key(scalar, ec.SECP256R1())
        self._public = self._key.public_key()
        numbers = self._public.public_numbers()
        self.kid = hashlib.sha256(numbers.x.to_bytes(32, "big")).hexdigest()[:16]
        self.issuer = issuer
        self._jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(numbers.x),
            "y": _b64(numbers.y),
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
        }
        self._cache: OrderedDict[str, Access] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}

    def _sign(self, claims: dict[str, Any], typ: str) -> str:
        return jwt.encode(
            claims, self._key, algorithm="ES256", headers={"kid": self.kid, "typ": typ}
        )

    def access_token(
        self,
        *,
        client_id: str,
        scopes: list[str],
        now: dt.datetime,
        seconds: int,
        tenant_id: uuid.UUID | None = None,
        line_id: uuid.UUID | None = None,
    ) -> str:
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": f"line:{line_id}" if line_id else client_id,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "iat": issued,
            "exp": issued + seconds,
            "jti": uuid.uuid4().hex,
        }
        if line_id is not None and tenant_id is not None:
            claims["tid"], claims["lid"] = str(tenant_id), str(line_id)
        return self._sign(claims, ACCESS_TYPE)

    def id_token(
        self, *, client_id: str, line_id: uuid.UUID, now: dt.datetime, seconds: int
    ) -> str:
        """OpenID Connect's ID token for a CIBA grant: whom the holder's consent was about,
        by a pairwise opaque subject (no phone number in it)."""
        issued = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "aud": client_id,
            "sub": hashlib.sha256(f"{client_id}\x00{line_id}".encode()).hexdigest()[:32],
            "iat": issued,
            "exp": issued + seconds,
            "auth_time": issued,
        }
        return self._sign(claims, "JWT")

    def verify(self, token: str, now: dt.datetime) -> Access:
        """The grant of a valid access token; InvalidToken otherwise."""
        moment = now.timestamp()
        with self._lock:
            known = self._cache.get(token)
        if known is not None:
            if known.expires <= moment:
                raise InvalidToken("expired")
            return known
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != ACCESS_TYPE or header.get("kid") != self.kid:
                raise InvalidToken("not one of our access tokens")
            claims = jwt.decode(
                token,
                self._public,
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "client_id", "scope"],
                    "verify_exp": False,  # against our clock, below
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        if int(claims["exp"]) <= moment:
            raise InvalidToken("expired")
        tid, lid = claims.get("tid"), claims.get("lid")
        access = Access(
            client_id=str(claims["client_id"]),
            scopes=frozenset(str(claims["scope"]).split()),
            expires=int(claims["exp"]),
            tenant_id=uuid.UUID(tid) if tid else None,
            line_id=uuid.UUID(lid) if lid else None,
        )
        with self._lock:
            self._cache[token] = access
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return access
