"""Logging for jobs: one format, timestamps, the job name, and quiet third-party loggers."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)-5s %(name)s | %(message)s"


def get_logger(name: str) -> logging.Logger:
    root = logging.getLogger("lifecircle")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, "%H:%M:%S"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
        for noisy in ("py4j", "mlflow", "alembic", "urllib3", "git"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return root.getChild(name) if name != "lifecircle" else root
