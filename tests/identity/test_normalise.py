"""Normalisation: the GB phone shortcut agrees with libphonenumber wherever it answers, and the
shortcut for plain text agrees with the full tidying."""

from __future__ import annotations

import random
import re
import unicodedata

import phonenumbers
from faker import Faker

from app.identity import normalise


def _library(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _written_numbers(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    leads = ["0", "07", "01", "02", "03", "08", "09", "+44", "+447", "0044", "+44 (0)", "(0", "", "+1 ", "00"]
    out = []
    for _ in range(n):
        value = rng.choice(leads) + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 12)))
        if rng.random() < 0.5:
            cut = rng.randint(0, len(value))
            value = value[:cut] + rng.choice([" ", "-", ".", "  "]) + value[cut:]
        out.append(value)
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    return (
        out
        + [faker.phone_number() for _ in range(n // 4)]
        + [faker.cellphone_number() for _ in range(n // 4)]
    )


class TestPhone:
    def test_shortcut_agrees_with_libphonenumber(self):
        answered = 0
        for value in _written_numbers(20_000, seed=7):
            fast = normalise._gb_e164(value)
            if fast is not None:
                answered += 1
                assert fast == _library(value), value
            assert normalise._e164(value) == _library(value), value
        assert answered > 2_000  # the shortcut does take the common case

    def test_common_forms(self):
        for written in (
            "07911 123456",
            "+44 7911 123456",
            "0044 7911 123456",
            "(07911) 123-456",
            "+447911123456",
            "+44 (0)7911 123456",
        ):
            assert normalise.phone("phone", written) == "+447911123456"
        # A GB mobile (07911 may also be a Channel Islands one: the full parser decides those), with
        # the trunk 0 written in brackets after the country code or not: taken by the shortcut.
        for written in ("07395 123456", "+44 (0)7395 123456", "0044(0)7395-123456"):
            assert normalise._gb_e164(written) == "+447395123456"
        assert normalise._gb_e164("+353 1 234 5678") is None
        assert normalise.phone("phone", "+353 1 234 5678") == "+35312345678"


def _tidied_in_full(value: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", unicodedata.normalize("NFC", value))).strip()


class TestTidy:
    def test_shortcut_agrees_with_the_full_tidying(self):
        rng = random.Random(3)
        alphabet = "ab Z9-'. \t\n\x00\x7f\u00a0\u2003e\u0301é"
        for _ in range(20_000):
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            assert normalise.tidy(value) == _tidied_in_full(value), repr(value)

    def test_names_keep_their_letters_and_lose_their_spacing(self):
        assert normalise.tidy("  Mary   Anne ") == "Mary Anne"
        assert normalise.tidy("Zoe\u0308\t Smith") == "Zoë Smith"
