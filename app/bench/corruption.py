"""Records as case systems hold them: the yardstick identity resolution is judged against.

The rates here are fixed by the product (issue 23), not tuned with the matcher, so that a figure
measured on them means what it says. Three profiles:

========== ============ ============ ==============================================================
profile    email shown  phone shown  main fields corrupted in a duplicate record (0/1/2/3/4)
========== ============ ============ ==============================================================
clean      25%          30%          50% / 50% / – / – / –   (at most one)
typical    25%          30%          30% / 35% / 20% / 10% / 5%
hard       10%          15%          10% / 30% / 30% / 20% / 10%
========== ============ ============ ==============================================================

The four main fields are the given name, the family name, the date of birth and the address. A
corrupted field suffers one corruption, drawn evenly from the kinds that apply to it:

- given name: a typo (insert, delete, substitute or transpose; half of them change the name's
  phonetic code), a variant spelling no nickname list holds, an initial, the middle name used, the
  given and family names swapped, missing;
- family name: a typo (as above), a variant spelling, the names swapped, missing;
- date of birth: a one-digit typo, two digits transposed, day and month swapped, a placeholder
  (1900-01-01, or the 1st of January of the year), missing;
- address: a postcode typo inside the sector, a postcode typo across sectors, a move (a new address
  entirely), a PO box instead of the street, the first line missing.

An email and a phone number are shown on a record at the profile's rates, independently. The
population: 8% of people in households (same surname and address, different given names and
birthdays), 0.5% twins (the same birthday too); names drawn at their frequencies (Faker's en_GB
lists, weighted), with a long tail of names from other places (one family name in seven, one given
name in ten). Each person has one to four records (1: 45%, 2: 30%, 3: 15%, 4: 10%); the first is
as the person would give it, the others are duplicates corrupted as above.

Seeds: the bench uses :data:`BENCH_SEED`, the tests :data:`TEST_SEED`; :data:`HELD_OUT_SEED` is
never used while tuning the matcher and is measured only to check that a figure holds on data the
matcher never saw.

Never imported by the running service.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass
from datetime import date

import jellyfish
from faker import Faker

from app.bench import synthetic
from app.bench.synthetic import SyntheticPerson, SyntheticRecord

BENCH_SEED = 23
TEST_SEED = 2301
HELD_OUT_SEED = 2399  # measured, never tuned on

HOUSEHOLD_SHARE = 0.08
TWIN_SHARE = 0.005
RECORDS_PER_PERSON = {1: 0.45, 2: 0.30, 3: 0.15, 4: 0.10}
LONG_TAIL_FAMILY = 1 / 7
LONG_TAIL_GIVEN = 1 / 10
_LONG_TAIL_LOCALES = ("pl_PL", "en_IN", "tr_TR", "it_IT", "en_IE", "pt_PT", "yo_NG", "ar_AA", "hu_HU")

MAIN_FIELDS = ("given_name", "family_name", "date_of_birth", "address")


@dataclass(frozen=True)
class Profile:
    name: str
    email: float
    phone: float
    corrupted: dict[int, float]  # number of main fields corrupted in a duplicate → share of duplicates


PROFILES = {
    "clean": Profile("clean", 0.25, 0.30, {0: 0.5, 1: 0.5}),
    "typical": Profile("typical", 0.25, 0.30, {0: 0.30, 1: 0.35, 2: 0.20, 3: 0.10, 4: 0.05}),
    "hard": Profile("hard", 0.10, 0.15, {0: 0.10, 1: 0.30, 2: 0.30, 3: 0.20, 4: 0.10}),
}

GIVEN_KINDS = ("typo", "variant", "initial", "middle_name", "swap", "missing")
FAMILY_KINDS = ("typo", "variant", "swap", "missing")
DOB_KINDS = ("digit", "transpose", "day_month", "placeholder", "missing")
ADDRESS_KINDS = ("postcode_in_sector", "postcode_across_sectors", "move", "po_box", "missing_line1")


def population(n_people: int, *, seed: int) -> list[SyntheticPerson]:
    """The true residents, with this model's households, twins and long-tailed names."""
    people = synthetic.people(n_people, seed=seed, household_share=HOUSEHOLD_SHARE, twin_share=TWIN_SHARE)
    rng = random.Random(f"kith-corruption-names:{seed}")
    fakes = {locale: _faker(locale, seed) for locale in _LONG_TAIL_LOCALES}
    by_household: dict[int, str] = {}
    phones = {p.phone for p in people if p.phone}
    out = []
    for p in people:
        family = p.family_name
        if p.household not in by_household:
            if rng.random() < LONG_TAIL_FAMILY:
                family = _ascii_name(fakes[rng.choice(_LONG_TAIL_LOCALES)].last_name()) or family
            by_household[p.household] = family
        family = by_household[p.household]
        given = p.given_name
        if rng.random() < LONG_TAIL_GIVEN:
            given = _ascii_name(fakes[rng.choice(_LONG_TAIL_LOCALES)].first_name()) or given
        out.append(
            SyntheticPerson(
                truth_id=p.truth_id,
                given_name=given,
                family_name=family,
                date_of_birth=p.date_of_birth,
                email=p.email or _email_for(rng, given, family, p.truth_id),
                phone=p.phone or synthetic._mobile(rng, phones),
                address=p.address,
                household=p.household,
            )
        )
    return out


