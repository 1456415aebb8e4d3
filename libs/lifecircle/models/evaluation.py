"""Binary classifier evaluation with Spark aggregations: AUC, PR-AUC, lift and capture per decile, gains,
the confusion matrix at a threshold and a calibration table. Only small tables come back to the driver
(10 deciles, 10 calibration bins, 100 ROC bins), so it works on a month of subscribers; plus PNG plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def add_rank_decile(df: DataFrame, prob: str, tie_break: str | None = None, n: int | None = None) -> DataFrame:
    """Rows with a probability in, plus `rank` (1 = riskiest) and `decile` (1 = top 10%, equal-sized) out.

    The ranking is one global ordered window (a single sorted partition): fine for a month of subscribers."""
    if n is None:
        n = df.count()
    order = [F.col(prob).desc()] + ([F.col(tie_break).asc()] if tie_break else [])
    ranked = df.withColumn("rank", F.row_number().over(Window.orderBy(*order)))
    return ranked.withColumn(
        "decile", (F.floor((F.col("rank") - 1) * 10 / F.lit(max(n, 1))) + 1).cast("int"))


def auc_scores(df: DataFrame, label: str, prob: str) -> dict[str, float]:
    """Area under ROC and under precision-recall for a double probability column."""
    ev = BinaryClassificationEvaluator(rawPredictionCol=prob, labelCol=label)
    return {
        "auc": float(ev.evaluate(df, {ev.metricName: "areaUnderROC"})),
        "pr_auc": float(ev.evaluate(df, {ev.metricName: "areaUnderPR"})),
    }


def decile_table(ranked: DataFrame, label: str, prob: str) -> list[dict[str, Any]]:
    """Deciles (from add_rank_decile) in, per decile: rows, churners, rate, lift, capture and their cumulatives."""
    rows = (ranked.groupBy("decile")
            .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(label).cast("double")).alias("pos"),
                 F.min(prob).alias("min_prob"), F.max(prob).alias("max_prob"))
            .orderBy("decile").collect())  # ok: 10 decile rows
    return gains(rows)


def gains(rows: list[Any]) -> list[dict[str, Any]]:
    """Per-decile counts (decile, n, pos, min_prob, max_prob) in, lift/capture/gains out (plain Python, 10 rows)."""
    total_n = sum(int(r["n"]) for r in rows)
    total_pos = sum(float(r["pos"] or 0) for r in rows)
    base = total_pos / total_n if total_n else 0.0
    out = []
    cum_n = cum_pos = 0.0
    for r in rows:
        n, pos = int(r["n"]), float(r["pos"] or 0)
        cum_n += n
        cum_pos += pos
        rate = pos / n if n else 0.0
        cum_rate = cum_pos / cum_n if cum_n else 0.0
        out.append({
            "decile": int(r["decile"]), "n": n, "churners": int(pos), "rate": rate,
            "min_prob": float(r["min_prob"]), "max_prob": float(r["max_prob"]),
            "lift": rate / base if base else 0.0,
            "capture": pos / total_pos if total_pos else 0.0,
            "cum_capture": cum_pos / total_pos if total_pos else 0.0,
            "cum_lift": cum_rate / base if base else 0.0,
        })
    return out


def confusion(df: DataFrame, label: str, prob: str, threshold: float) -> dict[str, float]:
    """tp/fp/tn/fn, precision, recall and accuracy when predicting churn for probability >= threshold."""
    pred = F.col(prob) >= F.lit(threshold)
    pos = F.col(label) == 1
    row = df.agg(
        F.count(F.when(pred & pos, 1)).alias("tp"), F.count(F.when(pred & ~pos, 1)).alias("fp"),
        F.count(F.when(~pred & ~pos, 1)).alias("tn"), F.count(F.when(~pred & pos, 1)).alias("fn"),
    ).first()
    tp, fp, tn, fn = (int(row[k]) for k in ("tp", "fp", "tn", "fn"))
    n = tp + fp + tn + fn
    return {
        "threshold": float(threshold), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "accuracy": (tp + tn) / n if n else 0.0,
    }


def calibration_table(df: DataFrame, label: str, prob: str, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width probability bins: rows, mean predicted probability and observed churn rate per bin."""
    b = F.least(F.floor(F.col(prob) * bins), F.lit(bins - 1)).cast("int")
    rows = (df.groupBy(b.alias("bin"))
            .agg(F.count(F.lit(1)).alias("n"), F.avg(prob).alias("mean_pred"),
                 F.avg(F.col(label).cast("double")).alias("observed"))
            .orderBy("bin").collect())  # ok: 100 ROC bins at most
    return [{"bin": int(r["bin"]), "n": int(r["n"]), "mean_pred": float(r["mean_pred"]),
             "observed": float(r["observed"])} for r in rows]


