"""The job contract. Every `jobs/<name>.py` is a function decorated with `@job`, which gives it:

- the same command line under `spark-submit jobs/<name>.py --env local --month 2026-10` and under
  `lifecircle run <name> --month 2026-10` (common options: --env, --conf-dir, --set k=v, --month, --date);
- a JobContext with the config, the one SparkSession, and table reads/writes by registry name;
- a closing log line with what it read, wrote, rejected and how long it took, a row in meta.job_runs,
  and a non-zero exit with a one-line reason on failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lifecircle.core.config import Config, load_config
from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.core.errors import LifecircleError
from lifecircle.core.log import get_logger
from lifecircle.core.periods import month_range, parse_date, parse_month
from lifecircle.core.spark import build_session
from lifecircle.core.tables import TableSpec
from lifecircle.core.tracking import git_commit

ArgSpec = tuple[Sequence[str], dict[str, Any]]


@dataclass
class JobContext:
    """What a job body gets: config, session, parsed arguments, a logger and registry-aware table I/O."""

    name: str
    cfg: Config
    spark: SparkSession
    args: argparse.Namespace
    tables_read: list[str] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)
    rows_rejected: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def log(self):
        return get_logger(self.name)

    @property
    def month(self) -> str:
        if not getattr(self.args, "month", None):
            raise LifecircleError(f"job {self.name} needs --month YYYY-MM")
        return self.args.month

    @property
    def months(self) -> list[str]:
        """The months of the run, oldest first: a job's `--months A:B` range (MONTHS_ARG), else [--month]."""
        span = getattr(self.args, "months", None)
        return month_range(span) if span else [self.month]

    @property
    def date(self) -> str:
        if not getattr(self.args, "date", None):
            raise LifecircleError(f"job {self.name} needs --date YYYY-MM-DD")
        return self.args.date

    def spec(self, name: str) -> TableSpec:
        from lifecircle.registry import table

        return table(name)

    def path(self, name: str) -> str:
        return self.spec(name).path(self.cfg)

    def exists(self, name: str) -> bool:
        from lifecircle.core.delta_io import table_exists

        return table_exists(self.spark, self.path(name))

    def read(self, name: str, version: int | None = None) -> DataFrame:
        df = read_delta(self.spark, self.path(name), name, version)
        if name not in self.tables_read:
            self.tables_read.append(name)
        return df

    def read_optional(self, name: str) -> DataFrame | None:
        """The table if its job has run, else None (for features that are left-joined when present)."""
        return self.read(name) if self.exists(name) else None

    def write(
        self,
        name: str,
        df: DataFrame,
        mode: str | None = None,
        where: dict[str, Any] | str | None = None,
        merge_keys: Sequence[str] | None = None,
    ) -> int:
        """Write by registry name: `where` → partition-scoped replace, `merge_keys` → upsert, else overwrite."""
        spec = self.spec(name)
        if mode is None:
            mode = "merge" if merge_keys else ("replace" if where is not None else "overwrite")
        rows = write_delta(
            df, spec.path(self.cfg), mode=mode, partition_by=spec.partition_by,
            replace_where=where, merge_keys=merge_keys or spec.keys,
        )
        self.rows_written[name] = self.rows_written.get(name, 0) + rows
        self.log.info("wrote %s: %d rows (%s)", name, rows, mode)
        return rows

    def reject(self, count: int) -> None:
        self.rows_rejected += int(count)


def common_parser(name: str, description: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"jobs/{name}.py", description=description)
    p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"), help="config overlay conf/<env>.yaml")
    p.add_argument("--conf-dir", default=None, help="config folder (default: the project's conf/)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key, e.g. --set spark.shuffle_partitions=4")
    p.add_argument("--month", default=None, help="the month to process, YYYY-MM")
    p.add_argument("--date", default=None, help="the day to process, YYYY-MM-DD")
    return p


# A job that takes a range of months in one pass (with the result of one --month run per month) declares this.
MONTHS_ARG: ArgSpec = (["--months"], {"default": None, "metavar": "YYYY-MM:YYYY-MM",
                                      "help": "every month of the range in one pass (a backfill, the demo)"})


def _period(ns: argparse.Namespace) -> str | None:
    """The period a run covered, as logged and recorded: --month, --date or a job's --months range."""
    return getattr(ns, "month", None) or getattr(ns, "date", None) or getattr(ns, "months", None)


