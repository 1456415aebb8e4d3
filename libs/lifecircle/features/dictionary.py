"""The panorama's data dictionary, generated from the feature catalogue (docs/data_dictionary.md)."""

from __future__ import annotations

from pathlib import Path

from lifecircle.core.paths import project_root
from lifecircle.features import catalog as C


def columns_doc() -> dict[str, str]:
    """Column → 'definition [unit; family; source]' for the panorama's TableSpec (prefix families as `lc_*`)."""
    doc = {f.name: f"{f.definition} [{f.unit or '-'}; {f.family}; {f.source}]" for f in C.PANORAMA_FEATURES}
    for prefix, (family, source, definition) in C.PREFIX_DOCS.items():
        doc[f"{prefix}*"] = f"{definition} [-; {family}; {source}]"
    return doc


def usage_columns_doc() -> dict[str, str]:
    """Column → definition for gold.usage_monthly (the monthly aggregates the history columns read)."""
    doc = {"subscriber_id": "pseudonymised subscriber number", "month": "the month (partition)"}
    doc.update({f.name: f"{f.definition} [{f.unit or '-'}; {f.family}; {f.source}]" for f in C.USAGE_FEATURES})
    return doc


def documented(column: str) -> bool:
    """True when the column is in the catalogue or belongs to a documented prefix family."""
    return column in C.feature_index() or any(column.startswith(p) for p in C.PREFIX_DOCS)


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown: one row per column with family, definition, unit, source and expression."""
    lines = [
        "# Panorama data dictionary (generated from `lifecircle.features.catalog`; do not edit)",
        "",
        "`gold.panorama`: one row per subscriber of silver.subscriber in the month (normal or suspended at "
        "month end, or closed within the month), partitioned by `month`. `gold.usage_monthly` holds the "
        "monthly aggregate columns (voice, sms, data, vas, service, fees) that later months' history reads.",
        "",
        "| column | family | definition | unit | source feed | expression |",
        "|---|---|---|---|---|---|",
    ]
    for f in C.PANORAMA_FEATURES:
        expr = f.expr.replace("|", "\\|")
        lines.append(f"| `{f.name}` | {f.family} | {f.definition} | {f.unit} | {f.source} | `{expr}` |")
    for prefix, (family, source, definition) in C.PREFIX_DOCS.items():
        lines.append(f"| `{prefix}<column>` | {family} | {definition} (left-joined when the table exists) | "
                     f"| {source} | |")
    lines += ["", f"{len(C.PANORAMA_FEATURES)} catalogued columns plus the prefixed circle/social columns.", ""]
    return "\n".join(lines)


def write_data_dictionary(root: Path | None = None) -> Path:
    """Write docs/data_dictionary.md under `root` (default: the project) and return its path."""
    docs = (root or project_root()) / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    out = docs / "data_dictionary.md"
    out.write_text(data_dictionary_markdown(), encoding="utf-8")
    return out
