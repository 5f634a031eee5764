"""Value-level cryptography for masking: key derivation, and Python twins of the Spark expressions.

Each purpose has its own key, derived from the secret with HKDF-SHA-256 and a purpose string, so a
token key cannot open the vault and a hash key cannot decrypt. Values are UTF-8 text; everything
returned is text as well. The mask step runs the same algorithms as Spark built-ins
(``masking.columns``); these functions decrypt its output and serve ops and tests.

- ``hash``: hex HMAC-SHA-256.
- ``tokenize``: ``tok_`` + hex HMAC-SHA-256 under the token key: deterministic per key.
- vault entries and ``encrypt``: AES-256-GCM, a random 96-bit nonce per value, text
  ``base64(nonce || ciphertext || tag)``. A vault entry is bound to its token (associated data), so
  an entry moved to another token does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_PREFIX = "tok_"  # noqa: S105 - a prefix, not a password
REDACTED = "***REDACTED***"
MIN_SECRET_BYTES = 16
_NONCE_BYTES = 12
_PURPOSES = ("token", "vault", "hash", "encrypt")


class DecryptionFailed(ValueError):
    """Wrong key, or text that was not produced by ``encrypt`` with it (never says which value)."""


@dataclass(frozen=True)
class MaskingKeys:
    token: bytes
    vault: bytes
    hash: bytes
    encrypt: bytes

    def __repr__(self) -> str:
        return "MaskingKeys(***)"


def derive_key(secret: bytes | str, purpose: str) -> bytes:
    if purpose not in _PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"datahub-mask/" + purpose.encode()
    )
    return hkdf.derive(material)


def derive_keys(secret: bytes | str) -> MaskingKeys:
    return MaskingKeys(*(derive_key(secret, purpose) for purpose in _PURPOSES))


def hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def token_for(key: bytes, value: str) -> str:
    return TOKEN_PREFIX + hmac_hex(key, value)


def seal(key: bytes, value: str, associated: bytes | None = None) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), associated)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(key: bytes, text: str, associated: bytes | None = None) -> str:
    try:
        raw = base64.b64decode(text, validate=True)
        if len(raw) < _NONCE_BYTES + 16:
            raise ValueError("too short")
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated)
    except (InvalidTag, ValueError):
        raise DecryptionFailed(
            "the key does not open this value, or it is not an encrypted value"
        ) from None
    return plain.decode("utf-8")


def encrypt_value(secret: bytes | str, value: str) -> str:
    """What ``strategy="encrypt"`` writes for one value."""
    return seal(derive_key(secret, "encrypt"), value)


def decrypt_value(secret: bytes | str, text: str) -> str:
    """The original of one ``strategy="encrypt"`` value, given the secret of its ``secretRef``."""
    return unseal(derive_key(secret, "encrypt"), text)


def seal_for_vault(key: bytes, token: str, value: str) -> str:
    return seal(key, value, token.encode("ascii"))


def unseal_from_vault(key: bytes, token: str, text: str) -> str:
    return unseal(key, text, token.encode("ascii"))
