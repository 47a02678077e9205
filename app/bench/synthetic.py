"""Synthetic UK residents and the records organisations hold about them, with the ground truth.

Identity resolution is measured against this. :func:`people` makes the true residents (households that
share a surname, address and landline; twins; the common names that make matching hard), :func:`records`
makes what several organisations would hold about them (one clean-ish record each, then duplicates
corrupted the way council, charity and shop data is), and :func:`truth_pairs` says which records describe
the same person. Everything is deterministic for its arguments, so a quality or speed figure can be
reproduced and compared between versions.

Faker (``en_GB``) supplies the names, towns and postcode districts; the nicknames package supplies the
nicknames. The phone numbers are in allocated UK ranges (the Ofcom drama ranges are too small for a
large population and some fail phone validation), so they may belong to real people: never call or text
them.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker
from faker.providers.person.en_GB import Provider as _GBNames
from nicknames import NickNamer

FIRST_YEAR = 1930
LAST_YEAR = 2008

HOUSEHOLD_SHARE = 0.35  # of people who live with others
HOUSEHOLD_SIZES = (2, 3, 4, 5)
HOUSEHOLD_SIZE_WEIGHTS = (0.45, 0.25, 0.2, 0.1)
TWIN_SHARE = 0.01  # of people who have a twin
DOUBLE_BARRELLED_SHARE = 0.02  # of households
EMAIL_SHARE = 0.7
MOBILE_SHARE = 0.85
LANDLINE_SHARE = {"household": 0.6, "single": 0.25}
SHARED_LANDLINE_USE = 0.35  # how often someone with a mobile still gives the household landline
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

#: Probability of each corruption in a duplicate record, before scaling by ``corruption``.
DUPLICATE_NOISE: dict[str, float] = {
    "nickname": 0.15,  # only when the given name has one
    "single_barrel": 0.35,  # of double-barrelled family names: only one part kept
    "typo": 0.15,  # one insert, delete, substitute or transpose in the given or the family name
    "punctuation": 0.3,  # of names with an apostrophe or hyphen: dropped, spaced or curly
    "name_case": 0.15,
    "name_spacing": 0.05,
    "swap_names": 0.04,
    "missing_dob": 0.2,
    "wrong_dob": 0.05,
    "missing_email": 0.25,
    "changed_email": 0.05,
    "email_case": 0.1,
    "missing_phone": 0.2,
    "phone_format": 1.0,
    "missing_address": 0.15,
    "moved": 0.15,
    "address_format": 0.3,
    "postcode_format": 0.3,
}

#: The light formatting noise of each person's first record (anything absent here is 0).
FIRST_RECORD_NOISE: dict[str, float] = {
    "punctuation": 0.05,
    "name_case": 0.05,
    "name_spacing": 0.02,
    "email_case": 0.02,
    "phone_format": 0.2,
    "address_format": 0.05,
    "postcode_format": 0.05,
}

# Further records per duplicated person: 1, 2 or 3.
_EXTRA_RECORDS = (1, 2, 3)
_EXTRA_RECORD_WEIGHTS = (0.6, 0.3, 0.1)

_ADDRESSES_PER_POSTCODE = 14  # a UK postcode unit covers about 15 delivery points
_SPARE_ADDRESSES = 1.25  # so households are spread over streets rather than packed
_FLATS_SHARE = 0.15  # of postcode units that are a block of flats
_STREETS_PER_TOWN = 60
_PLAIN_DISTRICT = re.compile(r"^[A-Z]{1,2}[1-9][0-9]?$")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_STREET_STEMS = (
    "High",
    "Station",
    "Church",
    "Park",
    "Victoria",
    "Green",
    "Manor",
    "Mill",
    "School",
    "Queens",
    "Kings",
    "New",
    "Chapel",
    "Grange",
    "Windsor",
    "Albert",
    "York",
    "Orchard",
)
_STREET_SUFFIXES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens")
_STREET_SUFFIX_WEIGHTS = (30, 15, 10, 8, 10, 6, 5, 4, 4)
_ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Lane": "Ln",
    "Avenue": "Ave",
    "Close": "Cl",
    "Drive": "Dr",
    "Crescent": "Cres",
    "Gardens": "Gdns",
}
_SUFFIX_AT_END = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")$")

# Four-digit prefixes phone validation accepts as mobile; 0770 and 0791 hold unallocated blocks.
_MOBILE_PREFIXES = (
    *(f"07{a}{b}" for a in "12345" for b in "0123456789"),
    *(f"077{b}" for b in "123456789"),
    *(f"078{b}" for b in "0123456789"),
    *(f"079{b}" for b in "023456789"),
)
# Area codes and the first digits of local numbers in use there (numbering plan gaps fail validation).
_LANDLINE_AREAS = {
    "020": "378",
    "0113": "2345",
    "0114": "2345",
    "0115": "2678",
    "0116": "234",
    "0117": "2349",
    "0121": "234567",
    "0131": "2345678",
    "0141": "23456789",
    "0151": "23456789",
    "0161": "23456789",
    "0191": "23456789",
    "01223": "23456789",
    "01274": "23456789",
    "01332": "23456789",
    "01392": "23456789",
    "01482": "23456789",
    "01603": "23456789",
    "01752": "23456789",
    "01792": "23456789",
    "01865": "23456789",
    "01904": "23456789",
}
_LANDLINE_AREA_CODES = tuple(_LANDLINE_AREAS)

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    """Keys next to each letter on a QWERTY keyboard: where a slipped finger lands."""
    where = {ch: (r, c) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in enumerate(row)}
    return {
        ch: "".join(
            other
            for other, (r2, c2) in where.items()
            if other != ch and abs(r - r2) <= 1 and abs(c - c2) <= 1
        )
        for ch, (r, c) in where.items()
    }


_NEIGHBOURS = _keyboard_neighbours()


def _rank_weights(names: tuple[str, ...]) -> list[float]:
    """Cumulative Zipf-like weights: Faker lists en_GB given names most common first, but draws uniformly."""
    return list(itertools.accumulate(1 / (rank + 10) for rank in range(len(names))))


_GIVEN_NAMES = {"f": tuple(_GBNames.first_names_female), "m": tuple(_GBNames.first_names_male)}
_GIVEN_WEIGHTS = {sex: _rank_weights(names) for sex, names in _GIVEN_NAMES.items()}
_FAMILY_NAMES = tuple(_GBNames.last_names)
_FAMILY_WEIGHTS = list(itertools.accumulate(_GBNames.last_names.values()))


@dataclass(frozen=True)
class SyntheticPerson:
    """A true resident."""

    truth_id: int
    given_name: str
    family_name: str
    date_of_birth: str
    email: str | None
    phone: str | None
    address: dict
    household: int


@dataclass(frozen=True)
class SyntheticRecord:
    """What one organisation holds about one person, as it was typed in."""

    truth_id: int
    source: int
    external_ref: str
    given_name: str | None
    family_name: str | None
    date_of_birth: str | None
    email: str | None
    phone: str | None
    address: dict | None

    def as_payload(self) -> dict:
        """The JSON body for POST /v1/people: external_ref and the attributes the record has."""
        payload: dict[str, Any] = {"external_ref": self.external_ref}
        for field in ("given_name", "family_name", "date_of_birth", "email", "phone"):
            value = getattr(self, field)
            if value is not None:
                payload[field] = value
        if self.address is not None:
            payload["address"] = {k: v for k, v in self.address.items() if v is not None}
        return payload


# --- the residents -----------------------------------------------------------------------------------


def people(
    n_people: int, *, seed: int = 0, household_share: float = HOUSEHOLD_SHARE, twin_share: float = TWIN_SHARE
) -> list[SyntheticPerson]:
    """The true residents: deterministic for the arguments.

    About ``household_share`` (35%) live in households of 2 to 5 that share a family name, an address
    and often a landline; about ``twin_share`` (1%) have a twin in their household (same date of
    birth, a distinct given name). Unrelated people often share a surname, a given name or a
    postcode, as they do in a real town.
    """
    if n_people < 0:
        raise ValueError("n_people must not be negative")
    rng = random.Random(f"kith-synthetic-people:{seed}")
    fake = Faker("en_GB")
    fake.seed_instance(seed)

    sizes = _household_sizes(rng, n_people, household_share)
    homes = rng.sample(_address_pool(fake, rng, len(sizes)), len(sizes))
    twins = _twin_households(rng, sizes, round(n_people * twin_share / 2))
    emails: set[str] = set()
    phones: set[str] = set()
    population: list[SyntheticPerson] = []
    for household, (size, home) in enumerate(zip(sizes, homes, strict=True)):
        family = _family_name(rng)
        kind = "household" if size > 1 else "single"
        landline = _landline(rng, phones) if rng.random() < LANDLINE_SHARE[kind] else None
        names = _household_given_names(rng, size)
        dobs = _household_dobs(rng, size, twins=household in twins)
        for given, dob in zip(names, dobs, strict=True):
            email = _email(rng, given, family, dob.year, emails) if rng.random() < EMAIL_SHARE else None
            has_mobile = rng.random() < MOBILE_SHARE
            if landline and (not has_mobile or rng.random() < SHARED_LANDLINE_USE):
                phone: str | None = landline
            else:
                phone = _mobile(rng, phones) if has_mobile else None
            line1, line2, town, postcode = home
            population.append(
                SyntheticPerson(
                    truth_id=len(population),
                    given_name=given,
                    family_name=family,
                    date_of_birth=dob.isoformat(),
                    email=email,
                    phone=phone,
                    address={"line1": line1, "line2": line2, "town": town, "postcode": postcode},
                    household=household,
                )
            )
    return population


def _household_sizes(rng: random.Random, n_people: int, share: float) -> list[int]:
    mean = sum(s * w for s, w in zip(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS, strict=True))
    # The chance a household is shared that puts ``share`` of people (not households) in one.
    shared = share / (share + (1 - share) * mean)
    sizes: list[int] = []
    remaining = n_people
    while remaining:
        size = rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS)[0] if rng.random() < shared else 1
        size = min(size, remaining)
        sizes.append(size)
        remaining -= size
    return sizes


def _twin_households(rng: random.Random, sizes: list[int], pairs: int) -> set[int]:
    """Households whose last two members are twins; families with children first, then adult siblings."""
    families = [h for h, size in enumerate(sizes) if size >= 3]
    couples = [h for h, size in enumerate(sizes) if size == 2]
    rng.shuffle(families)
    rng.shuffle(couples)
    return set((families + couples)[:pairs])


def _address_pool(
    fake: Faker, rng: random.Random, n_households: int
) -> list[tuple[str, str | None, str, str]]:
    """Addresses as (line1, line2, town, postcode): streets in towns, postcode units of ~14 homes."""
    n_units = int(n_households * _SPARE_ADDRESSES) // _ADDRESSES_PER_POSTCODE + 1
    n_streets = max(1, n_units // 3)
    n_towns = max(1, n_streets // _STREETS_PER_TOWN)
    towns = _distinct(fake.city, n_towns)
    # Each town has a few postcode districts (the outward code, e.g. 'LS6'), as real towns do.
    districts = _distinct(lambda: _district(fake), n_towns * 3)
    streets: list[tuple[str, str, str]] = []
    names_in_town: dict[str, set[str]] = defaultdict(set)
    while len(streets) < n_streets:
        town_index = rng.randrange(n_towns)
        town = towns[town_index]
        stem = rng.choice(_STREET_STEMS) if rng.random() < 0.3 else fake.last_name()
        name = f"{stem} {rng.choices(_STREET_SUFFIXES, _STREET_SUFFIX_WEIGHTS)[0]}"
        if name not in names_in_town[town]:
            names_in_town[town].add(name)
            streets.append((name, town, districts[town_index * 3 + rng.randrange(3)]))

    postcodes: set[str] = set()
    pool: list[tuple[str, str | None, str, str]] = []
    for unit in range(n_units):
        street, town, district = streets[unit % n_streets]
        postcode = ""
        while not postcode or postcode in postcodes:
            postcode = (
                f"{district} {rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
            )
        postcodes.add(postcode)
        first_number = unit // n_streets * 60  # later units on a street carry on up the numbers
        if rng.random() < _FLATS_SHARE:
            building = f"{rng.randint(first_number + 1, first_number + 60)} {street}"
            pool.extend(
                (f"Flat {n}", building, town, postcode) for n in range(1, _ADDRESSES_PER_POSTCODE + 1)
            )
        else:
            numbers = rng.sample(range(first_number + 1, first_number + 61), _ADDRESSES_PER_POSTCODE)
            pool.extend((f"{n} {street}", None, town, postcode) for n in sorted(numbers))
    return pool


def _district(fake: Faker) -> str:
    """A postcode district like 'LS6' or 'CF24' (Faker also makes 'N0' and 'AL1P', which few towns have)."""
    while True:
        outward = fake.postcode().split()[0]
        if _PLAIN_DISTRICT.match(outward):
            return outward


def _distinct(draw: Callable[[], str], n: int) -> list[str]:
    """n distinct values of a Faker draw, or as many as it can make if it runs dry."""
    seen: dict[str, None] = {}
    for _ in range(n * 20):
        seen.setdefault(draw(), None)
        if len(seen) == n:
            break
    values = list(seen)
    return [values[i % len(values)] for i in range(n)]


def _family_name(rng: random.Random) -> str:
    first = rng.choices(_FAMILY_NAMES, cum_weights=_FAMILY_WEIGHTS)[0]
    if rng.random() >= DOUBLE_BARRELLED_SHARE:
        return first
    second = first
    while second == first:
        second = rng.choices(_FAMILY_NAMES, cum_weights=_FAMILY_WEIGHTS)[0]
    return f"{first}-{second}"


def _given_name(rng: random.Random, sex: str) -> str:
    return rng.choices(_GIVEN_NAMES[sex], cum_weights=_GIVEN_WEIGHTS[sex])[0]


def _household_given_names(rng: random.Random, size: int) -> list[str]:
    """Given names no two of which are the same or nicknames of each other (no 'Amelia' and 'Amy')."""
    first_sex = rng.choice("fm")
    sexes = [first_sex, ("m" if first_sex == "f" else "f") if rng.random() < 0.9 else first_sex]
    sexes += [rng.choice("fm") for _ in range(size - 2)]
    names: list[str] = []
    for sex in sexes[:size]:
        name = _given_name(rng, sex)
        while any(_related(name, other) for other in names):
            name = _given_name(rng, sex)
        names.append(name)
    return names


def _household_dobs(rng: random.Random, size: int, *, twins: bool) -> list[date]:
    """Dates of birth: a couple of similar age, then children (or, if too young, other adult relatives)."""
    if size == 1:
        years = [round(rng.triangular(FIRST_YEAR, LAST_YEAR, 1985))]
    else:
        head = rng.randint(FIRST_YEAR + 5, 1985)
        years = [head, _clip_year(head + rng.randint(-6, 6))]
        for _ in range(size - 2):
            child = head + rng.randint(20, 40)
            years.append(child if child <= LAST_YEAR else _clip_year(head + rng.randint(-10, 10)))
    dobs: list[date] = []
    for year in years:
        dob = _day_in(rng, year)
        while dob in dobs:
            dob = _day_in(rng, year)
        dobs.append(dob)
    if twins:
        dobs[-1] = dobs[-2]
    return dobs


def _clip_year(year: int) -> int:
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _day_in(rng: random.Random, year: int) -> date:
    start = date(year, 1, 1)
    return start + timedelta(days=rng.randrange((date(year + 1, 1, 1) - start).days))


def _email(rng: random.Random, given: str, family: str, year: int, taken: set[str]) -> str:
    """A fresh address made from the name, the way people choose them; never one already taken."""
    g, f = _local_part(given), _local_part(family)
    yy = f"{year % 100:02d}"
    local = rng.choice(
        (
            f"{g}.{f}",
            f"{g}.{f}{yy}",
            f"{g}{f}",
            f"{g[0]}{f}",
            f"{g[0]}.{f}{rng.randint(1, 99)}",
            f"{f}.{g}",
            f"{g}_{f}{yy}",
            f"{g}{year}",
            f"{g}.{f[0]}{rng.randint(1, 999)}",
        )
    )
    domain = rng.choices(EMAIL_DOMAINS, (6, 3, 1))[0]
    address = f"{local}@{domain}"
    while address in taken:
        address = f"{local}{rng.randint(1, 9999)}@{domain}"
    taken.add(address)
    return address


def _local_part(name: str) -> str:
    return re.sub("[^a-z]", "", name.lower())


def _mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        digits = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        number = f"{digits[:5]} {digits[5:]}"
        if number not in taken:
            taken.add(number)
            return number


def _landline(rng: random.Random, taken: set[str]) -> str:
    while True:
        area = rng.choice(_LANDLINE_AREA_CODES)
        local = (
            rng.choice(_LANDLINE_AREAS[area]) + f"{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"
        )
        if len(area) == 3:
            number = f"{area} {local[:4]} {local[4:]}"
        elif len(area) == 4:
            number = f"{area} {local[:3]} {local[3:]}"
        else:
            number = f"{area} {local}"
        if number not in taken:
            taken.add(number)
            return number


# --- the records -------------------------------------------------------------------------------------


def records(
    population: list[SyntheticPerson],
    *,
    n_sources: int = 5,
    duplicates: float = 0.6,
    seed: int = 0,
    corruption: float = 1.0,
) -> list[SyntheticRecord]:
    """What the organisations hold: deterministic for the arguments, in a shuffled order.

    Each person gets one clean-ish first record (light formatting noise only) at a random source; a
    fraction ``duplicates`` of people get 1 to 3 further records at other sources (or, with one source,
    at the same one), corrupted at the rates of :data:`DUPLICATE_NOISE` times ``corruption`` (each
    capped at 1). With ``corruption=0`` every record is exactly the truth. external_ref numbers records
    within a source in the shuffled order, so it says nothing about who the record describes.
    """
    if n_sources < 1:
        raise ValueError("n_sources must be at least 1")
    if not 0 <= duplicates <= 1:
        raise ValueError("duplicates must be between 0 and 1")
    if corruption < 0:
        raise ValueError("corruption must not be negative")
    rng = random.Random(f"kith-synthetic-records:{seed}")
    first_rates = {k: min(1.0, FIRST_RECORD_NOISE.get(k, 0.0) * corruption) for k in DUPLICATE_NOISE}
    duplicate_rates = {k: min(1.0, v * corruption) for k, v in DUPLICATE_NOISE.items()}

    jobs: list[tuple[SyntheticPerson, int, dict[str, float]]] = []
    for person in population:
        first = rng.randrange(n_sources)
        jobs.append((person, first, first_rates))
        if rng.random() < duplicates:
            extra = rng.choices(_EXTRA_RECORDS, _EXTRA_RECORD_WEIGHTS)[0]
            others = [s for s in range(n_sources) if s != first]
            sources = rng.sample(others, min(extra, len(others))) if others else [first] * extra
            jobs.extend((person, source, duplicate_rates) for source in sources)
    rng.shuffle(jobs)

    homes = _Homes(population)
    emails = {p.email for p in population if p.email}
    counters = [0] * n_sources
    out: list[SyntheticRecord] = []
    for person, source, rates in jobs:
        counters[source] += 1
        out.append(_record(rng, person, source, f"S{source}-{counters[source]:07d}", rates, homes, emails))
    return out


def truth_pairs(recs: list[SyntheticRecord]) -> set[tuple[str, str]]:
    """All unordered pairs of record keys f"{source}:{external_ref}" that describe the same truth_id.

    Each pair is a sorted tuple, so it can be compared with the pairs a matcher links.
    """
    keys: dict[int, list[str]] = defaultdict(list)
    for rec in recs:
        keys[rec.truth_id].append(f"{rec.source}:{rec.external_ref}")
    return {(a, b) if a < b else (b, a) for same in keys.values() for a, b in itertools.combinations(same, 2)}


class _Homes:
    """Where people could move to: a free house number on a street someone in the population lives on."""

    def __init__(self, population: list[SyntheticPerson]) -> None:
        # Sorted: set order of strings changes between processes, which would break determinism.
        self.streets = sorted(
            {
                (_street_line(p.address).split(" ", 1)[1], p.address["town"], p.address["postcode"])
                for p in population
            }
        )
        self.occupied = {(p.address["line1"], p.address["line2"], p.address["postcode"]) for p in population}
        self.several_postcodes = len({postcode for _, _, postcode in self.streets}) > 1

    def elsewhere(self, rng: random.Random, current: dict) -> dict:
        """An address in another postcode, where nobody in the population lives (the person moved)."""
        while True:
            street, town, postcode = rng.choice(self.streets)
            if postcode == current["postcode"] and self.several_postcodes:
                continue
            home = (f"{rng.randint(1, 250)} {street}", None, postcode)
            if home not in self.occupied:
                self.occupied.add(home)
                return {"line1": home[0], "line2": None, "town": town, "postcode": postcode}


def _street_line(address: dict) -> str:
    """The '12 Mill Road' line: line2 for a flat, line1 for a house."""
    return address["line2"] or address["line1"]


def _record(
    rng: random.Random,
    person: SyntheticPerson,
    source: int,
    external_ref: str,
    rates: dict[str, float],
    homes: _Homes,
    emails: set[str],
) -> SyntheticRecord:
    given, family = person.given_name, person.family_name
    if rng.random() < rates["nickname"]:
        options = _nicknames(given)
        if options:
            given = rng.choice(options)
    if "-" in family and rng.random() < rates["single_barrel"]:
        family = rng.choice(family.split("-"))
    if rng.random() < rates["typo"]:
        if rng.random() < 0.5:
            given = _typo(rng, given)
        else:
            family = _typo(rng, family)
    if rng.random() < rates["punctuation"]:
        family = _punctuation(rng, family)
    if rng.random() < rates["name_case"]:
        given, family = _name_case(rng, given, family)
    if rng.random() < rates["name_spacing"]:
        given, family = (f"{given} ", f"  {family}") if rng.random() < 0.5 else (f" {given}", f"{family}  ")
    if rng.random() < rates["swap_names"]:
        given, family = family, given

    dob: str | None = person.date_of_birth
    if rng.random() < rates["missing_dob"]:
        dob = None
    elif rng.random() < rates["wrong_dob"]:
        dob = _wrong_dob(rng, person.date_of_birth)

    email = person.email
    if email is not None:
        if rng.random() < rates["missing_email"]:
            email = None
        elif rng.random() < rates["changed_email"]:
            year = int(person.date_of_birth[:4])
            email = _email(rng, person.given_name, person.family_name, year, emails)
        if email is not None and rng.random() < rates["email_case"]:
            local, domain = email.split("@")
            email = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain

    phone = person.phone
    if phone is not None:
        if rng.random() < rates["missing_phone"]:
            phone = None
        elif rng.random() < rates["phone_format"]:
            phone = _phone_format(rng, phone)

    address: dict | None = None
    if rng.random() >= rates["missing_address"]:
        address = (
            homes.elsewhere(rng, person.address) if rng.random() < rates["moved"] else dict(person.address)
        )
        if rng.random() < rates["address_format"]:
            address = _address_format(rng, address)
        if rng.random() < rates["postcode_format"]:
            postcode = address["postcode"]
            address["postcode"] = rng.choice(
                (postcode.lower(), postcode.replace(" ", ""), postcode.lower().replace(" ", ""))
            )

    return SyntheticRecord(
        truth_id=person.truth_id,
        source=source,
        external_ref=external_ref,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        email=email,
        phone=phone,
        address=address,
    )


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@functools.cache
def _nickname_set(name: str) -> frozenset[str]:
    return frozenset(_nicknamer().nicknames_of(name.lower()))


@functools.cache
def _nicknames(name: str) -> tuple[str, ...]:
    """Nicknames people would give instead of the name; sorted, as set order varies between processes."""
    # The table also lists rare or archaic forms ('Hobkin', 'Rupert' for Robert); real ones are shorter.
    return tuple(
        sorted(n.capitalize() for n in _nickname_set(name) if 2 <= len(n) < len(name) and n.isalpha())
    )


def _related(a: str, b: str) -> bool:
    return a.lower() == b.lower() or a.lower() in _nickname_set(b) or b.lower() in _nickname_set(a)


def _typo(rng: random.Random, name: str) -> str:
    """One slip of the keyboard, not in the first letter (people notice that one)."""
    i = rng.randrange(1, len(name)) if len(name) > 1 else 0
    kind = rng.choice(("insert", "delete", "substitute", "transpose"))
    if kind == "delete" and len(name) > 2:
        return name[:i] + name[i + 1 :]
    if kind == "transpose" and len(name) > 1:
        i = min(i, len(name) - 2)
        swapped = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if swapped != name:
            return swapped
    if kind == "insert":
        extra = name[i] if rng.random() < 0.5 else _slip(rng, name[i])  # a doubled letter is the commonest
        return name[:i] + extra + name[i:]
    return name[:i] + _slip(rng, name[i]) + name[i + 1 :]


def _slip(rng: random.Random, ch: str) -> str:
    """A key next to ch, in ch's case; any letter for keys without letter neighbours."""
    near = _NEIGHBOURS.get(ch.lower()) or "etaoinshr"
    out = rng.choice(near)
    return out.upper() if ch.isupper() else out