def records(
    people: list[SyntheticPerson], profile: Profile, *, seed: int, sources: int = 1
) -> list[SyntheticRecord]:
    """Each person's records, in a shuffled order; with ``sources`` > 1 each record is held by one of
    that many organisations, drawn evenly (so across two, each holds about half)."""
    rng = random.Random(f"kith-corruption-records:{profile.name}:{seed}")
    homes = synthetic._Homes(people)
    middle = _middle_names(people, seed)
    jobs: list[tuple[SyntheticPerson, int]] = []
    for person in people:
        n = rng.choices(list(RECORDS_PER_PERSON), list(RECORDS_PER_PERSON.values()))[0]
        jobs.extend((person, k) for k in range(n))
    rng.shuffle(jobs)
    counters = [0] * sources
    out = []
    for person, k in jobs:
        source = rng.randrange(sources)
        counters[source] += 1
        ref = f"S{source}-{counters[source]:07d}"
        n_corrupt = 0 if k == 0 else rng.choices(list(profile.corrupted), list(profile.corrupted.values()))[0]
        fields = rng.sample(MAIN_FIELDS, n_corrupt)
        out.append(_record(rng, person, source, ref, fields, profile, homes, middle[person.truth_id]))
    return out


def truth_pairs(recs: list[SyntheticRecord]) -> set[tuple[str, str]]:
    """Pairs of record keys (f"{source}:{external_ref}") of the same person, each sorted."""
    return synthetic.truth_pairs(recs)


def _record(
    rng: random.Random,
    person: SyntheticPerson,
    source: int,
    ref: str,
    fields: list[str],
    profile: Profile,
    homes: synthetic._Homes,
    middle_name: str,
) -> SyntheticRecord:
    given: str | None = person.given_name
    family: str | None = person.family_name
    dob: str | None = person.date_of_birth
    address: dict | None = dict(person.address)
    if "given_name" in fields:
        kind = rng.choice(GIVEN_KINDS)
        if kind == "swap":
            given, family = family, given
        elif kind == "missing":
            given = None
        elif kind == "initial":
            given = given[0]
        elif kind == "middle_name":
            given = middle_name
        elif kind == "variant":
            given = variant(rng, given)
        else:
            given = typo(rng, given)
    if "family_name" in fields:
        kind = rng.choice(FAMILY_KINDS)
        if kind == "swap":
            given, family = family, given
        elif kind == "missing":
            family = None
        elif kind == "variant" and family:
            family = variant(rng, family)
        elif family:
            family = typo(rng, family)
    if "date_of_birth" in fields:
        dob = wrong_dob(rng, rng.choice(DOB_KINDS), person.date_of_birth)
    if "address" in fields:
        address = wrong_address(rng, rng.choice(ADDRESS_KINDS), person.address, homes)
    return SyntheticRecord(
        truth_id=person.truth_id,
        source=source,
        external_ref=ref,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        email=person.email if rng.random() < profile.email else None,
        phone=person.phone if rng.random() < profile.phone else None,
        address=address,
    )


# --- the corruptions ---------------------------------------------------------------------------------


def typo(rng: random.Random, name: str) -> str:
    """One keyboard slip; half of them change the name's phonetic code (NYSIIS), half do not."""
    want_new_code = rng.random() < 0.5
    code = jellyfish.nysiis(name)
    candidate = name
    for _ in range(30):
        candidate = synthetic._typo(rng, name)
        if candidate != name and (jellyfish.nysiis(candidate) != code) == want_new_code:
            return candidate
    return candidate if candidate != name else name + rng.choice("aeiou")


