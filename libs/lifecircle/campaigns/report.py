"""HTML rendering of comparison results: a table per outcome and a bar chart of the differences with their
confidence intervals (matplotlib PNG embedded as base64, so the report is one self-contained file)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence


def _fmt(x: object, digits: int = 4) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.3e}"
    return html.escape(str(x))


def difference_chart(rows: Sequence[Mapping[str, object]], title: str) -> str:
    """A PNG (base64) of each group-vs-control difference per outcome with its confidence interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = sorted({str(r["outcome"]) for r in rows})
    fig, axes = plt.subplots(1, max(1, len(outcomes)), figsize=(4.2 * max(1, len(outcomes)), 3.2), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=False):
        sel = [r for r in rows if r["outcome"] == outcome and r.get("difference") is not None]
        labels = [str(r["group"]) for r in sel]
        diffs = [float(r["difference"]) for r in sel]  # type: ignore[arg-type]
        lows = [d - float(r["ci_low"]) if r.get("ci_low") is not None else 0.0 for d, r in zip(diffs, sel, strict=True)]
        highs = [float(r["ci_high"]) - d if r.get("ci_high") is not None else 0.0 for d, r in zip(diffs, sel, strict=True)]
        ax.bar(range(len(sel)), diffs, yerr=[lows, highs], capsize=6, color="#4C72B0")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(sel)), labels, rotation=20, fontsize=8)
        ax.set_title(f"{outcome}: difference vs control", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_html(title: str, summary: Mapping[str, object], rows: Sequence[Mapping[str, object]],
                extra_tables: Mapping[str, Sequence[Mapping[str, object]]] | None = None) -> str:
    """The report page: a summary list, the comparison table, the chart, and any extra tables."""
    cols = ["outcome", "kind", "group", "n_group", "value_group", "control", "n_control", "value_control",
            "difference", "ci_low", "ci_high", "p_value", "test"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}</style></head><body>",
             f"<h1>{html.escape(title)}</h1><ul>"]
    parts += [f"<li><b>{html.escape(str(k))}</b>: {_fmt(v)}</li>" for k, v in summary.items()]
    parts.append("</ul>")
    parts.append(_table(cols, rows, "Group vs control"))
    if rows:
        parts.append(f"<img alt='differences with confidence intervals' "
                     f"src='data:image/png;base64,{difference_chart(rows, title)}'/>")
    for name, table in (extra_tables or {}).items():
        if table:
            parts.append(_table(list(table[0].keys()), table, name))
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(cols: Sequence[str], rows: Sequence[Mapping[str, object]], caption: str) -> str:
    out = [f"<h2>{html.escape(caption)}</h2><table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols) + "</tr>")
    out.append("</table>")
    return "".join(out)
