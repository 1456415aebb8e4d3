"""Plan fit (套餐适配, seed 000): price each subscriber's real usage under every plan of the catalogue and
apply the four rules — no plan → the plan that saves most; far below the plan → step down; far above →
step up; wrong plan type → migrate.

Money is DECIMAL(12,2) end to end (no floating point): voice is billed per started minute and data per
started MB, so every bill is an exact number of cents. The catalogue (a few dozen plans) is broadcast and
cross-joined with the subscribers; one group-by picks the cheapest plan of each rule's candidate set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DecimalType, IntegerType, StringType, StructField, StructType

from lifecircle.core.config import config_expr
from lifecircle.core.errors import ConfigError, InputError

MONEY = DecimalType(12, 2)
PLAN_TYPES = ("voice", "data", "mixed", "family", "campus")
RULES = ("no_plan", "wrong_type", "step_up", "step_down", "none", "unknown_plan")

TARIFF_SCHEMA = StructType([
    StructField("plan_id", StringType(), False), StructField("plan_name", StringType(), True),
    StructField("plan_type", StringType(), False), StructField("monthly_fee", MONEY, False),
    StructField("incl_voice_min", IntegerType(), False), StructField("incl_sms", IntegerType(), False),
    StructField("incl_data_mb", IntegerType(), False), StructField("over_voice_per_min", MONEY, False),
    StructField("over_sms", MONEY, False), StructField("over_data_per_mb", MONEY, False),
    StructField("eligible_if", StringType(), True),
])

USAGE_COLUMNS = ("subscriber_id", "plan_id", "voice_min", "sms", "data_mb")

PLAN_FIT_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False), StructField("current_plan_id", StringType(), True),
    StructField("current_plan_type", StringType(), True), StructField("usage_type", StringType(), False),
    StructField("voice_min", IntegerType(), False), StructField("sms", IntegerType(), False),
    StructField("data_mb", IntegerType(), False), StructField("current_bill", MONEY, True),
    StructField("best_plan_id", StringType(), True), StructField("best_bill", MONEY, True),
    StructField("saving", MONEY, True), StructField("rule", StringType(), False),
    StructField("recheck_next_month", BooleanType(), False), StructField("recheck_reason", StringType(), True),
])


def _money(value: object, what: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError(f"tariffs: {what} = {value!r} is not a money amount") from exc
    if d < 0 or d != d.quantize(Decimal("0.01")):
        raise ConfigError(f"tariffs: {what} = {value!r} must be >= 0 with at most 2 decimals")
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def tariff_rows(catalogue: Mapping[str, object]) -> list[tuple]:
    """The `plans` of a tariffs.yaml mapping → validated rows of TARIFF_SCHEMA (ConfigError names the bad field)."""
    plans = catalogue.get("plans")
    if not isinstance(plans, list) or not plans:
        raise ConfigError("tariffs: no `plans` list in the catalogue")
    rows, seen = [], set()
    for i, p in enumerate(plans):
        pid = str(p.get("plan_id") or "")
        if not pid or pid in seen:
            raise ConfigError(f"tariffs: plan #{i} has a missing or duplicate plan_id {pid!r}")
        seen.add(pid)
        if p.get("plan_type") not in PLAN_TYPES:
            raise ConfigError(f"tariffs: plan {pid} has plan_type {p.get('plan_type')!r}, not one of {PLAN_TYPES}")
        ints = []
        for k in ("incl_voice_min", "incl_sms", "incl_data_mb"):
            v = p.get(k)
            if not isinstance(v, int) or v < 0:
                raise ConfigError(f"tariffs: plan {pid} {k} = {v!r} must be a non-negative integer")
            ints.append(v)
        rows.append((
            pid, p.get("plan_name"), p["plan_type"], _money(p.get("monthly_fee"), f"{pid}.monthly_fee"),
            *ints, _money(p.get("over_voice_per_min"), f"{pid}.over_voice_per_min"),
            _money(p.get("over_sms"), f"{pid}.over_sms"), _money(p.get("over_data_per_mb"), f"{pid}.over_data_per_mb"),
            p.get("eligible_if"),
        ))
    return rows


@dataclass(frozen=True)
class PlanFitParams:
    """Thresholds of the four rules (value.yaml `plan_fit`) and the pay-as-you-go unit prices."""

    payg_voice: Decimal
    payg_sms: Decimal
    payg_data: Decimal
    low_utilisation: float = 0.3
    high_overage_ratio: float = 0.5
    data_heavy_mb: int = 3072
    voice_light_min: int = 150
    voice_heavy_min: int = 500
    data_light_mb: int = 500
    wrong_type: Mapping[str, Sequence[str]] = field(default_factory=lambda: {"voice": ["data"], "data": ["voice"]})
    min_saving: Decimal = Decimal("5.00")
    recheck_saving: Decimal = Decimal("10.00")
    ladder_types: Sequence[str] = ("voice", "mixed", "data")  # step up/down moves along these plans' fees
    utilisation_of: Sequence[str] = ("voice_min", "sms", "data_mb")  # allowances that count for "far below"

    @classmethod
    def from_config(cls, section: Mapping[str, object], catalogue: Mapping[str, object]) -> PlanFitParams:
        payg = catalogue.get("payg") or {}
        if not isinstance(payg, Mapping):
            raise ConfigError("tariffs: `payg` must be a mapping of unit prices")
        ut = dict(section.get("usage_type") or {})  # type: ignore[call-overload]
        return cls(
            payg_voice=_money(payg.get("voice_per_min"), "payg.voice_per_min"),
            payg_sms=_money(payg.get("sms"), "payg.sms"),
            payg_data=_money(payg.get("data_per_mb"), "payg.data_per_mb"),
            low_utilisation=float(section.get("low_utilisation", 0.3)),  # type: ignore[arg-type]
            high_overage_ratio=float(section.get("high_overage_ratio", 0.5)),  # type: ignore[arg-type]
            data_heavy_mb=int(ut.get("data_heavy_mb", 3072)), voice_light_min=int(ut.get("voice_light_min", 150)),
            voice_heavy_min=int(ut.get("voice_heavy_min", 500)), data_light_mb=int(ut.get("data_light_mb", 500)),
            wrong_type=dict(section.get("wrong_type") or {}),  # type: ignore[call-overload]
            min_saving=_money(section.get("min_saving", "5.00"), "plan_fit.min_saving"),
            recheck_saving=_money(section.get("recheck_saving", "10.00"), "plan_fit.recheck_saving"),
            ladder_types=tuple(section.get("ladder_types") or ("voice", "mixed", "data")),  # type: ignore[arg-type]
            utilisation_of=tuple(section.get("utilisation_of") or ("voice_min", "sms", "data_mb")),  # type: ignore[arg-type]
        )


def usage_from(panorama: DataFrame, exprs: Mapping[str, str], subscriber_id: str = "subscriber_id") -> DataFrame:
    """gold.panorama + {name: SQL expression} → subscriber_id and the named usage columns (config-driven names)."""
    missing = {"plan_id", "voice_min", "sms", "data_mb"} - set(exprs)
    if missing:
        raise ConfigError(f"value.plan_fit.usage lacks {sorted(missing)}")
    return panorama.select(F.col(subscriber_id).alias("subscriber_id"),
                           *[config_expr(panorama, e, f"value.plan_fit.usage.{n}").alias(n) for n, e in exprs.items()])


def _units(c: str) -> Column:
    return F.ceil(F.greatest(F.col(c).cast("double"), F.lit(0.0))).cast("int")


def _over(used: str, incl: str) -> Column:
    return F.greatest(F.col(used) - F.col(incl), F.lit(0)).cast(DecimalType(18, 0))


def bill_expr(prefix: str = "") -> Column:
    """Bill of usage columns (voice_min, sms, data_mb; whole units) under the plan columns `<prefix>*`."""
    p = prefix
    total = (
        F.col(f"{p}monthly_fee")
        + _over("voice_min", f"{p}incl_voice_min") * F.col(f"{p}over_voice_per_min")
        + _over("sms", f"{p}incl_sms") * F.col(f"{p}over_sms")
        + _over("data_mb", f"{p}incl_data_mb") * F.col(f"{p}over_data_per_mb")
    )
    return total.cast(MONEY)


def _usage_type(p: PlanFitParams) -> Column:
    v, d = F.col("voice_min"), F.col("data_mb")
    return (
        F.when((d >= p.data_heavy_mb) & (v < p.voice_light_min), "data")
        .when((v >= p.voice_heavy_min) & (d < p.data_light_mb), "voice")
        .otherwise("mixed")
    )


def _eligible(tariffs_rows: Sequence[tuple]) -> Column:
    cond: Column | None = None
    for row in tariffs_rows:
        if row[-1]:
            branch = F.coalesce(F.expr(row[-1]).cast("boolean"), F.lit(False))
            cond = (F.when(F.col("c_plan_id") == row[0], branch) if cond is None
                    else cond.when(F.col("c_plan_id") == row[0], branch))
    return F.lit(True) if cond is None else cond.otherwise(True)


def fit_plans(usage: DataFrame, tariffs: DataFrame, params: PlanFitParams,
              tariff_list: Sequence[tuple] = ()) -> DataFrame:
    """usage (subscriber_id, plan_id, voice_min, sms, data_mb + eligibility columns) × tariffs → PLAN_FIT_SCHEMA rows.

    `tariff_list` (rows of TARIFF_SCHEMA) supplies the per-plan `eligible_if` conditions.
    """
    missing = [c for c in USAGE_COLUMNS if c not in usage.columns]
    if missing:
        raise InputError(f"plan fit: usage frame lacks column(s) {missing}")
    p = params
    bad = set(p.utilisation_of) - {"voice_min", "sms", "data_mb"}
    if bad:
        raise ConfigError(f"value.plan_fit.utilisation_of: {sorted(bad)} not in voice_min / sms / data_mb")
    u = usage.withColumns({
        "plan_id": F.nullif(F.trim(F.col("plan_id")), F.lit("")),
        "voice_min": _units("voice_min"), "sms": _units("sms"), "data_mb": _units("data_mb"),
    }).withColumn("usage_type", _usage_type(p))

    cur = F.broadcast(tariffs.select([F.col(c).alias(f"cur_{c}") for c in tariffs.columns if c != "eligible_if"]))
    u = u.join(cur, u["plan_id"] == cur["cur_plan_id"], "left")
    payg = (
        F.col("voice_min").cast(DecimalType(18, 0)) * F.lit(p.payg_voice)
        + F.col("sms").cast(DecimalType(18, 0)) * F.lit(p.payg_sms)
        + F.col("data_mb").cast(DecimalType(18, 0)) * F.lit(p.payg_data)
    ).cast(MONEY)

    def share(used: str, incl: str) -> Column:
        return F.when(F.col(incl) > 0, F.col(used) / F.col(incl))

    u = u.withColumns({
        "current_bill": F.when(F.col("plan_id").isNull(), payg).otherwise(bill_expr("cur_")),
        "utilisation": F.greatest(*[share(u, f"cur_incl_{u}")
                                    for u in p.utilisation_of], F.lit(None).cast("double")),
    })
    wrong = F.lit(False)
    for plan_type, usage_types in p.wrong_type.items():
        wrong = wrong | ((F.col("cur_plan_type") == plan_type) & F.col("usage_type").isin(list(usage_types)))
    u = u.withColumns({
        "far_above": (F.col("current_bill") - F.col("cur_monthly_fee"))
        >= F.col("cur_monthly_fee") * F.lit(Decimal(str(p.high_overage_ratio))),
        "far_below": F.coalesce(F.col("utilisation"), F.lit(0.0)) < p.low_utilisation,
        "wrong_type": wrong,
    })

    cand = F.broadcast(tariffs.select([F.col(c).alias(f"c_{c}") for c in tariffs.columns]))
    x = u.crossJoin(cand).filter(F.col("c_plan_id") != F.coalesce(F.col("plan_id"), F.lit("")))
    x = x.withColumns({"c_bill": bill_expr("c_"), "c_eligible": _eligible(tariff_list)}).filter("c_eligible")
    ladder = list(p.ladder_types)
    same_type = F.col("c_plan_type").isin(ladder) & F.col("cur_plan_type").isin(ladder)

    def best(cond: Column) -> Column:
        return F.min(F.when(cond, F.struct(F.col("c_bill").alias("bill"), F.col("c_plan_id").alias("plan"))))

    keys = ["subscriber_id"]
    agg = x.groupBy(*keys).agg(
        best(F.lit(True)).alias("b_any"),
        best(F.col("c_plan_type") == F.col("usage_type")).alias("b_type"),
        best(same_type & (F.col("c_monthly_fee") > F.col("cur_monthly_fee"))).alias("b_up"),
        best(same_type & (F.col("c_monthly_fee") < F.col("cur_monthly_fee"))).alias("b_down"),
    )
    r = u.join(agg, keys, "left")
    no_plan = F.col("plan_id").isNull()
    saving_any = F.col("current_bill") - F.col("b_any.bill")
    rule = (
        F.when(no_plan & (saving_any >= F.lit(p.min_saving)), "no_plan")
        .when(no_plan, "none")
        .when(F.col("cur_plan_id").isNull(), "unknown_plan")
        .when(F.col("wrong_type") & F.col("b_type").isNotNull(), "wrong_type")
        .when(F.col("far_above") & F.col("b_up").isNotNull(), "step_up")
        .when(F.col("far_below") & (F.col("b_down.bill") < F.col("current_bill")), "step_down")
        .otherwise("none")
    )
    r = r.withColumn("rule", rule)
    chosen = (
        F.when(F.col("rule") == "no_plan", F.col("b_any"))
        .when(F.col("rule") == "wrong_type", F.col("b_type"))
        .when(F.col("rule") == "step_up", F.col("b_up"))
        .when(F.col("rule") == "step_down", F.col("b_down"))
    )
    r = r.withColumn("chosen", chosen)
    best_plan = F.when(F.col("chosen").isNotNull(), F.col("chosen.plan")).otherwise(F.col("cur_plan_id"))
    best_bill = F.when(F.col("chosen").isNotNull(), F.col("chosen.bill")).otherwise(
        F.when(F.col("cur_plan_id").isNotNull(), F.col("current_bill")))
    saving = (F.col("current_bill") - best_bill).cast(MONEY)
    fired = F.col("rule").isin("no_plan", "wrong_type", "step_up", "step_down")
    recheck = (
        F.when(fired & (saving < F.lit(p.recheck_saving)), "small_saving")
        .when(~fired & (F.col("rule") != "unknown_plan") & (saving_any >= F.lit(p.recheck_saving)),
              "cheaper_plan_exists")
    )
    return r.select(
        "subscriber_id", F.col("plan_id").alias("current_plan_id"),
        F.col("cur_plan_type").alias("current_plan_type"), "usage_type", "voice_min", "sms", "data_mb",
        "current_bill", best_plan.alias("best_plan_id"), best_bill.cast(MONEY).alias("best_bill"),
        saving.alias("saving"), "rule", recheck.isNotNull().alias("recheck_next_month"),
        recheck.alias("recheck_reason"),
    )


def price_all(usage: DataFrame, tariffs: DataFrame) -> DataFrame:
    """usage (subscriber_id, voice_min, sms, data_mb) × tariffs → (subscriber_id, plan_id, bill) for every plan."""
    u = usage.select("subscriber_id", _units("voice_min").alias("voice_min"), _units("sms").alias("sms"),
                     _units("data_mb").alias("data_mb"))
    t = F.broadcast(tariffs.select([F.col(c).alias(f"c_{c}") for c in tariffs.columns]))
    return u.crossJoin(t).select("subscriber_id", F.col("c_plan_id").alias("plan_id"), bill_expr("c_").alias("bill"))
