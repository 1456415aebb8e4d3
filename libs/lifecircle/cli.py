"""The `lifecircle` command: run jobs, the demo, the registries, packaging for a cluster, and the
domain commands (churn fit/score, campaign tools, the one-customer card, list decryption) that each
domain adds through an optional `lifecircle.<domain>.cli.register(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import sys
import threading
import time
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from lifecircle.core.errors import LifecircleError


def _cmd_run(ns: argparse.Namespace) -> int:
    from lifecircle.runtime import run_script

    return run_script(ns.job, ns.job_args)


def _cmd_tables(ns: argparse.Namespace) -> int:
    from lifecircle.core.config import load_config
    from lifecircle.registry import all_tables

    cfg = load_config(ns.env, ns.conf_dir, ns.overrides)
    records = [t.as_record(cfg) for t in all_tables()]
    if ns.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    width = max(len(r["name"]) for r in records)
    for r in records:
        part = ",".join(r["partition_by"]) or "-"
        print(f"{r['name']:<{width}}  {part:<14} {r['owner_job']:<18} {r['description']}")
    return 0


def _cmd_jobs(ns: argparse.Namespace) -> int:
    from lifecircle.registry import all_jobs

    for j in all_jobs():
        print(f"{j.order:>4} {j.name:<22} {j.schedule:<9} in={','.join(j.inputs) or '-'} out={','.join(j.outputs) or '-'}")
    return 0


def ensure_pii_key(cfg) -> None:
    """The demo's local pseudonymisation key: created once outside git, with a warning; never in code."""
    from lifecircle.core.log import get_logger
    from lifecircle.core.paths import resolve

    env_name = cfg.get("privacy.pii_key_env")
    for var, fname in ((env_name, cfg.get("privacy.demo_key_file")),
                       (cfg.get("privacy.lists_key_env"), cfg.get("privacy.demo_key_file") + ".lists")):
        if os.environ.get(var):
            continue
        path = Path(resolve(fname))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32) if var == env_name else _fernet_key())
            path.chmod(0o600)
        get_logger("demo").warning(
            "%s is not set: using the local demo key in %s (never use it for real data)", var, path)
        os.environ[var] = path.read_text().strip()


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


DEMO_PATHS = ("raw", "truth", "tables", "checkpoints", "warehouse", "reports", "lists", "mlflow", "logs")


def _clear_demo_data(cfg) -> list[str]:
    """Remove what an earlier demo left under the local data paths, so that a second `make demo` is a fresh run: on
    its old tables the ingestion manifest would skip the regenerated files, the launched campaign's list is frozen,
    and the new model would be judged against the old champion. Paths on HDFS/S3 are never touched."""
    import shutil

    from lifecircle.core.paths import is_uri, resolve

    removed = []
    for key in DEMO_PATHS:
        value = cfg.get(f"paths.{key}", None)
        if not value or is_uri(value):
            continue
        path = Path(resolve(value))
        if path.exists() and any(path.iterdir()):
            shutil.rmtree(path)
            removed.append(key)
    return removed


