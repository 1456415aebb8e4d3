"""The subscriber population: `spark.range(N)` → one row per subscriber with every planted trait
(community, leader, circles, home/work cells, usage levels, plan, handset, VAS holdings, churn)."""

from __future__ import annotations

import datetime as dt
import math

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lifecircle.feeds import ON_NET_PREFIXES
from lifecircle.generate.reference import (
    GENRES,
    LADDER,
    RULES,
    TACS,
    TARIFFS,
    VAS_PRODUCTS,
    Cell,
)
from lifecircle.generate.rng import below, normal, pick, uniform, weighted
from lifecircle.generate.spec import CHURN_CAUSES, ProvinceSpec

BLOCK = 20
# Community layouts of a block of 20 subscribers: (type, size) in order; F family, R friends, W workplace.
PATTERNS = (
    (("family", 3), ("family", 4), ("friends", 6), ("workplace", 7)),
    (("family", 2), ("family", 5), ("family", 3), ("friends", 10)),
    (("workplace", 12), ("family", 4), ("family", 4)),
    (("family", 5), ("friends", 8), ("family", 2), ("family", 5)),
    (("friends", 7), ("workplace", 13)),
)
PRODUCTS = tuple(p[0] for p in VAS_PRODUCTS)


def _pattern_arrays() -> tuple[list[int], list[int], list[int], list[str]]:
    local, start, size, ctype = [], [], [], []
    for pattern in PATTERNS:
        pos = 0
        for i, (t, s) in enumerate(pattern):
            for _ in range(s):
                local.append(i)
                start.append(pos)
                size.append(s)
                ctype.append(t)
            pos += s
    return local, start, size, ctype


def literal_list(values: list[str]) -> Column:
    """A constant array<string> (folded once by the optimiser, so large catalogues stay cheap)."""
    return F.split(F.lit(",".join(values)), ",")


def literal_map(keys: list[str], values: list[str]) -> Column:
    return F.map_from_arrays(literal_list(keys), literal_list(values))


def cells_of(cells: list[Cell], place_type: str) -> list[str]:
    return [c.cell_id for c in cells if c.place_type == place_type]


def pick_cell(cells: list[Cell], place_type: str, seed: int, tag: str, key: Column | str) -> Column:
    ids = cells_of(cells, place_type)
    return F.element_at(literal_list(ids), (below(seed, tag, len(ids), key) + 1).cast("int"))


def month_calendar(spec: ProvinceSpec) -> tuple[list[int], list[int]]:
    """Global day index of each month's first day, and each month's length."""
    starts, lens, d = [], [], 0
    days = spec.days()
    for m in spec.months:
        n = sum(1 for x in days if f"{x:%Y-%m}" == m)
        starts.append(d)
        lens.append(n)
        d += n
    return starts, lens


def msisdn_of(seed: int, sid: Column) -> Column:
    """A unique on-net 11-digit number per subscriber id (prefix by id mod 20, an affine bijection below)."""
    n_pre = len(ON_NET_PREFIXES)
    body = F.pmod(sid * 48271 + (seed * 7777 + 12345), F.lit(100_000_000))
    return F.concat(pick(ON_NET_PREFIXES, F.pmod(sid * 7 + seed, F.lit(n_pre))), F.lpad(body.cast("string"), 8, "0"))


def luhn_digit(body14: Column) -> Column:
    """The IMEI check digit of a 14-digit string (Luhn: double every second digit from the left's 2nd)."""
    digits = F.transform(F.sequence(F.lit(0), F.lit(13)), lambda i: body14.substr(i + 1, F.lit(1)).cast("int"))
    doubled = F.transform(digits, lambda d, i: F.when(i % 2 == 1, F.when(d * 2 > 9, d * 2 - 9).otherwise(d * 2)).otherwise(d))
    total = F.aggregate(doubled, F.lit(0), lambda acc, x: acc + x)
    return ((10 - total % 10) % 10).cast("string")


def imei_of(seed: int, tac_idx: Column, serial: Column) -> Column:
    body = F.concat(pick([t[0] for t in TACS], tac_idx), F.lpad(serial.cast("string"), 6, "0"))
    return F.concat(body, luhn_digit(body))