class _ArgError(LifecircleError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump, non-zero exit
        raise _ArgError(f"{self.prog}: {message}")


def _record_run(ctx: JobContext, status: str, started: dt.datetime, seconds: float, message: str) -> None:
    """Append the run to meta.job_runs; never fails the job over bookkeeping."""
    from lifecircle.registry import JOB_RUNS_SCHEMA, table

    try:
        period = _period(ctx.args) or ""
        row = (
            uuid.uuid4().hex, ctx.name, period, ctx.cfg.env, status, started, float(seconds),
            list(ctx.tables_read), {k: int(v) for k, v in ctx.rows_written.items()}, int(ctx.rows_rejected),
            message[:1000], git_commit(),
        )
        df = ctx.spark.createDataFrame([row], JOB_RUNS_SCHEMA)
        write_delta(df, table("meta.job_runs").path(ctx.cfg), mode="append", partition_by=("job",))
    except Exception as exc:  # pragma: no cover - bookkeeping must not hide the job's own outcome
        get_logger(ctx.name).warning("could not record the run in meta.job_runs: %s", exc)


def job(
    name: str, description: str | None = None, args: Sequence[ArgSpec] = (), needs: str | None = None,
) -> Callable[[Callable[[JobContext], Any]], Callable[..., int]]:
    """Turn `body(ctx)` into a job entry point `main(argv=None, spark=None, cfg=None) -> exit code`.

    `needs` is "month" or "date" when the period argument is required; a job with MONTHS_ARG among its `args`
    takes `--months` where it needs a month.
    """

    def decorate(body: Callable[[JobContext], Any]) -> Callable[..., int]:
        def main(argv: Sequence[str] | None = None, spark: SparkSession | None = None,
                 cfg: Config | None = None) -> int:
            log = get_logger(name)
            parser = common_parser(name, description)
            parser.__class__ = _Parser
            for flags, kwargs in args:
                parser.add_argument(*flags, **kwargs)
            started = dt.datetime.now()
            t0 = time.perf_counter()
            ctx: JobContext | None = None
            try:
                ns = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
                if ns.month:
                    parse_month(ns.month)
                if ns.date:
                    parse_date(ns.date)
                span = getattr(ns, "months", None)
                if span:
                    month_range(span)
                if needs == "month" and span:
                    if ns.month:
                        raise LifecircleError(f"job {name} takes --month or --months, not both")
                elif needs and not getattr(ns, needs, None):
                    raise LifecircleError(f"job {name} needs --{needs}")
                cfg = cfg or load_config(ns.env, ns.conf_dir, ns.overrides)
                spark = spark or build_session(name, cfg)
                ctx = JobContext(name=name, cfg=cfg, spark=spark, args=ns)
                period = _period(ns) or "-"
                log.info("start %s period=%s env=%s", name, period, cfg.env)
                body(ctx)
                seconds = time.perf_counter() - t0
                wrote = ", ".join(f"{k}={v}" for k, v in ctx.rows_written.items()) or "nothing"
                log.info(
                    "done %s period=%s read=[%s] wrote={%s} rejected=%d took=%.1fs",
                    name, period, ", ".join(ctx.tables_read), wrote, ctx.rows_rejected, seconds,
                )
                _record_run(ctx, "succeeded", started, seconds, "")
                return 0
            except LifecircleError as exc:
                seconds = time.perf_counter() - t0
                print(f"ERROR {name}: {exc}", file=sys.stderr)
                if ctx is not None:
                    _record_run(ctx, "failed", started, seconds, str(exc))
                return 2
            except Exception as exc:  # unexpected: one line to the user, the trace for the developer
                seconds = time.perf_counter() - t0
                first = (str(exc).strip().splitlines() or [""])[0][:400]
                print(f"ERROR {name}: {type(exc).__name__}: {first}", file=sys.stderr)
                if os.environ.get("LIFECIRCLE_DEBUG"):
                    traceback.print_exc()
                else:
                    print(f"ERROR {name}: (set LIFECIRCLE_DEBUG=1 for the stack trace)", file=sys.stderr)
                if ctx is not None:
                    _record_run(ctx, "failed", started, seconds, f"{type(exc).__name__}: {first}")
                return 1

        main.__doc__ = body.__doc__
        main.job_name = name  # type: ignore[attr-defined]
        return main

    return decorate


def run_script(name: str, argv: Sequence[str], spark: SparkSession | None = None, cfg: Config | None = None) -> int:
    """Import `jobs/<name>.py` from the project and run its `main` in this process (shares the session)."""
    import importlib.util

    from lifecircle.core.paths import project_root

    path = project_root() / "jobs" / f"{name}.py"
    if not path.exists():
        print(f"ERROR: no job script {path}", file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location(f"lifecircle_jobs.{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.main(list(argv), spark=spark, cfg=cfg))
