"""Tables and jobs of lifecircle.generate (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.core.pipeline import JobSpec, once
from lifecircle.core.tables import TableSpec

# The generator writes raw files and truth Parquet, not Delta tables.
TABLES: list[TableSpec] = []
JOBS: list[JobSpec] = [
    JobSpec(
        "generate", 10, "once",
        "Generate the synthetic province (raw operator feeds + planted truth) with the demo size, months and seed.",
        period="none", demo_args=once,
    ),
]
