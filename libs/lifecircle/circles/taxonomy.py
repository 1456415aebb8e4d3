"""The life-circle taxonomy from config (`tags` section): windows, region rules and circle rules,
validated so that a mistake is one ConfigError naming the key (e.g. `tags.place_circles[2].window`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lifecircle.core.errors import ConfigError

DAY_KINDS = ("all", "weekday", "weekend")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_TEMPLATE_FIELDS = ("sub_category", "artist", "place_name", "category")


@dataclass(frozen=True)
class Segment:
    """One piece of a window: the day kind and [from_s, to_s) seconds after local midnight (to_s ≤ 86400)."""

    window: str
    days: str
    from_s: int
    to_s: int


@dataclass(frozen=True)
class LocationRule:
    """Home or work: windows, evidence thresholds and place types that cannot be this location."""

    windows: tuple[str, ...]
    min_days: int
    min_minutes_per_day: float
    exclude_place_types: tuple[str, ...]


@dataclass(frozen=True)
class PlaceCircle:
    """category / tag / value for presence at `place_types` in `window` on `min_days` days."""

    category: str
    tag: str
    place_types: tuple[str, ...]
    window: str
    min_days: int
    min_minutes_per_day: float
    value_mode: str  # place_name | place_type | constant | keywords
    value_constant: str | None
    keywords: tuple[tuple[str, str], ...]
    keyword_default: str | None
    flag: str | None
    value_column: str | None


@dataclass(frozen=True)
class EventCircle:
    """category / tag / value (a template) for presence at a venue during an event of `event_category`."""

    event_category: str
    category: str
    tag: str
    value_template: str
    min_overlap_minutes: float
    min_events: int
    flag: str | None
    value_column: str | None


@dataclass(frozen=True)
class ActivityCircle:
    """category / tag for signalling events of `event_types` in `window` on `min_days` days."""

    category: str
    tag: str
    event_types: tuple[str, ...]
    window: str
    min_days: int
    min_events_per_day: int
    value: str
    flag: str | None
    value_column: str | None


@dataclass(frozen=True)
class RoamingCircle:
    """category / tag for calls of `call_types` on `min_days` days."""

    category: str
    tag: str
    call_types: tuple[str, ...]
    min_days: int
    value: str
    flag: str | None
    value_column: str | None


@dataclass(frozen=True)
class Taxonomy:
    """Everything the life-circle job needs from config, validated."""

    pingpong_window_s: int
    max_gap_s: int
    segments: tuple[Segment, ...]
    home: LocationRule
    work: LocationRule
    move_recent_days: int
    move_min_days: int
    income_place_types: tuple[str, ...]
    place_circles: tuple[PlaceCircle, ...]
    event_circles: tuple[EventCircle, ...]
    activity_circles: tuple[ActivityCircle, ...]
    roaming_circles: tuple[RoamingCircle, ...]
    validity_months: Mapping[str, int]

    @property
    def windows(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.window for s in self.segments))

    def flags(self) -> dict[str, list[tuple[str, str]]]:
        """Pivot flag column → the (category, tag) pairs that set it."""
        out: dict[str, list[tuple[str, str]]] = {}
        for rule in (*self.place_circles, *self.event_circles, *self.activity_circles, *self.roaming_circles):
            if rule.flag:
                out.setdefault(rule.flag, [])
                if (rule.category, rule.tag) not in out[rule.flag]:
                    out[rule.flag].append((rule.category, rule.tag))
        return out

    def value_columns(self) -> dict[str, tuple[str, str]]:
        """Pivot value column → the (category, tag) whose best-evidenced value (before ':') it holds."""
        out: dict[str, tuple[str, str]] = {}
        for rule in (*self.place_circles, *self.event_circles, *self.activity_circles, *self.roaming_circles):
            if rule.value_column:
                out[rule.value_column] = (rule.category, rule.tag)
        return out


class _Reader:
    """Typed look-ups in one mapping, each error naming the dotted key."""

    def __init__(self, data: Any, key: str):
        if not isinstance(data, Mapping):
            raise ConfigError(f"config key '{key}' must be a mapping, got {type(data).__name__}")
        self.data = data
        self.key = key

    def _k(self, name: str) -> str:
        return f"{self.key}.{name}"

    def check_known(self, known: Sequence[str]) -> None:
        for name in self.data:
            if name not in known:
                raise ConfigError(f"config key '{self._k(name)}' is unknown (known: {', '.join(known)})")

    def raw(self, name: str, default: Any = ...) -> Any:
        if name not in self.data:
            if default is ...:
                raise ConfigError(f"config key '{self._k(name)}' is missing")
            return default
        return self.data[name]

    def string(self, name: str, default: Any = ...) -> Any:
        value = self.raw(name, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"config key '{self._k(name)}' must be a non-empty string, got {value!r}")
        return value

    def number(self, name: str, minimum: float = 0, default: Any = ..., integer: bool = False) -> Any:
        value = self.raw(name, default)
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or value < minimum:
            kind = "an integer" if integer else "a number"
            raise ConfigError(f"config key '{self._k(name)}' must be {kind} ≥ {minimum}, got {value!r}")
        return value

    def strings(self, name: str, default: Any = ..., allow_empty: bool = False) -> tuple[str, ...]:
        value = self.raw(name, default)
        if (not isinstance(value, list) or (not value and not allow_empty)
                or not all(isinstance(v, str) and v for v in value)):
            raise ConfigError(f"config key '{self._k(name)}' must be a list of strings, got {value!r}")
        return tuple(value)

    def child(self, name: str) -> _Reader:
        return _Reader(self.raw(name), self._k(name))


def _clock(text: Any, key: str) -> int:
    m = _HHMM.match(text) if isinstance(text, str) else None
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise ConfigError(f"config key '{key}' must be a time HH:MM (00:00–24:00), got {text!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


def _segments(windows: Any) -> tuple[Segment, ...]:
    r = _Reader(windows, "tags.windows")
    out: list[Segment] = []
    for name, segs in r.data.items():
        key = f"tags.windows.{name}"
        if not isinstance(segs, list) or not segs:
            raise ConfigError(f"config key '{key}' must be a non-empty list of {{days, from, to}}")
        for i, seg in enumerate(segs):
            sr = _Reader(seg, f"{key}[{i}]")
            sr.check_known(("days", "from", "to"))
            days = sr.string("days", "all")
            if days not in DAY_KINDS:
                raise ConfigError(f"config key '{sr._k('days')}' must be one of {', '.join(DAY_KINDS)}, got {days!r}")
            start, end = _clock(sr.raw("from"), sr._k("from")), _clock(sr.raw("to"), sr._k("to"))
            if end > start:
                out.append(Segment(name, days, start, end))
            else:  # runs past midnight: two pieces on the same calendar day's clock
                out.append(Segment(name, days, start, 86400))
                if end > 0:
                    out.append(Segment(name, days, 0, end))
    return tuple(out)


def _window(r: _Reader, name: str, windows: Sequence[str]) -> str:
    value = r.string(name)
    if value not in windows:
        raise ConfigError(f"config key '{r._k(name)}': unknown window {value!r} (known: {', '.join(windows)})")
    return value


def _location(r: _Reader, windows: Sequence[str]) -> LocationRule:
    r.check_known(("windows", "min_days", "min_minutes_per_day", "exclude_place_types"))
    names = r.strings("windows")
    for w in names:
        if w not in windows:
            raise ConfigError(f"config key '{r._k('windows')}': unknown window {w!r} (known: {', '.join(windows)})")
    return LocationRule(
        names, r.number("min_days", 1, integer=True), float(r.number("min_minutes_per_day", 0)),
        r.strings("exclude_place_types", [], allow_empty=True),
    )


def _outputs(r: _Reader) -> tuple[str | None, str | None]:
    return r.string("flag", None), r.string("value_column", None)


def load_taxonomy(section: Mapping[str, Any]) -> Taxonomy:
    """The `tags` config section → a validated Taxonomy; a ConfigError naming the key otherwise."""
    top = _Reader(section, "tags")
    top.check_known(("stays", "windows", "region", "place_circles", "event_circles", "activity_circles",
                     "roaming_circles", "validity_months"))
    stays = top.child("stays")
    stays.check_known(("pingpong_window_s", "max_gap_minutes"))
    segments = _segments(top.raw("windows"))
    windows = tuple(dict.fromkeys(s.window for s in segments))
    region = top.child("region")
    region.check_known(("home", "work", "move", "income_place_types"))
    move = region.child("move")
    move.check_known(("recent_days", "min_days"))

    place: list[PlaceCircle] = []
    for i, item in enumerate(top.raw("place_circles", []) or []):
        r = _Reader(item, f"tags.place_circles[{i}]")
        r.check_known(("category", "tag", "flag", "value_column", "place_types", "window", "min_days",
                       "min_minutes_per_day", "value"))
        value = r.raw("value", "yes")
        keywords: tuple[tuple[str, str], ...] = ()
        default = None
        if isinstance(value, Mapping):
            vr = _Reader(value, r._k("value"))
            vr.check_known(("keywords", "default"))
            kw = vr.raw("keywords")
            if not isinstance(kw, Mapping) or not kw or not all(isinstance(k, str) and isinstance(v, str)
                                                                for k, v in kw.items()):
                raise ConfigError(f"config key '{vr._k('keywords')}' must map substrings to values")
            keywords, default, mode, constant = tuple(kw.items()), vr.string("default"), "keywords", None
        elif isinstance(value, str) and value:
            mode = value if value in ("place_name", "place_type") else "constant"
            constant = value if mode == "constant" else None
        else:
            raise ConfigError(f"config key '{r._k('value')}' must be place_name, place_type, a constant or "
                              f"{{keywords, default}}, got {value!r}")
        place.append(PlaceCircle(
            r.string("category"), r.string("tag"), r.strings("place_types"), _window(r, "window", windows),
            r.number("min_days", 1, integer=True), float(r.number("min_minutes_per_day", 0)), mode, constant,
            keywords, default, *_outputs(r),
        ))

    events: list[EventCircle] = []
    for i, item in enumerate(top.raw("event_circles", []) or []):
        r = _Reader(item, f"tags.event_circles[{i}]")
        r.check_known(("event_category", "category", "tag", "flag", "value_column", "value",
                       "min_overlap_minutes", "min_events"))
        template = r.string("value", "{sub_category}")
        for name in re.findall(r"\{([^}]*)\}", template):
            if name not in _TEMPLATE_FIELDS:
                raise ConfigError(f"config key '{r._k('value')}': unknown field {{{name}}} "
                                  f"(known: {', '.join(_TEMPLATE_FIELDS)})")
        events.append(EventCircle(
            r.string("event_category"), r.string("category"), r.string("tag"), template,
            float(r.number("min_overlap_minutes", 0)), r.number("min_events", 1, integer=True), *_outputs(r),
        ))

    activity: list[ActivityCircle] = []
    for i, item in enumerate(top.raw("activity_circles", []) or []):
        r = _Reader(item, f"tags.activity_circles[{i}]")
        r.check_known(("category", "tag", "flag", "value_column", "event_types", "window", "min_days",
                       "min_events_per_day", "value"))
        activity.append(ActivityCircle(
            r.string("category"), r.string("tag"), r.strings("event_types"), _window(r, "window", windows),
            r.number("min_days", 1, integer=True), r.number("min_events_per_day", 1, integer=True),
            r.string("value", "yes"), *_outputs(r),
        ))

    roaming: list[RoamingCircle] = []
    for i, item in enumerate(top.raw("roaming_circles", []) or []):
        r = _Reader(item, f"tags.roaming_circles[{i}]")
        r.check_known(("category", "tag", "flag", "value_column", "call_types", "min_days", "value"))
        roaming.append(RoamingCircle(
            r.string("category"), r.string("tag"), r.strings("call_types"), r.number("min_days", 1, integer=True),
            r.string("value", "yes"), *_outputs(r),
        ))

    validity = top.child("validity_months")
    categories = {c.category for c in (*place, *events, *activity, *roaming)} | {"region"}
    validity_months = {c: int(validity.number(c, 1, default=1, integer=True)) for c in sorted(categories)}
    for name in validity.data:
        validity_months.setdefault(name, int(validity.number(name, 1, integer=True)))

    return Taxonomy(
        pingpong_window_s=int(stays.number("pingpong_window_s", 0, integer=True)),
        max_gap_s=int(stays.number("max_gap_minutes", 1) * 60),
        segments=segments,
        home=_location(region.child("home"), windows),
        work=_location(region.child("work"), windows),
        move_recent_days=move.number("recent_days", 1, integer=True),
        move_min_days=move.number("min_days", 1, integer=True),
        income_place_types=region.strings("income_place_types", [], allow_empty=True),
        place_circles=tuple(place),
        event_circles=tuple(events),
        activity_circles=tuple(activity),
        roaming_circles=tuple(roaming),
        validity_months=validity_months,
    )
