"""Tables and jobs of lifecircle.circles (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.circles.features import REGION_COUNTS_SCHEMA
from lifecircle.circles.stays import STAYS_SCHEMA
from lifecircle.circles.tags import TAGS_SCHEMA
from lifecircle.core.pipeline import JobSpec, month_span
from lifecircle.core.tables import TableSpec

TABLES: list[TableSpec] = [
    TableSpec(
        "gold.stays", "Stays per subscriber: consecutive signalling in one cell after ping-pong smoothing; "
        "computed once per month and reused by every life circle.", "life_circle", partition_by=("month",),
        schema=STAYS_SCHEMA, keys=("month", "subscriber_id", "start_time"),
        columns_doc={"start_time": "first event of the stay (local time)",
                     "end_time": "next stay's first event, at most tags.stays.max_gap_minutes after the last event",
                     "duration_s": "end_time - start_time in seconds", "n_events": "signalling events in the stay"},
    ),
    TableSpec(
        "gold.tags", "Life-circle tag store: subscriber × category / tag / value with confidence and evidence "
        "(conf/tags.yaml is the taxonomy).", "life_circle", partition_by=("month",), schema=TAGS_SCHEMA,
        keys=("month", "subscriber_id", "category", "tag", "value"),
        columns_doc={
            "category": "region / demographic / preference / need / behaviour",
            "tag": "e.g. home_cell, student, music, subway_commuter",
            "value": "e.g. H1, 江南大学, pop:张学友, yes",
            "confidence": "0..1: dwell share for region tags, evidence / (2 × threshold) for circles",
            "evidence_count": "days (place, activity, roaming, region) or events attended (event circles)",
            "first_seen": "first day of evidence in the month", "last_seen": "last day of evidence in the month",
            "valid_month": "last month the tag holds (month + tags.validity_months[category] - 1)",
        },
    ),
    TableSpec(
        "gold.circle_features", "Life circles pivoted per subscriber × month for the panorama: home/work region "
        "path, locatable, home_moved, circle flags (is_*, likes_*), value columns (income_band, music_genre, "
        "health_need, ...), tag counts. Flag and value columns follow conf/tags.yaml.", "life_circle",
        partition_by=("month",), keys=("month", "subscriber_id"),
        columns_doc={
            "locatable": "false = too little evidence for a home cell (not guessed)",
            "home_cell": "cell with the longest night/weekend dwell on ≥ min_days days",
            "work_cell": "cell with the longest weekday 09-17 dwell on ≥ min_days days; null when it is home",
            "recent_home_cell": "home over the month's last tags.region.move.recent_days days",
            "home_moved": "recent home differs from the earlier home, or from last month's recent home",
            "n_tags": "non-region tags", "days_seen": "days with any signalling",
        },
    ),
    TableSpec(
        "gold.region_counts", "Subscribers per region level (cell, store, district, marketing centre, county "
        "branch) by home and by work, per month, for the OLAP cubes.", "life_circle", partition_by=("month",),
        schema=REGION_COUNTS_SCHEMA, keys=("month", "basis", "level", "region_id"),
        columns_doc={"basis": "home | work", "level": "cell / store_id / district / marketing_center / county_branch"},
    ),
]

JOBS: list[JobSpec] = [
    JobSpec(
        "life_circle", 30, "monthly",
        "Life circles from location signalling: stays, home/work region, demographic, preference and "
        "behaviour tags, pivoted features and region counts.",
        inputs=("silver.signalling", "silver.cells", "silver.events", "silver.voice_cdr"),
        outputs=("gold.stays", "gold.tags", "gold.circle_features", "gold.region_counts"),
        period="month", demo_args=month_span,
    ),
]
