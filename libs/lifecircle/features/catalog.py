"""The panorama's feature catalogue: every output column as `Feature(name, family, expr, unit, source, definition)`.

Expressions are Spark SQL strings kept beside their definitions, so the data dictionary
(`docs/data_dictionary.md`, the TableSpec `columns_doc`) is generated from the same code that computes them.
Stages: row-level measures (per CDR row, summed per subscriber × contact), subscriber aggregates over those
pairs (one pass per fact table), derived columns over the aggregates, and history columns read from
`gold.usage_monthly` for months M-1 and M-2 (never a rescan of three months of CDRs).
"""

from __future__ import annotations

from dataclasses import dataclass

CALL_TYPES = ("local", "long_distance", "ip_long_distance", "roaming_province", "roaming_national",
              "roaming_international")
NETWORKS = ("on_net", "competitor_a", "competitor_b", "fixed", "service")
APP_CATEGORIES = ("video", "social", "music", "game", "news", "shopping", "map", "other")
SERVICE_CATEGORIES = ("complaint", "consultation", "fault_report", "suggestion")
BUSINESS_AREAS = ("billing", "network", "data", "vas", "service", "plan")
MB = 1048576  # bytes per MB (2^20)

# Time windows (local time, the session time zone): night 22:00-06:00; weekday daytime Mon-Fri 09:00-18:00.
NIGHT_SQL = "(hour(start_time) >= 22 OR hour(start_time) < 6)"
WEEKDAY_DAY_SQL = "(dayofweek(start_time) BETWEEN 2 AND 6 AND hour(start_time) >= 9 AND hour(start_time) < 18)"


@dataclass(frozen=True)
class Feature:
    """One documented column: its name, family, Spark SQL expression, unit, source feed and definition."""

    name: str
    family: str
    expr: str
    unit: str
    source: str
    definition: str


def _f(name: str, family: str, expr: str, unit: str, source: str, definition: str) -> Feature:
    return Feature(name, family, expr, unit, source, definition)


# ---------------------------------------------------------------- voice: row measures summed per contact pair
VOICE_PAIR_MEASURES: dict[str, str] = {
    "p_n": "1",
    "p_sec": "duration_s",
    "p_mo_n": "IF(direction = 'MO', 1, 0)",
    "p_mo_sec": "IF(direction = 'MO', duration_s, 0)",
    "p_mt_n": "IF(direction = 'MT', 1, 0)",
    "p_mt_sec": "IF(direction = 'MT', duration_s, 0)",
    "p_night_n": f"IF({NIGHT_SQL}, 1, 0)",
    "p_night_sec": f"IF({NIGHT_SQL}, duration_s, 0)",
    "p_wdd_n": f"IF({WEEKDAY_DAY_SQL}, 1, 0)",
    "p_wdd_sec": f"IF({WEEKDAY_DAY_SQL}, duration_s, 0)",
    "p_fwd_n": "IF(forwarded, 1, 0)",
    **{f"p_{ct}_n": f"IF(call_type = '{ct}', 1, 0)" for ct in CALL_TYPES},
    **{f"p_{ct}_sec": f"IF(call_type = '{ct}', duration_s, 0)" for ct in CALL_TYPES},
}
VOICE_PAIR_KEYS = ("subscriber_id", "contact_id", "contact_network")

