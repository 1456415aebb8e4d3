"""Activity of the population as feed records: each function takes the subscriber and day frames and
returns one feed's records as string columns in the feed's column order, plus `fk` (file index),
`o1`/`o2` (the unique order of lines in the file). Everything is a hash of (seed, keys): no driver loops."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.feeds import COMPETITOR_A_PREFIXES, COMPETITOR_B_PREFIXES
from lifecircle.generate.population import (
    CALL_TYPES,
    DATA_BYTES_PER_HOUR,
    GROUP_CALL_TYPES,
    OFF_DAY_SHARE,
    PRODUCTS,
    data_hour_probability,
    expected_monthly_mb,
    literal_map,
    luhn_digit,
    month_calendar,
    msisdn_of,
)
from lifecircle.generate.reference import COUNTIES, LADDER, TACS, TARIFFS, VAS_PRODUCTS, Cell, Event
from lifecircle.generate.rng import below, normal, pick, uniform, weighted
from lifecircle.generate.spec import ProvinceSpec

NEVER = 1 << 30
# hour-of-day distribution for calls and SMS (100 draws; evening peak, quiet nights)
DIURNAL = sorted([h for h, w in enumerate((1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 6, 5, 6, 6, 6, 6, 6, 7, 7, 6, 4, 2, 1))
                  for _ in range(w)])
SERVICE_NUMBERS = ("10086", "95588", "12345", "95533", "10086")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹")
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玲红梅鑫")
AREAS = (("billing", "账单费用"), ("network", "网络质量"), ("data", "流量使用"), ("vas", "增值业务"),
         ("service", "服务态度"), ("plan", "套餐资费"))


def zero_pad(value: Column, width: int) -> Column:
    """A non-negative integer as text, left-padded with zeros to `width` (as printf's %0<width>d, never cut
    short): a plain string expression, several times cheaper per row than `format_string`'s Java Formatter."""
    text = value.cast("long").cast("string")
    return F.when(F.length(text) >= width, text).otherwise(F.lpad(text, width, "0"))


def hms(date: Column, seconds: Column) -> Column:
    """'YYYY-MM-DD HH:MM:SS' from a date string and seconds after midnight (no time-zone involved)."""
    sec = seconds.cast("int")
    return F.concat(date, F.lit(" "), zero_pad((sec / 3600).cast("int"), 2), F.lit(":"),
                    zero_pad(((sec % 3600) / 60).cast("int"), 2), F.lit(":"), zero_pad(sec % 60, 2))


def file_key(spec: ProvinceSpec, day: Column, sid: Column) -> Column:
    return (day * spec.n_parts + F.pmod(sid, F.lit(spec.n_parts))).cast("int")