def _cmd_demo(ns: argparse.Namespace) -> int:
    from lifecircle.core.config import load_config
    from lifecircle.core.log import get_logger
    from lifecircle.core.periods import month_range
    from lifecircle.core.pipeline import DemoPlan, demo_prerequisites
    from lifecircle.core.spark import build_session, release_memory
    from lifecircle.registry import all_jobs
    from lifecircle.reports.summary import print_demo_summary
    from lifecircle.runtime import run_script

    log = get_logger("demo")
    overrides = list(ns.overrides)
    if ns.size:
        overrides.append(f"demo.size='{ns.size}'")
    cfg = load_config(ns.env, ns.conf_dir, overrides)
    if cfg.get("demo.overrides", None):  # the demo's own settings (conf/base.yaml demo.overrides); the command line wins
        overrides = [str(o) for o in cfg.get("demo.overrides")] + overrides
        cfg = load_config(ns.env, ns.conf_dir, overrides)
    ensure_pii_key(cfg)
    if not ns.keep_data and not ns.only:  # --only runs some jobs on the tables already there
        removed = _clear_demo_data(cfg)
        if removed:
            print(f"[demo] a fresh province: removed the previous demo's {', '.join(removed)} (--keep-data keeps them)",
                  flush=True)
    months = tuple(month_range(cfg.get("demo.months")))
    campaigns = tuple(sorted(p.stem for p in (cfg.conf_dir / "campaigns").glob("*.yaml")))
    plan = DemoPlan(months=months, campaigns=campaigns)
    t0 = time.perf_counter()
    spark = build_session("demo", cfg)
    log.info("Spark session ready in %.1fs; %d months %s..%s", time.perf_counter() - t0, len(months),
             months[0], months[-1])
    jobs = [j for j in all_jobs() if not ns.only or j.name in ns.only]
    lanes = max(1, int(cfg.get("demo.parallel_jobs", 1)))
    waits = demo_prerequisites(jobs)
    timings: list[tuple[str, int, float]] = []
    lock = threading.Lock()

    def run_job(spec) -> int:
        """All the demo's runs of one job, its months in order; returns the first failing exit code or 0."""
        start = time.perf_counter()
        runs = spec.demo_args(plan)
        for argv in runs:
            full = list(argv) + ["--env", ns.env] + sum((["--set", o] for o in overrides), [])
            if ns.conf_dir:
                full += ["--conf-dir", ns.conf_dir]
            t = time.perf_counter()
            rc = run_script(spec.name, full, spark=spark, cfg=cfg)
            print(f"[demo] {spec.name:<20} {' '.join(argv):<32} {'ok' if rc == 0 else 'FAILED'} "
                  f"{time.perf_counter() - t:6.1f}s", flush=True)
            if rc != 0:
                print(f"[demo] stopped: job {spec.name} {' '.join(argv)} failed (exit {rc})", file=sys.stderr)
                return rc
        if runs:
            with lock:
                timings.append((spec.name, len(runs), time.perf_counter() - start))
        return 0

    # Jobs start as soon as the jobs they wait for are done, `lanes` at a time in this one session: Spark runs
    # their queries side by side, and one job's driver work overlaps the other's tasks (see docs/benchmarks.md).
    pending = list(jobs)
    done: set[str] = set()
    running: dict[Future, str] = {}
    failed = 0
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="demo") as pool:
        while pending or running:
            while not failed and len(running) < lanes:
                ready = next((j for j in pending if waits[j.name] <= done), None)
                if ready is None:
                    break
                pending.remove(ready)
                running[pool.submit(run_job, ready)] = ready.name
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                name = running.pop(f)
                rc = f.result()
                failed = failed or rc
                done.add(name)
            if not running:
                release_memory(spark)  # nothing runs: drop cached frames and dead local checkpoints now
    if failed:
        return failed
    print_demo_summary(spark, cfg, timings, time.perf_counter() - t0)
    return 0


def build_zip(out: Path) -> Path:
    """Zip the `lifecircle` package for `spark-submit --py-files` (executors import it from there)."""
    from lifecircle.core.paths import project_root

    src = project_root() / "libs"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((src / "lifecircle").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".yaml", ".typed", ".json"):
                zf.write(path, path.relative_to(src).as_posix())
    return out


def _cmd_package(ns: argparse.Namespace) -> int:
    from lifecircle.core.paths import project_root

    out = build_zip(Path(ns.out) if ns.out else project_root() / "dist" / "lifecircle.zip")
    print(out)
    return 0