def _punctuation(rng: random.Random, family: str) -> str:
    if "'" in family:
        return family.replace("'", rng.choice(("", " ", "\u2019")))
    if "-" in family:
        return family.replace("-", rng.choice((" ", " - ")))
    return family


def _name_case(rng: random.Random, given: str, family: str) -> tuple[str, str]:
    style = rng.randrange(4)
    if style == 0:
        return given, family.upper()
    if style == 1:
        return given.upper(), family.upper()
    if style == 2:
        return given.lower(), family.lower()
    return given, family.capitalize()  # "O'brien", "Smith-jones"


def _wrong_dob(rng: random.Random, iso: str) -> str:
    """Day and month transposed (when that is a date), one digit off by one, or the year off by one."""
    dob = date.fromisoformat(iso)
    kind = rng.randrange(3)
    if kind == 0 and dob.day <= 12 and dob.day != dob.month:
        return date(dob.year, dob.day, dob.month).isoformat()
    if kind <= 1:
        for _ in range(10):
            pos = rng.choice((2, 3, 5, 6, 8, 9))
            digit = int(iso[pos]) + rng.choice((-1, 1))
            if 0 <= digit <= 9:
                try:
                    return date.fromisoformat(iso[:pos] + str(digit) + iso[pos + 1 :]).isoformat()
                except ValueError:
                    continue
    year = dob.year + rng.choice((-1, 1))
    return dob.replace(year=year, day=min(dob.day, 28) if dob.month == 2 else dob.day).isoformat()


