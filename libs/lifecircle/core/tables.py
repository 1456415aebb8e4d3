"""The table registry's vocabulary: a TableSpec per Delta table, and where its files live.

Each domain package declares its own tables in `<domain>/registry.py` beside the code that writes
them; `lifecircle.registry` gathers them. Names are `<layer>.<table>`; the storage path is
`<paths.tables>/<layer>/<table>` unless the spec overrides it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pyspark.sql.types import StructType

from lifecircle.core.config import Config
from lifecircle.core.paths import is_uri, resolve

LAYERS = ("bronze", "silver", "gold", "meta")


@dataclass(frozen=True)
class TableSpec:
    """One Delta table: name (`layer.table`), partition columns, schema (when fixed), owner and purpose."""

    name: str
    description: str
    owner_job: str
    partition_by: tuple[str, ...] = ()
    schema: StructType | None = None
    keys: tuple[str, ...] = ()
    pii: bool = False  # True only for bronze tables that still hold clear subscriber numbers
    columns_doc: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        layer, _, table = self.name.partition(".")
        if layer not in LAYERS or not table:
            raise ValueError(f"table name {self.name!r} must be <layer>.<table> with layer in {LAYERS}")

    @property
    def layer(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    def path(self, cfg: Config) -> str:
        root = cfg.get("paths.tables")
        root = root if is_uri(root) else resolve(root)
        return f"{root.rstrip('/')}/{self.layer}/{self.table}"

    def as_record(self, cfg: Config) -> dict[str, object]:
        return {
            "name": self.name,
            "layer": self.layer,
            "partition_by": list(self.partition_by),
            "keys": list(self.keys),
            "owner_job": self.owner_job,
            "description": self.description,
            "path": self.path(cfg),
            "schema_json": self.schema.json() if self.schema is not None else None,
            "columns_doc_json": json.dumps(self.columns_doc, ensure_ascii=False) if self.columns_doc else None,
        }
