"""The platform's ES256 signing key: access tokens, consent receipts, and the secrets derived from it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc.jwk import ECKey, KeySet

log = logging.getLogger(__name__)

KEY_FILE = "jwt-signing-key.pem"
_PARAMS = {"use": "sig", "alg": "ES256"}


class SigningKey:
    def __init__(self, key: ECKey) -> None:
        self.key = ECKey.import_key(
            key.as_dict(private=True), parameters={**_PARAMS, "kid": key.thumbprint()}
        )
        self.kid = self.key.kid
        self.keyset = KeySet([self.key])

    @classmethod
    def from_pem(cls, pem: str | bytes) -> SigningKey:
        key = ECKey.import_key(pem)
        if key.as_dict().get("crv") != "P-256":
            raise ValueError("KITH_JWT_PRIVATE_KEY must be an EC P-256 private key")
        return cls(key)

    @classmethod
    def load_or_create(cls, data_dir: Path, pem: str | None = None) -> SigningKey:
        """The key from ``pem`` if given, else from the data directory, made there on first start."""
        if pem:
            return cls.from_pem(pem)
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            key = ECKey.generate_key("P-256")
            try:
                # O_EXCL: when several processes start at once, exactly one writes the key.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key.as_pem(private=True))
                log.info("generated a new signing key in %s", path)
        return cls.from_pem(path.read_bytes())

    def derive(self, purpose: str) -> bytes:
        """A secret for ``purpose`` (e.g. CSRF tokens), derived from this key, so that Kith has one
        secret to keep rather than one per use; different purposes get unrelated secrets."""
        private = self.key.as_pem(private=True)
        return hmac.new(private, b"kith:" + purpose.encode(), hashlib.sha256).digest()

    def seal(self, purpose: str, secret: str, bound_to: str) -> str:
        """``secret`` encrypted (AES-256-GCM) with the key derived for ``purpose`` and bound to
        ``bound_to`` (the row it is kept in): a copy of the database alone does not reveal it, and
        a sealed value copied to another row does not open."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.derive(purpose)).encrypt(nonce, secret.encode(), bound_to.encode())
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, purpose: str, sealed: str, bound_to: str) -> str:
        """What :meth:`seal` sealed; ``ValueError`` if it was sealed with another key, for another
        purpose or row, or altered."""
        version, _, body = sealed.partition(".")
        try:
            if version != "v1":
                raise ValueError(f"unknown sealing {version!r}")
            raw = base64.urlsafe_b64decode(body)
            opened = AESGCM(self.derive(purpose)).decrypt(raw[:12], raw[12:], bound_to.encode())
        except (InvalidTag, ValueError) as exc:
            raise ValueError("the sealed value does not open with this key") from exc
        return opened.decode()

    def public_jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}
