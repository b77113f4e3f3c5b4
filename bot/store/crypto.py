"""Keyed pseudonyms and authenticated encryption for everything that could identify a person.

One secret (BOT_SECRET_KEY) is stretched with HKDF into independent keys, so a leak of one use
(for example a button signature) says nothing about the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
SEALED_TEXT = "sealed:"


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"parapluie-v1", info=purpose.encode()
    ).derive(secret)


class Keys:
    def __init__(self, secret: bytes) -> None:
        self._pseudonym = _derive(secret, "pseudonym")
        self._aead = AESGCM(_derive(secret, "address-encryption"))
        self._buttons = _derive(secret, "button-signature")

    def pseudonym(self, channel: str, platform_id: str) -> str:
        """The only key under which a person is stored: stable, not reversible without the key."""
        digest = hmac.new(self._pseudonym, f"{channel}:{platform_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def seal(self, plaintext: str, bound_to: str) -> bytes:
        """AES-GCM, bound to the row it belongs to so a ciphertext cannot be moved to another."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())

    def unseal(self, sealed: bytes, bound_to: str) -> str:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, bound_to.encode()).decode()

    def seal_text(self, plaintext: str, bound_to: str) -> str:
        """`seal` for a TEXT column: base64 after a marker that tells it from older clear
        values."""
        return SEALED_TEXT + base64.b64encode(self.seal(plaintext, bound_to)).decode()

    def unseal_text(self, stored: str, bound_to: str) -> str:
        if not stored.startswith(SEALED_TEXT):  # written in clear by an older version
            return stored
        return self.unseal(base64.b64decode(stored[len(SEALED_TEXT) :]), bound_to)

    def button_tag(self, payload: str) -> str:
        """Short signature for button data; 48 bits is plenty against guessing within 64 bytes."""
        mac = hmac.new(self._buttons, payload.encode(), hashlib.sha256).digest()[:6]
        return base64.urlsafe_b64encode(mac).decode()