_V = "voice_cdr"
VOICE_AGGS: list[Feature] = [
    _f("voice_calls", "voice", "sum(p_n)", "calls", _V, "calls in the month, both directions"),
    _f("voice_minutes", "voice", "CAST(sum(p_sec) AS DOUBLE) / 60", "minutes", _V, "minutes of use (MOU), both directions"),
    _f("voice_mo_calls", "voice", "sum(p_mo_n)", "calls", _V, "outgoing (MO) calls"),
    _f("voice_mo_minutes", "voice", "CAST(sum(p_mo_sec) AS DOUBLE) / 60", "minutes", _V, "outgoing (MO) minutes"),
    _f("voice_mt_calls", "voice", "sum(p_mt_n)", "calls", _V, "incoming (MT) calls"),
    _f("voice_mt_minutes", "voice", "CAST(sum(p_mt_sec) AS DOUBLE) / 60", "minutes", _V, "incoming (MT) minutes"),
    *[_f(f"voice_{ct}_calls", "voice", f"sum(p_{ct}_n)", "calls", _V, f"calls of call type {ct}")
      for ct in CALL_TYPES],
    *[_f(f"voice_{ct}_minutes", "voice", f"CAST(sum(p_{ct}_sec) AS DOUBLE) / 60", "minutes", _V, f"minutes of call type {ct}")
      for ct in CALL_TYPES],
    *[_f(f"voice_{net}_calls", "voice", f"sum(IF(contact_network = '{net}', p_n, 0))", "calls", _V,
         f"calls with {net} numbers") for net in NETWORKS],
    *[_f(f"voice_{net}_minutes", "voice", f"CAST(sum(IF(contact_network = '{net}', p_sec, 0)) AS DOUBLE) / 60", "minutes", _V,
         f"minutes with {net} numbers") for net in NETWORKS],
    _f("voice_night_calls", "voice", "sum(p_night_n)", "calls", _V, "calls starting 22:00-06:00 local time"),
    _f("voice_night_minutes", "voice", "CAST(sum(p_night_sec) AS DOUBLE) / 60", "minutes", _V,
       "minutes of calls starting 22:00-06:00"),
    _f("voice_weekday_day_calls", "voice", "sum(p_wdd_n)", "calls", _V,
       "calls starting Monday-Friday 09:00-18:00"),
    _f("voice_weekday_day_minutes", "voice", "CAST(sum(p_wdd_sec) AS DOUBLE) / 60", "minutes", _V,
       "minutes of calls starting Monday-Friday 09:00-18:00"),
    _f("voice_forwarded_calls", "voice", "sum(p_fwd_n)", "calls", _V, "forwarded calls"),
    _f("voice_contacts", "voice", "count(*)", "contacts", _V, "distinct other parties called or calling"),
    _f("voice_contacts_mo", "voice", "count_if(p_mo_n > 0)", "contacts", _V, "distinct parties called (MO)"),
    _f("voice_contacts_mt", "voice", "count_if(p_mt_n > 0)", "contacts", _V, "distinct parties calling in (MT)"),
    _f("voice_contacts_reciprocal", "voice", "count_if(p_mo_n > 0 AND p_mt_n > 0)", "contacts", _V,
       "distinct parties with calls in both directions"),
    _f("voice_contacts_on_net", "voice", "count_if(contact_network = 'on_net')", "contacts", _V,
       "distinct on-net parties"),
    _f("voice_contacts_competitor", "voice", "count_if(contact_network IN ('competitor_a', 'competitor_b'))",
       "contacts", _V, "distinct competitor-network parties"),
]


def _share(num: str, den: str) -> str:
    return f"CAST({num} AS DOUBLE) / NULLIF({den}, 0)"


