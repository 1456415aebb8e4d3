"""The privacy boundary: keyed pseudonyms for subscriber, contact and device numbers.

pseudonym(x) = first 20 hex digits of HMAC-SHA256(key, x), computed with native Spark expressions
(HMAC = H((K xor opad) || H((K xor ipad) || m)) with the two padded keys as constants), so the same
number gets the same pseudonym in every table and on every executor, and nothing can reverse it
without the key. The key comes only from the environment (privacy.pii_key_env).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from pyspark.sql import Column
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError

PSEUDONYM_HEX = 20
_BLOCK = 64  # SHA-256 block size in bytes


def pii_key(env_var: str = "LIFECIRCLE_PII_KEY", environ: dict[str, str] | None = None) -> bytes:
    """The pseudonymisation key from the environment; a clear error when it is missing or short."""
    value = (environ if environ is not None else os.environ).get(env_var, "")
    if len(value) < 16:
        raise ConfigError(
            f"environment variable {env_var} must hold the pseudonymisation key (at least 16 characters); "
            "`make demo` creates a local demo key, production keys come from the secret store"
        )
    return value.encode("utf-8")


def _padded_keys(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonymise_py(value: str, key: bytes) -> str:
    """Reference implementation in Python (for the one-customer card and tests)."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def pseudonymise(col: Column | str, key: bytes) -> Column:
    """Native Spark expression: the keyed pseudonym of a string column (null stays null)."""
    c = F.col(col) if isinstance(col, str) else col
    ipad, opad = _padded_keys(key)
    inner = F.sha2(F.concat(F.unhex(F.lit(ipad.hex())), F.encode(c, "UTF-8")), 256)
    outer = F.sha2(F.concat(F.unhex(F.lit(opad.hex())), F.unhex(inner)), 256)
    return F.when(c.isNull(), F.lit(None).cast("string")).otherwise(F.substring(outer, 1, PSEUDONYM_HEX))
