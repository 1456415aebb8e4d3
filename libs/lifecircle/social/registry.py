"""Tables and jobs of lifecircle.social (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.core.pipeline import JobSpec, month_span
from lifecircle.core.tables import TableSpec

TABLES: list[TableSpec] = [
    TableSpec(
        "gold.social_edges", "Monthly social ties: undirected contact pairs (src < dst) kept by the tie rule.",
        "social_graph", partition_by=("month",), keys=("month", "src", "dst"),
        columns_doc={
            "src": "pseudonym of the smaller party id", "dst": "pseudonym of the larger party id",
            "src_network": "on_net / competitor_a / competitor_b / fixed", "calls": "calls in the month",
            "minutes": "call minutes", "sms": "SMS count", "active_days": "days with any contact",
            "src_to_dst": "calls + SMS from src to dst", "dst_to_src": "calls + SMS from dst to src",
            "reciprocal": "contacts seen in both directions", "home_calls": "calls at 19-22 or on weekends",
            "weight": "calls + 0.1 minutes + 0.5 SMS (conf social.edges.weights)",
            "strong": "strong tie used for churn contagion",
        },
    ),
    TableSpec(
        "gold.social_features", "Per-subscriber social-graph features of the month (panorama, churn, campaigns).",
        "social_graph", partition_by=("month",), keys=("month", "subscriber_id"),
        columns_doc={
            "degree": "distinct social ties", "degree_on_net": "ties with our subscribers",
            "degree_competitor": "ties with competitor numbers", "weighted_degree": "sum of tie weights",
            "reciprocity": "share of ties with contacts in both directions",
            "pagerank": "PageRank (damping 0.85; sums to the number of graph vertices)",
            "triangle_count": "triangles through the subscriber",
            "clustering_coefficient": "2T / (d (d-1)), 0 when degree < 2",
            "community_id": "label-propagation community (smallest member id)", "community_size": "vertices in it",
            "total_minutes": "minutes with non-service parties (before the tie rule)",
            "competitor_minutes_share": "share of those minutes with competitor numbers",
            "competitor_share_trend_3m": "slope per month of that share over M-2..M",
            "strong_contacts": "strong ties (months M-2..M) with parties who were our subscribers",
            "contagion_churned_1m": "of them, churned in M", "contagion_share_1m": "churned in M / strong_contacts",
            "contagion_churned_3m": "of them, churned in M-2..M", "contagion_share_3m": "same share over 3 months",
            "circle_churned_3m": "members of the subscriber's community (as each month's graph drew it) who churned "
                                 "in M-2..M",
            "circle_churn_share_3m": "circle_churned_3m / this month's community_size",
            "family_circle_id": "family candidate group (reciprocal home-hour ties), null if none",
            "family_size": "parties in that group",
        },
    ),
    TableSpec(
        "gold.communities", "Monthly communities of the social graph with membership and churn summary.",
        "social_graph", partition_by=("month",), keys=("month", "community_id"),
    ),
    TableSpec(
        "gold.leaders", "Community leaders: members combining reach and early VAS adoption (group marketing).",
        "social_graph", partition_by=("month",), keys=("month", "community_id", "subscriber_id"),
    ),
]
JOBS: list[JobSpec] = [
    JobSpec(
        "social_graph", 35, "monthly",
        "Monthly call/SMS graph: ties, PageRank, triangles, communities, leaders, family circles, churn contagion.",
        inputs=("silver.voice_cdr", "silver.sms", "silver.subscriber", "silver.vas_orders"),
        outputs=("gold.social_edges", "gold.social_features", "gold.communities", "gold.leaders"),
        period="month", demo_args=month_span,
    ),
]