VOICE_DERIVED: list[Feature] = [
    _f("voice_off_net_minutes", "voice",
       "voice_competitor_a_minutes + voice_competitor_b_minutes + voice_fixed_minutes", "minutes", _V,
       "minutes with competitor mobile and fixed numbers"),
    _f("voice_competitor_minutes", "voice", "voice_competitor_a_minutes + voice_competitor_b_minutes", "minutes",
       _V, "minutes with either competitor's mobile numbers"),
    _f("voice_on_net_share", "voice", _share("voice_on_net_minutes", "voice_minutes"), "ratio", _V,
       "on-net minutes / all minutes (null without calls)"),
    _f("voice_off_net_share", "voice", _share("voice_off_net_minutes", "voice_minutes"), "ratio", _V,
       "off-net (competitors + fixed) minutes / all minutes"),
    _f("voice_competitor_a_share", "voice", _share("voice_competitor_a_minutes", "voice_minutes"), "ratio", _V,
       "competitor A minutes / all minutes"),
    _f("voice_competitor_b_share", "voice", _share("voice_competitor_b_minutes", "voice_minutes"), "ratio", _V,
       "competitor B minutes / all minutes"),
    _f("voice_competitor_share", "voice", _share("voice_competitor_minutes", "voice_minutes"), "ratio", _V,
       "competitor (A + B) minutes / all minutes: competitor exposure"),
    _f("voice_fixed_share", "voice", _share("voice_fixed_minutes", "voice_minutes"), "ratio", _V,
       "fixed-line minutes / all minutes"),
    _f("voice_long_distance_share", "voice",
       _share("voice_long_distance_minutes + voice_ip_long_distance_minutes", "voice_minutes"), "ratio", _V,
       "long-distance (incl. IP) minutes / all minutes"),
    _f("voice_roaming_share", "voice",
       _share("voice_roaming_province_minutes + voice_roaming_national_minutes + voice_roaming_international_minutes",
              "voice_minutes"), "ratio", _V, "roaming minutes / all minutes"),
    _f("voice_night_share", "voice", _share("voice_night_calls", "voice_calls"), "ratio", _V,
       "night calls (22:00-06:00) / all calls"),
    _f("voice_weekday_day_share", "voice", _share("voice_weekday_day_calls", "voice_calls"), "ratio", _V,
       "weekday-daytime calls (Mon-Fri 09:00-18:00) / all calls"),
    _f("voice_mo_share", "voice", _share("voice_mo_calls", "voice_calls"), "ratio", _V, "MO calls / all calls"),
    _f("voice_avg_call_minutes", "voice", _share("voice_minutes", "voice_calls"), "minutes", _V,
       "mean call length"),
]

# ---------------------------------------------------------------- SMS
SMS_PAIR_MEASURES: dict[str, str] = {
    "p_n": "1",
    "p_mo_n": "IF(direction = 'MO', 1, 0)",
    "p_mt_n": "IF(direction = 'MT', 1, 0)",
    "p_p2p_n": "IF(sms_type = 'p2p', 1, 0)",
    "p_svc_n": "IF(sms_type = 'service', 1, 0)",
}
_S = "sms"
SMS_AGGS: list[Feature] = [
    _f("sms_count", "sms", "sum(p_n)", "messages", _S, "messages sent and received"),
    _f("sms_mo", "sms", "sum(p_mo_n)", "messages", _S, "messages sent (MO)"),
    _f("sms_mt", "sms", "sum(p_mt_n)", "messages", _S, "messages received (MT)"),
    _f("sms_p2p", "sms", "sum(p_p2p_n)", "messages", _S, "person-to-person messages"),
    _f("sms_service", "sms", "sum(p_svc_n)", "messages", _S, "service (application) messages"),
    *[_f(f"sms_{net}", "sms", f"sum(IF(contact_network = '{net}', p_n, 0))", "messages", _S,
         f"messages with {net} numbers") for net in ("on_net", "competitor_a", "competitor_b", "fixed")],
    _f("sms_contacts", "sms", "count_if(p_p2p_n > 0)", "contacts", _S, "distinct person-to-person SMS parties"),
]
SMS_DERIVED: list[Feature] = [
    _f("sms_on_net_share", "sms", _share("sms_on_net", "sms_count"), "ratio", _S, "on-net messages / all messages"),
    _f("sms_competitor_share", "sms", _share("sms_competitor_a + sms_competitor_b", "sms_count"), "ratio", _S,
       "competitor messages / all messages"),
    _f("sms_p2p_share", "sms", _share("sms_p2p", "sms_count"), "ratio", _S, "person-to-person / all messages"),
]

