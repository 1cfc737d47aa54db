"""Demo data: a synthetic region the size of Drenthe and, with --national, a synthetic country.

    manage.py seed_demo [--national] [--seed N] [--as-of YYYY-MM-DD] [--quiet] [--keep-existing]

It lives in `reporting`, the top app, because it builds the demo of every app below it
(locations here, placements.demo, casework.demo): imports only flow downwards (STYLE.md).

Only public facts are real: the names and CBS codes of the 12 Drenthe municipalities (with
approximate population and land area) and the names of the 25 safety regions. Every location,
address, room, contact person and user is invented.

Deterministic: the desired state is a pure function of (seed, as_of). Each region draws from its
own `random.Random(f"{seed}:{region code}")`, so Drenthe comes out the same with or without
--national, and dates are drawn as day offsets from `as_of`, so running on another day shifts the
dates and changes nothing else. The structure (municipalities, number of locations per
municipality, location codes) does not depend on the seed at all, so a different seed never
leaves stale locations behind.

Idempotent: the database is brought to that state by natural key (region code, CBS code,
location code, (location, room number), (location, contact name)): missing rows are created,
differing rows updated, rooms and contacts of demo locations that the plan does not contain are
deleted. A second run with the same seed on the same day writes nothing but the demo users'
passwords. Demo locations are therefore reset on every run (`make run` runs this each time);
locations that users add are left alone.

Fast: rows are written in bulk (bulk_create, and one UPDATE ... FROM VALUES per batch), which
bypasses the signals that django-simple-history relies on. For Drenthe we write the history rows
in bulk as well (simple_history's bulk_create_with_history and bulk_history_create), so every
demo location starts with a "Demodata aangemaakt" record and its history page shows where the
data came from. The national benchmark regions get no history rows: nobody reads them and they
would double the write time. Deleted rows go through the ORM's delete(), so cascades and the
history's "deleted" records stay correct; that only happens when the seed changes or someone
added rooms or contacts to a demo location.

Bulk writes also bypass the registry services (and their per-row validation and locking): the
plan is generated within the database constraints, and the tests validate every generated row.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import math
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from casework.demo import DemoCaseCounts, clear_demo_cases, create_demo_cases, has_demo_cases
from locations.models import (
    REALISED_STATUSES,
    ContactPerson,
    Location,
    LocationKind,
    LocationStatus,
    Municipality,
    Region,
    Room,
    RoomOccupancy,
    RoomState,
)
from locations.selectors import Capacity, region_capacity, regions_with_capacity
from placements.demo import clear_demo_households, create_demo_queue, create_demo_residents
from rcvs.accounts.models import Role, User

DEFAULT_SEED = 2026
DEMO_PASSWORD = "rcvs-demo-2026"
# The demo coordinator's and mental coach's authenticator secret (20 bytes, hex as django-otp keeps
# it). Published like the password, so only ever here: `demo_otp` shows the current code.
DEMO_TOTP_KEY = b"rcvs-demo-totp-2026!".hex()
DEMO_REGION_CODE = "drenthe"
NATIONAL_REGIONS = 25
POPULATION_YEAR = 2025
BATCH_SIZE = 2000
# End dates are drawn as a fixed range of day offsets (not "up to 18 months from as_of"), so the
# random stream does not depend on the date; 540 days is within 18 months from any start date.
END_DATE_MAX_DAYS = 540


# --- region specifications --------------------------------------------------------------------

@dataclass(frozen=True)
class Village:
    name: str
    postcodes: tuple[int, ...]  # four-digit postcode areas of the village
    lat: float
    lon: float
    spread: float = 0.006  # how far (in degrees) locations may lie from the village centre


@dataclass(frozen=True)
class MunicipalitySpec:
    cbs_code: str
    name: str
    prefix: str  # location codes are "<prefix>-001", "<prefix>-002", ...
    population: int
    land_area_km2: Decimal
    phone_areas: tuple[str, ...]
    villages: tuple[Village, ...]


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    municipalities: tuple[MunicipalitySpec, ...]
    locations: int
    realised_beds: int  # what the open and closing locations add up to
    intake_municipality: str | None  # CBS code of the municipality with the 24-hour intake
    doorstroom_municipality: str | None  # CBS code of the transit location for single men
    crisis_locations: int
    bbox: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    history: bool


def _m(cbs: str, name: str, prefix: str, population: int, area: str, phones: tuple[str, ...],
       *villages: tuple[str, tuple[int, ...], float, float]) -> MunicipalitySpec:
    # The first village is the main town: it spreads its locations over a wider area.
    built = tuple(Village(v[0], v[1], v[2], v[3], 0.014 if i == 0 else 0.006) for i, v in enumerate(villages))
    return MunicipalitySpec(cbs, name, prefix, population, Decimal(area), phones, built)


# Population on 1 January 2025 and land area: approximate figures, rounded and slightly altered,
# good enough for a demo of the verdeelsleutel; never use them as the official CBS numbers.
# Postcode areas and village coordinates are approximate too.
DRENTHE = RegionSpec(
    code=DEMO_REGION_CODE,
    name="Drenthe",
    municipalities=(
        _m("GM1680", "Aa en Hunze", "AAH", 25_900, "276.70", ("0592", "0599"),
           ("Gieten", (9461,), 53.005, 6.763), ("Rolde", (9451,), 52.983, 6.647),
           ("Annen", (9468,), 53.055, 6.720), ("Gasselte", (9462,), 52.972, 6.795),
           ("Grolloo", (9444,), 52.933, 6.675)),
        _m("GM0106", "Assen", "ASS", 69_300, "82.80", ("0592",),
           ("Assen", (9401, 9402, 9403, 9404, 9405, 9406, 9407, 9408), 52.993, 6.563)),
        _m("GM1681", "Borger-Odoorn", "BOD", 25_700, "272.60", ("0599", "0591"),
           ("Borger", (9531,), 52.925, 6.792), ("Nieuw-Buinen", (9521,), 52.962, 6.950),
           ("Exloo", (7875,), 52.880, 6.864), ("Odoorn", (7873,), 52.850, 6.851),
           ("Valthermond", (7876,), 52.875, 6.960)),
        _m("GM0109", "Coevorden", "COE", 35_600, "295.80", ("0524",),
           ("Coevorden", (7741, 7742), 52.661, 6.741), ("Dalen", (7751,), 52.700, 6.757),
           ("Sleen", (7841,), 52.772, 6.803), ("Oosterhesselen", (7861,), 52.754, 6.723),
           ("Aalden", (7854,), 52.790, 6.720)),
        _m("GM1690", "De Wolden", "DWO", 24_600, "223.60", ("0528", "0522"),
           ("Zuidwolde", (7921,), 52.670, 6.425), ("Ruinen", (7963,), 52.763, 6.356),
           ("Ruinerwold", (7961,), 52.722, 6.248), ("De Wijk", (7957,), 52.673, 6.290),
           ("Koekange", (7958,), 52.705, 6.306)),
        _m("GM0114", "Emmen", "EMM", 108_200, "336.60", ("0591",),
           ("Emmen", (7811, 7812, 7813, 7814, 7815, 7821, 7822, 7823, 7824), 52.785, 6.897),
           ("Klazienaveen", (7891,), 52.726, 6.992), ("Emmer-Compascuum", (7881,), 52.811, 7.047),
           ("Nieuw-Amsterdam", (7833,), 52.715, 6.857), ("Schoonebeek", (7761,), 52.663, 6.885),
           ("Erica", (7887,), 52.720, 6.935)),
        _m("GM0118", "Hoogeveen", "HGV", 56_400, "126.90", ("0528",),
           ("Hoogeveen", (7901, 7902, 7903, 7904, 7905, 7906, 7907), 52.723, 6.476),
           ("Hollandscheveld", (7913,), 52.697, 6.535), ("Pesse", (7933,), 52.773, 6.452)),
        _m("GM0119", "Meppel", "MEP", 35_100, "56.80", ("0522",),
           ("Meppel", (7941, 7942, 7943, 7944), 52.697, 6.212)),
        _m("GM1731", "Midden-Drenthe", "MDR", 33_900, "341.20", ("0593",),
           ("Beilen", (9411,), 52.862, 6.512), ("Westerbork", (9431,), 52.850, 6.609),
           ("Smilde", (9422,), 52.953, 6.451), ("Bovensmilde", (9421,), 52.976, 6.486),
           ("Hooghalen", (9414,), 52.920, 6.531)),
        _m("GM1699", "Noordenveld", "NVD", 33_100, "205.60", ("050",),
           ("Roden", (9301, 9302), 53.138, 6.431), ("Peize", (9321,), 53.146, 6.497),
           ("Norg", (9331,), 53.068, 6.458), ("Nietap", (9311,), 53.159, 6.402)),
        _m("GM1730", "Tynaarlo", "TYN", 35_200, "143.40", ("050", "0592"),
           ("Vries", (9481,), 53.073, 6.576), ("Zuidlaren", (9471,), 53.094, 6.683),
           ("Eelde", (9761,), 53.136, 6.563), ("Paterswolde", (9765,), 53.146, 6.573),
           ("Tynaarlo", (9482,), 53.078, 6.617)),
        _m("GM1701", "Westerveld", "WVD", 20_000, "278.20", ("0521",),
           ("Diever", (7981,), 52.855, 6.319), ("Dwingeloo", (7991,), 52.834, 6.370),
           ("Havelte", (7971,), 52.770, 6.240), ("Vledder", (8381,), 52.859, 6.215),
           ("Uffelte", (7973,), 52.789, 6.278)),
    ),
    locations=74,
    # "Almost 5,000 places over 74 locations in 12 municipalities" is how the board memos put it.
    realised_beds=4_960,
    intake_municipality="GM0106",
    doorstroom_municipality="GM0114",
    crisis_locations=2,
    bbox=(52.6, 53.2, 6.2, 7.1),
    history=True,
)

# The 24 other safety regions, with a rough centre, for the national benchmark data set.
OTHER_SAFETY_REGIONS: tuple[tuple[str, float, float], ...] = (
    ("Groningen", 53.22, 6.75), ("Fryslân", 53.10, 5.80), ("IJsselland", 52.50, 6.15),
    ("Twente", 52.30, 6.75), ("Noord- en Oost-Gelderland", 52.10, 6.40), ("Gelderland-Midden", 52.05, 5.85),
    ("Gelderland-Zuid", 51.85, 5.70), ("Utrecht", 52.08, 5.15), ("Noord-Holland-Noord", 52.75, 4.85),
    ("Zaanstreek-Waterland", 52.50, 4.90), ("Kennemerland", 52.38, 4.60),
    ("Amsterdam-Amstelland", 52.33, 4.88), ("Gooi en Vechtstreek", 52.25, 5.17), ("Haaglanden", 52.05, 4.30),
    ("Hollands Midden", 52.10, 4.60), ("Rotterdam-Rijnmond", 51.90, 4.40),
    ("Zuid-Holland-Zuid", 51.82, 4.75), ("Zeeland", 51.50, 3.85), ("Midden- en West-Brabant", 51.55, 4.80),
    ("Brabant-Noord", 51.70, 5.45), ("Brabant-Zuidoost", 51.43, 5.50), ("Limburg-Noord", 51.35, 6.00),
    ("Zuid-Limburg", 50.88, 5.85), ("Flevoland", 52.45, 5.50),
)
NAME_HEADS = ("Ooster", "Wester", "Noorder", "Zuider", "Hoog", "Laag", "Nieuw", "Oud", "Groot", "Klein",
              "Mid", "Heide", "Berken", "Eiken", "Linde", "Wilgen", "Beek", "Brem", "Zand", "Dalf",
              "Ravens", "Vossen", "Hazel", "Schapen", "Molen", "Kerk", "Ganze", "Esker", "Ellert", "Rune")
NAME_TAILS = ("veen", "wolde", "broek", "horst", "dijk", "meer", "hout", "dam", "beek", "loo", "rade",
              "berg", "hoven", "vaart", "kamp", "dorp", "holt", "wijk", "stede", "mond", "burg", "haar",
              "donk", "zijl", "lage")
# Invented names that happen to be well-known real places are skipped, to avoid confusion.
REAL_NAMES = {"Hoogeveen", "Oosterhout", "Nieuwveen", "Zuidbroek", "Westerbroek", "Veendam", "Nieuwkamp",
              "Oudewater", "Groothoven", "Nieuwdorp", "Ooststede", "Beekdorp", "Zandvoort", "Kerkrade",
              "Heidemeer", "Zuidwolde", "Oosterwolde", "Westerwolde", "Oosterbeek", "Oudeberg",
              "Molenbeek", "Eikenhorst", "Lindeloo", "Nieuwkerk", "Oudkerk", "Kleindorp", "Grootdorp",
              "Hoogkerk", "Middelburg", "Zuiderdam", "Oosterdam", "Westerdijk", "Noorderhaar",
              "Zuidhorn", "Zuidlaren", "Laagkeppel", "Dalfsen", "Ravensberg"}


def _invented_name(rng: random.Random, used: set[str]) -> str:
    while True:
        head, tail = rng.choice(NAME_HEADS), rng.choice(NAME_TAILS)
        name = head + tail
        if name not in used and name not in REAL_NAMES and not head.lower().endswith(tail):
            used.add(name)
            return name


def national_specs() -> list[RegionSpec]:
    """The 24 synthetic regions. Their structure depends only on fixed seeds, not on --seed, so
    that municipalities and location codes never go stale when the seed changes."""
    specs: list[RegionSpec] = []
    used = {m.name for m in DRENTHE.municipalities}
    for ri, (name, lat, lon) in enumerate(OTHER_SAFETY_REGIONS, start=1):
        rng = random.Random(f"national:{ri}")
        municipalities = []
        for mi in range(1, rng.randint(8, 13) + 1):
            mun_name = _invented_name(rng, used)
            mlat, mlon = lat + rng.uniform(-0.22, 0.22), lon + rng.uniform(-0.3, 0.3)
            # Postcode areas per region and municipality in disjoint bands (format only).
            base = 1000 + (ri - 1) * 370 + (mi - 1) * 28
            villages = [(mun_name, (base, base + 1, base + 2), mlat, mlon)]
            village_names = {mun_name}
            for vi in range(1, 3):
                village = _invented_name(rng, village_names)
                villages.append((village, (base + 4 * vi + 4,), mlat + rng.uniform(-0.06, 0.06),
                                 mlon + rng.uniform(-0.08, 0.08)))
            population = rng.randint(70_000, 240_000) if mi == 1 else rng.randint(12_000, 90_000)
            municipalities.append(_m(
                # GM8xxx does not exist at CBS, so synthetic codes can never collide with real ones.
                f"GM{8000 + ri * 40 + mi:04d}", mun_name, f"N{ri:02d}{mi:02d}", population,
                f"{rng.uniform(25, 330):.2f}", (f"0{rng.randint(10, 79)}",), *villages,
            ))
        by_size = sorted(municipalities, key=lambda m: -m.population)
        specs.append(RegionSpec(
            code=slugify(name), name=name, municipalities=tuple(municipalities),
            locations=rng.randint(94, 108), realised_beds=4_800 + rng.randint(-250, 250),
            # Not every region has a 24-hour intake or a transit location: that is a real gap.
            intake_municipality=by_size[0].cbs_code if rng.random() < 0.7 else None,
            doorstroom_municipality=by_size[1].cbs_code if rng.random() < 0.6 else None,
            crisis_locations=rng.randint(1, 2),
            bbox=(max(50.75, lat - 0.35), min(53.55, lat + 0.35), max(3.35, lon - 0.45), min(7.22, lon + 0.45)),
            history=False,
        ))
    return specs


# --- location and room generation -------------------------------------------------------------

@dataclass(frozen=True)
class Building:
    names: tuple[str, ...]  # templates with {x}
    beds: tuple[int, int]  # raw size range, before scaling to the region's total
    floors: tuple[int, int]
    room_weights: tuple[int, int, int, int, int, int]  # weights of rooms with 1..6 beds
    lift: float = 0.5
    care: float = 0.08
    pets: float = 0.15
    remote: float = 0.05
    bunks: float = 0.12
    infants: float = 0.5
    unit: str = ""  # e.g. "Chalet": rooms are numbered "Chalet 07" instead of "1.07"
    weight: int = 0  # how common among ordinary GOO locations


BUILDINGS: dict[str, Building] = {
    "verzorgingshuis": Building(("Voormalig verzorgingshuis {x}", "Woonzorgcomplex {x}"), (50, 140), (2, 4),
                                (25, 45, 15, 12, 3, 0), lift=0.9, care=0.6, infants=0.4, weight=5),
    "hotel": Building(("Hotel {x}", "Hotel-restaurant {x}", "Pension {x}"), (30, 110), (2, 4),
                      (10, 40, 25, 20, 5, 0), lift=0.6, infants=0.6, weight=4),
    "school": Building(("Voormalige school {x}", "Voormalige basisschool {x}"), (40, 110), (1, 2),
                       (0, 10, 15, 30, 20, 25), lift=0.3, bunks=0.6, weight=2),
    "kantoor": Building(("Voormalig kantoorpand {x}", "Kantoorpand {x}", "Voormalig gemeentehuis {x}"),
                        (50, 190), (2, 5), (5, 20, 25, 30, 12, 8), lift=0.8, bunks=0.25, weight=3),
    "vakantiepark": Building(("Vakantiepark {x}", "Recreatiepark {x}", "Bungalowpark {x}"), (40, 160), (1, 1),
                             (0, 10, 20, 40, 15, 15), pets=0.5, remote=0.6, infants=0.7, unit="Chalet",
                             weight=3),
    "woonunits": Building(("Woonunits {x}", "Flexwoningen {x}", "Paviljoens {x}"), (20, 80), (1, 1),
                          (10, 35, 25, 25, 5, 0), pets=0.25, infants=0.6, unit="Unit", weight=4),
    "klooster": Building(("Voormalig klooster {x}", "Groepsaccommodatie {x}"), (30, 80), (2, 3),
                         (15, 35, 20, 20, 5, 5), lift=0.3, remote=0.3, bunks=0.3, weight=1),
    "particulier": Building(("Woonboerderij {x}", "Particuliere opvang {x}", "Gastenverblijf {x}"), (6, 24),
                            (1, 2), (10, 35, 30, 20, 5, 0), lift=0.0, pets=0.4, remote=0.3, infants=0.6),
    "crisis": Building(("Sporthal {x}", "Evenementenhal {x}"), (120, 250), (1, 1), (0, 5, 10, 35, 20, 30),
                       care=0.0, pets=0.0, bunks=0.9, infants=0.3, unit="Unit"),
    "intake": Building(("24-uursopvang {x}",), (40, 80), (1, 3), (10, 30, 25, 25, 10, 0), lift=0.8,
                       infants=1.0),
    "doorstroom": Building(("Doorstroomlocatie {x}",), (30, 60), (1, 2), (35, 40, 15, 10, 0, 0), lift=0.4,
                           pets=0.0, bunks=0.4, infants=0.0),
}
GOO_BUILDINGS = tuple(key for key, b in BUILDINGS.items() if b.weight)
NAME_PARTS = ("De Esch", "Drentsche Aa", "De Brink", "Het Hunebed", "De Hondsrug", "Het Veld", "De Linde",
              "De Eikenhof", "Het Zand", "De Heidebloem", "Het Witte Veen", "De Kooi", "De Vennen",
              "Het Anker", "De Schaapskooi", "Op de Es", "De Marke", "Het Holt", "De Wieken", "Het Bosrijk",
              "De Bremhorst", "De Zandhorst", "De Hunze", "De Boerhoorn", "De Vlint", "De Dennen",
              "De Berken", "Het Kampje", "De Horst", "De Lariks", "De Spil", "Het Baken", "De Stobbe",
              "De Turfsteker", "Het Veenhuis", "De Kei", "De Mars", "De Akkers", "Het Hooiland",
              "Het Nijland", "De Vaart", "De Maden", "Het Loo", "De Vlonder", "De Zwaluw", "De Kievit")
STREETS = ("Hoofdstraat", "Kerkstraat", "Stationsstraat", "Brink", "Esweg", "Dorpsstraat", "Molenweg",
           "Schoolstraat", "Julianastraat", "Wilhelminalaan", "Parallelweg", "Industrieweg", "Zuideresch",
           "Noordesch", "Heidelaan", "Bosweg", "Veenweg", "Kanaalweg", "Berkenlaan", "Beukenlaan",
           "Lindelaan", "Sportlaan", "Oranjestraat", "Markeweg", "Koeweg", "Hondsrugweg", "Vaartweg",
           "Wolfsbergweg", "Boslaan", "Meester Kuipersweg")
# Common first and last names, combined at random: any match with a real person is coincidence.
FIRST_NAMES = ("Anne", "Bram", "Carla", "Dirk", "Esther", "Frank", "Gerda", "Hans", "Ingrid", "Jan", "Karin",
               "Lotte", "Marco", "Nienke", "Otto", "Petra", "Roel", "Sanne", "Tjeerd", "Wendy", "Yvonne",
               "Albert", "Hilde", "Jeroen", "Marieke", "Rik", "Femke", "Gijs", "Ilse", "Koen", "Linda",
               "Martijn", "Roos", "Sven", "Tineke", "Wouter", "Olena", "Taras", "Iryna", "Bas")
LAST_NAMES = ("Bakker", "Bos", "de Boer", "Dekker", "Hendriks", "Hoekstra", "Jansen", "Kamps", "Kok",
              "Kuipers", "Lubbers", "Meijer", "Mulder", "Oosting", "Postma", "Scholten", "Smit", "Tuinstra",
              "Veenstra", "de Vries", "Visser", "Vos", "Wiegers", "Zwiers", "Brouwer", "Hofman", "Nijhof",
              "Bruins", "Steenbergen", "Huisman", "Koops", "Bolhuis")
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"  # PostNL does not use F, I, O, Q, U and Y
BLOCK_REASONS = ("Waterschade", "Schimmel", "Renovatie", "Lekkage", "Verwarming defect", "Brandmelder defect")
NOTES = ("Sleutelkluis bij de hoofdingang; code via piket.", "Nachtportier aanwezig van 22.00 tot 07.00 uur.",
         "Bushalte op tien minuten lopen.", "Parkeren achter het gebouw.",
         "Gezamenlijke keuken per verdieping.", "Wasmachines in de kelder, munten bij de beheerder.")


def _apportion(total: int, weights: list[int], minimum: int = 1) -> list[int]:
    """Largest-remainder apportionment: integers that add up to `total` exactly."""
    rest = total - minimum * len(weights)
    quotas = [rest * w / sum(weights) for w in weights]
    shares = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + s for s in shares]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


@dataclass
class RegionPlan:
    """The desired state of one region, as field values keyed by natural keys."""

    spec: RegionSpec
    municipalities: dict[str, dict[str, Any]] = field(default_factory=dict)  # cbs code →
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)  # location code → (+ "municipality")
    rooms: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (location code, number) →
    contacts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (location code, name) →

    @property
    def realised_beds(self) -> int:
        realised = {code for code, loc in self.locations.items() if loc["status"] in REALISED_STATUSES}
        return sum(room["beds"] for (code, _), room in self.rooms.items() if code in realised)


@dataclass
class _Slot:
    municipality: MunicipalitySpec
    code: str
    kind: str = LocationKind.GOO
    building: str = ""
    status: str = LocationStatus.OPEN
    size: int = 0


def plan_region(spec: RegionSpec, *, seed: int, as_of: dt.date) -> RegionPlan:
    """The desired state of one region; touches no database, so tests can compare plans."""
    rng = random.Random(f"{seed}:{spec.code}")
    plan = RegionPlan(spec)
    for mun in spec.municipalities:
        plan.municipalities[mun.cbs_code] = {
            "cbs_code": mun.cbs_code, "name": mun.name, "population": mun.population,
            "population_year": POPULATION_YEAR, "land_area_km2": mun.land_area_km2,
        }

    # Locations follow population: Emmen and Assen get the most.
    counts = _apportion(spec.locations, [m.population for m in spec.municipalities])
    slots = [_Slot(mun, f"{mun.prefix}-{i:03d}") for mun, n in zip(spec.municipalities, counts, strict=True)
             for i in range(1, n + 1)]
    free = list(range(len(slots)))

    def take(candidates: list[int]) -> int:
        index = rng.choice(candidates)
        free.remove(index)
        return index

    for cbs, kind in ((spec.intake_municipality, LocationKind.INTAKE_24H),
                      (spec.doorstroom_municipality, LocationKind.DOORSTROOM)):
        if cbs:
            slots[take([i for i in free if slots[i].municipality.cbs_code == cbs])].kind = kind
    big = [i for i in free if slots[i].municipality.population >= 30_000]
    for _ in range(spec.crisis_locations):
        slots[take([i for i in big if i in free])].kind = LocationKind.CRISIS
    for _ in range(round(len(slots) * 0.1)):
        slots[take(free)].kind = LocationKind.PARTICULIER
    for slot in slots:
        if slot.kind == LocationKind.GOO:
            slot.building = rng.choices(GOO_BUILDINGS, weights=[BUILDINGS[b].weight for b in GOO_BUILDINGS])[0]
        else:
            slot.building = {LocationKind.INTAKE_24H: "intake", LocationKind.DOORSTROOM: "doorstroom",
                             LocationKind.CRISIS: "crisis", LocationKind.PARTICULIER: "particulier"}[slot.kind]
    goo = [i for i in free if slots[i].kind == LocationKind.GOO]
    for index in rng.sample(goo, 2):
        slots[index].status = LocationStatus.PREPARING
    closable = [i for i in free if slots[i].status == LocationStatus.OPEN]
    for index in rng.sample(closable, max(1, round(len(slots) * 0.05))):
        slots[index].status = LocationStatus.CLOSING

    # Sizes: drawn per kind of building, then scaled so the realised beds hit the region's total.
    for slot in slots:
        slot.size = rng.randint(*BUILDINGS[slot.building].beds)
    realised = [s for s in slots if s.status in REALISED_STATUSES]
    factor = spec.realised_beds / sum(s.size for s in realised)
    for slot in realised:
        slot.size = max(4, round(slot.size * factor))
    by_size = sorted(realised, key=lambda s: (-s.size, s.code))
    shortfall = spec.realised_beds - sum(s.size for s in realised)
    for i in range(abs(shortfall)):
        by_size[i % len(by_size)].size += 1 if shortfall > 0 else -1

    used_names: set[str] = set()
    for slot in slots:
        _plan_location(plan, rng, slot, as_of, used_names)
    return plan


def _plan_location(plan: RegionPlan, rng: random.Random, slot: _Slot, as_of: dt.date,
                   used_names: set[str]) -> None:
    spec, mun, building = plan.spec, slot.municipality, BUILDINGS[slot.building]
    village = rng.choices(mun.villages, weights=[3] + [1] * (len(mun.villages) - 1))[0]
    name = rng.choice(building.names).format(x=rng.choice(NAME_PARTS))
    if name in used_names:
        name = f"{name} {village.name}"
    while name in used_names:
        name = f"{name} {len(used_names)}"
    used_names.add(name)

    lat_min, lat_max, lon_min, lon_max = spec.bbox
    lat = min(lat_max, max(lat_min, village.lat + rng.uniform(-village.spread, village.spread)))
    lon = min(lon_max, max(lon_min, village.lon + rng.uniform(-village.spread, village.spread) * 1.6))
    postcode = f"{rng.choice(village.postcodes)} {rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    if postcode[5:] in ("SA", "SD", "SS"):  # letter pairs PostNL never issues
        postcode = postcode[:5] + "AB"
    house_number = f"{rng.randint(1, 180)}{rng.choice(('', '', '', 'a', 'b'))}"

    kind, status = slot.kind, slot.status
    opening_date: dt.date | None = as_of - dt.timedelta(days=rng.randint(60, 1100))
    end_date: dt.date | None = None
    if status == LocationStatus.PREPARING:
        opening_date = as_of + dt.timedelta(days=rng.randint(21, 120))
        if rng.random() < 0.5:
            end_date = opening_date + dt.timedelta(days=rng.randint(180, 400))
    elif status == LocationStatus.CLOSING:
        end_date = as_of + dt.timedelta(days=rng.randint(14, 90))
    elif kind == LocationKind.CRISIS:
        end_date = as_of + dt.timedelta(days=rng.randint(30, 180))  # emergency shelter is temporary
    elif kind != LocationKind.INTAKE_24H and rng.random() < 0.58:
        end_date = as_of + dt.timedelta(days=rng.randint(30, END_DATE_MAX_DAYS))

    floors = rng.randint(*building.floors)
    has_lift = floors > 1 and rng.random() < building.lift
    singles_only = kind == LocationKind.DOORSTROOM or (kind == LocationKind.GOO and rng.random() < 0.06)
    families_only = not singles_only and kind in (LocationKind.GOO, LocationKind.PARTICULIER) \
        and rng.random() < 0.3
    flags = {
        "suitable_infants": not singles_only and rng.random() < building.infants,
        "suitable_pets": rng.random() < building.pets,
        "suitable_wheelchair": (floors == 1 or has_lift) and rng.random() < 0.35,
        "suitable_care": rng.random() < building.care,
        "is_remote": rng.random() < building.remote,
        "intake_24_7": kind == LocationKind.INTAKE_24H,
    }
    wants_bunks = rng.random() < building.bunks
    # Occupancy: short stays at the intake and a location that is closing run emptier.
    if status == LocationStatus.PREPARING:
        rate = 0.0
    elif kind == LocationKind.INTAKE_24H:
        rate = rng.uniform(0.4, 0.65)
    elif status == LocationStatus.CLOSING:
        rate = rng.uniform(0.55, 0.8)
    else:
        rate = rng.uniform(0.88, 0.99)
    shared_share = 1.0 if singles_only else 0.0 if families_only else 0.4 if kind == LocationKind.INTAKE_24H \
        else 0.25

    bed_counts: list[int] = []
    remaining = slot.size
    while remaining > 0:
        beds = min(rng.choices((1, 2, 3, 4, 5, 6), weights=building.room_weights)[0], remaining)
        bed_counts.append(beds)
        remaining -= beds
    per_floor = math.ceil(len(bed_counts) / floors)
    width = 2 if per_floor < 100 else 3
    rooms: list[dict[str, Any]] = []
    for i, beds in enumerate(bed_counts):
        floor = i // per_floor
        number = f"{building.unit} {i + 1:0{3 if len(bed_counts) > 99 else 2}d}" if building.unit \
            else f"{floor}.{i % per_floor + 1:0{width}d}"
        step_free = floor == 0 or has_lift
        wheelchair = flags["suitable_wheelchair"] and floor == 0 and rng.random() < 0.3
        bunk_beds = 2 * (beds // 2) if wants_bunks and beds >= 2 and not wheelchair and rng.random() < 0.6 else 0
        shared = rng.random() < shared_share
        room = {
            "number": number, "floor": floor, "beds": beds, "bunk_beds": bunk_beds, "step_free": step_free,
            "wheelchair_accessible": wheelchair,
            "occupancy": RoomOccupancy.SHARED if shared else RoomOccupancy.HOUSEHOLD,
            "state": RoomState.AVAILABLE, "blocked_reason": "", "blocked_until": None, "occupants": 0,
        }
        if rng.random() < 0.02:
            room["state"] = RoomState.BLOCKED
            room["blocked_reason"] = rng.choice(BLOCK_REASONS)
            if rng.random() < 0.5:
                room["blocked_until"] = as_of + dt.timedelta(days=rng.randint(7, 120))
        elif shared:
            room["occupants"] = sum(rng.random() < rate for _ in range(beds))
        elif rng.random() < rate:
            # One household per room, never larger than the room: the rest is snijverlies.
            room["occupants"] = max(1, beds - rng.choices((0, 1, 2), weights=(70, 25, 5))[0])
        rooms.append(room)
    # Flags follow the rooms, so a filter on "wheelchair" always finds a wheelchair room.
    if flags["suitable_wheelchair"] and not any(r["wheelchair_accessible"] for r in rooms):
        rooms[0].update(wheelchair_accessible=True, bunk_beds=0)
    flags["has_bunk_beds"] = any(r["bunk_beds"] for r in rooms)
    flags["has_stairs"] = any(not r["step_free"] for r in rooms)
    # The residents behind these numbers are created as real placements after the rooms
    # (placements/demo.py); a location that is not realised has nobody in it.
    if status not in REALISED_STATUSES:
        for room in rooms:
            room["occupants"] = 0

    plan.locations[slot.code] = {
        "municipality": mun.cbs_code, "code": slot.code, "name": name,
        "street": f"{rng.choice(STREETS)} {house_number}", "postcode": postcode, "place": village.name,
        "latitude": Decimal(f"{lat:.5f}"), "longitude": Decimal(f"{lon:.5f}"),
        "kind": kind, "status": status, "opening_date": opening_date, "end_date": end_date, **flags,
        "target_families": not singles_only, "target_singles": not families_only,
        "target_single_men": kind == LocationKind.DOORSTROOM,
        "notes": rng.choice(NOTES) if rng.random() < 0.3 else "",
    }
    for room in rooms:
        plan.rooms[(slot.code, room["number"])] = room

    functions = {LocationKind.PARTICULIER: "Eigenaar", LocationKind.INTAKE_24H: "Teamleider intake"}
    second = ("Beheerder gebouw", "Zorgcoördinator", "Begeleider", "Nachtdienst")
    for n in range(1 if rng.random() < 0.45 else 2):
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if (slot.code, f"{first} {last}") not in plan.contacts:
                break
        area = rng.choice(mun.phone_areas)
        digits = 10 - len(area)
        subscriber = f"{rng.randint(10 ** (digits - 1), 10 ** digits - 1)}"
        phone = f"{area} {subscriber[:3]} {subscriber[3:]}"
        plan.contacts[(slot.code, f"{first} {last}")] = {
            "name": f"{first} {last}",
            "function": functions.get(kind, "Locatiemanager") if n == 0 else rng.choice(second),
            "phone": phone, "email": f"{_ascii(first)}.{_ascii(last)}@example.org", "is_primary": n == 0,
        }


# --- writing the plan -------------------------------------------------------------------------

@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: SyncCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted


def _sync(model: type[models.Model], desired: dict[Hashable, dict[str, Any]], existing: Iterable[models.Model],
          key: Callable[[Any], Hashable], *, history: bool, now: dt.datetime,
          counts: SyncCounts) -> dict[Hashable, Any]:
    """Make the rows of `existing` (plus new ones) equal to `desired`; returns the rows by key.

    Existing rows whose key is not desired (or that duplicate another row's key) are deleted.
    Unchanged rows are not written at all, so a repeated run leaves updated_at and history alone."""
    by_key: dict[Hashable, Any] = {}
    stale: list[int] = []
    for obj in existing:
        natural_key = key(obj)
        if natural_key in by_key or natural_key not in desired:
            stale.append(obj.pk)
        else:
            by_key[natural_key] = obj
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    changed_fields: set[str] = set()
    for natural_key, values in desired.items():
        obj = by_key.get(natural_key)
        if obj is None:
            by_key[natural_key] = obj = model(**values)
            to_create.append(obj)
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.updated_at = now  # bulk_update does not touch auto_now fields
            changed_fields.update(changed)
            to_update.append(obj)

    if stale:
        model._default_manager.filter(pk__in=stale).delete()
    if to_create:
        if history:
            bulk_create_with_history(to_create, model, batch_size=BATCH_SIZE, default_date=now,
                                     default_change_reason="Demodata aangemaakt")
        else:
            model._default_manager.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        _bulk_update(model, to_update, sorted(changed_fields | {"updated_at"}))
        if history:
            get_history_manager_for_model(model).bulk_history_create(
                to_update, update=True, batch_size=BATCH_SIZE, default_date=now,
                default_change_reason="Demodata bijgewerkt")
    counts.add(SyncCounts(len(to_create), len(to_update), len(stale)))
    return by_key


def _bulk_update(model: type[models.Model], objs: list[models.Model], fields: list[str]) -> None:
    """UPDATE ... FROM (VALUES ...), one statement per batch.

    Django's bulk_update writes a CASE WHEN per row and field, which takes over ten seconds for
    the few thousand rows that change when the national set is rebuilt on another day (every
    date moves along); this takes a fraction of a second. Column names and types come from the
    model, values are passed as parameters."""
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    aliases = ", ".join(quote(f.column) for f in columns)
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            batch = objs[start:start + BATCH_SIZE]
            params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in batch for f in columns]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v({aliases}) "
                f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}",
                params,
            )


def apply_plans(plans: list[RegionPlan], *, history: bool, now: dt.datetime) -> SyncCounts:
    counts = SyncCounts()
    regions = _sync(Region, {p.spec.code: {"code": p.spec.code, "name": p.spec.name} for p in plans},
                    Region.objects.filter(code__in=[p.spec.code for p in plans]).order_by("pk"),
                    lambda r: r.code, history=False, now=now, counts=counts)

    desired_municipalities = {cbs: {**values, "region_id": regions[p.spec.code].pk}
                              for p in plans for cbs, values in p.municipalities.items()}
    municipalities = _sync(
        Municipality, desired_municipalities,
        Municipality.objects.filter(cbs_code__in=list(desired_municipalities)).order_by("pk"),
        lambda m: m.cbs_code, history=history, now=now, counts=counts)

    desired_locations = {}
    for p in plans:
        for code, values in p.locations.items():
            loc = dict(values)
            loc["municipality_id"] = municipalities[loc.pop("municipality")].pk
            desired_locations[code] = loc
    locations = _sync(Location, desired_locations,
                      Location.objects.filter(code__in=list(desired_locations)).order_by("pk"),
                      lambda loc: loc.code, history=history, now=now, counts=counts)
    location_ids = [loc.pk for loc in locations.values()]

    desired_rooms = {(locations[code].pk, number): {**values, "location_id": locations[code].pk}
                     for p in plans for (code, number), values in p.rooms.items()}
    _sync(Room, desired_rooms, Room.objects.filter(location_id__in=location_ids).order_by("pk"),
          lambda r: (r.location_id, r.number), history=history, now=now, counts=counts)

    desired_contacts = {(locations[code].pk, name): {**values, "location_id": locations[code].pk}
                        for p in plans for (code, name), values in p.contacts.items()}
    _sync(ContactPerson, desired_contacts,
          ContactPerson.objects.filter(location_id__in=location_ids).order_by("pk"),
          lambda c: (c.location_id, c.name), history=history, now=now, counts=counts)
    return counts


# --- demo users -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    last_name: str
    municipality: str | None = None  # CBS code, for the gemeente role
    staff: bool = False
    superuser: bool = False
    special: bool = False  # special_category_access
    totp: bool = False  # a demo authenticator device (DEMO_TOTP_KEY)


DEMO_USERS = (
    DemoUser("belteam", Role.BELTEAM, "Belteam"),
    DemoUser("coordinator", Role.COORDINATOR, "Coördinator", special=True, totp=True),
    DemoUser("mentalcoach", Role.MENTAL_COACH, "Mental coach", totp=True),
    DemoUser("gemeente.assen", Role.GEMEENTE, "Gemeente Assen", municipality="GM0106"),
    DemoUser("gemeente.emmen", Role.GEMEENTE, "Gemeente Emmen", municipality="GM0114"),
    DemoUser("bestuur", Role.BESTUUR, "Bestuur"),
    DemoUser("beheerder", Role.BEHEERDER, "Beheerder", staff=True),
    DemoUser("admin", Role.BEHEERDER, "Superuser", staff=True, superuser=True),
)


def ensure_demo_users(region: Region) -> list[User]:
    """One user per role, bound to the demo region; the password is reset on every run."""
    # One hash for all: the password is shared and printed anyway, and hashing once keeps the
    # command fast (PBKDF2 takes a noticeable fraction of a second per call).
    password = make_password(DEMO_PASSWORD)
    admin_permissions = list(Permission.objects.filter(content_type__app_label__in=("locations", "accounts")))
    municipalities = {m.cbs_code: m for m in Municipality.objects.filter(region=region)}
    users = []
    for spec in DEMO_USERS:
        user, _ = User.objects.update_or_create(username=spec.username, defaults={
            "role": spec.role, "first_name": "Demo", "last_name": spec.last_name,
            "email": f"{spec.username}@example.org", "is_active": True, "is_staff": spec.staff,
            "is_superuser": spec.superuser, "password": password, "special_category_access": spec.special,
        })
        user.regions.set([region])
        user.municipalities.set([municipalities[spec.municipality]] if spec.municipality else [])
        # The beheerder manages the registry in the Django admin without being a superuser.
        user.user_permissions.set(admin_permissions if spec.staff and not spec.superuser else [])
        if spec.totp:
            # Named "demo": the only name demo_otp reveals a code for (and only with DEBUG on).
            TOTPDevice.objects.update_or_create(user=user, name="demo", defaults={
                "key": DEMO_TOTP_KEY, "confirmed": True, "throttling_failure_count": 0,
                "throttling_failure_timestamp": None})
        users.append(user)
    return users


# --- the command ------------------------------------------------------------------------------

def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value}%".replace(".", ",")


def seed_reporting(region: Region, *, seed: int, as_of: dt.date) -> list[str]:
    """Reporting's demo (reporting/demo/): a year of snapshots, contacts, costs, the board's list.
    Each module adds only what is missing, so this also runs for a kept demo region."""
    from reporting.demo import board, costs, delivery, mail, targets, trends

    lines = []
    for module in (trends, delivery, mail, targets, costs, board):  # trends first: the others read snapshots
        line = module.seed(region, seed=seed, as_of=as_of)
        if line:
            lines.append(line)
    return lines


def analyze_tables() -> None:
    """Give the query planner statistics for what was just loaded. Without them it plans every
    query as if the tables were empty until autovacuum comes by, and on this machine's
    PostgreSQL autovacuum is off. ANALYZE only samples, so the whole project is cheap."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in sorted(tables)))


class Command(BaseCommand):
    help = ("Bouwt synthetische demodata: regio Drenthe (12 gemeenten, 74 locaties, bijna 5.000 bedden) en "
            "één demogebruiker per rol. Met --national: 25 regio's, ca. 2.500 locaties, 120.000 bedden.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--national", action="store_true",
                            help="Ook de 24 andere veiligheidsregio's, voor benchmarks.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Startwaarde (standaard {DEFAULT_SEED}).")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="Peildatum JJJJ-MM-DD voor openings-, eind- en blokkadedatums (standaard vandaag).")
        parser.add_argument("--quiet", action="store_true", help="Geen samenvatting afdrukken.")
        parser.add_argument("--keep-existing", action="store_true",
                            help="Bestaat de demoregio al, laat de locaties dan zoals ze zijn (alleen de "
                                 "demogebruikers worden bijgewerkt). Zo blijft wat u uitprobeerde bewaard.")
        # Number of regions of the national build, Drenthe included; tests use a small number.
        parser.add_argument("--regions", type=int, default=NATIONAL_REGIONS, help=argparse.SUPPRESS)

    def handle(self, *args: Any, national: bool, seed: int, as_of: dt.date | None, quiet: bool, regions: int,
               keep_existing: bool = False, **options: Any) -> None:
        # The demo users share a published password, and one of them is a superuser.
        if not (settings.DEBUG or getattr(settings, "TESTING", False)):
            raise CommandError("seed_demo maakt gebruikers met een bekend wachtwoord en draait daarom alleen "
                               "met DEBUG=1 (ontwikkeling en demo), nooit in productie.")
        if not 1 <= regions <= NATIONAL_REGIONS:
            raise CommandError(f"--regions moet tussen 1 en {NATIONAL_REGIONS} liggen.")
        as_of = as_of or timezone.localdate()
        started = time.perf_counter()
        now = timezone.now()

        if keep_existing and Region.objects.filter(code=DEMO_REGION_CODE).exists():
            # `make run` a second time: keep what the user changed in the demo region.
            with transaction.atomic():
                region = Region.objects.get(code=DEMO_REGION_CODE)
                users = ensure_demo_users(region)
                # A demo database from before casework gets its cases once; existing ones stay.
                cases = None if has_demo_cases(region) else create_demo_cases(region, seed=seed, as_of=as_of)
                reporting_lines = seed_reporting(region, seed=seed, as_of=as_of)
            if not quiet:
                self._summary(region, users, SyncCounts(), [], seed=seed, as_of=as_of,
                              seconds=time.perf_counter() - started, cases=cases, reporting_lines=reporting_lines)
            return

        drenthe_plan = plan_region(DRENTHE, seed=seed, as_of=as_of)
        national_plans = ([plan_region(spec, seed=seed, as_of=as_of) for spec in national_specs()[: regions - 1]]
                          if national else [])
        with transaction.atomic():
            # Residents are real placements; they are rebuilt with the rooms they live in.
            all_plans = [drenthe_plan, *national_plans]
            # Cases hang on the households (PROTECT) and go first, read log included.
            clear_demo_cases(p.spec.code for p in all_plans)
            clear_demo_households(p.spec.code for p in all_plans)
            counts = apply_plans([drenthe_plan], history=True, now=now)
            if national_plans:
                counts.add(apply_plans(national_plans, history=False, now=now))
            for plan in all_plans:
                create_demo_residents(Region.objects.get(code=plan.spec.code), seed=seed, as_of=as_of, now=now)
            region = Region.objects.get(code=DEMO_REGION_CODE)
            create_demo_queue(region, as_of=as_of, now=now)
            users = ensure_demo_users(region)
            cases = create_demo_cases(region, seed=seed, as_of=as_of)
            reporting_lines = seed_reporting(region, seed=seed, as_of=as_of)
        analyze_tables()
        if not quiet:
            self._summary(region, users, counts, national_plans, seed=seed, as_of=as_of,
                          seconds=time.perf_counter() - started, cases=cases, reporting_lines=reporting_lines)

    def _summary(self, region: Region, users: list[User], counts: SyncCounts, national_plans: list[RegionPlan],
                 *, seed: int, as_of: dt.date, seconds: float, cases: DemoCaseCounts | None = None,
                 reporting_lines: list[str] | None = None) -> None:
        write = self.stdout.write
        capacity = region_capacity(region)
        statuses = Counter(Location.objects.filter(municipality__region=region).values_list("status", flat=True))
        write(f"Demodata regio {region.name} (seed {seed}, peildatum {as_of:%d-%m-%Y})")
        write(f"  {region.municipalities.count()} gemeenten, {_n(sum(statuses.values()))} locaties ("
              + ", ".join(f"{statuses[s]} {s.label.lower()}" for s in LocationStatus if statuses[s]) + ")")
        write(f"  {_n(capacity.realised)} gerealiseerde bedden, {_n(capacity.occupied)} bezet "
              f"(bezettingsgraad {_pct(capacity.occupancy_rate)}), {_n(capacity.available)} beschikbaar, "
              f"{_n(capacity.out_of_service)} buiten gebruik")
        if national_plans:
            codes = [DEMO_REGION_CODE] + [p.spec.code for p in national_plans]
            total = Capacity()
            for row in regions_with_capacity(Region.objects.filter(code__in=codes)):
                total = total + Capacity.from_obj(row)
            locations = Location.objects.filter(municipality__region__code__in=codes).count()
            write(f"  landelijk: {len(codes)} regio's, {_n(locations)} locaties, {_n(total.realised)} "
                  f"gerealiseerde bedden (bezettingsgraad {_pct(total.occupancy_rate)})")
        if cases is not None:
            write(f"  casussen: {cases.cases} over {len(cases.categories)} categorieën, {cases.entries} aantekeningen, "
                  f"{cases.referrals} verwijzingen, {cases.shares} gedeeld met een gemeente, "
                  f"{cases.signal_shares} SIGNAL-meldingen, {cases.transfer_requests} overplaatsingsaanvragen")
        for line in reporting_lines or []:
            write(f"  {line}")
        duration = f"{seconds:.1f}".replace(".", ",")
        write(f"  wijzigingen: {_n(counts.created)} nieuw, {_n(counts.updated)} gewijzigd, "
              f"{_n(counts.deleted)} verwijderd ({duration} s)")
        write("")
        write(f"Demogebruikers (wachtwoord voor allemaal: {DEMO_PASSWORD})")
        write(f"  {'gebruiker':<16} {'rol':<22} wachtwoord")
        for user in users:
            role = str(Role(user.role).label)
            if user.is_superuser:
                role += " (superuser)"
            elif user.is_gemeente:
                role += " " + ", ".join(m.name for m in user.municipalities.all())
            write(f"  {user.username:<16} {role:<22} {DEMO_PASSWORD}")
        write("  coordinator en mentalcoach vragen daarna een code (tweede factor): "
              "python manage.py demo_otp coordinator")
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        write(f"  of zet deze sleutel in een authenticator-app: {secret}")
