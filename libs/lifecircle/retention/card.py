"""The retention script (seed 000 维系脚本) per subscriber: a structured card as JSON (`card_json`) and the
rendered text in Chinese and English, built with native expressions; and the one-customer card's input
checks (a single 11-digit number) and number masking."""

from __future__ import annotations

import re
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.retention.offers import Offer, offer_talking

MSISDN = re.compile(r"^1[3-9]\d{9}$")
CARD_FIELDS = ("subscriber_id", "month", "churn_probability", "risk_grade", "decile", "home_store_id",
               "home_district", "arpu", "tenure_months", "segment", "traits", "reasons", "alert_level",
               "alert_rule", "recommended_plan", "plan_fit_rule", "offer_id", "offer_name_zh", "offer_name_en",
               "offer_cost", "priority", "quadrant", "in_plan", "plan_rank", "channel", "talking_points_zh",
               "talking_points_en")


def check_msisdn(values: list[str]) -> str:
    """The one number the card may show: exactly one argument that is exactly one 11-digit mobile number;
    InputError (one line) for lists, wildcards, files, several numbers or anything else."""
    if len(values) != 1:
        raise InputError(f"card takes exactly one 11-digit number (got {len(values)} arguments); no bulk look-ups")
    v = values[0].strip()
    if v.startswith("+86"):
        v = v[3:]
    if not MSISDN.match(v):
        raise InputError("card takes exactly one 11-digit mobile number (no lists, wildcards, files or ranges)")
    return v


def mask_msisdn(msisdn: str) -> str:
    """13800138000 → 138****8000."""
    return f"{msisdn[:3]}****{msisdn[-4:]}"


def _talking(reason_points: dict[str, Any], lang: str) -> dict[str, str]:
    out = {}
    for fam, texts in (reason_points or {}).items():
        if isinstance(texts, dict) and isinstance(texts.get(lang), str):
            out[str(fam)] = texts[lang]
    return out


def talking_points(reason_points: dict[str, Any], offers: list[Offer], lang: str) -> Column:
    """Talking points in `lang`: one per top reason (from retention.card.talking_points), then the offer's."""
    pts = _talking(reason_points, lang)
    reason_pts: Column = F.array().cast("array<string>")
    if pts:
        m = F.create_map(*[x for k, v in pts.items() for x in (F.lit(k), F.lit(v))])
        reason_pts = F.filter(F.transform(F.coalesce(F.col("top_reasons"), F.array().cast("array<string>")),
                                          lambda r: m[r]), lambda x: x.isNotNull())
    offer_pt = offer_talking(offers, lang)
    return F.concat(reason_pts, F.filter(F.array(offer_pt), lambda x: x.isNotNull()))


def _s(c: str | Column, fmt: str | None = None) -> Column:
    col = F.col(c) if isinstance(c, str) else c
    if fmt:
        col = F.when(col.isNotNull(), F.format_string(fmt, col))
    return F.coalesce(col.cast("string"), F.lit("-"))