# ---------------------------------------------------------------- data (per subscriber × app category first)
DATA_APP_MEASURES: dict[str, str] = {
    "a_bytes": "bytes_up + bytes_down",
    "a_up": "bytes_up",
    "a_down": "bytes_down",
    "a_5g": "IF(rat = '5G', bytes_up + bytes_down, 0)",
    "a_hours": "1",
    "a_5g_hours": "IF(rat = '5G', 1, 0)",
}
DATA_APP_KEY = "coalesce(app_category, 'other')"
_D = "data_usage"
DATA_AGGS: list[Feature] = [
    _f("data_mb", "data", f"CAST(sum(a_bytes) AS DOUBLE) / {MB}", "MB", _D, "mobile data volume, up + down"),
    _f("data_up_mb", "data", f"CAST(sum(a_up) AS DOUBLE) / {MB}", "MB", _D, "uploaded volume"),
    _f("data_down_mb", "data", f"CAST(sum(a_down) AS DOUBLE) / {MB}", "MB", _D, "downloaded volume"),
    _f("data_5g_mb", "data", f"CAST(sum(a_5g) AS DOUBLE) / {MB}", "MB", _D, "volume carried on 5G"),
    _f("data_hours", "data", "sum(a_hours)", "hours", _D, "subscriber-hours with data sessions"),
    _f("data_5g_hours", "data", "sum(a_5g_hours)", "hours", _D, "subscriber-hours on 5G"),
    *[_f(f"data_{app}_mb", "data", f"CAST(sum(IF(app = '{app}', a_bytes, 0)) AS DOUBLE) / {MB}", "MB", _D,
         f"volume of app category {app} (missing category counts as other)") for app in APP_CATEGORIES],
    _f("data_top_app", "data", "max_by(app, named_struct('b', a_bytes, 'app', app))", "category", _D,
       "app category with the most volume (ties: alphabetically last)"),
]
DATA_DERIVED: list[Feature] = [
    _f("data_5g_share", "data", _share("data_5g_mb", "data_mb"), "ratio", _D, "5G volume / all volume"),
    _f("data_top_app_share", "data",
       _share("CASE data_top_app " + " ".join(f"WHEN '{a}' THEN data_{a}_mb" for a in APP_CATEGORIES) + " END",
              "data_mb"), "ratio", _D, "share of volume in the top app category"),
]

# ---------------------------------------------------------------- VAS events and holdings
_VAS = "vas_orders"
VAS_AGGS: list[Feature] = [
    _f("vas_orders", "vas", "count_if(event = 'order')", "events", _VAS, "VAS orders in the month"),
    _f("vas_cancels", "vas", "count_if(event = 'unsubscribe')", "events", _VAS, "VAS cancellations in the month"),
    _f("vas_cancels_bulk", "vas", "count_if(event = 'unsubscribe' AND cancel_kind = 'bulk')", "events", _VAS,
       "cancellations of kind bulk"),
    _f("vas_cancels_active", "vas", "count_if(event = 'unsubscribe' AND cancel_kind = 'active')", "events", _VAS,
       "cancellations the subscriber made actively"),
    _f("vas_trials", "vas", "count_if(event = 'trial')", "events", _VAS, "VAS trials started in the month"),
]
VAS_HELD: list[Feature] = [
    _f("vas_held_ids", "vas", "array_sort(collect_list(product_id))", "product ids", _VAS,
       "VAS products held at month end (the last order/unsubscribe event per product up to the end of M)"),
]
VAS_DERIVED: list[Feature] = [
    _f("vas_products_held", "vas", "size(vas_held_ids)", "products", _VAS, "number of VAS products held at month end"),
]