def _phone_format(rng: random.Random, phone: str) -> str:
    """The number as someone typed it: never the canonical spacing."""
    area, rest = phone.split(" ", 1)
    digits = phone.replace(" ", "")
    variants = [
        digits,
        f"+44 {area[1:]} {rest}",
        f"+44{digits[1:]}",
        f"({area}) {rest}",
        f"+44 (0){area[1:]} {rest}",
        f"0044 {area[1:]} {rest}",
    ]
    if digits.startswith("07"):
        variants.append(f"{digits[:5]} {digits[5:8]} {digits[8:]}")
    return rng.choice(variants)


def _address_format(rng: random.Random, address: dict) -> dict:
    street_field = "line2" if address["line2"] else "line1"
    style = rng.randrange(4)
    if style == 0:
        address[street_field] = _SUFFIX_AT_END.sub(
            lambda m: _ABBREVIATIONS[m.group(1)], address[street_field]
        )
    elif style == 1:
        address["line1"] = address["line1"].lower()
        address["line2"] = address["line2"] and address["line2"].lower()
        address["town"] = address["town"].lower()
    elif style == 2 and address["line2"]:
        address["line1"], address["line2"] = f"{address['line1']}, {address['line2']}", None
    elif style == 2:
        address["town"] = address["town"].upper()
    elif address["line2"]:
        # The flat number lost: the whole block then looks like one address.
        address["line1"], address["line2"] = address["line2"], None
    else:
        number, street = address["line1"].split(" ", 1)
        address["line1"] = f"{number}, {street}"
    return address