def roc_points(df: DataFrame, label: str, prob: str, bins: int = 100) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) at `bins` probability thresholds, for the ROC plot."""
    b = F.least(F.floor(F.col(prob) * bins), F.lit(bins - 1)).cast("int")
    rows = (df.groupBy(b.alias("bin"))
            .agg(F.sum(F.col(label).cast("double")).alias("pos"), F.count(F.lit(1)).alias("n"))
            .orderBy(F.col("bin").desc()).collect())  # ok: at most `bins` ROC bins
    total_pos = sum(float(r["pos"] or 0) for r in rows)
    total_neg = sum(int(r["n"]) - float(r["pos"] or 0) for r in rows)
    points = [(0.0, 0.0)]
    tp = fp = 0.0
    for r in rows:
        tp += float(r["pos"] or 0)
        fp += int(r["n"]) - float(r["pos"] or 0)
        points.append((fp / total_neg if total_neg else 0.0, tp / total_pos if total_pos else 0.0))
    return points


@dataclass
class Evaluation:
    """Everything measured on one scored data set."""

    rows: int
    positives: int
    auc: float
    pr_auc: float
    deciles: list[dict[str, Any]]
    confusion: dict[str, float]
    calibration: list[dict[str, Any]]
    roc: list[tuple[float, float]] = field(default_factory=list)

    def metrics(self, prefix: str = "") -> dict[str, float]:
        """Flat numeric metrics for MLflow: auc, pr_auc, lift/capture per decile, confusion counts."""
        m: dict[str, float] = {f"{prefix}auc": self.auc, f"{prefix}pr_auc": self.pr_auc,
                               f"{prefix}rows": float(self.rows), f"{prefix}positives": float(self.positives)}
        for d in self.deciles:
            k = d["decile"]
            m[f"{prefix}lift_d{k:02d}"] = d["lift"]
            m[f"{prefix}capture_d{k:02d}"] = d["capture"]
            m[f"{prefix}cum_capture_d{k:02d}"] = d["cum_capture"]
        if self.deciles:
            m[f"{prefix}top_decile_lift"] = self.deciles[0]["lift"]
        for k in ("tp", "fp", "tn", "fn", "precision", "recall", "accuracy", "threshold"):
            m[f"{prefix}cm_{k}"] = float(self.confusion[k])
        return m

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "positives": self.positives, "auc": self.auc, "pr_auc": self.pr_auc,
                "deciles": self.deciles, "confusion": self.confusion, "calibration": self.calibration}


def evaluate(df: DataFrame, label: str = "label", prob: str = "churn_probability", threshold: float = 0.5,
             tie_break: str | None = None) -> Evaluation:
    """A scored frame (label 0/1, probability) in, every metric out; cache the frame first if it is expensive."""
    counts = df.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(label).cast("double")).alias("p")).first()
    n, p = int(counts["n"]), int(counts["p"] or 0)
    scores = auc_scores(df.withColumn(label, F.col(label).cast("double")), label, prob)
    ranked = add_rank_decile(df, prob, tie_break, n)
    return Evaluation(
        rows=n, positives=p, auc=scores["auc"], pr_auc=scores["pr_auc"],
        deciles=decile_table(ranked, label, prob), confusion=confusion(df, label, prob, threshold),
        calibration=calibration_table(df, label, prob), roc=roc_points(df, label, prob),
    )


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_roc(ev: Evaluation, path: Path, title: str = "ROC") -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    xs, ys = zip(*ev.roc) if ev.roc else ((0.0, 1.0), (0.0, 1.0))
    ax.plot(xs, ys, label=f"model (AUC {ev.auc:.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="random")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_gains(ev: Evaluation, path: Path, title: str = "Gains and lift by decile") -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ks = [d["decile"] for d in ev.deciles]
    ax.bar(ks, [d["lift"] for d in ev.deciles], color="tab:blue", alpha=0.6, label="lift")
    ax.set_xlabel("decile (1 = highest risk)")
    ax.set_ylabel("lift")
    ax2 = ax.twinx()
    ax2.plot([0] + ks, [0.0] + [d["cum_capture"] for d in ev.deciles], "o-", color="tab:red",
             label="cumulative capture")
    ax2.plot([0, 10], [0, 1], "--", color="grey")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("share of churners captured")
    ax.set_title(title)
    fig.legend(loc="upper center", ncol=2)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_calibration(ev: Evaluation, path: Path, title: str = "Calibration") -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([c["mean_pred"] for c in ev.calibration], [c["observed"] for c in ev.calibration], "o-",
            label="model")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed churn rate")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_importance(importances: dict[str, float], path: Path, top: int = 20,
                    title: str = "Feature importance") -> Path:
    plt = _plt()
    items = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)[:top][::-1]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(items) + 1)))
    ax.barh([k for k, _ in items], [v for _, v in items], color="tab:green")
    ax.set_xlabel("importance (share)")
    ax.set_title(title)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return path


def write_plots(ev: Evaluation, importances: dict[str, float], folder: Path) -> list[Path]:
    """ROC, gains/lift, calibration and importance PNGs into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [plot_roc(ev, folder / "roc.png"), plot_gains(ev, folder / "gains_lift.png"),
            plot_calibration(ev, folder / "calibration.png"),
            plot_importance(importances, folder / "importance.png")]