# Planted behaviour groups differ in usage (truth.subscribers.behaviour_group): multipliers of the voice, data
# and SMS factors, and call-type weights (local, long distance, IP long distance, roaming in province,
# national, international) -- students data/SMS-heavy and local, white-collar callers who travel, workers
# (often migrants) calling long distance, the retired using little.
GROUP_USAGE: dict[str, tuple[float, float, float]] = {
    "student": (0.35, 2.0, 4.0),
    "white_collar": (2.5, 1.2, 0.6),
    "worker": (1.2, 0.3, 0.35),
    "civil_servant": (1.2, 0.6, 2.0),
    "none": (0.4, 0.08, 0.2),
}
# log-normal spread of each factor inside a group: narrow enough that the groups stay distinct in usage (the
# segmentation should find them again: truth report, segment ARI), wide enough that they overlap at the edges
USAGE_SIGMA = {"voice": 0.3, "data": 0.35, "sms": 0.3}
GROUP_CALL_TYPES: dict[str, tuple[float, ...]] = {
    "student": (90, 6, 1, 2, 0.8, 0.2),
    "white_collar": (62, 10, 3, 12, 10, 3),
    "worker": (55, 38, 5, 1.5, 0.5, 0),
    "civil_servant": (85, 8, 2, 3, 1.5, 0.5),
    "none": (93, 5, 1, 0.7, 0.3, 0),
}
CALL_TYPES = ("local", "long_distance", "ip_long_distance", "roaming_province", "roaming_national", "roaming_international")

DATA_BYTES_PER_HOUR = 70e6  # median downlink of an active data hour per unit of data_f (log-normal, sigma 0.8)
CAMPUS_DATA_MB = [t[6] for t in TARIFFS if t[0] == "PLCAMPUS"][0]
OFF_DAY_SHARE = 0.04        # days without any activity (activity.py `off`)


def data_hour_probability(data_f: Column) -> Column:
    """Chance that each of the three daily data windows has an active hour (activity.data_usage)."""
    return F.least(F.lit(0.95), 0.45 * F.sqrt(data_f))


def expected_monthly_mb(data_f: Column) -> Column:
    """The mean monthly data (MB of 2^20 bytes, down + up) activity.data_usage draws for a usage factor: plans are
    fitted on the same number the feeds will show, so a planted well-fitting plan fits the usage analysed."""
    per_hour = DATA_BYTES_PER_HOUR * math.exp(0.8 ** 2 / 2) * 1.1  # log-normal mean; uplink = downlink / 10
    return 30 * (1 - OFF_DAY_SHARE) * 3 * data_hour_probability(data_f) * data_f * per_hour / 1048576


