"""Truth tables of the generated province (never read by the pipeline; tests and evaluation only)."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.generate.population import PRODUCTS
from lifecircle.generate.reference import OFFERS, RULES, Cell
from lifecircle.generate.rng import uniform
from lifecircle.generate.spec import ProvinceSpec


def subscribers_truth(subs: DataFrame, spec: ProvinceSpec, cells_df: DataFrame) -> DataFrame:
    """One row per subscriber: cells, region path of the home cell, circles, community, plan fit, churn."""
    months = F.array(*[F.lit(m) for m in spec.months])
    region = cells_df.select(F.col("cell_id").alias("home_cell"), "store_id", "district", "marketing_center", "county_branch")
    circles = F.filter(F.array(
        F.when(F.col("behaviour_group") == "student", F.lit("student")),
        F.when(F.col("behaviour_group") == "white_collar", F.lit("white_collar")),
        F.when(F.col("behaviour_group") == "worker", F.lit("worker")),
        F.when(F.col("behaviour_group") == "civil_servant", F.lit("civil_servant")),
        F.when(F.col("is_parent"), F.lit("parent")), F.when(F.col("is_commuter"), F.lit("subway_commuter")),
        F.when(F.col("event_genre").isNotNull(), F.concat(F.lit("event_"), F.col("event_genre"))),
        F.when(F.col("is_health"), F.lit("health_need")), F.when(F.col("is_film"), F.lit("film_lover"))), lambda c: c.isNotNull())
    return subs.join(F.broadcast(region), "home_cell", "left").select(
        F.col("id").alias("subscriber_index"), "msisdn", "home_cell", "work_cell", "moved_home_cell",
        F.when(F.col("move_d").isNotNull(), F.date_format(F.date_add(F.lit(spec.days()[0].isoformat()).cast("date"), F.col("move_d")), "yyyy-MM-dd")).alias("move_date"),
        "store_id", "district", "marketing_center", "county_branch", "behaviour_group", circles.alias("circles"),
        "child_cell", "subway_cell", "event_genre", "hospital_cell", "cinema_cell", "community_id", "community_type",
        "is_leader", "age", "gender", "plan_id", "plan_mismatch", "voice_f", "data_f", "sms_f", "holdings",
        # element_at(array, NULL) is not NULL here: guard it so non-churners get no churn month
        F.when(F.col("churn_month_idx").isNotNull(),
               F.element_at(months, F.col("churn_month_idx") + 1)).alias("churn_month"), "churn_cause", "churn_kind",
        F.when(F.col("churn_d").isNotNull(), F.date_format(F.date_add(F.lit(spec.days()[0].isoformat()).cast("date"), F.col("churn_d")), "yyyy-MM-dd")).alias("churn_date"),
    )


def communities_truth(subs: DataFrame) -> DataFrame:
    return subs.groupBy("community_id", "community_type").agg(
        F.count("*").alias("size"), F.sort_array(F.collect_list("msisdn")).alias("members"),
        F.sort_array(F.collect_list(F.when(F.col("is_leader"), F.col("msisdn")))).alias("leaders"))


def propensities_truth(subs: DataFrame) -> DataFrame:
    stack = F.explode(F.array(*[F.struct(F.lit(p).alias("product_id"), F.col(f"p_{p}").alias("propensity"),
                                         F.array_contains("holdings", p).alias("holds_at_start")) for p in PRODUCTS]))
    return subs.select("msisdn", stack.alias("x")).select("msisdn", "x.*")


def rules_truth(spark: SparkSession) -> DataFrame:
    rows = [(list(a), c, float(conf)) for a, c, conf in RULES]
    return spark.createDataFrame(rows, "antecedent array<string>, consequent string, confidence double")


def campaign_response_truth(subs: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Each subscriber × offer: response probability without contact (p_control) and with it (p_treated)."""
    s = spec.seed
    cause = F.coalesce(F.col("churn_cause"), F.lit(""))
    at_risk = cause != ""
    uplift = {
        "OF01": F.when(F.col("data_f") > 1.5, 0.15).otherwise(0.02),
        "OF02": F.when(cause == "moving_away", 0.0).when(at_risk, 0.2).otherwise(0.03),
        "OF03": F.when((F.col("community_type") == "family") & (F.col("comm_size") >= 3), 0.15).otherwise(0.01),
        "OF04": F.when(F.col("plan_mismatch"), 0.25).otherwise(0.02),
        "OF05": F.when(F.col("tac_idx") >= 9, 0.12).otherwise(0.02),
        "OF06": F.when(F.col("age") < 30, 0.10).otherwise(0.02),
    }
    rows = []
    for offer in OFFERS:
        oid = offer[0]
        base = 0.01 + 0.06 * uniform(s, f"base:{oid}", "id")
        up = F.when(cause == "complaints", -0.04).otherwise(uplift[oid])
        rows.append(F.struct(F.lit(oid).alias("offer_id"), base.alias("p_control"),
                             F.least(F.greatest(base + up, F.lit(0.0)), F.lit(1.0)).alias("p_treated")))
    x = subs.select("msisdn", F.explode(F.array(*rows)).alias("x")).select("msisdn", "x.*")
    x = x.withColumn("uplift", F.col("p_treated") - F.col("p_control"))
    return x.withColumn("segment", F.when(F.col("uplift") < -0.005, "sleeping_dog").when(F.col("uplift") >= 0.1, "persuadable")
                        .when(F.col("p_control") >= 0.05, "sure_thing").otherwise("lost_cause"))


def cells_frame(spark: SparkSession, cells: list[Cell]) -> DataFrame:
    return spark.createDataFrame(
        [(c.cell_id, c.place_type, c.store_id, c.district, c.marketing_center, c.county_branch) for c in cells],
        "cell_id string, place_type string, store_id string, district string, marketing_center string, county_branch string")
