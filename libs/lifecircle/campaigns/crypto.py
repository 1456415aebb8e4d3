"""Encrypted target lists: authenticated encryption (Fernet = AES-128-CBC + HMAC-SHA256) with the key from
the environment variable named by `privacy.lists_key_env`. Encryption takes bytes built in memory, so the
clear list never touches disk; decryption fails loudly on a wrong key or any tampering.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence

from cryptography.fernet import Fernet, InvalidToken

from lifecircle.core.errors import ConfigError, InputError


def lists_key(env_var: str = "LIFECIRCLE_LISTS_KEY", environ: dict[str, str] | None = None) -> bytes:
    """The list key (a Fernet key: 32 url-safe base64 bytes) from the environment, or a clear ConfigError."""
    value = (environ if environ is not None else os.environ).get(env_var, "").strip()
    if not value:
        raise ConfigError(f"environment variable {env_var} must hold the target-list key "
                          "(a Fernet key; `make demo` creates a local demo key)")
    try:
        Fernet(value.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"environment variable {env_var} is not a valid Fernet key "
                          "(32 url-safe base64-encoded bytes)") from exc
    return value.encode()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV (UTF-8, header first) built in memory."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8")


def encrypt(data: bytes, key: bytes) -> bytes:
    return Fernet(key).encrypt(data)


def decrypt(token: bytes, key: bytes, source: str = "list file") -> bytes:
    """The clear bytes, or InputError when the key is wrong or the file was altered."""
    try:
        return Fernet(key).decrypt(token)
    except InvalidToken as exc:
        raise InputError(f"{source}: cannot decrypt: wrong key or the file was altered (authentication failed)") from exc