def sub_days(subs: DataFrame, days: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Every (subscriber, day) while the subscriber is active (before churn_d), with `off` = phone off all day."""
    cols = ["id", "msisdn", "home_cell", "work_cell", "child_cell", "subway_cell", "hospital_cell", "cinema_cell",
            "moved_home_cell", "move_d", "churn_d", "churn_month_idx", "churn_cause", "behaviour_group", "is_parent",
            "is_commuter", "is_health", "is_film", "event_genre", "voice_f", "data_f", "sms_f", "comm_start",
            "comm_size", "member_pos", "is_leader", "tac_idx"]
    sd = subs.select(*cols).crossJoin(F.broadcast(days)).where(F.col("d") < F.coalesce(F.col("churn_d"), F.lit(NEVER)))
    return (sd.withColumn("off", uniform(spec.seed, "off", "id", "d") < OFF_DAY_SHARE)
            .withColumn("home_now", F.when(F.col("move_d").isNotNull() & (F.col("d") >= F.col("move_d")),
                                           F.col("moved_home_cell")).otherwise(F.col("home_cell")))
            .withColumn("k_rel", F.col("churn_month_idx") - F.col("m")))


def location(hour: Column) -> Column:
    """Where a subscriber is at `hour` of a sub-day row: at work on weekday working hours, else at home."""
    at_work = (F.col("weekday") & F.col("work_cell").isNotNull() & hour.between(9, 16)
               & ((F.col("behaviour_group") != "student") | F.col("term")))
    return F.when(at_work, F.col("work_cell")).otherwise(F.col("home_now"))


def signalling(sd: DataFrame, spec: ProvinceSpec, cells: list[Cell], events: list[Event], spark) -> DataFrame:
    """Location events in slots of the day (night, morning, drop-off, subway, work, pick-up, evening, late, event)
    with ping-pong handovers to a neighbouring cell."""
    s = spec.seed
    dens = spec.signal_density
    nb = literal_map([c.cell_id for c in cells], [c.neighbours[0] if c.neighbours else c.cell_id for c in cells])
    malls = [c.cell_id for c in cells if c.place_type in ("mall", "highway", "rural", "bus_stop")]
    ev = spark.createDataFrame(
        [(spec.days().index(e.day), e.genre, e.cell_id, e.start_s, e.end_s) for e in events],
        "ev_d int, ev_genre string, ev_cell string, ev_start int, ev_end int")
    sd = sd.where(~F.col("off")).join(
        F.broadcast(ev), (F.col("d") == F.col("ev_d")) & (F.col("event_genre") == F.col("ev_genre")), "left")
    wk = F.col("weekday")

    def u(tag: str) -> Column:
        return uniform(s, tag, "id", "d")

    trip = F.element_at(F.split(F.lit(",".join(malls)), ","), (below(s, "trip", len(malls), "id", "d") + 1).cast("int"))
    hospital_day = F.col("is_health") & wk & (u("hosp") < 0.07)
    trip_day = ~wk & (u("tripday") < 0.3)
    day_cell = (F.when(hospital_day, F.col("hospital_cell")).when(trip_day, trip)
                .otherwise(location(F.lit(12))))
    evening_cell = F.when(F.col("is_film") & ~wk & (u("cine") < 0.3), F.col("cinema_cell")).otherwise(F.col("home_now"))
    slots = [  # (slot, present, start second, span seconds, cell)
        (0, u("s0") < 0.85, 3600, 5 * 3600, F.col("home_now")),
        (1, u("s1") < 0.3 * dens, 6 * 3600 + 1800, 3600, F.col("home_now")),
        (2, F.col("is_parent") & wk & (u("s2") < 0.9), 7 * 3600 + 1800, 3600, F.col("child_cell")),
        (3, F.col("is_commuter") & wk & (u("s3") < 0.9), 7 * 3600, 9000, F.col("subway_cell")),
        (4, u("s4") < 0.85, 9 * 3600 + 1800, 7 * 3600, day_cell),
        (5, F.col("is_parent") & wk & (u("s5") < 0.9), 16 * 3600 + 1800, 3600, F.col("child_cell")),
        (6, F.col("is_commuter") & wk & (u("s6") < 0.9), 17 * 3600, 7200, F.col("subway_cell")),
        (7, u("s7") < 0.45 * dens, 19 * 3600, 3 * 3600, evening_cell),
        (8, u("s8") < 0.8, 22 * 3600, 5400, F.col("home_now")),
        (9, F.col("ev_cell").isNotNull() & (u("s9") < 0.7), F.col("ev_start"), F.col("ev_end") - F.col("ev_start"),
         F.col("ev_cell")),
    ]
    arr = F.array(*[
        F.struct(F.lit(k).alias("slot"), p.alias("present"), (F.lit(st) if isinstance(st, int) else st).alias("st"),
                 (F.lit(sp) if isinstance(sp, int) else sp).alias("sp"), c.alias("cell"))
        for k, p, st, sp, c in slots])
    x = sd.select("*", F.explode(arr).alias("x")).where(F.col("x.present"))
    t = F.col("x.st") + below(s, "sigt", F.col("x.sp"), "id", "d", "x.slot")
    etype = weighted(("periodic", "handover", "call", "sms", "attach"), (50, 20, 12, 10, 8), uniform(s, "etype", "id", "d", "x.slot"))
    x = x.select("id", "msisdn", "d", "date", t.alias("t"), F.col("x.slot").alias("slot"), F.col("x.cell").alias("cell"),
                 F.when(F.col("x.slot") == 0, F.lit("periodic")).otherwise(etype).alias("etype"))
    pingpong = F.array(F.lit(0), F.when(uniform(s, "pp", "id", "d", "slot") < 0.1, F.lit(1)))
    x = x.select("*", F.explode(F.filter(pingpong, lambda v: v.isNotNull())).alias("pp"))
    pp = F.col("pp") == 1
    t2 = F.col("t") + F.when(pp, 60 + below(s, "ppt", 120, "id", "d", "slot")).otherwise(0)
    return x.select(
        file_key(spec, F.col("d"), F.col("id")).alias("fk"), (F.col("d") * 86400 + t2).cast("long").alias("o1"),
        (F.col("id") * 32 + F.col("slot") * 2 + F.col("pp")).alias("o2"), F.col("id").alias("sid"),
        F.col("msisdn"), hms(F.col("date"), t2).alias("event_time"),
        F.when(pp, F.element_at(nb, F.col("cell"))).otherwise(F.col("cell")).alias("cell_id"),
        F.when(pp, F.lit("handover")).otherwise(F.col("etype")).alias("event_type"),
    )


def _contact(spec: ProvinceSpec, tag: str, keys: list[str]) -> list[Column]:
    """Chooses the other party of a call/SMS: community member, other on-net, competitor, fixed or service.
    Returns [contact on-net id or null, other number, other network]."""
    s = spec.seed
    u = uniform(s, tag + ":who", *keys)
    k = F.col("k_rel")
    ramp = F.when((F.col("churn_cause") == "competitor_poaching") & k.between(0, 3), 0.35 + 0.13 * (3 - k))
    p_comp = F.coalesce(ramp, F.lit(0.15))
    p_in = (1 - p_comp) * F.when(F.col("is_leader"), 0.55).otherwise(0.72)
    p_out = (1 - p_comp) * F.when(F.col("is_leader"), 0.35).otherwise(0.18)
    size = F.col("comm_size")
    j = below(s, tag + ":m", F.greatest(size - 1, F.lit(1)), *keys)
    member = F.col("comm_start") + F.when(j >= F.col("member_pos"), j + 1).otherwise(j)
    # leaders are their circle's hubs: a third of a member's calls inside the community go to one of its leaders
    n_leaders = F.greatest(F.lit(1), (size / 6).cast("long"))
    to_leader = (size >= 4) & ~F.col("is_leader") & (uniform(s, tag + ":hub", *keys) < 0.35)
    member = F.when(to_leader, F.col("comm_start") + below(s, tag + ":lead", n_leaders, *keys)).otherwise(member)
    rand_sub = below(s, tag + ":r", spec.n_subs, *keys)
    rand_sub = F.when(rand_sub == F.col("id"), F.pmod(rand_sub + 1, F.lit(spec.n_subs))).otherwise(rand_sub)
    onnet = F.when((u < p_in) & (size > 1), member).when(u < p_in + p_out, rand_sub)
    pool = below(s, tag + ":pool", 6, *keys)
    comp_u = uniform(s, "comp", "id", pool)
    comp_prefix = F.when(comp_u < 0.5, pick(COMPETITOR_A_PREFIXES, below(s, "cpa", len(COMPETITOR_A_PREFIXES), "id", pool))) \
        .otherwise(pick(COMPETITOR_B_PREFIXES, below(s, "cpb", len(COMPETITOR_B_PREFIXES), "id", pool)))
    comp_num = F.concat(comp_prefix, F.lpad(below(s, "cnum", 100_000_000, "id", pool).cast("string"), 8, "0"))
    is_comp = u < p_in + p_out + p_comp
    is_fixed = u < p_in + p_out + p_comp + (1 - p_in - p_out - p_comp) * 0.7
    fixed_num = F.concat(F.lit("0591-8"), F.lpad(below(s, "fixed", 10_000_000, "id", pool).cast("string"), 7, "0"))
    svc_num = pick(SERVICE_NUMBERS, below(s, tag + ":svc", len(SERVICE_NUMBERS), *keys))
    number = F.when(onnet.isNotNull(), msisdn_of(s, onnet)).when(is_comp, comp_num).when(is_fixed, fixed_num).otherwise(svc_num)
    network = (F.when(onnet.isNotNull(), F.lit("on_net"))
               .when(is_comp, F.when(comp_u < 0.5, F.lit("competitor_a")).otherwise(F.lit("competitor_b")))
               .when(is_fixed, F.lit("fixed")).otherwise(F.lit("service")))
    return [onnet.alias("contact"), number.alias("other_number"), network.alias("other_network")]


def _peer_info(subs: DataFrame) -> DataFrame:
    return subs.select(F.col("id").alias("contact"), F.col("msisdn").alias("c_msisdn"), F.col("churn_d").alias("c_churn_d"),
                       F.col("home_cell").alias("c_home"), F.col("work_cell").alias("c_work"))


def _call_type(u: Column) -> Column:
    """Local / long distance / roaming by the caller's planted behaviour group (population.GROUP_CALL_TYPES)."""
    expr = weighted(CALL_TYPES, GROUP_CALL_TYPES["civil_servant"], u)
    for name, weights in GROUP_CALL_TYPES.items():
        expr = F.when(F.col("behaviour_group") == name, weighted(CALL_TYPES, weights, u)).otherwise(expr)
    return expr


def voice_cdr(sd: DataFrame, subs: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """MO calls per sub-day (diurnal hours, Pareto durations, community-heavy contacts), the MT mirror of on-net
    calls for the callee, and MT calls from off-net numbers."""
    s = spec.seed
    weekend = F.when(F.col("weekday"), 1.0).otherwise(0.7)
    n_mo = F.least(F.floor(spec.calls_per_day * F.col("voice_f") * weekend + uniform(s, "nmo", "id", "d")), F.lit(40))
    n_in = F.floor(0.3 * F.col("voice_f") + uniform(s, "nin", "id", "d"))
    calls = sd.select("*", F.explode(F.sequence(F.lit(1), F.greatest(n_mo + n_in, F.lit(1)))).alias("k")) \
        .where(F.col("k") <= n_mo + n_in).withColumn("mo", F.col("k") <= n_mo)
    keys = ["id", "d", "k"]
    hour = pick(DIURNAL, below(s, "hour", len(DIURNAL), *keys))
    calls = calls.select(
        "*", hour.alias("hour"), (hour * 3600 + below(s, "sec", 3600, *keys)).alias("t"),
        F.least(F.floor(15.0 / F.pow(F.greatest(uniform(s, "dur", *keys), F.lit(1e-9)), 1 / 1.4)), F.lit(7200)).cast("int").alias("dur"),
        _call_type(uniform(s, "ctype", *keys)).alias("call_type"),
        *_contact(spec, "call", keys))
    # off-net incoming calls only come from off-net parties
    calls = calls.where(F.col("mo") | F.col("contact").isNull())
    calls = calls.join(F.broadcast(_peer_info(subs)), "contact", "left").where(
        F.col("contact").isNull() | (F.col("d") < F.coalesce(F.col("c_churn_d"), F.lit(NEVER))))
    rid = F.concat(F.col("ymd"), zero_pad(F.col("id"), 8), zero_pad(F.col("k"), 3))
    at_work = F.col("weekday") & F.col("c_work").isNotNull() & F.col("hour").between(9, 16)
    mo = F.col("mo")
    return _with_mirror(calls, mo & F.col("contact").isNotNull(), [
        ("fk", file_key(spec, F.col("d"), F.col("id")), file_key(spec, F.col("d"), F.col("contact"))),
        ("o1", F.col("d") * 86400 + F.col("t"), None),
        ("o2", (F.col("id") * 1000 + F.col("k")) * 4 + F.when(mo, 0).otherwise(2), (F.col("id") * 1000 + F.col("k")) * 4 + 1),
        ("sid", F.col("id"), F.col("contact")),
        ("record_id", F.concat(rid, F.when(mo, F.lit("0")).otherwise(F.lit("2"))), F.concat(rid, F.lit("1"))),
        ("msisdn", F.col("msisdn"), F.col("c_msisdn")),
        ("other_number", F.col("other_number"), F.col("msisdn")),
        ("direction", F.when(mo, F.lit("MO")).otherwise(F.lit("MT")), F.lit("MT")),
        ("start_time", hms(F.col("date"), F.col("t")), None),
        ("duration_s", F.col("dur").cast("string"), None),
        ("call_type", F.col("call_type"), None),
        ("other_network", F.col("other_network"), F.lit("on_net")),
        ("cell_id", location(F.col("hour")), F.when(at_work, F.col("c_work")).otherwise(F.col("c_home"))),
        ("forwarded", F.when(~mo & (uniform(s, "fwd", *keys) < 0.03), F.lit("1")).otherwise(F.lit("0")), F.lit("0")),
    ])


def _with_mirror(df: DataFrame, mirrored: Column, columns: list[tuple[str, Column, Column | None]]) -> DataFrame:
    """Each record as the caller's row and, where `mirrored`, also as the on-net callee's row, in one pass over
    `df` (a union of two selects would compute the whole record plan twice). `columns`: (name, caller's value,
    callee's value or None when the same)."""
    x = df.select("*", F.explode(F.when(mirrored, F.array(F.lit(False), F.lit(True)))
                                 .otherwise(F.array(F.lit(False)))).alias("_mirror"))
    m = F.col("_mirror")
    return x.select(*[(own if other is None else F.when(m, other).otherwise(own)).alias(name)
                      for name, own, other in columns])


def sms(sd: DataFrame, subs: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """P2P SMS (contacts like calls, on-net mirrored for the receiver) and service SMS from short codes."""
    s = spec.seed
    n = F.floor(spec.sms_per_day * F.col("sms_f") + uniform(s, "nsms", "id", "d"))
    n_svc = F.when(uniform(s, "svcsms", "id", "d") < 0.15, 1).otherwise(0)
    x = sd.select("*", F.explode(F.sequence(F.lit(1), F.greatest(n + n_svc, F.lit(1)))).alias("k")) \
        .where(F.col("k") <= n + n_svc).withColumn("svc", F.col("k") > n)
    keys = ["id", "d", "k"]
    t = pick(DIURNAL, below(s, "shour", len(DIURNAL), *keys)) * 3600 + below(s, "ssec", 3600, *keys)
    x = x.select("*", t.alias("t"), *_contact(spec, "sms", keys))
    x = x.withColumn("contact", F.when(F.col("svc"), None).otherwise(F.col("contact")))
    x = x.join(F.broadcast(_peer_info(subs)), "contact", "left").where(
        F.col("contact").isNull() | (F.col("d") < F.coalesce(F.col("c_churn_d"), F.lit(NEVER))))
    rid = F.concat(F.lit("S"), F.col("ymd"), zero_pad(F.col("id"), 8), zero_pad(F.col("k"), 3))
    svc = F.col("svc")
    return _with_mirror(x, ~svc & F.col("contact").isNotNull(), [
        ("fk", file_key(spec, F.col("d"), F.col("id")), file_key(spec, F.col("d"), F.col("contact"))),
        ("o1", F.col("d") * 86400 + F.col("t"), None),
        ("o2", (F.col("id") * 1000 + F.col("k")) * 2, (F.col("id") * 1000 + F.col("k")) * 2 + 1),
        ("sid", F.col("id"), F.col("contact")),
        ("record_id", F.concat(rid, F.lit("0")), F.concat(rid, F.lit("1"))),
        ("msisdn", F.col("msisdn"), F.col("c_msisdn")),
        ("other_number", F.when(svc, F.concat(F.lit("1065"), F.lpad(below(s, "sc", 10000, "k").cast("string"), 4, "0")))
         .otherwise(F.col("other_number")), F.col("msisdn")),
        ("direction", F.when(svc, F.lit("MT")).otherwise(F.lit("MO")), F.lit("MT")),
        ("send_time", hms(F.col("date"), F.col("t")), None),
        ("other_network", F.when(svc, F.lit("service")).otherwise(F.col("other_network")), F.lit("on_net")),
        ("sms_type", F.when(svc | (F.col("other_network") == "service"), F.lit("service")).otherwise(F.lit("p2p")),
         F.lit("p2p")),
    ])


def data_usage(sd: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Hourly data rows in up to three distinct hours a day (morning, midday, evening), volumes log-normal."""
    s = spec.seed
    p = data_hour_probability(F.col("data_f"))
    hours = F.array(*[F.when(uniform(s, f"dh{i}", "id", "d") < p, F.lit(h0) + below(s, f"dhh{i}", span, "id", "d"))
                      for i, (h0, span) in enumerate(((7, 3), (11, 4), (19, 5)))])
    x = sd.where(~F.col("off")).select("*", F.explode(F.filter(hours, lambda h: h.isNotNull())).alias("hour"))
    keys = ["id", "d", "hour"]
    down = (F.col("data_f") * DATA_BYTES_PER_HOUR * F.exp(0.8 * normal(s, "bytes", *keys))).cast("long")
    five_g = pick([t[4] for t in TACS], F.col("tac_idx")) == 1
    return x.select(
        file_key(spec, F.col("d"), F.col("id")).alias("fk"), (F.col("d") * 86400 + F.col("hour") * 3600).cast("long").alias("o1"),
        (F.col("id") * 32 + F.col("hour")).alias("o2"), F.col("id").alias("sid"), F.col("msisdn"),
        hms(F.col("date"), F.col("hour") * 3600).alias("hour_start"), (down / 10).cast("long").cast("string").alias("bytes_up"),
        down.cast("string").alias("bytes_down"), location(F.col("hour")).alias("cell_id"),
        weighted(("video", "social", "music", "game", "news", "shopping", "map", "other"), (30, 25, 8, 10, 7, 8, 4, 8),
                 uniform(s, "app", *keys)).alias("app_category"),
        F.when(five_g & (uniform(s, "rat", *keys) < 0.8), F.lit("5G")).otherwise(F.lit("4G")).alias("rat"))


def sub_months(subs: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """(subscriber, month) for every month the subscriber appears in the CRM snapshot, with month bounds."""
    starts, lens = month_calendar(spec)
    months = subs.sparkSession.createDataFrame(
        [(i, m.replace("-", ""), starts[i], lens[i]) for i, m in enumerate(spec.months)], "m int, yyyymm string, mstart int, mlen int")
    x = subs.crossJoin(F.broadcast(months))
    cm = F.col("churn_month_idx")
    present = cm.isNull() | (F.col("m") <= cm) | (F.col("churn_kind") == "suspended")
    return x.where(present).withColumn("k_rel", cm - F.col("m"))


def _date_of(spec: ProvinceSpec, d: Column) -> Column:
    """Global day index → 'YYYYMMDD'."""
    first = spec.days()[0]
    return F.date_format(F.date_add(F.lit(first.isoformat()).cast("date"), d.cast("int")), "yyyyMMdd")


def _iso_of(spec: ProvinceSpec, d: Column) -> Column:
    first = spec.days()[0]
    return F.date_format(F.date_add(F.lit(first.isoformat()).cast("date"), d.cast("int")), "yyyy-MM-dd")


def _ladder_now() -> Column:
    drop = F.when((F.col("churn_cause") == "bill_decline") & F.col("k_rel").between(0, 2), 3 - F.col("k_rel")).otherwise(0)
    return F.greatest(F.col("ladder_idx") - drop, F.lit(0))


def _plan_now() -> Column:
    declining = (F.col("churn_cause") == "bill_decline") & F.col("k_rel").between(0, 2)
    return F.when((F.col("plan_id") == "PLCAMPUS") & ~declining, F.lit("PLCAMPUS")).otherwise(pick(LADDER, _ladder_now()))


def profile(sm: DataFrame, spec: ProvinceSpec, cells: list[Cell]) -> DataFrame:
    """The monthly CRM snapshot: identity, brand, plan of the month, status and suspension days."""
    s = spec.seed
    county_of = literal_map([c.cell_id for c in cells], [c.county_branch.removesuffix("分公司") for c in cells])
    cm = F.col("churn_month_idx")
    churn_offset = F.col("churn_d") - F.col("mstart")
    closed_now = (F.col("churn_kind") == "closed") & (F.col("m") == cm)
    susp_now = (F.col("churn_kind") == "suspended") & (F.col("m") >= cm)
    short = uniform(s, "shortsusp", "id", "m") < 0.02
    status = F.when(closed_now, F.lit("closed")).when(susp_now, F.lit("suspended")).otherwise(F.lit("normal"))
    susp_days = (F.when(susp_now & (F.col("m") == cm), F.col("mlen") - churn_offset).when(susp_now, F.col("mlen"))
                 .when(short & ~closed_now, 1 + below(s, "shortd", 5, "id", "m")).otherwise(0))
    birth = F.date_format(F.date_sub(F.lit(f"{spec.months[0]}-01").cast("date"),
                                     (F.col("age") * 365.25 + below(s, "bday", 365, "id")).cast("int")), "yyyyMMdd")
    join = _date_of(spec, -F.col("join_days_before"))
    name = F.concat(pick(SURNAMES, below(s, "sur", len(SURNAMES), "id")), pick(GIVEN, below(s, "g1", len(GIVEN), "id")),
                    F.when(uniform(s, "g2n", "id") < 0.6, pick(GIVEN, below(s, "g2", len(GIVEN), "id"))).otherwise(F.lit("")))
    id17 = F.concat(F.lit("3501"), F.lpad(below(s, "idreg", 30, "id").cast("string"), 2, "0"), birth,
                    F.lpad(below(s, "idseq", 1000, "id").cast("string"), 3, "0"))
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = F.aggregate(F.sequence(F.lit(0), F.lit(16)), F.lit(0),
                        lambda acc, i: acc + F.substring(id17, 1, 17).substr(i + 1, F.lit(1)).cast("int") * F.element_at(F.array(*map(F.lit, weights)), i + 1))
    id_number = F.concat(id17, F.substring(F.lit("10X98765432"), (total % 11 + 1).cast("int"), 1))
    g = F.col("behaviour_group")
    occupation = F.when(uniform(s, "occ", "id") < 0.4, F.when(g == "student", "学生").when(g == "white_collar", "职员")
                        .when(g == "worker", "工人").when(g == "civil_servant", "公务员").otherwise("退休"))
    brand = F.when(F.col("ladder_idx") >= 5, F.lit("全球通")).when(F.col("age") < 30, F.lit("动感地带")).otherwise(F.lit("神州行"))
    prepaid = brand == "神州行"
    return sm.select(
        F.col("m").alias("fk"), F.lit(0).cast("long").alias("o1"), F.col("id").alias("o2"), F.col("id").alias("sid"),
        F.col("msisdn"), F.col("yyyymm").alias("bill_month"), name.alias("name"), id_number.alias("id_number"),
        F.element_at(county_of, F.col("home_cell")).alias("county"), brand.alias("brand"), F.col("gender"),
        birth.alias("birth_date"), occupation.alias("occupation"), join.alias("join_date"),
        weighted(("store", "online", "agent", "telesales"), (45, 25, 25, 5), uniform(s, "jch", "id")).alias("join_channel"),
        _plan_now().alias("plan_id"), F.when(F.col("ladder_idx") >= 5, "1").otherwise("0").alias("is_vip"),
        F.when(F.col("community_type") == "workplace", "1").otherwise("0").alias("is_group_member"),
        F.when(F.col("community_type") == "workplace", F.concat(F.lit("G"), zero_pad(F.col("community_id"), 6))).alias("group_id"),
        status.alias("status"), susp_days.cast("string").alias("suspend_days"),
        F.when(closed_now, _date_of(spec, F.col("churn_d"))).alias("close_date"),
        F.when(prepaid, F.lit("prepaid")).otherwise(F.lit("postpaid")).alias("payment_type"),
    ).withColumn("county", F.coalesce(F.col("county"), F.lit(COUNTIES[0])))


def billing(sm: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Monthly bill: plan fee + overage of usage beyond the plan + VAS fees; bill decliners step down the ladder."""
    s = spec.seed
    sm = sm.where(F.col("churn_month_idx").isNull() | (F.col("m") <= F.col("churn_month_idx")))
    tariffs = {t[0]: t for t in TARIFFS}
    plans = list(tariffs)
    plan = _plan_now()

    def tcol(i: int) -> Column:
        return F.element_at(literal_map(plans, [str(tariffs[p][i]) for p in plans]), plan).cast("double")

    decline = F.when((F.col("churn_cause") == "bill_decline") & F.col("k_rel").between(0, 2), F.pow(F.lit(0.7), 3 - F.col("k_rel"))).otherwise(1.0)
    noise = F.exp(0.15 * normal(s, "billnoise", "id", "m")) * decline
    minutes = 30 * spec.calls_per_day * F.col("voice_f") * 0.9 * noise * 3
    mb = expected_monthly_mb(F.col("data_f")) * noise  # the volume the usage feed draws, as the plan was fitted
    smsn = 30 * spec.sms_per_day * F.col("sms_f") * noise
    vas_fee_map = literal_map(list(PRODUCTS), [p[3] for p in VAS_PRODUCTS])
    vas = F.aggregate(F.transform(F.col("holdings"), lambda p: F.element_at(vas_fee_map, p).cast("double")), F.lit(0.0), lambda a, x: a + x)

    def money(c: Column) -> Column:
        return F.round(c, 2).cast("decimal(12,2)")

    fees = sm.select(
        "*", money(F.greatest(minutes - tcol(4), F.lit(0.0)) * tcol(7)).alias("voice_fee"),
        money(F.greatest(smsn - tcol(5), F.lit(0.0)) * tcol(8)).alias("sms_fee"),
        money(F.greatest(mb - tcol(6), F.lit(0.0)) * tcol(9)).alias("data_fee"),
        money(vas).alias("vas_fee"), money(tcol(3)).alias("other_fee"))
    total = F.col("voice_fee") + F.col("sms_fee") + F.col("data_fee") + F.col("vas_fee") + F.col("other_fee")
    arrears = F.when(uniform(s, "arrears", "id", "m") < 0.05, money(total * uniform(s, "arr2", "id", "m"))).otherwise(money(F.lit(0.0)))
    return fees.select(
        F.col("m").alias("fk"), F.lit(0).cast("long").alias("o1"), F.col("id").alias("o2"), F.col("id").alias("sid"),
        F.col("msisdn"), F.col("yyyymm").alias("bill_month"), total.cast("decimal(12,2)").cast("string").alias("total_fee"),
        *[F.col(c).cast("string").alias(c) for c in ("voice_fee", "sms_fee", "data_fee", "vas_fee", "other_fee")],
        arrears.cast("string").alias("arrears"),
        money(F.exp(3 + normal(s, "balance", "id", "m"))).cast("string").alias("balance"),
        (total * 10).cast("long").cast("string").alias("points"))


def terminal(sm: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """The handset of each subscriber-month (a new IMEI from the change month on)."""
    changed = F.col("handset_change_m").isNotNull() & (F.col("m") >= F.col("handset_change_m"))
    tac = pick([t[0] for t in TACS], F.when(changed, F.col("tac_idx2")).otherwise(F.col("tac_idx")))
    body = F.concat(tac, F.lpad(F.when(changed, F.col("serial2")).otherwise(F.col("serial")).cast("string"), 6, "0"))
    starts, _ = month_calendar(spec)
    change_d = F.element_at(F.array(*map(F.lit, starts)), F.col("handset_change_m") + 1) + below(spec.seed, "hcd", 20, "id")
    first = F.when(changed, _date_of(spec, change_d)).otherwise(_date_of(spec, -F.col("join_days_before")))
    last_d = F.least(F.col("mstart") + F.col("mlen") - 1, F.coalesce(F.col("churn_d") - 1, F.lit(NEVER)))
    sm = sm.where(F.col("churn_month_idx").isNull() | (F.col("m") <= F.col("churn_month_idx"))).where(last_d >= F.col("mstart"))
    return sm.select(
        F.col("m").alias("fk"), F.lit(0).cast("long").alias("o1"), F.col("id").alias("o2"), F.col("id").alias("sid"),
        F.col("msisdn"), F.concat(body, luhn_digit(body)).alias("imei"), first.alias("first_seen"), _date_of(spec, last_d).alias("last_seen"))


NEW_ORDER_RATE = 0.25  # monthly take-up = rate x planted propensity (about 5% of subscribers order something a month)


def vas_orders(sm: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Orders of the starting holdings in the first month, later orders/unsubscribes, bundle expiry (bulk cancel)."""
    s = spec.seed
    last_day = F.least(F.col("mlen"), F.coalesce(F.col("churn_d") - F.col("mstart"), F.lit(NEVER)))
    sm = sm.where(last_day > 0)
    free = [p for p in PRODUCTS if p not in ("VAS01", "VAS02", "VAS03", "VAS05", "VAS08")]
    initial = F.when(F.col("m") == 0, F.transform(F.col("holdings"), lambda p: F.struct(p.alias("product"), F.lit("order").alias("event"), F.lit("").alias("ck"))))
    # Later take-up follows the planted propensity drivers (truth.propensities): each month a non-holder
    # orders product p with probability NEW_ORDER_RATE x p_<p>, so a propensity model has signal to find.
    takes = [F.when((F.col("m") > 0) & ~F.array_contains(F.col("holdings"), p)
                    & (uniform(s, f"neworder:{p}", "id", "m") < NEW_ORDER_RATE * F.col(f"p_{p}")),
                    F.struct(F.lit(p).alias("product"),
                             F.when(uniform(s, f"trial:{p}", "id", "m") < 0.3, F.lit("trial")).otherwise(F.lit("order")).alias("event"),
                             F.lit("").alias("ck")))
             for p in free]
    new_order = F.filter(F.array(*takes), lambda e: e.isNotNull())
    held_free = F.filter(F.col("holdings"), lambda p: p.isin(*[x for x in free if x != "VAS07"]))
    unsub = F.when((F.col("m") > 0) & (F.size(held_free) > 0) & (uniform(s, "unsub", "id", "m") < 0.03),
                   F.array(F.struct(F.try_element_at(held_free, F.lit(1)).alias("product"), F.lit("unsubscribe").alias("event"), F.lit("active").alias("ck"))))
    # the 10GB pack ends two or three months before the subscriber leaves: visible in the churn model's
    # feature month (label month = feature month + 1 + gap), and within the 3-month window a month later
    expiry_lead = 2 + below(s, "expiry_lead", 2, "id")
    expiry = F.when((F.col("churn_cause") == "bundle_expiry") & (F.col("k_rel") == expiry_lead),
                    F.array(F.struct(F.lit("VAS07").alias("product"), F.lit("unsubscribe").alias("event"), F.lit("bulk").alias("ck"))))
    empty = F.array().cast("array<struct<product:string,event:string,ck:string>>")
    evs = F.concat(F.coalesce(initial, empty), F.coalesce(new_order, empty), F.coalesce(unsub, empty), F.coalesce(expiry, empty))
    x = sm.select("*", F.posexplode(evs).alias("k", "e"))
    keys = ["id", "m", "k"]
    d = F.col("mstart") + below(s, "vday", last_day, *keys)
    t = 8 * 3600 + below(s, "vsec", 14 * 3600, *keys)
    return x.select(
        d.cast("int").alias("fk"), (d * 86400 + t).cast("long").alias("o1"), (F.col("id") * 1000 + F.col("m") * 50 + F.col("k")).alias("o2"),
        F.col("id").alias("sid"), F.concat(F.lit("O"), F.col("yyyymm"), zero_pad(F.col("id"), 8), zero_pad(F.col("k"), 2)).alias("order_id"),
        F.col("msisdn"), F.col("e.product").alias("product_id"), F.col("e.event").alias("event"),
        weighted(("sms", "app", "store", "outbound", "web"), (25, 35, 20, 10, 10), uniform(s, "vch", *keys)).alias("channel"),
        hms(_iso_of(spec, d), t).alias("event_time"), F.when(F.col("e.ck") != "", F.col("e.ck")).alias("cancel_kind"))


def service_contacts(sm: DataFrame, spec: ProvinceSpec) -> DataFrame:
    """Baseline contacts (~12% of subscriber-months) plus repeated complaints / fault reports before complaint churn."""
    s = spec.seed
    last_day = F.least(F.col("mlen"), F.coalesce(F.col("churn_d") - F.col("mstart"), F.lit(NEVER)))
    sm = sm.where(last_day > 0)
    base = F.when(uniform(s, "svc", "id", "m") < 0.12, 1).otherwise(0)
    extra = F.when((F.col("churn_cause") == "complaints") & F.col("k_rel").between(0, 3), 2 + below(s, "svcx", 2, "id", "m")).otherwise(0)
    n = base + extra
    x = sm.select("*", F.explode(F.sequence(F.lit(1), F.greatest(n, F.lit(1)))).alias("k"), base.alias("nb")).where(F.col("k") <= n)
    keys = ["id", "m", "k"]
    angry = F.col("k") > F.col("nb")
    d = F.col("mstart") + below(s, "cday", last_day, *keys)
    t = 8 * 3600 + below(s, "csec", 13 * 3600, *keys)
    area_i = F.when(angry, pick((0, 1, 1, 2), below(s, "aa", 4, *keys))).otherwise(below(s, "area", len(AREAS), *keys))
    return x.select(
        d.cast("int").alias("fk"), (d * 86400 + t).cast("long").alias("o1"), (F.col("id") * 1000 + F.col("m") * 10 + F.col("k")).alias("o2"),
        F.col("id").alias("sid"), F.concat(F.lit("K"), F.col("yyyymm"), zero_pad(F.col("id"), 8), zero_pad(F.col("k"), 2)).alias("contact_id"),
        F.col("msisdn"), hms(_iso_of(spec, d), t).alias("contact_time"),
        F.when(angry, pick(("complaint", "fault_report"), below(s, "acat", 2, *keys)))
        .otherwise(weighted(("complaint", "consultation", "fault_report", "suggestion"), (20, 55, 15, 10), uniform(s, "cat", *keys))).alias("category"),
        pick([a[0] for a in AREAS], area_i).alias("business_area"), pick([a[1] for a in AREAS], area_i).alias("area_label"),
        weighted(("hotline", "store", "app", "web"), (55, 20, 20, 5), uniform(s, "cch", *keys)).alias("channel"),
        F.when(area_i == 3, F.try_element_at(F.col("holdings"), F.lit(1))).alias("product_id"))
