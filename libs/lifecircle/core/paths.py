"""Where the project lives, so relative paths in config resolve the same from any working directory."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root: $LIFECIRCLE_HOME, else two levels above the installed `libs/lifecircle`."""
    env = os.environ.get("LIFECIRCLE_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3]


def is_uri(path: str) -> bool:
    """True for scheme-qualified paths (hdfs://, s3a://, file:/...), which are used as given."""
    return "://" in path or path.startswith("file:")


def resolve(path: str) -> str:
    """A config path made absolute against the project root unless it is a URI or already absolute."""
    if is_uri(path) or os.path.isabs(path):
        return path
    return str(project_root() / path)