def submit_command(job_name: str, job_args: list[str], env: str, master: str | None = None,
                   conf_dir: str | None = None, extra_conf: dict[str, str] | None = None) -> list[str]:
    """The spark-submit line for one job: master, jars, the library zip, and the job's arguments."""
    from lifecircle.core.config import load_config
    from lifecircle.core.paths import project_root
    from lifecircle.core.spark import jvm_jars, spark_settings

    root = project_root()
    cfg = load_config(env, conf_dir)
    zip_path = build_zip(root / "dist" / "lifecircle.zip")
    spark_submit = str(Path(sys.executable).parent / "spark-submit")
    cmd = [spark_submit, "--master", master or cfg.get("spark.master"), "--py-files", str(zip_path)]
    jars = jvm_jars(cfg)
    if jars:
        cmd += ["--jars", ",".join(jars)]
    packages = cfg.get("spark.packages") or []
    if packages:
        cmd += ["--packages", ",".join(packages)]
    settings = spark_settings(cfg, job_name)
    for key, value in {**settings, **(extra_conf or {})}.items():
        if key in ("spark.jars", "spark.jars.packages", "spark.master"):
            continue
        cmd += ["--conf", f"{key}={value}"]
    cmd += [str(root / "jobs" / f"{job_name}.py"), "--env", env]
    if conf_dir:
        cmd += ["--conf-dir", conf_dir]
    return cmd + list(job_args)


def submit_env() -> dict[str, str]:
    """Environment for spark-submit from the project's .venv: SPARK_HOME and the Python it runs."""
    import pyspark

    env = dict(os.environ)
    env.setdefault("SPARK_HOME", str(Path(pyspark.__file__).parent))
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return env


def _cmd_submit(ns: argparse.Namespace) -> int:
    import shlex
    import subprocess

    cmd = submit_command(ns.job, ns.job_args, ns.env, ns.master, ns.conf_dir)
    print(shlex.join(cmd))
    if ns.dry_run:
        return 0
    return subprocess.call(cmd, env=submit_env())


def _cmd_docs(ns: argparse.Namespace) -> int:
    from lifecircle.reports.docs import write_docs

    for path in write_docs():
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecircle", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_conf(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
        p.add_argument("--conf-dir", default=None)
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
        return p

    p = sub.add_parser("run", help="run one job in this process: lifecircle run <job> --month 2026-10")
    p.add_argument("job")
    p.add_argument("job_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("generate", help="generate a synthetic province (the `generate` job)")
    p.add_argument("job_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda ns: _cmd_run(argparse.Namespace(job="generate", job_args=ns.job_args)))

    p = with_conf(sub.add_parser("tables", help="print the table registry"))
    p.add_argument("--json", action="store_true", help="JSON with each table's storage path")
    p.set_defaults(func=_cmd_tables)

    p = sub.add_parser("jobs", help="print the pipeline registry in run order")
    p.set_defaults(func=_cmd_jobs)

    p = with_conf(sub.add_parser("demo", help="run the whole pipeline on the embedded default"))
    p.add_argument("--size", default=None, help="province size (default: demo.size)")
    p.add_argument("--only", nargs="*", default=None, help="run only these jobs")
    p.add_argument("--keep-data", action="store_true",
                   help="run on the previous demo's tables and MLflow store instead of a fresh province")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("package", help="zip the library for spark-submit --py-files")
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_package)

    p = sub.add_parser("submit", help="run one job through spark-submit (prints the command)")
    p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
    p.add_argument("--conf-dir", default=None)
    p.add_argument("--master", default=None)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("job")
    p.add_argument("job_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_submit)

    p = sub.add_parser("docs", help="regenerate docs/pipeline.md and docs/tables.md from the registries")
    p.set_defaults(func=_cmd_docs)

    from lifecircle.registry import DOMAINS

    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"lifecircle.{domain}.cli")
        except ModuleNotFoundError as exc:
            if exc.name in (f"lifecircle.{domain}", f"lifecircle.{domain}.cli"):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["generate"]:  # every option belongs to the job; argparse's REMAINDER can't start with one
        from lifecircle.runtime import run_script

        return run_script("generate", args[1:])
    parser = build_parser()
    ns = parser.parse_args(args)
    try:
        return int(ns.func(ns) or 0)
    except LifecircleError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