# ---------------------------------------------------------------- service contacts
_SC = "service_contacts"
SERVICE_AGGS: list[Feature] = [
    _f("svc_contacts", "service", "count(*)", "contacts", _SC, "service contacts of any category"),
    _f("svc_complaints", "service", "count_if(category = 'complaint')", "contacts", _SC, "complaints in M"),
    _f("svc_consultations", "service", "count_if(category = 'consultation')", "contacts", _SC,
       "consultations in M"),
    _f("svc_fault_reports", "service", "count_if(category = 'fault_report')", "contacts", _SC,
       "fault reports in M"),
    _f("svc_suggestions", "service", "count_if(category = 'suggestion')", "contacts", _SC, "suggestions in M"),
    *[_f(f"svc_complaints_{area}", "service", f"count_if(category = 'complaint' AND business_area = '{area}')",
         "contacts", _SC, f"complaints about {area}") for area in BUSINESS_AREAS],
]

# ---------------------------------------------------------------- billing (silver.billing, month M)
_B = "billing"
BILLING: list[Feature] = [
    _f("arpu", "fees", "CAST(total_fee AS DOUBLE)", "yuan", _B, "total billed in M (ARPU)"),
    _f("fee_voice", "fees", "CAST(voice_fee AS DOUBLE)", "yuan", _B, "voice fee"),
    _f("fee_sms", "fees", "CAST(sms_fee AS DOUBLE)", "yuan", _B, "SMS fee"),
    _f("fee_data", "fees", "CAST(data_fee AS DOUBLE)", "yuan", _B, "data fee"),
    _f("fee_vas", "fees", "CAST(vas_fee AS DOUBLE)", "yuan", _B, "VAS fee"),
    _f("fee_other", "fees", "CAST(other_fee AS DOUBLE)", "yuan", _B, "plan and other fees"),
    _f("arrears", "fees", "CAST(arrears AS DOUBLE)", "yuan", _B, "unpaid amount at month end"),
    _f("balance", "fees", "CAST(balance AS DOUBLE)", "yuan", _B, "prepaid balance at month end"),
    _f("points", "fees", "points", "points", _B, "loyalty points"),
]
FEES_DERIVED: list[Feature] = [
    *[_f(f"fee_{k}_share", "fees", _share(f"fee_{k}", "arpu"), "ratio", _B, f"{k} fee / ARPU")
      for k in ("voice", "sms", "data", "vas", "other")],
    _f("in_arrears", "activity", "coalesce(arrears > 0, false)", "flag", _B, "arrears above zero at month end"),
]

# The carried column: defined on M and M-1 (gold.usage_monthly) so it needs no history scan; computed in closed
# form over a range of months by features.panorama.bill_decline_streak (this expression is its definition).
CARRY: list[Feature] = [
    _f("bill_decline_streak", "fees",
       "CASE WHEN arpu IS NULL THEN NULL "
       "WHEN prev_arpu > 0 AND arpu < prev_arpu * (1 - {decline}) THEN coalesce(prev_streak, 0) + 1 ELSE 0 END",
       "months", _B,
       "consecutive months (up to M) whose bill fell more than the configured share (15%) below the month "
       "before; counted from the first month in gold.usage_monthly"),
]

