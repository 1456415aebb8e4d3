"""The pipeline registry's vocabulary: a JobSpec per job, and the order they run in.

`make demo`, the Airflow DAGs and the docs are all generated from the JobSpecs that
`lifecircle.registry` gathers, so adding a job is one entry in its domain's `registry.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SCHEDULES = ("once", "daily", "monthly", "campaign")


@dataclass(frozen=True)
class DemoPlan:
    """What the demo run covers: the generated months (oldest first), the campaigns to run, and how many of the
    latest months the jobs that are only looked at run for (`latest_months`)."""

    months: tuple[str, ...]
    campaigns: tuple[str, ...] = ()
    latest: int = 2


def each_month(plan: DemoPlan) -> list[list[str]]:
    return [["--month", m] for m in plan.months]


def month_span(plan: DemoPlan) -> list[list[str]]:
    """A job that takes `--months` loads the demo's whole history in one run: one pass instead of one per month."""
    return [["--months", f"{plan.months[0]}:{plan.months[-1]}"]] if plan.months else []


def latest_months(plan: DemoPlan) -> list[list[str]]:
    """The demo runs jobs whose history is not read later only where they are looked at: the last `plan.latest`
    months (the demo's two: the latest, and the one before whose future the planted-truth report knows)."""
    return [["--month", m] for m in plan.months[-plan.latest:]] if plan.latest > 0 else []


def once(plan: DemoPlan) -> list[list[str]]:
    return [[]]


@dataclass(frozen=True)
class JobSpec:
    """One job: its script `jobs/<name>.py`, order, schedule, tables in and out, and its demo runs."""

    name: str
    order: int
    schedule: str
    description: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    period: str = "month"  # month | date | none | campaign: which argument Airflow fills in
    demo_args: Callable[[DemoPlan], list[list[str]]] = field(default=each_month)
    extra_args: tuple[str, ...] = ()  # fixed arguments for scheduled runs, e.g. ("--feed", "all")
    gate: bool = False  # a quality gate: a failure stops everything downstream loudly
    after: tuple[str, ...] = ()  # jobs it needs that no table links it to (e.g. the registered champion model)

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"job {self.name}: schedule {self.schedule!r} not in {SCHEDULES}")

    @property
    def script(self) -> str:
        return f"jobs/{self.name}.py"


def ordered(jobs: Sequence[JobSpec]) -> list[JobSpec]:
    """Jobs in run order; a job whose input is produced by a later job is a registry error."""
    result = sorted(jobs, key=lambda j: (j.order, j.name))
    names = [j.name for j in result]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate job names in the pipeline registry: {names}")
    producer: dict[str, JobSpec] = {}
    for j in result:
        for out in j.outputs:
            producer.setdefault(out, j)
    for j in result:
        for name in j.after:
            if name in names and names.index(name) > names.index(j.name):
                raise ValueError(f"job {j.name} runs after {name}, which comes later (order)")
        for inp in j.inputs:
            p = producer.get(inp)
            if p is not None and p.order > j.order:
                raise ValueError(f"job {j.name} reads {inp} which {p.name} writes later (order {p.order})")
    return result


def upstream(job: JobSpec, jobs: Sequence[JobSpec]) -> list[JobSpec]:
    """The jobs of the same schedule that write one of `job`'s inputs or that it runs `after` (its direct DAG
    parents)."""
    return [
        other
        for other in jobs
        if other is not job and other.schedule == job.schedule
        and (set(other.outputs) & set(job.inputs) or other.name in job.after)
    ]


def demo_prerequisites(jobs: Sequence[JobSpec]) -> dict[str, set[str]]:
    """For the demo's scheduler: the jobs each job waits for, from the registry's tables in and out (as the Airflow
    DAGs are). A monthly job waits for the earlier jobs that write one of its inputs, transitively, so two monthly
    jobs with no table between them (life circles and the social graph) may run side by side; a job that writes a
    table waits for the earlier jobs that read it, and for its earlier writers. Jobs of the other
    schedules and quality gates are barriers: they wait for every earlier job and every later job waits for them
    (set-up, ingestion and campaigns run alone; a gate such as the privacy audit sees everything before it)."""
    ordered_jobs = ordered(jobs)
    producers: dict[str, list[str]] = {}
    readers: dict[str, list[str]] = {}
    waits: dict[str, set[str]] = {}
    barrier: str | None = None
    earlier: list[str] = []
    for j in ordered_jobs:
        is_barrier = j.schedule != "monthly" or j.gate
        if is_barrier:
            need = set(earlier)
        else:
            need = {p for inp in j.inputs for p in producers.get(inp, ())} | (set(j.after) & set(earlier))
            need |= {r for out in j.outputs for r in (*readers.get(out, ()), *producers.get(out, ()))}
            if barrier is not None:
                need.add(barrier)
        closure = set(need)
        for n in need:
            closure |= waits[n]
        waits[j.name] = closure
        if is_barrier:
            barrier = j.name
        for out in j.outputs:
            producers.setdefault(out, []).append(j.name)
        for inp in j.inputs:
            readers.setdefault(inp, []).append(j.name)
        earlier.append(j.name)
    return waits
