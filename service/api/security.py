"""API keys for writes (and, optionally, reads).

Keys come from ``Settings.api_keys``. With none configured, a development key is generated
once into ``<data_dir>/api-key`` (mode 600) and printed by ``factcheck serve``: writes are
never open by accident, and a local demo needs only that file. ``Settings.open_writes``
turns the check off for writes.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import time
from pathlib import Path

logger = logging.getLogger(__name__)

DEV_KEY_FILE = "api-key"


def dev_key_path(data_dir: Path) -> Path:
    return Path(data_dir) / DEV_KEY_FILE


def load_or_create_dev_key(data_dir: Path) -> str:
    """The development key in ``<data_dir>/api-key``, created (mode 600) if missing.

    Safe when several workers start at once: one creates the file, the others read it.
    """
    path = dev_key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be between creating and writing it
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it to generate a new key") from None
    key = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    logger.info("generated a development API key in %s", path)
    return key


def accepted_keys(settings) -> tuple[str, ...]:
    """The keys requests may present: the configured ones, else the development key.

    Empty only when no request needs a key (open writes and open reads).
    """
    if settings.api_keys:
        return tuple(settings.api_keys)
    if settings.open_writes and not settings.read_requires_key:
        return ()
    return (load_or_create_dev_key(settings.data_dir),)


def key_matches(given: str, keys: tuple[str, ...]) -> bool:
    """Constant-time comparison of ``given`` with each accepted key."""
    given_bytes = given.encode("utf-8", "surrogatepass")
    return any(hmac.compare_digest(given_bytes, key.encode("utf-8")) for key in keys)