# planted churn cause (lifecircle.generate.spec.CHURN_CAUSES) → the reason family (conf/churn.yaml) that names it
CAUSE_FAMILY: dict[str, str] = {
    "plan_mismatch": "plan_mismatch", "bundle_expiry": "bundle_expiry", "competitor_poaching": "competitor_poaching",
    "complaints": "complaints_faults", "bill_decline": "bill_decline", "moving_away": "moving_away",
    "contagion": "contagion",
}


def reasons_vs_causes(scores: DataFrame, truth: DataFrame, later_months: list[str]) -> dict[str, Any]:
    """One month of gold.churn_scores (subscriber_id, top_reasons) + truth keyed by subscriber_id (churn_month,
    churn_cause) in; among subscribers who churn in `later_months` with a known planted cause, the share whose
    top reasons name that cause: overall and per cause (one aggregation; a handful of rows come back)."""
    family = F.create_map(*[x for c, f in CAUSE_FAMILY.items() for x in (F.lit(c), F.lit(f))])
    churners = truth.where(F.col("churn_month").isin(*later_months) & F.col("churn_cause").isin(*CAUSE_FAMILY))
    hit = F.coalesce(F.array_contains(F.col("top_reasons"), family[F.col("churn_cause")]), F.lit(False)).cast("double")
    rows = (scores.select("subscriber_id", "top_reasons").join(churners.select("subscriber_id", "churn_cause"),
                                                               "subscriber_id")
            .groupBy("churn_cause").agg(F.count(F.lit(1)).alias("n"), F.sum(hit).alias("hits")).collect())  # ok: ≤ 7 causes
    n = sum(int(r["n"]) for r in rows)
    hits = sum(float(r["hits"]) for r in rows)
    return {"churners_with_known_cause": n, "share_cause_in_top_reasons": hits / n if n else 0.0,
            "per_cause": {r["churn_cause"]: {"n": int(r["n"]), "share": float(r["hits"]) / int(r["n"])}
                          for r in sorted(rows, key=lambda r: r["churn_cause"])}}
