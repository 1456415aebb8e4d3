"""The monthly HTML report: small Spark aggregates of the gold tables (churn scores by region and segment,
lift per decile, segment profiles, plan-fit savings, association rules, campaign results, retention quadrants)
rendered as one self-contained page with matplotlib charts embedded as base64 PNG.

Every section is optional: a table that is missing (None) or cannot be summarised gives a "not available"
paragraph, so the report can be written on any partially completed pipeline.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.log import get_logger
from lifecircle.core.periods import add_months

log = get_logger("reports.html")

NOT_AVAILABLE = "not available"
REGION_COLUMNS = ("county", "region_county_branch")
MAX_GROUPS = 30

Rows = list[dict[str, object]]


@dataclass
class Section:
    """One report section: a title, an optional note, small tables (title → rows) and charts (base64 PNG)."""

    title: str
    note: str = ""
    tables: list[tuple[str, Rows]] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (alt text, base64 PNG)
    available: bool = True


def _rows(df: DataFrame, limit: int = 200) -> Rows:
    """A small aggregated DataFrame → list of dicts (at most `limit` rows reach the driver)."""
    return [r.asDict() for r in df.limit(limit).collect()]  # ok: a report table of at most `limit` rows


def _month(df: DataFrame, month: str) -> DataFrame:
    return df.where(F.col("month") == month) if "month" in df.columns else df


# --- aggregates (DataFrames in, small DataFrames out) ---------------------------------------------------------

def score_histogram(scores: DataFrame) -> DataFrame:
    """churn scores of one month → (bin 0..9, lower, subscribers): the distribution of churn_probability."""
    b = F.least(F.floor(F.col("churn_probability") * 10), F.lit(9)).cast("int")
    return (scores.where(F.col("churn_probability").isNotNull()).groupBy(b.alias("bin"))
            .agg(F.count(F.lit(1)).alias("subscribers"))
            .withColumn("lower", F.round(F.col("bin") / 10.0, 1)).select("bin", "lower", "subscribers")
            .orderBy("bin"))


def score_by(scores: DataFrame, dims: DataFrame, by: str) -> DataFrame:
    """churn scores + a (subscriber_id, `by`) dimension → per group: subscribers, mean probability, share in
    the riskiest decile and share of grade A; the largest MAX_GROUPS groups."""
    joined = scores.join(dims.select("subscriber_id", F.coalesce(F.col(by).cast("string"), F.lit("(unknown)"))
                                     .alias("group")), "subscriber_id", "left")
    return (joined.fillna({"group": "(unknown)"}).groupBy("group")
            .agg(F.count(F.lit(1)).alias("subscribers"),
                 F.round(F.avg("churn_probability"), 4).alias("mean_probability"),
                 F.round(F.avg((F.col("decile") == 1).cast("double")), 4).alias("share_top_decile"),
                 F.round(F.avg((F.col("risk_grade") == "A").cast("double")), 4).alias("share_grade_a"))
            .orderBy(F.desc("subscribers"), "group").limit(MAX_GROUPS))


def lift_table(scores: DataFrame, outcome: DataFrame | None) -> DataFrame:
    """churn scores of one month (+ optional (subscriber_id, churned 0/1) realised outcome) → per decile:
    subscribers, mean probability and, with the outcome, churners, churn rate, lift and cumulative gain."""
    base = scores.where(F.col("decile").isNotNull())
    if outcome is None:
        return (base.groupBy("decile").agg(F.count(F.lit(1)).alias("subscribers"),
                                           F.round(F.avg("churn_probability"), 4).alias("mean_probability"))
                .orderBy("decile"))
    y = base.join(outcome.select("subscriber_id", F.col("churned").cast("int").alias("y")), "subscriber_id", "left")
    per = y.groupBy("decile").agg(F.count(F.lit(1)).alias("subscribers"),
                                  F.round(F.avg("churn_probability"), 4).alias("mean_probability"),
                                  F.sum(F.coalesce("y", F.lit(0))).alias("churners"))
    tot = per.agg(F.sum("subscribers").alias("n_all"), F.sum("churners").alias("c_all"))
    w = Window.orderBy("decile").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return (per.crossJoin(F.broadcast(tot))
            .withColumn("churn_rate", F.round(F.col("churners") / F.col("subscribers"), 4))
            .withColumn("lift", F.round((F.col("churners") / F.col("subscribers"))
                                        / (F.col("c_all") / F.col("n_all")), 3))
            .withColumn("cumulative_gain", F.round(F.sum("churners").over(w) / F.col("c_all"), 4))
            .select("decile", "subscribers", "mean_probability", "churners", "churn_rate", "lift", "cumulative_gain")
            .orderBy("decile"))


def realised_outcome(subscriber: DataFrame, month: str, gap: int) -> tuple[DataFrame | None, list[str]]:
    """silver.subscriber → (subscriber_id, churned) over the months M+1..M+1+gap that are present, with those
    months; (None, []) when none is known yet."""
    wanted = [add_months(month, k) for k in range(1, gap + 2)]
    known = sorted(r["month"] for r in subscriber.where(F.col("month").isin(wanted))
                   .select("month").distinct().collect())  # ok: the months of a table
    if not known:
        return None, []
    out = (subscriber.where(F.col("month").isin(known)).groupBy("subscriber_id")
           .agg(F.max(F.col("churned").cast("int")).alias("churned")))
    return out, known


def plan_fit_savings(plan_fit: DataFrame) -> DataFrame:
    """gold.plan_fit of one month → per rule: subscribers, total and mean saving (yuan), re-checks."""
    s = F.col("saving").cast("double")
    return (plan_fit.groupBy("rule").agg(F.count(F.lit(1)).alias("subscribers"),
                                         F.round(F.sum(s), 2).alias("total_saving"),
                                         F.round(F.avg(s), 2).alias("mean_saving"),
                                         F.sum(F.col("recheck_next_month").cast("int")).alias("recheck"))
            .orderBy(F.desc("total_saving"), "rule"))


def top_rules(rules: DataFrame, n: int = 15) -> DataFrame:
    """gold.association_rules of one month → the `n` rules with the highest lift (then confidence)."""
    def items(c: str):
        return F.array_join(c, " + ") if dict(rules.dtypes)[c].startswith("array") else F.col(c).cast("string")

    return (rules.select(items("antecedent").alias("antecedent"), items("consequent").alias("consequent"),
                         F.round("support", 4).alias("support"), F.round("confidence", 4).alias("confidence"),
                         F.round("lift", 3).alias("lift"))
            .orderBy(F.desc("lift"), F.desc("confidence"), "antecedent").limit(n))


CAMPAIGN_COLUMNS = ("campaign_id", "group", "outcome", "n_group", "n_control", "value_group", "value_control",
                    "difference", "ci_low", "ci_high", "p_value", "roi")


def campaign_results(evaluation: DataFrame) -> DataFrame:
    """gold.campaign_evaluation → its comparison columns (group vs control per outcome), sorted."""
    cols = [c for c in CAMPAIGN_COLUMNS if c in evaluation.columns]
    return evaluation.select(*cols).orderBy("campaign_id", "outcome", "group")


def quadrant_counts(plan: DataFrame) -> DataFrame:
    """gold.retention_plan of one month → per quadrant: subscribers, in the plan, total priority."""
    aggs = [F.count(F.lit(1)).alias("subscribers")]
    if "in_plan" in plan.columns:
        aggs.append(F.sum(F.col("in_plan").cast("int")).alias("in_plan"))
    if "priority" in plan.columns:
        aggs.append(F.round(F.sum("priority"), 2).alias("total_priority"))
    return plan.groupBy("quadrant").agg(*aggs).orderBy("quadrant")


# --- charts and HTML -------------------------------------------------------------------------------------------

def bar_chart(labels: Sequence[object], values: Sequence[object], title: str, ylabel: str = "",
              line: Sequence[object] | None = None) -> str:
    """A bar chart (with an optional line on the same axis) as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    xs = list(range(len(labels)))
    ax.bar(xs, [float(v or 0.0) for v in values], color="#4C72B0")
    if line is not None:
        ax.plot(xs, [float(v or 0.0) for v in line], color="#DD8452", marker="o")
    ax.set_xticks(xs, [str(x) for x in labels], rotation=30, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(x: object) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return html.escape(", ".join(str(v) for v in x))
    return html.escape(str(x))


def html_table(rows: Rows) -> str:
    if not rows:
        return "<p><i>no rows</i></p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(title: str, sections: Sequence[Section], generated_at: str = "") -> str:
    """Sections → one self-contained HTML page (charts inline as data: URIs)."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;"
             "margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
             ".na{color:#888;font-style:italic}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    if generated_at:
        parts.append(f"<p>Generated {html.escape(generated_at)}.</p>")
    parts.append("<ul>" + "".join(f"<li><a href='#s{i}'>{html.escape(s.title)}</a></li>"
                                  for i, s in enumerate(sections)) + "</ul>")
    for i, s in enumerate(sections):
        parts.append(f"<section id='s{i}'><h2>{html.escape(s.title)}</h2>")
        if not s.available:
            parts.append(f"<p class='na'>{html.escape(s.title)}: {NOT_AVAILABLE}"
                         f"{' (' + html.escape(s.note) + ')' if s.note else ''}.</p></section>")
            continue
        if s.note:
            parts.append(f"<p>{html.escape(s.note)}</p>")
        for alt, png in s.charts:
            parts.append(f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{png}'/>")
        for sub, rows in s.tables:
            if sub:
                parts.append(f"<h3>{html.escape(sub)}</h3>")
            parts.append(html_table(rows))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- sections --------------------------------------------------------------------------------------------------

def _scores_section(month: str, scores: DataFrame, panorama: DataFrame | None, segments: DataFrame | None
                    ) -> Section:
    s = Section("Churn score distribution")
    hist = _rows(score_histogram(scores))
    if not hist:
        return Section(s.title, f"no churn scores for {month}", available=False)
    s.charts.append(("churn probability histogram", bar_chart(
        [f"{r['lower']:.1f}" for r in hist], [r["subscribers"] for r in hist], "Subscribers by churn probability",
        "subscribers")))
    s.tables.append(("Histogram", hist))
    region = next((c for c in REGION_COLUMNS if panorama is not None and c in panorama.columns), None)
    if region is not None:
        rows = _rows(score_by(scores, _month(panorama, month), region))  # type: ignore[arg-type]
        s.charts.append((f"mean churn probability by {region}", bar_chart(
            [r["group"] for r in rows], [r["mean_probability"] for r in rows], f"Mean churn probability by {region}")))
        s.tables.append((f"By region ({region})", rows))
    else:
        s.tables.append(("By region: " + NOT_AVAILABLE, []))
    if segments is not None and "strategic_segment" in segments.columns:
        seg = _month(segments, month)
        if "strategic_name" in seg.columns:
            seg = seg.withColumn("strategic_segment", F.concat_ws(" ", "strategic_segment", "strategic_name"))
        rows = _rows(score_by(scores, seg, "strategic_segment"))
        s.charts.append(("mean churn probability by segment", bar_chart(
            [r["group"] for r in rows], [r["mean_probability"] for r in rows], "Mean churn probability by segment")))
        s.tables.append(("By strategic segment", rows))
    else:
        s.tables.append(("By segment: " + NOT_AVAILABLE, []))
    return s


def _lift_section(month: str, scores: DataFrame, subscriber: DataFrame | None, gap: int) -> Section:
    outcome, known = realised_outcome(subscriber, month, gap) if subscriber is not None else (None, [])
    rows = _rows(lift_table(scores, outcome))
    if not rows:
        return Section("Lift and gains per decile", f"no scored deciles for {month}", available=False)
    if outcome is None:
        s = Section("Lift and gains per decile", "Churn outcome after this month not known yet: the decile table "
                    "shows the predicted probabilities only.")
        s.charts.append(("mean probability per decile", bar_chart(
            [r["decile"] for r in rows], [r["mean_probability"] for r in rows], "Mean predicted probability per decile")))
    else:
        s = Section("Lift and gains per decile", f"Realised churn in {', '.join(known)} (bars: lift; line: "
                    "cumulative gain).")
        s.charts.append(("lift and cumulative gains", bar_chart(
            [r["decile"] for r in rows], [r["lift"] for r in rows], "Lift per decile and cumulative gain",
            line=[r["cumulative_gain"] for r in rows])))
    s.tables.append(("", rows))
    return s


def _profiles_section(month: str, profiles: DataFrame) -> Section:
    p = _month(profiles, month)
    rows = _rows(p.select("level", "segment_id", "name", "size", F.round("share", 4).alias("share"),
                          F.array_join("distinguishing", ", ").alias("distinguishing"))
                 .orderBy("level", "segment_id"))
    if not rows:
        return Section("Segment profiles", f"no profiles for {month}", available=False)
    s = Section("Segment profiles")
    strategic = [r for r in rows if r["level"] == "strategic"] or rows
    s.charts.append(("segment shares", bar_chart([f"{r['segment_id']} {r['name']}" for r in strategic],
                                                 [r["share"] for r in strategic], "Share of subscribers per segment")))
    s.tables.append(("", rows))
    return s


def _simple_section(title: str, rows: Rows, chart: Callable[[Rows], str] | None, empty: str) -> Section:
    if not rows:
        return Section(title, empty, available=False)
    s = Section(title)
    if chart is not None:
        s.charts.append((title, chart(rows)))
    s.tables.append(("", rows))
    return s


def _campaign_chart(rows: Rows) -> str:
    from lifecircle.campaigns.report import difference_chart

    return difference_chart([r for r in rows if r.get("difference") is not None], "Group vs control")


SECTION_TABLES = {
    "Churn score distribution": ("gold.churn_scores",),
    "Lift and gains per decile": ("gold.churn_scores",),
    "Segment profiles": ("gold.segment_profiles",),
    "Plan-fit savings by rule": ("gold.plan_fit",),
    "Top association rules": ("gold.association_rules",),
    "Campaign results": ("gold.campaign_evaluation",),
    "Retention plan quadrants": ("gold.retention_plan",),
}


def monthly_sections(month: str, tables: Mapping[str, DataFrame | None], gap: int = 1) -> list[Section]:
    """Month + {table name: DataFrame or None} → the report's sections; a missing table or a section that
    cannot be computed becomes a "not available" section (never an error)."""
    def t(name: str) -> DataFrame | None:
        return tables.get(name)

    scores = _month(t("gold.churn_scores"), month) if t("gold.churn_scores") is not None else None  # type: ignore[arg-type]
    builders: dict[str, Callable[[], Section]] = {
        "Churn score distribution": lambda: _scores_section(month, scores, t("gold.panorama"), t("gold.segments")),
        "Lift and gains per decile": lambda: _lift_section(month, scores, t("silver.subscriber"), gap),
        "Segment profiles": lambda: _profiles_section(month, t("gold.segment_profiles")),
        "Plan-fit savings by rule": lambda: _simple_section(
            "Plan-fit savings by rule", _rows(plan_fit_savings(_month(t("gold.plan_fit"), month))),
            lambda r: bar_chart([x["rule"] for x in r], [x["total_saving"] for x in r], "Total saving by rule (yuan)"),
            f"no plan fit for {month}"),
        "Top association rules": lambda: _simple_section(
            "Top association rules", _rows(top_rules(_month(t("gold.association_rules"), month))), None,
            f"no association rules for {month}"),
        "Campaign results": lambda: _simple_section(
            "Campaign results", _rows(campaign_results(t("gold.campaign_evaluation"))), _campaign_chart,
            "no campaign evaluated yet"),
        "Retention plan quadrants": lambda: _simple_section(
            "Retention plan quadrants", _rows(quadrant_counts(_month(t("gold.retention_plan"), month))),
            lambda r: bar_chart([x["quadrant"] for x in r], [x["subscribers"] for x in r], "Subscribers per quadrant"),
            f"no retention plan for {month}"),
    }
    sections = []
    for title, build in builders.items():
        missing = [n for n in SECTION_TABLES[title] if t(n) is None]
        if missing:
            sections.append(Section(title, f"{', '.join(missing)} not written yet", available=False))
            continue
        try:
            sections.append(build())
        except Exception as exc:  # a table with an unexpected shape must not stop the report
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            log.warning("monthly report: section %r not available: %s", title, first)
            sections.append(Section(title, first, available=False))
    return sections


def monthly_report_html(month: str, tables: Mapping[str, DataFrame | None], gap: int = 1,
                        generated_at: str = "") -> str:
    """Month + {table name: DataFrame or None} → the monthly report page (HTML)."""
    return render(f"Lifecircle monthly report {month}", monthly_sections(month, tables, gap), generated_at)
