"""How pages write held values: phones as people write them, addresses on one line."""

from __future__ import annotations

from app.web.formats import display


def test_a_uk_phone_is_written_nationally_and_another_with_its_country_code():
    assert display("+447911123456") == "07911 123456"
    assert display("+33612345678") == "+33 6 12 34 56 78"


def test_what_is_not_a_phone_is_left_as_it_is():
    assert display("+44") == "+44"
    assert display("1980-12-31") == "1980-12-31"
    assert display(None) == ""


def test_an_address_on_one_line():
    assert display({"line1": "4 Orchard Row", "line2": None, "town": "Riverside", "postcode": "RS2 9ZZ"}) == (
        "4 Orchard Row, Riverside, RS2 9ZZ"
    )
