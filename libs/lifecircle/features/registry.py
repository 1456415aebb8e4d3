"""Tables and jobs of lifecircle.features (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.core.pipeline import JobSpec
from lifecircle.core.tables import TableSpec

TABLES: list[TableSpec] = []
JOBS: list[JobSpec] = []