# ---------------------------------------------------------------- history from gold.usage_monthly (M-1, M-2)
HISTORY_COLUMNS: dict[str, str] = {  # usage_monthly column -> its type (for months never computed)
    "arpu": "double", "voice_minutes": "double", "voice_competitor_share": "double", "data_mb": "double",
    "sms_count": "bigint", "svc_complaints": "bigint", "svc_consultations": "bigint", "svc_fault_reports": "bigint",
    "svc_contacts": "bigint", "vas_products_held": "int", "vas_cancels_bulk": "bigint",
}
_H = "gold.usage_monthly"
HISTORY_DERIVED: list[Feature] = [
    _f("arpu_m1", "fees", "h1_arpu", "yuan", _H, "ARPU in M-1 (null when not a subscriber or not computed)"),
    _f("arpu_m2", "fees", "h2_arpu", "yuan", _H, "ARPU in M-2"),
    _f("arpu_3m_mean", "fees", "aggregate(filter(array(arpu, h1_arpu, h2_arpu), x -> x IS NOT NULL), "
       "CAST(0 AS DOUBLE), (a, x) -> a + x) / NULLIF(size(filter(array(arpu, h1_arpu, h2_arpu), "
       "x -> x IS NOT NULL)), 0)", "yuan", _H, "mean ARPU over M, M-1, M-2 (months present)"),
    _f("arpu_trend", "fees", "(arpu - h2_arpu) / 2", "yuan/month", _H,
       "least-squares slope of ARPU over M-2, M-1, M ((M - M-2)/2); null unless both ends are known"),
    _f("arpu_change_m1", "fees", "arpu / NULLIF(h1_arpu, 0) - 1", "ratio", _H, "ARPU M / ARPU M-1 - 1"),
    _f("voice_minutes_m1", "voice", "h1_voice_minutes", "minutes", _H, "MOU in M-1"),
    _f("voice_minutes_m2", "voice", "h2_voice_minutes", "minutes", _H, "MOU in M-2"),
    _f("voice_minutes_change_m1", "voice", "voice_minutes / NULLIF(h1_voice_minutes, 0) - 1", "ratio", _H,
       "MOU M / MOU M-1 - 1"),
    _f("voice_competitor_share_m1", "voice", "h1_voice_competitor_share", "ratio", _H, "competitor share in M-1"),
    _f("voice_competitor_share_m2", "voice", "h2_voice_competitor_share", "ratio", _H, "competitor share in M-2"),
    _f("voice_competitor_share_trend", "voice", "(voice_competitor_share - h2_voice_competitor_share) / 2",
       "ratio/month", _H, "least-squares slope of the competitor share over M-2..M"),
    _f("data_mb_m1", "data", "h1_data_mb", "MB", _H, "data volume in M-1"),
    _f("data_mb_m2", "data", "h2_data_mb", "MB", _H, "data volume in M-2"),
    _f("data_mb_growth", "data", "data_mb / NULLIF(h1_data_mb, 0) - 1", "ratio", _H, "data M / data M-1 - 1"),
    _f("sms_count_m1", "sms", "h1_sms_count", "messages", _H, "messages in M-1"),
    _f("vas_products_held_m1", "vas", "h1_vas_products_held", "products", _H, "VAS products held at end of M-1"),
    _f("vas_cancels_bulk_3m", "vas", "vas_cancels_bulk + coalesce(h1_vas_cancels_bulk, 0) + coalesce(h2_vas_cancels_bulk, 0)",
       "events", _H, "bulk cancellations (a bundle or pack that ended) in M, M-1 and M-2"),
    *[_f(f"{c}_3m", "service", f"{c} + coalesce(h1_{c}, 0) + coalesce(h2_{c}, 0)", "contacts", _H,
         f"{c.removeprefix('svc_').replace('_', ' ')} in M, M-1 and M-2")
      for c in ("svc_complaints", "svc_consultations", "svc_fault_reports", "svc_contacts")],
]

