"""Score --month M with the champion churn model (models:/<name>@champion): gold.churn_scores with the
churn probability, rank, decile, risk grade and the top reason families per subscriber."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.errors import LifecircleError
from lifecircle.core.tracking import configure_mlflow
from lifecircle.models.churn import scoring_population
from lifecircle.models.features import FeatureSpec
from lifecircle.models.mlflow_ops import load_champion
from lifecircle.models.reasons import scoring_options
from lifecircle.models.trainer import risk_grade, score_churn
from lifecircle.runtime import JobContext, job


@job("score_churn", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    section = ctx.cfg.section("churn")
    configure_mlflow(ctx.cfg, section.get("experiment", "churn"))
    try:
        model, spec, profile, version = load_champion(section["model_name"])
    except Exception as exc:
        raise LifecircleError(f"no champion churn model '{section['model_name']}' to score with "
                              f"(run train_churn first): {str(exc).splitlines()[0][:200]}") from exc
    population = scoring_population(ctx.read("gold.panorama"), ctx.read_optional("silver.subscriber"), ctx.month)
    scored = score_churn(model, FeatureSpec.from_dict(spec), profile, population, "subscriber_id", unmapped="drop",
                         **scoring_options(section.get("reasons") or {}))
    out = scored.select(
        "subscriber_id", F.lit(ctx.month).alias("month"), "churn_probability", F.col("rank").cast("int").alias("rank"),
        "decile", risk_grade(section.get("risk_grades") or {}).alias("risk_grade"), "top_reasons",
        "reason_details", F.lit(version).alias("model_version"))
    ctx.write("gold.churn_scores", out, where={"month": ctx.month})


if __name__ == "__main__":
    raise SystemExit(main())
