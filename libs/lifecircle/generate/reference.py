"""Reference data of the province (cells with the region hierarchy, events, tariffs, VAS products,
handset TACs, retention offers): small catalogues built on the driver from the seed."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from lifecircle.generate.spec import ProvinceSpec

COUNTIES = ("鼓楼区", "台江区", "仓山区", "晋安区", "马尾区", "长乐区", "闽侯县", "连江县", "罗源县", "闽清县",
            "永泰县", "平潭县", "福清市", "长乐市", "晋江市", "石狮市", "南安市", "惠安县", "安溪县", "永春县")
PLACE_WEIGHTS = {
    "residential": 40, "office_tower": 8, "campus": 4, "subway_station": 6, "bus_stop": 5, "venue": 1.5,
    "stadium": 1.5, "expo": 1, "hospital": 3, "mall": 5, "factory": 7, "government": 3, "kindergarten": 3,
    "school": 3, "cinema": 2, "highway": 2, "rural": 3,
}
PLACE_NAMES = {
    "residential": ("幸福小区", "阳光花园", "金色家园", "碧水湾", "锦绣苑", "和平新村", "东方名城", "江滨公寓"),
    "office_tower": ("世贸中心", "财富大厦", "金融街写字楼", "海峡商务广场", "环球中心"),
    "campus": ("福州大学", "师范大学", "工程学院", "职业技术学院"),
    "subway_station": ("地铁东街口站", "地铁南门兜站", "地铁火车站站", "地铁三叉街站", "地铁屏山站"),
    "bus_stop": ("公交五一广场站", "公交湖东路站", "公交五四路站"),
    "venue": ("海峡文化艺术中心", "大剧院"),
    "stadium": ("海峡奥体中心体育场", "市体育馆"),
    "expo": ("海峡国际会展中心",),
    "hospital": ("省立医院", "协和医院", "儿童医院", "妇幼保健院"),
    "mall": ("万达广场", "万象城", "东百中心"),
    "factory": ("电子厂", "纺织厂", "机械厂", "食品厂"),
    "government": ("市政府", "区政府", "税务局", "人社局"),
    "kindergarten": ("阳光幼儿园", "实验幼儿园", "机关幼儿园"),
    "school": ("实验小学", "鼓楼第一中心小学", "华侨中学"),
    "cinema": ("万达影城", "金逸影城", "CGV影城"),
    "highway": ("沈海高速服务区", "福银高速收费站"),
    "rural": ("大湖村", "洋里村", "后山村"),
}
WORK_PLACE = {"student": "campus", "white_collar": "office_tower", "worker": "factory",
              "civil_servant": "government"}
GENRES = ("pop", "rock", "symphony", "folk", "football", "basketball", "auto", "tech")
GENRE_CATEGORY = {"pop": "concert", "rock": "concert", "symphony": "concert", "folk": "concert",
                  "football": "sports", "basketball": "sports", "auto": "expo", "tech": "expo"}
GENRE_PLACE = {"concert": "venue", "sports": "stadium", "expo": "expo"}
ARTISTS = {"pop": ("张学友", "周杰伦", "王菲", "陈奕迅"), "rock": ("五月天", "汪峰"), "symphony": ("福建交响乐团",),
           "folk": ("赵雷", "宋冬野"), "football": ("福建队 vs 上海队", "福建队 vs 广州队"),
           "basketball": ("福建男篮 vs 广东男篮",), "auto": ("海峡车展",), "tech": ("数字中国峰会",)}
# plan_id, name, type, fee, minutes, sms, data MB, over per min, over per sms, over per MB
TARIFFS = (
    ("PL18", "18元基础套餐", "voice", "18.00", 50, 50, 500, "0.15", "0.10", "0.01"),
    ("PL38", "38元畅享套餐", "mixed", "38.00", 100, 100, 2048, "0.15", "0.10", "0.01"),
    ("PL58", "58元畅享套餐", "mixed", "58.00", 200, 100, 5120, "0.15", "0.10", "0.01"),
    ("PL88", "88元畅享套餐", "mixed", "88.00", 400, 200, 10240, "0.15", "0.10", "0.01"),
    ("PL128", "128元流量王", "data", "128.00", 700, 300, 20480, "0.12", "0.10", "0.01"),
    ("PL188", "188元流量王", "data", "188.00", 1000, 500, 30720, "0.12", "0.10", "0.01"),
    ("PL288", "288元全球通尊享", "mixed", "288.00", 2000, 1000, 51200, "0.10", "0.10", "0.01"),
    ("PLCAMPUS", "校园卡", "campus", "19.00", 100, 200, 10240, "0.15", "0.10", "0.01"),
    ("PLFAMILY", "亲情家庭套餐", "family", "99.00", 600, 300, 20480, "0.12", "0.10", "0.01"),
)
LADDER = ("PL18", "PL38", "PL58", "PL88", "PL128", "PL188", "PL288")  # plan upgrade order
# product_id, name, category, fee, launch month
VAS_PRODUCTS = (
    ("VAS01", "咪咕音乐", "music", "5.00", "202001"), ("VAS02", "咪咕视频", "video", "10.00", "202003"),
    ("VAS03", "手机报", "news", "3.00", "201505"), ("VAS04", "游戏畅玩包", "game", "8.00", "202106"),
    ("VAS05", "彩铃", "ringback", "5.00", "201201"), ("VAS06", "手机安全管家", "security", "4.00", "201908"),
    ("VAS07", "10GB流量包", "data_pack", "20.00", "202201"), ("VAS08", "咪咕阅读", "news", "5.00", "201806"),
    ("VAS09", "和彩云", "security", "6.00", "202004"), ("VAS10", "全民K歌会员", "music", "6.00", "202103"),
)
# Planted association rules: antecedent → consequent at this confidence (truth.association_rules).
RULES = ((("VAS01", "VAS02"), "VAS05", 0.8), (("VAS03",), "VAS08", 0.6))
# tac, brand, model, 4g, 5g, volte, wap, mms, launch year, weight
TACS = (
    ("35328115", "Apple", "iPhone 15", 1, 1, 1, 1, 1, 2023, 12), ("35407115", "Apple", "iPhone 13", 1, 1, 1, 1, 1, 2021, 10),
    ("86753104", "Huawei", "Mate 60", 1, 1, 1, 1, 1, 2023, 12), ("86891505", "Huawei", "nova 9", 1, 0, 1, 1, 1, 2021, 8),
    ("86420706", "Xiaomi", "Xiaomi 14", 1, 1, 1, 1, 1, 2023, 10), ("86690204", "Xiaomi", "Redmi Note 8", 1, 0, 1, 1, 1, 2019, 8),
    ("86158103", "OPPO", "Reno 10", 1, 1, 1, 1, 1, 2023, 9), ("86277802", "vivo", "X100", 1, 1, 1, 1, 1, 2023, 9),
    ("86500903", "Honor", "Honor 90", 1, 1, 1, 1, 1, 2023, 7), ("35391108", "Apple", "iPhone 8", 1, 0, 1, 1, 1, 2017, 5),
    ("86012301", "Samsung", "Galaxy S9", 1, 0, 1, 1, 1, 2018, 4), ("86951400", "Nokia", "105", 0, 0, 0, 1, 1, 2015, 3),
)
# offer_id, kind, name, cost, product
OFFERS = (
    ("OF01", "data_pack", "流量加油包", "5.00", "VAS07"), ("OF02", "tenure_upgrade", "老用户升档礼", "20.00", ""),
    ("OF03", "family_share", "亲情网共享", "10.00", ""), ("OF04", "plan_migration", "套餐迁移优惠", "15.00", ""),
    ("OF05", "device_subsidy", "5G换机补贴", "200.00", ""), ("OF06", "vas_trial", "咪咕视频体验", "2.00", "VAS02"),
)


@dataclass(frozen=True)
class Cell:
    cell_id: str
    lon: float
    lat: float
    site_id: str
    place_type: str
    place_name: str
    price_band: str
    store_id: str
    district: str
    marketing_center: str
    county_branch: str
    neighbours: tuple[str, ...]


def build_cells(spec: ProvinceSpec) -> list[Cell]:
    """The cell catalogue on a grid; stores of 6 cells, 3 stores a district, 2 districts a centre, 2 centres a county."""
    rnd = random.Random(spec.seed * 7919 + 11)
    n = spec.n_cells
    width = math.ceil(math.sqrt(n))
    types = list(PLACE_WEIGHTS)
    weights = [PLACE_WEIGHTS[t] for t in types]
    chosen = [types[i % len(types)] for i in range(2 * len(types))]  # every type at least twice
    chosen += rnd.choices(types, weights=weights, k=n - len(chosen))
    rnd.shuffle(chosen)
    counters: dict[str, int] = {}
    cells = []
    for i, ptype in enumerate(chosen):
        x, y = i % width, i // width
        k = counters.get(ptype, 0)
        counters[ptype] = k + 1
        names = PLACE_NAMES[ptype]
        name = names[k % len(names)] + (f"{k // len(names) + 1}号" if k >= len(names) else "")
        if ptype in ("venue", "stadium", "expo"):
            name = names[k % len(names)] if k < len(names) else f"{names[k % len(names)]}{k // len(names) + 1}号馆"
        store = i // 6
        district = store // 3
        centre = district // 2
        county = centre // 2
        county_name = COUNTIES[county % len(COUNTIES)] + ("" if county < len(COUNTIES) else str(county // len(COUNTIES)))
        nb = [j for j in (i - 1 if x > 0 else -1, i + 1 if x < width - 1 else -1, i - width, i + width) if 0 <= j < n]
        cells.append(Cell(
            cell_id=f"C{i + 1:06d}", lon=round(119.20 + x * 0.006, 6), lat=round(26.00 + y * 0.005, 6),
            site_id=f"S{i // 3 + 1:05d}", place_type=ptype, place_name=name,
            price_band=rnd.choice(("low", "mid", "mid", "high")) if ptype == "residential" else "",
            store_id=f"ST{store + 1:04d}", district=f"{county_name}{district % 4 + 1}片区",
            marketing_center=f"{county_name}营销中心{centre % 2 + 1}", county_branch=f"{county_name}分公司",
            neighbours=tuple(f"C{j + 1:06d}" for j in nb),
        ))
    return cells


@dataclass(frozen=True)
class Event:
    event_id: str
    place_name: str
    cell_id: str
    day: dt.date
    start_s: int  # seconds after midnight
    end_s: int
    category: str
    genre: str
    artist: str


def build_events(spec: ProvinceSpec, cells: list[Cell]) -> list[Event]:
    """Two events a month per genre (on two different days) at venue / stadium / expo cells, never two at
    one venue on the same day (an attendee of one would otherwise be counted at the other)."""
    rnd = random.Random(spec.seed * 104729 + 3)
    by_type: dict[str, list[Cell]] = {}
    for c in cells:
        by_type.setdefault(c.place_type, []).append(c)
    days = spec.days()
    events = []
    booked: set[tuple[str, dt.date]] = set()  # a venue hosts one event a day: no two crowds in one place at once
    for m in spec.months:
        mdays = [d for d in days if f"{d:%Y-%m}" == m]
        for genre in GENRES:
            cat = GENRE_CATEGORY[genre]
            slots = [(d, c) for d in mdays for c in by_type[GENRE_PLACE[cat]] if (c.cell_id, d) not in booked]
            rnd.shuffle(slots)
            chosen: list[tuple[dt.date, Cell]] = []
            for d, c in slots:
                if len(chosen) == 2:
                    break
                if all(d != other for other, _ in chosen):
                    chosen.append((d, c))
            for d, cell in sorted(chosen, key=lambda dc: dc[0]):
                booked.add((cell.cell_id, d))
                start, end = (9 * 3600, 17 * 3600) if cat == "expo" else (19 * 3600 + 1800, 22 * 3600)
                events.append(Event(f"EV{len(events) + 1:05d}", cell.place_name, cell.cell_id, d, start, end, cat,
                                    genre, rnd.choice(ARTISTS[genre])))
    return events


def _csv_field(value: object) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in ',"\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_text(header: list[str], rows: list[tuple]) -> str:
    """RFC 4180 CSV (comma, quotes where needed, LF line ends) with a header row."""
    lines = [",".join(header)] + [",".join(_csv_field(v) for v in r) for r in rows]
    return "\n".join(lines) + "\n"


def _hms(day: dt.date, seconds: int) -> str:
    return f"{day:%Y-%m-%d} {seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def reference_files(cells: list[Cell], events: list[Event]) -> dict[str, str]:
    """File name in <raw>/ref → its text, for every reference feed."""
    return {
        "cells.csv": csv_text(
            ["cell_id", "lon", "lat", "site_id", "place_type", "place_name", "price_band", "store_id", "district",
             "marketing_center", "county_branch", "neighbours"],
            [(c.cell_id, f"{c.lon:.6f}", f"{c.lat:.6f}", c.site_id, c.place_type, c.place_name, c.price_band,
              c.store_id, c.district, c.marketing_center, c.county_branch, " ".join(c.neighbours)) for c in cells]),
        "events.csv": csv_text(
            ["event_id", "place_name", "start_time", "end_time", "category", "sub_category", "artist"],
            [(e.event_id, e.place_name, _hms(e.day, e.start_s), _hms(e.day, e.end_s), e.category, e.genre, e.artist)
             for e in events]),
        "tariffs.csv": csv_text(
            ["plan_id", "plan_name", "plan_type", "monthly_fee", "incl_voice_min", "incl_sms", "incl_data_mb",
             "over_voice_per_min", "over_sms", "over_data_per_mb"], list(TARIFFS)),
        "vas_products.csv": csv_text(["product_id", "product_name", "category", "monthly_fee", "launch_month"],
                                     list(VAS_PRODUCTS)),
        "tac.csv": csv_text(["tac", "brand", "model", "supports_4g", "supports_5g", "volte", "wap", "mms",
                             "launch_year"], [t[:9] for t in TACS]),
        "offers.csv": csv_text(["offer_id", "kind", "offer_name", "cost", "product_id"], list(OFFERS)),
    }