# ---------------------------------------------------------------- profile, plan, terminal, activity
_P = "subscriber_profile"
PROFILE: list[Feature] = [
    _f("county", "profile", "county", "", _P, "county of registration"),
    _f("brand", "profile", "brand", "", _P, "brand"),
    _f("gender", "profile", "gender", "", _P, "M / F"),
    _f("age_band", "profile", "age_band", "", _P, "age band; inferred from life circles when registered is missing"),
    _f("age_band_inferred", "profile", "age_band_inferred", "flag", "gold.circle_features",
       "age_band was filled from a life circle, not registered"),
    _f("occupation", "profile", "occupation", "", _P,
       "occupation; inferred from life circles when registered is missing"),
    _f("occupation_inferred", "profile", "occupation_inferred", "flag", "gold.circle_features",
       "occupation was filled from a life circle, not registered"),
    _f("join_date", "profile", "join_date", "date", _P, "date the subscription started"),
    _f("tenure_months", "profile", "tenure_months", "months", _P, "months since join"),
    _f("join_channel", "profile", "join_channel", "", _P, "store / online / agent / telesales"),
    _f("plan_id", "profile", "plan_id", "", _P, "current tariff plan (null = pay as you go)"),
    _f("is_vip", "profile", "is_vip", "flag", _P, "VIP customer"),
    _f("is_group_member", "profile", "is_group_member", "flag", _P, "member of a corporate account"),
    _f("group_id", "profile", "group_id", "", _P, "corporate account id"),
    _f("payment_type", "profile", "payment_type", "", _P, "prepaid / postpaid"),
    _f("status", "profile", "status", "", _P, "normal / suspended / closed at month end"),
    _f("suspend_days", "profile", "suspend_days", "days", _P, "days suspended in M"),
    _f("close_date", "profile", "close_date", "date", _P, "date the account closed (closed in M)"),
    _f("churned", "profile", "churned", "flag", _P, "churned in M (suspended >= 7 days or closed in M): the label"),
    _f("is_active", "activity", "status IN ('normal', 'suspended')", "flag", _P, "account open at month end"),
    _f("region_county_branch", "profile", "{lc_home_county_branch}", "", "gold.circle_features",
       "home county branch from the life circle (null without circle features)"),
    _f("region_marketing_center", "profile", "{lc_home_marketing_center}", "", "gold.circle_features",
       "home marketing centre from the life circle"),
    _f("region_district", "profile", "{lc_home_district}", "", "gold.circle_features",
       "home district from the life circle"),
    _f("region_store_id", "profile", "{lc_home_store_id}", "", "gold.circle_features",
       "home store from the life circle"),
    _f("region_cell", "profile", "{lc_home_cell}", "", "gold.circle_features", "home cell from the life circle"),
]
_T = "tariffs"
PLAN: list[Feature] = [
    _f("plan_type", "plan", "t_plan_type", "", _T, "voice / data / mixed / family / campus"),
    _f("plan_monthly_fee", "plan", "CAST(t_monthly_fee AS DOUBLE)", "yuan", _T, "plan's monthly fee"),
    _f("plan_incl_voice_min", "plan", "t_incl_voice_min", "minutes", _T, "minutes included"),
    _f("plan_incl_sms", "plan", "t_incl_sms", "messages", _T, "messages included"),
    _f("plan_incl_data_mb", "plan", "t_incl_data_mb", "MB", _T, "data included"),
    _f("plan_voice_use_ratio", "plan", "voice_mo_minutes / NULLIF(t_incl_voice_min, 0)", "ratio", _T,
       "MO minutes / included minutes (far from 1 = plan mismatch)"),
    _f("plan_data_use_ratio", "plan", "data_mb / NULLIF(t_incl_data_mb, 0)", "ratio", _T,
       "data MB / included MB"),
    _f("plan_fee_ratio", "plan", "arpu / NULLIF(CAST(t_monthly_fee AS DOUBLE), 0)", "ratio", _T,
       "ARPU / plan monthly fee (above 1: overage)"),
]
_TM = "terminal"
TERMINAL: list[Feature] = [
    _f("term_brand", "terminal", "tac_brand", "", _TM, "handset brand (TAC catalogue)"),
    _f("term_model", "terminal", "tac_model", "", _TM, "handset model"),
    _f("term_supports_4g", "terminal", "tac_supports_4g", "flag", _TM, "handset supports 4G"),
    _f("term_supports_5g", "terminal", "tac_supports_5g", "flag", _TM, "handset supports 5G"),
    _f("term_volte", "terminal", "tac_volte", "flag", _TM, "handset supports VoLTE"),
    _f("term_wap", "terminal", "tac_wap", "flag", _TM, "handset supports WAP"),
    _f("term_mms", "terminal", "tac_mms", "flag", _TM, "handset supports MMS"),
    _f("term_launch_year", "terminal", "tac_launch_year", "year", _TM, "model launch year"),
    _f("handset_age_months", "terminal",
       "CAST(floor(months_between(add_months(to_date(concat(month, '-01')), 1), term_first_seen)) AS INT)",
       "months", _TM, "whole months from first seen with this subscriber to the end of M"),
    _f("handset_changed", "terminal",
       "term_first_seen >= to_date(concat(month, '-01'))", "flag", _TM, "handset first seen in M"),
]
ACTIVITY: list[Feature] = [
    _f("is_voice_user", "activity", "voice_calls > 0", "flag", _V, "any call in M"),
    _f("is_sms_user", "activity", "sms_count > 0", "flag", _S, "any SMS in M"),
    _f("is_data_user", "activity", "data_mb > 0", "flag", _D, "any data in M"),
    _f("is_5g_user", "activity", "data_5g_mb > 0", "flag", _D, "any 5G data in M"),
    _f("is_vas_user", "activity", "vas_products_held > 0 OR coalesce(fee_vas, 0) > 0", "flag", _VAS,
       "holds a VAS product at month end or paid a VAS fee"),
    _f("is_zero_user", "activity", "voice_calls = 0 AND sms_count = 0 AND data_hours = 0", "flag",
       "voice_cdr, sms, data_usage", "no voice, no SMS and no data in M (seed 000 zero user)"),
    _f("is_5g_capable_on_4g", "activity", "coalesce(term_supports_5g, false) AND coalesce(data_5g_mb, 0) = 0",
       "flag", "terminal, data_usage", "5G handset but no 5G traffic"),
    _f("region_outside_registered_county", "profile",
       "IF(region_county_branch IS NULL OR county IS NULL, NULL, "
       "replace(region_county_branch, '分公司', '') != county)", "flag", "gold.circle_features, subscriber_profile",
       "the life circle's home lies outside the county the line is registered in (lives away, 异地); null without a "
       "located home"),
]

