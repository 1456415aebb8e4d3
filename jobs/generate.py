"""Generate a synthetic province: raw operator feeds under <out>/raw and planted truth under <out>/truth."""

from __future__ import annotations

from lifecircle.core.paths import resolve
from lifecircle.generate.output import generate_province
from lifecircle.generate.spec import make_spec
from lifecircle.runtime import JobContext, job

OPTIONS = ("defect_rate", "churn_rate", "signal_density", "calls_per_day", "sms_per_day", "subscribers_per_part",
           "gzip_level")


@job("generate", description=__doc__, args=[
    (["--size"], {"default": None, "help": "tiny | small | medium | a number of subscribers (default demo.size)"}),
    (["--months"], {"default": None, "help": "YYYY-MM:YYYY-MM (default demo.months)"}),
    (["--seed"], {"default": None, "type": int, "help": "random seed (default demo.seed)"}),
    (["--out"], {"default": None, "help": "output folder (default paths.data_root)"}),
])
def main(ctx: JobContext) -> None:
    a = ctx.args
    section = ctx.cfg.section("generate")
    spec = make_spec(a.size or ctx.cfg.get("demo.size"), a.months or ctx.cfg.get("demo.months"),
                     a.seed if a.seed is not None else ctx.cfg.get("demo.seed"),
                     {k: section[k] for k in OPTIONS if k in section})
    out = resolve(a.out or ctx.cfg.get("paths.data_root"))
    ctx.log.info("generating %d subscribers, months %s..%s, seed %d into %s",
                 spec.n_subs, spec.months[0], spec.months[-1], spec.seed, out)
    province, counts = generate_province(ctx.spark, spec, out)
    for feed, rows in counts.items():
        ctx.rows_written[f"raw.{feed}"] = rows
    ctx.log.info("raw feeds in %s, truth in %s", province.raw, province.truth)


if __name__ == "__main__":
    raise SystemExit(main())
