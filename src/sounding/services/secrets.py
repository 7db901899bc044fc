"""Encryption of source credentials at rest (Fernet) and URL redaction."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from sounding.config import Settings
from sounding.domain.credentials import redact, secret_values
from sounding.errors import InvalidInputError, StoreError

logger = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(
                "SOUNDING_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(_load_or_create_key(settings.home / KEY_FILE))

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise StoreError(
                "Cannot decrypt a stored source URL: SOUNDING_SECRET_KEY (or "
                "SOUNDING_HOME/secret.key) is not the key it was stored with. A store "
                "restored from a backup made without --include-secret-key needs the original "
                "key: set SOUNDING_SECRET_KEY to it or copy the original secret.key into "
                "SOUNDING_HOME"
            ) from exc


def _load_or_create_key(path: Path) -> bytes:
    if path.exists():
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
                logger.info("Made %s readable by its owner only (0600)", path)
        except PermissionError:
            logger.warning("Cannot make %s owner-only: not its owner", path)
        return path.read_bytes().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    logger.info("Generated a new secret key at %s (owner-only permissions)", path)
    return key


def redact_url(url: str) -> str:
    """The URL with every credential replaced by ``***`` (safe to show, log and store in
    clear): the user-info password, secret query parameters, libpq keywords."""
    return redact(url, secret_values(url))