KEYS: list[Feature] = [
    _f("subscriber_id", "key", "subscriber_id", "", _P, "pseudonymised subscriber number"),
    _f("month", "key", "month", "YYYY-MM", _P, "the month (partition)"),
]

# Prefix families joined from optional gold tables: every column of the source table, renamed.
PREFIX_DOCS: dict[str, tuple[str, str, str]] = {
    "lc_": ("circle", "gold.circle_features", "life-circle feature `<column>` of gold.circle_features for M"),
    "sn_": ("social", "gold.social_features", "social-circle feature `<column>` of gold.social_features for M"),
}

# Per-month aggregates kept in gold.usage_monthly (what the next months' history columns read).
USAGE_FEATURES: list[Feature] = [
    *VOICE_AGGS, *VOICE_DERIVED, *SMS_AGGS, *SMS_DERIVED, *DATA_AGGS, *DATA_DERIVED, *VAS_AGGS, *VAS_HELD,
    *VAS_DERIVED, *SERVICE_AGGS, *BILLING, *FEES_DERIVED, *CARRY,
]
PANORAMA_FEATURES: list[Feature] = [
    *KEYS, *PROFILE, *ACTIVITY, *USAGE_FEATURES, *HISTORY_DERIVED, *PLAN, *TERMINAL,
]


def feature_index() -> dict[str, Feature]:
    """Every documented panorama column by name (a duplicate name is a catalogue error)."""
    out: dict[str, Feature] = {}
    for feat in PANORAMA_FEATURES:
        if feat.name in out:
            raise ValueError(f"feature {feat.name} declared twice in the panorama catalogue")
        out[feat.name] = feat
    return out


def zero_filled() -> list[str]:
    """Aggregate counts and volumes that are 0 (not null) for a subscriber without events."""
    return [f.name for f in (*VOICE_AGGS, *SMS_AGGS, *DATA_AGGS, *VAS_AGGS, *SERVICE_AGGS) if f.name != "data_top_app"]
