"""Retention plan of the month: priority quadrants, matched offers, budget cut, channel lists and the per-subscriber card."""

from __future__ import annotations

from lifecircle.core.spark import reuse
from lifecircle.retention.channels import channel_lists
from lifecircle.retention.offers import offer_fit, parse_offers
from lifecircle.retention.plan import assemble, build_plan
from lifecircle.runtime import JobContext, job


@job("retention_plan", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    section = ctx.cfg.section("retention")
    families = tuple((ctx.cfg.get("churn.reasons.families", {}) or {}).keys()) or None
    offers = parse_offers(ctx.cfg.load_file(section.get("offers_file", "offers.yaml")), families)
    month = {"month": ctx.month}

    def this_month(name: str):
        df = ctx.read_optional(name)
        return None if df is None else df.where(df.month == ctx.month)

    scores = ctx.read("gold.churn_scores").where(f"month = '{ctx.month}'")
    panorama = ctx.read("gold.panorama").where(f"month = '{ctx.month}'")
    optional = {"segments": this_month("gold.segments"), "plan_fit": this_month("gold.plan_fit"),
                "next_best_offer": this_month("gold.next_best_offer"),
                "social": this_month("gold.social_features"), "circles": this_month("gold.circle_features")}
    missing = sorted(k for k, v in optional.items() if v is None)
    if missing:
        ctx.log.warning("optional inputs absent for %s (their columns stay null): %s", ctx.month, ", ".join(missing))
    base = assemble(scores, panorama, optional, this_month("gold.alerts"))
    plan = reuse(build_plan(base, section, offers))  # the plan feeds three writes: compute it once
    ctx.write("gold.retention_plan", plan, where=month)
    ctx.write("gold.offer_fit", offer_fit(plan, offers), where=month)
    ctx.write("gold.retention_channel_lists", channel_lists(plan), where=month)
    plan.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
