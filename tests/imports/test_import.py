"""`kith import people`: a case system's CSV (headers in its own order, UK dates, Windows-1252,
semicolons) imported with the mapping given; a report line per row, each rejected row with its
reason; the same file imported again creates no one twice."""

from __future__ import annotations

import csv
import io
import json
import uuid

from app.imports import mapping
from app.imports.table import read_table
from tests.factories import unique_resident
from tests.test_cli import kith


def _case_system_file(rows: int) -> tuple[bytes, list[dict]]:
    """Rows as a case system exports them: its own headers and order, dd/mm/yyyy, cp1252, ';'."""
    people = [unique_resident(phone=None) for _ in range(rows)]
    people[0]["given_name"] = "Siân"  # a Welsh name, as Windows-1252 writes it
    lines = ["Surname;Forename;D.O.B.;Post Code;E-mail;Case No"]
    for i, p in enumerate(people):
        born = p["date_of_birth"]  # ISO in the factory: written the British way here
        uk = f"{born[8:10]}/{born[5:7]}/{born[0:4]}"
        lines.append(
            f"{p['family_name']};{p['given_name']};{uk};{p['address']['postcode']};{p['email']};C-{uuid.uuid4().hex[:8]}-{i}"
        )
    lines.append("Nobody;Jo;31/02/1980;RS1 2AB;not-an-email;C-bad")  # no such date, no such address
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), people


def test_the_headers_are_guessed_and_the_file_read_as_written():
    data, _ = _case_system_file(2)
    table = read_table(data)
    assert (table.encoding, table.delimiter, len(table.rows)) == ("windows-1252", ";", 3)
    assert table.rows[0][1] == "Siân"
    assert mapping.guess(table.headers) == {
        "external_ref": "Case No",
        "given_name": "Forename",
        "family_name": "Surname",
        "date_of_birth": "D.O.B.",
        "email": "E-mail",
        "address.postcode": "Post Code",
    }
    record = mapping.record(table.rows[0], table.headers, mapping.guess(table.headers), "dmy")
    assert record["date_of_birth"].count("-") == 2 and record["address"]["postcode"]


async def test_import_reports_each_row_and_a_second_run_creates_no_one(
    platform, client, database_url, data_dir, tmp_path
):
    org = await platform.make_org()
    data, people = _case_system_file(30)
    file = tmp_path / "export.csv"
    file.write_bytes(data)
    chosen = "given_name=Forename,family_name=Surname,date_of_birth=D.O.B.,address.postcode=Post Code,email=E-mail,external_ref=Case No"

    def run() -> dict:
        done = kith(
            "import",
            "people",
            str(file),
            "--org",
            str(org.id),
            "--map",
            chosen,
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = run()
    assert (first["rows"], first["created"], first["rejected"]) == (31, 30, 1), first
    report = list(csv.DictReader(io.StringIO((tmp_path / "export.report.csv").read_text())))
    assert [r["status"] for r in report].count("created") == 30
    [bad] = [r for r in report if r["status"] == "rejected"]
    assert bad["line"] == "32" and "date_of_birth" in bad["reason"]
    creds = await platform.make_client(org.id, ["people:read"])
    headers = {"Authorization": f"Bearer {await platform.token(creds)}"}
    found = await client.post(
        "/v1/people/search", json={"family_name": people[0]["family_name"]}, headers=headers
    )
    [hit] = found.json()["items"]
    read = await client.get(
        f"/v1/people/{hit['person_id']}", params={"purpose": "service_delivery"}, headers=headers
    )
    assert read.json()["attributes"]["given_name"]["value"] == "Siân"
    assert read.json()["attributes"]["date_of_birth"]["value"] == people[0]["date_of_birth"]

    again = run()
    assert (again["created"], again["matched"], again["rejected"]) == (0, 30, 1), again


async def test_contacts_name_their_people_by_reference_and_a_second_run_stores_nothing(
    platform, database_url, data_dir, tmp_path, owner_conn
):
    org = await platform.make_org()
    data, _ = _case_system_file(3)
    people_file = tmp_path / "people.csv"
    people_file.write_bytes(data)
    refs = [line.split(";")[-1] for line in data.decode("cp1252").splitlines()[1:4]]
    done = kith(
        "import",
        "people",
        str(people_file),
        "--org",
        str(org.id),
        "--json",
        database_url=database_url,
        data_dir=data_dir,
    )
    assert done.returncode == 0, done.stderr
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "Case No,Type,Date,Minutes,Notes\n"
        f"{refs[0]},Visit,02/11/2026 10:30,20,Food parcel\n"
        f"{refs[1]},Phone call,03/11/2026,,Rent arrears\n"
        f"{refs[2]},Volunteering,04/11/2026 09:00,180,Garden\n"
        "C-nobody,Visit,05/11/2026,,\n"
        f"{refs[0]},Teleportation,06/11/2026,,\n",
        encoding="utf-8",
    )

    def run() -> dict:
        done = kith(
            "import",
            "interactions",
            str(contacts),
            "--org",
            str(org.id),
            "--json",
            database_url=database_url,
            data_dir=data_dir,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = run()
    assert (first["created"], first["rejected"]) == (3, 2), first
    report = list(csv.DictReader(io.StringIO((tmp_path / "contacts.report.csv").read_text())))
    reasons = {r["line"]: r["reason"] for r in report if r["status"] == "rejected"}
    assert "no person of yours has this reference" in reasons["5"] and "kind" in reasons["6"]
    stored = await owner_conn.fetch(
        "SELECT kind, duration_minutes, occurred_at, attributes->>'note' AS note FROM interactions WHERE org_id = $1 ORDER BY occurred_at",
        org.id,
    )
    assert [(r["kind"], r["duration_minutes"], r["note"]) for r in stored] == [
        ("visit", 20, "Food parcel"),
        ("service_contact", None, "Rent arrears"),
        ("volunteering", 180, "Garden"),
    ]
    assert (
        stored[0]["occurred_at"].isoformat().startswith("2026-11-02T10:30:00")
    )  # London is on GMT in November
    again = run()
    assert (again["created"], again["duplicate"], again["rejected"]) == (0, 3, 2), again


def test_files_that_would_not_fit_are_refused_with_the_reason():
    import pytest

    from app.core.errors import ValidationFailed

    for data, said in (
        (",".join(f"c{i}" for i in range(300)).encode() + b"\n1\n", "columns"),
        (b"Forename,Note\nAda," + b"x" * 20_000 + b"\n", "not a CSV file Kith can read"),
        (b"", "empty"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            read_table(data)
        assert said in refused.value.detail, said
