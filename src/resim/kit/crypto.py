"""Random secrets and keyed hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def numeric_code(length: int = 6) -> str:
    """A one-time code of ``length`` digits from a cryptographic random source."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts, hex: for storing codes and tokens, never the clear value."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part.encode())
        mac.update(b"\x00")
    return mac.hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _aead(key: bytes) -> AESGCM:
    return AESGCM(hashlib.sha256(b"resim-seal\x00" + key).digest())


def seal(key: bytes, plaintext: str) -> str:
    """Encrypt and authenticate with AES-256-GCM; the result is URL-safe text."""
    nonce = secrets.token_bytes(12)
    sealed = _aead(key).encrypt(nonce, plaintext.encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key: bytes, token_text: str) -> str:
    """Reverse :func:`seal`; raises ``ValueError`` when the text was not sealed with ``key``."""
    try:
        raw = base64.urlsafe_b64decode(token_text.encode())
        return _aead(key).decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("cannot unseal") from exc


class KeyRing:
    """AES-256-GCM keys by id: the current one encrypts, any known one decrypts (rotation)."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current key is not in the key ring")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id} must be 32 bytes")
        self.keys = keys
        self.current = current

    def encrypt(self, data: bytes, associated: bytes) -> tuple[str, bytes]:
        nonce = secrets.token_bytes(12)
        return self.current, nonce + AESGCM(self.keys[self.current]).encrypt(
            nonce, data, associated
        )

    def decrypt(self, key_id: str, blob: bytes, associated: bytes) -> bytes:
        if key_id not in self.keys:
            raise ValueError(f"unknown key {key_id}")
        try:
            return AESGCM(self.keys[key_id]).decrypt(blob[:12], blob[12:], associated)
        except InvalidTag as exc:
            raise ValueError("the document does not decrypt: wrong key or tampered file") from exc