def with_cards(df: DataFrame, reason_points: dict[str, Any], offers: list[Offer]) -> DataFrame:
    """Plan rows (scores, segments, plan fit, offer, priority, channel, alert columns) in; adds
    talking_points_zh/en, card_json (the fields of CARD_FIELDS) and the rendered script_zh / script_en."""
    no_fit = F.col("plan_fit_rule").isin("none", "unknown_plan") | F.col("plan_fit_rule").isNull()
    traits = F.concat(
        F.filter(F.array(F.col("behaviour_name"), F.col("value_name"), F.col("sub_name")), lambda x: x.isNotNull()),
        F.coalesce(F.transform(F.slice(F.coalesce(F.col("reason_details"), F.array()), 1, 3),
                               lambda d: d["feature"]), F.array().cast("array<string>")))
    out = df.withColumns({
        "recommended_plan": F.when(~no_fit, F.col("best_plan_id")),
        "traits": traits,
        "talking_points_zh": talking_points(reason_points, offers, "zh"),
        "talking_points_en": talking_points(reason_points, offers, "en"),
        "card_channel": F.coalesce(F.col("channel"), F.col("preferred_channel")),
    })
    card = F.struct(
        F.col("subscriber_id"), F.col("month"), F.round("churn_probability", 4).alias("churn_probability"),
        F.col("risk_grade"), F.col("decile"), F.col("home_store_id"), F.col("home_district"),
        F.round("arpu", 2).alias("arpu"), F.col("tenure_months"), F.col("strategic_name").alias("segment"),
        F.col("traits"), F.col("top_reasons").alias("reasons"), F.col("alert_level"), F.col("alert_rule"),
        F.col("recommended_plan"), F.col("plan_fit_rule"), F.col("offer_id"), F.col("offer_name_zh"),
        F.col("offer_name_en"), F.col("offer_cost"), F.round("priority", 2).alias("priority"), F.col("quadrant"),
        F.col("in_plan"), F.col("plan_rank"), F.col("card_channel").alias("channel"),
        F.col("talking_points_zh"), F.col("talking_points_en"))
    reasons = F.array_join(F.coalesce(F.col("top_reasons"), F.array().cast("array<string>")), ", ")
    traits_s = F.array_join(F.col("traits"), ", ")
    pct = F.col("churn_probability") * 100
    zh = F.concat_ws(
        "\n",
        F.format_string("流失概率 %s%% (风险等级 %s, 第 %s 十分位) | 优先级 %s, 象限 %s%s",
                        _s(pct, "%.1f"), _s("risk_grade"), _s("decile"), _s("priority", "%.0f"), _s("quadrant"),
                        F.when(F.col("in_plan"), F.lit(" (本月维系名单)")).otherwise(F.lit(""))),
        F.format_string("归属营业厅 %s / 区县 %s | ARPU %s 元 | 在网 %s 个月",
                        _s("home_store_id"), _s("home_district"), _s("arpu", "%.1f"), _s("tenure_months")),
        F.format_string("客户特征: %s", F.when(F.length(traits_s) > 0, traits_s).otherwise(F.lit("-"))),
        F.format_string("流失原因: %s | 预警: %s", F.when(F.length(reasons) > 0, reasons).otherwise(F.lit("-")),
                        _s("alert_level")),
        F.format_string("推荐套餐: %s | 推荐政策: %s (%s 元) | 建议渠道: %s",
                        _s("recommended_plan"), _s("offer_name_zh"), _s("offer_cost", "%.0f"), _s("card_channel")),
        F.format_string("话术: %s", F.array_join(F.col("talking_points_zh"), "；")),
    )
    en = F.concat_ws(
        "\n",
        F.format_string("Churn probability %s%% (grade %s, decile %s) | priority %s, quadrant %s%s",
                        _s(pct, "%.1f"), _s("risk_grade"), _s("decile"), _s("priority", "%.0f"), _s("quadrant"),
                        F.when(F.col("in_plan"), F.lit(" (in this month's plan)")).otherwise(F.lit(""))),
        F.format_string("Home store %s / district %s | ARPU %s yuan | tenure %s months",
                        _s("home_store_id"), _s("home_district"), _s("arpu", "%.1f"), _s("tenure_months")),
        F.format_string("Traits: %s", F.when(F.length(traits_s) > 0, traits_s).otherwise(F.lit("-"))),
        F.format_string("Reasons: %s | alert: %s", F.when(F.length(reasons) > 0, reasons).otherwise(F.lit("-")),
                        _s("alert_level")),
        F.format_string("Recommended plan: %s | offer: %s (%s yuan) | channel: %s",
                        _s("recommended_plan"), _s("offer_name_en"), _s("offer_cost", "%.0f"), _s("card_channel")),
        F.format_string("Talking points: %s", F.array_join(F.col("talking_points_en"), "; ")),
    )
    return out.withColumns({"card_json": F.to_json(card, {"ignoreNullFields": "false"}), "script_zh": zh, "script_en": en}).drop("card_channel")