def subscribers(spark: SparkSession, spec: ProvinceSpec, cells: list[Cell]) -> DataFrame:
    """spark.range(n_subs) → one row per subscriber with all planted traits (see docs/feeds.md, truth)."""
    s = spec.seed
    m_count = len(spec.months)
    starts, lens = month_calendar(spec)
    local, start, size, ctype = _pattern_arrays()
    sid = F.col("id")
    df = spark.range(spec.n_subs).withColumn("block", (sid / BLOCK).cast("long")).withColumn("pos", sid % BLOCK)
    df = df.withColumn("pattern", below(s, "pattern", len(PATTERNS), "block").cast("int"))
    idx = (F.col("pattern") * BLOCK + F.col("pos") + 1).cast("int")
    df = (
        df.withColumn("community_local", F.element_at(F.array(*map(F.lit, local)), idx))
        .withColumn("community_id", F.col("block") * 8 + F.col("community_local"))
        .withColumn("comm_start", F.col("block") * BLOCK + F.element_at(F.array(*map(F.lit, start)), idx))
        .withColumn("comm_size", F.least(F.element_at(F.array(*map(F.lit, size)), idx).cast("long"),
                                         F.lit(spec.n_subs) - F.col("comm_start")))
        .withColumn("community_type", F.element_at(F.array(*map(F.lit, ctype)), idx))
        .withColumn("member_pos", sid - F.col("comm_start"))
        .withColumn("is_leader", (F.col("comm_size") >= 4) & (F.col("member_pos") < F.greatest(F.lit(1), (F.col("comm_size") / 6).cast("long"))))
        .withColumn("msisdn", msisdn_of(s, sid))
    )
    workplace = F.col("community_type") == "workplace"
    family = F.col("community_type") == "family"
    ckey = F.col("community_id")
    group_ind = weighted(("student", "white_collar", "worker", "civil_servant", "none"), (15, 25, 20, 7, 33),
                         uniform(s, "group", sid))
    group_wp = weighted(("white_collar", "worker", "civil_servant"), (50, 35, 15), uniform(s, "wgroup", ckey))
    df = df.withColumn("behaviour_group", F.when(workplace, group_wp).otherwise(group_ind))
    g = F.col("behaviour_group")
    age = (F.when(g == "student", 18 + below(s, "age", 6, sid))
           .when(g == "none", 55 + below(s, "age", 26, sid))
           .otherwise(23 + below(s, "age", 38, sid)))
    df = df.withColumn("age", age.cast("int")).withColumn("gender", pick(("M", "F"), below(s, "gender", 2, sid)))
    wkey = F.when(workplace, ckey).otherwise(sid)
    work = (F.when(g == "student", pick_cell(cells, "campus", s, "work", wkey))
            .when(g == "white_collar", pick_cell(cells, "office_tower", s, "work", wkey))
            .when(g == "worker", pick_cell(cells, "factory", s, "work", wkey))
            .when(g == "civil_servant", pick_cell(cells, "government", s, "work", wkey)))
    res = cells_of(cells, "residential")
    hkey = F.when(family, ckey).otherwise(sid)
    df = (
        df.withColumn("home_idx", below(s, "home", len(res), hkey))
        .withColumn("home_cell", F.element_at(literal_list(res), (F.col("home_idx") + 1).cast("int")))
        .withColumn("work_cell", work)
        .withColumn("is_parent", (g != "student") & (F.col("age").between(26, 45)) & (uniform(s, "parent", hkey) < 0.45))
        .withColumn("child_cell", F.when(F.col("is_parent"), F.when(
            uniform(s, "kinder", hkey) < 0.5, pick_cell(cells, "kindergarten", s, "child", hkey))
            .otherwise(pick_cell(cells, "school", s, "child", hkey))))
        .withColumn("is_commuter", (g != "none") & (uniform(s, "subway", sid) < 0.3))
        .withColumn("subway_cell", F.when(F.col("is_commuter"), pick_cell(cells, "subway_station", s, "subway", sid)))
        .withColumn("event_genre", F.when(uniform(s, "eventgoer", sid) < 0.2, pick(GENRES, below(s, "genre", len(GENRES), sid))))
        .withColumn("is_health", uniform(s, "health", sid) < 0.06)
        .withColumn("hospital_cell", F.when(F.col("is_health"), pick_cell(cells, "hospital", s, "hosp", sid)))
        .withColumn("is_film", uniform(s, "film", sid) < 0.12)
        .withColumn("cinema_cell", F.when(F.col("is_film"), pick_cell(cells, "cinema", s, "cinema", sid)))
    )
    # usage levels: log-normal factors around each behaviour group's profile (what a behaviour segmentation
    # should find again); leaders call more and more widely
    young = F.col("age") < 30

    def by_group(i: int) -> Column:
        expr = F.lit(1.0)
        for name, profile in GROUP_USAGE.items():
            expr = F.when(g == name, F.lit(float(profile[i]))).otherwise(expr)
        return expr

    df = (
        df.withColumn("voice_f", by_group(0) * F.exp(USAGE_SIGMA["voice"] * normal(s, "voice", sid)) * F.when(F.col("is_leader"), 1.8).otherwise(1.0))
        .withColumn("data_f", by_group(1) * F.exp(USAGE_SIGMA["data"] * normal(s, "data", sid) + F.when(young, 0.2).otherwise(0.0)))
        .withColumn("sms_f", by_group(2) * F.exp(USAGE_SIGMA["sms"] * normal(s, "sms", sid)))
    )
    # churn: who, which month, why (contagion resolved after the primary churners are known)
    causes = list(CHURN_CAUSES)
    weights = [spec.churn_weights.get(c, 0.0) for c in causes]
    p_churn = min(0.95, spec.churn_rate * (m_count - 1) / (1 - 0.5 * spec.churn_weights.get("contagion", 0.0)))
    is_churner = uniform(s, "churn", sid) < p_churn
    df = (
        df.withColumn("cause0", F.when(is_churner, weighted(causes, weights, uniform(s, "cause", sid))))
        .withColumn("m0", F.when(F.col("cause0").isNotNull(), 1 + below(s, "churn_m", m_count - 1, sid)))
    )
    w = Window.partitionBy("community_id")
    src_m = F.min(F.when(F.col("cause0") != "contagion", F.col("m0"))).over(w)
    contagion_m = src_m + 1 + below(s, "contagion", 2, sid)
    df = (
        df.withColumn("churn_month_idx", F.when(F.col("cause0") == "contagion",
                                                F.when(contagion_m <= m_count - 1, contagion_m)).otherwise(F.col("m0")).cast("int"))
        .withColumn("churn_cause", F.when(F.col("churn_month_idx").isNotNull(), F.col("cause0")))
        .withColumn("churn_kind", F.when(F.col("churn_cause").isNotNull(),
                                         F.when(uniform(s, "kind", sid) < 0.6, F.lit("closed")).otherwise(F.lit("suspended"))))
    )
    cm = F.col("churn_month_idx")
    month_start = F.element_at(F.array(*map(F.lit, starts)), (cm + 1))
    month_len = F.element_at(F.array(*map(F.lit, lens)), (cm + 1))
    # element_at(array, NULL) does not give NULL here, so non-churners must be guarded explicitly
    df = df.withColumn("churn_d", F.when(cm.isNotNull(),
                                         (month_start + below(s, "churn_day", month_len - 7, sid)).cast("int")))
    cause = F.col("churn_cause")
    moved = cause == "moving_away"
    df = (
        # the move comes two or three months before the churn (a new local line is taken only later): the churn
        # model's feature month (label month = feature month + 1 + gap) sees it, or the new home a month after it
        df.withColumn("move_d", F.when(moved, F.element_at(F.array(*map(F.lit, starts)),
                                                          F.greatest(cm - 1 - below(s, "move_lead", 2, sid), F.lit(1)).cast("int"))
                                       + below(s, "move_day", 20, sid)).cast("int"))
        .withColumn("moved_home_cell", F.when(moved, F.element_at(
            literal_list(res), (F.pmod(F.col("home_idx") + len(res) // 2, F.lit(len(res))) + 1).cast("int"))))
    )
    # plan: the ladder plan fitting the data need (students: the campus plan when it fits); mismatched plans are far off
    expected_mb = expected_monthly_mb(F.col("data_f"))
    fit = F.lit(len(LADDER) - 1)
    for i in reversed(range(len(LADDER))):
        fit = F.when(expected_mb <= [t[6] for t in TARIFFS if t[0] == LADDER[i]][0] * 1.1, F.lit(i)).otherwise(fit)
    mismatch = (uniform(s, "mismatch", sid) < 0.10) | F.coalesce(cause == "plan_mismatch", F.lit(False))
    ladder_idx = F.when(mismatch, F.when(fit <= 3, fit + 3).otherwise(fit - 3)).otherwise(fit)
    ladder_idx = F.when(cause == "bill_decline", F.greatest(ladder_idx, F.lit(4))).otherwise(ladder_idx)
    df = (
        df.withColumn("plan_mismatch", mismatch)
        .withColumn("ladder_idx", ladder_idx.cast("int"))
        .withColumn("plan_id", F.when((g == "student") & ~mismatch & (cause.isNull() | (cause != "bill_decline"))
                                      & (expected_mb <= CAMPUS_DATA_MB * 1.1),
                                      F.lit("PLCAMPUS")).otherwise(pick(LADDER, F.col("ladder_idx"))))
    )
    # handset: TAC by popularity (older people older phones), a change in some month for 15%
    tac_w = [t[9] for t in TACS]
    df = (
        df.withColumn("tac_idx", _weighted_index(tac_w, uniform(s, "tac", sid)))
        .withColumn("serial", below(s, "serial", 1_000_000, sid))
        .withColumn("handset_change_m", F.when(uniform(s, "hchange", sid) < 0.15, 1 + below(s, "hchange_m", m_count - 1, sid)).cast("int"))
        .withColumn("tac_idx2", _weighted_index(tac_w, uniform(s, "tac2", sid)))
        .withColumn("serial2", below(s, "serial2", 1_000_000, sid))
        .withColumn("join_days_before", F.least((F.exp(3.0 + 1.2 * normal(s, "tenure", sid)) * 30).cast("int") + 30, F.lit(9000)))
    )
    return df.transform(lambda d: vas_holdings(d, spec)).drop("cause0", "m0", "block", "pos", "pattern", "community_local")


def _weighted_index(weights: list[float], u: Column) -> Column:
    return weighted(list(range(len(weights))), weights, u).cast("int")


def propensity_exprs(spec: ProvinceSpec) -> dict[str, Column]:
    """The planted drivers of each VAS product's take-up probability (truth.propensities)."""
    g, age, genre = F.col("behaviour_group"), F.col("age"), F.col("event_genre")
    heavy_data, very_heavy_data = F.col("data_f") > 1.5, F.col("data_f") > 2.0
    office = g.isin("civil_servant", "white_collar")
    concert = genre.isin("pop", "rock", "symphony", "folk")

    def b(cond: Column, v: float) -> Column:
        return F.when(cond, v).otherwise(0.0)

    # Mature products (VAS01/02/03/05/08) are common and broadly held; the younger ones have one narrow driver
    # each, strong enough that a model on the panorama can rank the takers (top-decile lift >= 3 planted ~5).
    return {
        "VAS01": 0.35 + b(concert, 0.3) + b(age < 30, 0.1),
        "VAS02": 0.30 + b(age < 35, 0.2) + b(heavy_data, 0.1),
        "VAS03": 0.15 + b(office, 0.2),
        "VAS04": 0.02 + b(g == "student", 0.35),
        "VAS05": 0.06 + b(concert, 0.15),
        "VAS06": 0.02 + b(F.col("is_parent"), 0.25),
        "VAS07": 0.02 + b(very_heavy_data, 0.3),
        "VAS08": 0.05 + b(age > 50, 0.05),
        "VAS09": 0.01 + b(office & heavy_data, 0.35),
        "VAS10": 0.01 + b(genre.isin("pop", "folk"), 0.4),
    }


def vas_holdings(df: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Adds `p_<product>` propensities and `holdings` (array of product ids held at the start), with the
    planted association rules overriding the consequent and bundle-expiry churners holding VAS07."""
    s = spec.seed
    props = propensity_exprs(spec)
    for p, expr in props.items():
        df = df.withColumn(f"p_{p}", F.least(expr, F.lit(0.95)))
    held = {p: uniform(s, f"hold:{p}", "id") < F.col(f"p_{p}") for p in PRODUCTS}
    held["VAS07"] = held["VAS07"] | (F.col("churn_cause") == "bundle_expiry")
    for antecedent, consequent, conf in RULES:
        cond = F.lit(True)
        for a in antecedent:
            cond = cond & held[a]
        held[consequent] = F.when(cond, uniform(s, f"rule:{consequent}", "id") < conf).otherwise(held[consequent])
    arr = F.array(*[F.when(held[p], F.lit(p)) for p in PRODUCTS])
    return df.withColumn("holdings", F.filter(arr, lambda x: x.isNotNull()))


def days_frame(spark: SparkSession, spec: ProvinceSpec) -> DataFrame:
    """One row per generated day: d (global index), m (month index), date strings, weekday flag, term time."""
    rows = []
    for i, d in enumerate(spec.days()):
        m = spec.months.index(f"{d:%Y-%m}")
        rows.append((i, m, f"{d:%Y-%m-%d}", f"{d:%Y%m%d}", d.weekday(), d.weekday() < 5, d.month not in (7, 8)))
    return spark.createDataFrame(rows, "d int, m int, date string, ymd string, dow int, weekday boolean, term boolean")


def day_of(spec: ProvinceSpec, d: int) -> dt.date:
    return spec.days()[d]
