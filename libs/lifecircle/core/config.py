"""One config loader: conf/base.yaml (+ its section files) + an environment overlay + environment
variables + `--set key=value` overrides, validated against the base so a typo is an error, not a default.

base.yaml is the schema by example: an overlay may only set keys that exist there, with a value of the
same type (a `null` or an empty mapping in the base accepts anything). `${a.b}` inside a string is
replaced by the value at `a.b` after all layers are merged.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from lifecircle.core.errors import ConfigError
from lifecircle.core.paths import project_root

ENV_PREFIX = "LIFECIRCLE__"
_REF = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


def default_conf_dir() -> Path:
    """`$LIFECIRCLE_CONF_DIR`, else the project's `conf/`."""
    return Path(os.environ.get("LIFECIRCLE_CONF_DIR") or project_root() / "conf")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} invalid YAML ({getattr(exc, 'problem', exc)})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _type_ok(base: Any, value: Any) -> bool:
    if base is None or value is None:
        return True
    if isinstance(base, bool):
        return isinstance(value, bool)
    if isinstance(base, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(base, str):
        return isinstance(value, str)
    if isinstance(base, list):
        return isinstance(value, list)
    if isinstance(base, dict):
        return isinstance(value, dict)
    return True


def _merge(base: dict[str, Any], overlay: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """Merge `overlay` into `base` in place, refusing unknown keys and wrong types."""
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            if base == {} or base.get("__open__", False):
                base[key] = copy.deepcopy(value)
                continue
            known = ", ".join(sorted(k for k in base if not k.startswith("__")))
            raise ConfigError(f"{source}: unknown key '{dotted}' (known at this level: {known})")
        current = base[key]
        if isinstance(current, dict) and isinstance(value, dict):
            if not current:  # an empty mapping in the base is open: take the overlay as is
                base[key] = copy.deepcopy(value)
            else:
                _merge(current, value, source, dotted + ".")
            continue
        if not _type_ok(current, value):
            raise ConfigError(
                f"{source}: key '{dotted}' must be {type(current).__name__}, "
                f"got {type(value).__name__} {value!r}"
            )
        base[key] = copy.deepcopy(value)


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _parse_scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


class Config:
    """Merged, validated configuration with dotted look-ups (`cfg.get("spark.master")`)."""

    def __init__(self, data: dict[str, Any], env: str, conf_dir: Path):
        self._data = data
        self.env = env
        self.conf_dir = conf_dir

    def get(self, dotted: str, default: Any = ...) -> Any:
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is ...:
                    raise ConfigError(f"config key '{dotted}' is not defined (env '{self.env}', {self.conf_dir})")
                return default
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        value = self.get(name)
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{name}' is not a section")
        return value

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def load_file(self, name: str) -> dict[str, Any]:
        """A further YAML file from the conf dir (e.g. `tariffs.yaml`, `campaigns/retention_q4.yaml`)."""
        return _read_yaml(self.conf_dir / name)


def _resolve_refs(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    if depth > 10:
        raise ConfigError("config references nest too deeply (a cycle of ${...}?)")
    if isinstance(node, dict):
        return {k: _resolve_refs(v, root, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, root, depth) for v in node]
    if isinstance(node, str) and "${" in node:
        def repl(match: re.Match[str]) -> str:
            ref = root
            for part in match.group(1).split("."):
                if not isinstance(ref, dict) or part not in ref:
                    raise ConfigError(f"config reference '${{{match.group(1)}}}' names no key")
                ref = ref[part]
            return str(_resolve_refs(ref, root, depth + 1))

        return _REF.sub(repl, node)
    return node


def load_config(
    env: str = "local",
    conf_dir: str | Path | None = None,
    overrides: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Merge base.yaml, its `include` sections, `<env>.yaml`, LIFECIRCLE__A__B env vars and `--set a.b=v`."""
    conf_path = Path(conf_dir) if conf_dir else default_conf_dir()
    environ = os.environ if environ is None else environ
    base_file = conf_path / "base.yaml"
    data = _read_yaml(base_file)
    for section_file in data.pop("include", []) or []:
        stem = Path(section_file).stem
        if stem in data:
            raise ConfigError(f"{base_file}: section file '{section_file}' clashes with key '{stem}'")
        data[stem] = _read_yaml(conf_path / section_file)
    if env and env != "base":
        env_file = conf_path / f"{env}.yaml"
        if not env_file.exists():
            envs = sorted(p.stem for p in conf_path.glob("*.yaml") if p.stem != "base")
            raise ConfigError(f"{env_file}: no such environment '{env}' (available: {', '.join(envs)})")
        _merge(data, _read_yaml(env_file), str(env_file))
    for key, raw in sorted(environ.items()):
        if key.startswith(ENV_PREFIX):
            dotted = key[len(ENV_PREFIX):].lower().replace("__", ".")
            _merge(data, _nest(dotted, _parse_scalar(raw)), f"environment variable {key}")
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        dotted, raw = item.split("=", 1)
        _merge(data, _nest(dotted.strip(), _parse_scalar(raw)), f"--set {dotted.strip()}")
    data = _resolve_refs(data, data)
    return Config(data, env, conf_path)


def config_expr(df: Any, sql: str, where: str) -> Any:
    """`F.expr(sql)` analysed against DataFrame `df` now (no job runs), so that a configured expression with a
    syntax error or an unknown column is a one-line ConfigError naming its key `where`."""
    from pyspark.sql import functions as F

    try:
        col = F.expr(sql)
        _ = df.select(col).schema
    except Exception as exc:  # ParseException / AnalysisException
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ConfigError(f"{where}: invalid SQL ({first})") from exc
    return col