# Spelling changes a clerk or a resident makes, none of them a nickname any list holds.
_VARIANTS = (
    ("ph", "f"), ("f", "ph"), ("y", "i"), ("i", "y"), ("ie", "y"), ("y", "ie"), ("c", "k"), ("k", "c"),
    ("ll", "l"), ("l", "ll"), ("nn", "n"), ("n", "nn"), ("tt", "t"), ("t", "tt"), ("th", "t"),
    ("ae", "e"), ("ou", "ow"), ("ei", "ie"), ("ine", "yn"), ("ey", "y"), ("z", "s"), ("s", "z"),
    ("mm", "m"), ("rr", "r"), ("ck", "k"), ("ah", "a"), ("a", "ah"), ("e", "a"), ("o", "ou"),
)  # fmt: skip


def variant(rng: random.Random, name: str) -> str:
    """Another spelling of the name (Catherine → Kathryn-like changes), else a typo."""
    lower = name.lower()
    options = [(a, b) for a, b in _VARIANTS if a in lower[1:] or (a in lower and a[0] != lower[0])]
    if not options:
        return typo(rng, name)
    a, b = rng.choice(options)
    start = lower.find(a, 1) if a in lower[1:] else lower.find(a)
    out = lower[:start] + b + lower[start + len(a) :]
    return out[:1].upper() + out[1:] if out != lower else typo(rng, name)


def wrong_dob(rng: random.Random, kind: str, iso: str) -> str | None:
    if kind == "missing":
        return None
    if kind == "placeholder":
        return "1900-01-01" if rng.random() < 0.5 else f"{iso[:4]}-01-01"
    dob = date.fromisoformat(iso)
    if kind == "day_month" and dob.day <= 12 and dob.day != dob.month:
        return date(dob.year, dob.day, dob.month).isoformat()
    digits = list(iso.replace("-", ""))
    for _ in range(50):
        changed = digits[:]
        if kind == "transpose":
            i = rng.randrange(len(changed) - 1)
            changed[i], changed[i + 1] = changed[i + 1], changed[i]
        else:  # one digit mistyped (and day/month swaps that make no date)
            i = rng.randrange(len(changed))
            changed[i] = rng.choice([d for d in "0123456789" if d != changed[i]])
        text = "".join(changed)
        candidate = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        try:
            if candidate != iso and 1900 <= date.fromisoformat(candidate).year <= 2026:
                return candidate
        except ValueError:
            continue
    return iso


def wrong_address(rng: random.Random, kind: str, address: dict, homes: synthetic._Homes) -> dict:
    out = dict(address)
    outward, _, inward = address["postcode"].partition(" ")
    if kind == "postcode_in_sector":  # the unit letters: 'LS6 2AB' → 'LS6 2AD'
        letters = [c for c in "ABDEFGHJLNPQRSTUWXYZ" if c != inward[-1]]
        out["postcode"] = f"{outward} {inward[:-1]}{rng.choice(letters)}"
    elif kind == "postcode_across_sectors":  # the sector digit: 'LS6 2AB' → 'LS6 5AB'
        digits = [d for d in "123456789" if d != inward[0]]
        out["postcode"] = f"{outward} {rng.choice(digits)}{inward[1:]}"
    elif kind == "move":
        out = homes.elsewhere(rng, address)
    elif kind == "po_box":
        out["line1"], out["line2"] = f"PO Box {rng.randint(10, 9999)}", None
    else:
        out["line1"] = None
    return out


# --- the population's names ----------------------------------------------------------------------------


@functools.cache
def _faker(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def _ascii_name(name: str) -> str:
    """The name as an English case system would often type it (accents dropped), one word."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = "".join(c for c in plain.split(" ")[0] if c.isalpha() or c in "-'")
    return plain[:1].upper() + plain[1:] if len(plain) > 1 else ""


def _middle_names(people: list[SyntheticPerson], seed: int) -> dict[int, str]:
    """A middle name for everyone (what a record holds when the middle name was used)."""
    rng = random.Random(f"kith-corruption-middle:{seed}")
    names = [p.given_name for p in people] or ["Ann"]
    out = {}
    for p in people:
        name = rng.choice(names)
        while name == p.given_name and len(set(names)) > 1:
            name = rng.choice(names)
        out[p.truth_id] = name
    return out


def _email_for(rng: random.Random, given: str, family: str, truth_id: int) -> str:
    local = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
    return f"{local}.{truth_id}@{rng.choice(synthetic.EMAIL_DOMAINS)}"
