"""The console's import: a case system's CSV (its own headers and order, UK dates, Windows-1252,
semicolons) uploaded, its columns chosen on the page with a preview, run by the worker with its
progress on the page, a report line per row (each rejected row with its reason); the same file
imported again creates no one."""

from __future__ import annotations

import csv
import io
import re

from app.imports import service as imports
from tests.console.conftest import invite, staff_sign_in
from tests.imports.test_import import _case_system_file
from tests.portal.conftest import csrf_of

MAPPING = {
    "map.given_name": "Forename",
    "map.family_name": "Surname",
    "map.date_of_birth": "D.O.B.",
    "map.address.postcode": "Post Code",
    "map.email": "E-mail",
    "map.external_ref": "Case No",
}


async def _upload(web, data: bytes) -> str:
    form = await web.get("/console/import")
    sent = await web.post(
        "/console/import",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("clients export.csv", data, "text/csv")},
    )
    assert sent.status_code == 303, sent.text
    return sent.headers["location"]


async def _start(web, page: str, fields: dict) -> object:
    html = (await web.get(page)).text
    return await web.post(page, data={"csrf_token": csrf_of(html), "date_format": "dmy", **fields})


async def test_upload_choose_columns_run_and_report(platform, web, portal_app):
    org = await platform.make_org()
    _, staff_email = await invite(portal_app, org.id, "caseworker")
    await staff_sign_in(web, staff_email)
    data, people = _case_system_file(12)
    page = await _upload(web, data)
    draft = (await web.get(page)).text
    assert "13 rows" in draft and "windows-1252" in draft and "Siân" in draft  # 12 and the bad one
    assert re.search(r'<option value="Forename" selected>', draft), "guessed from the headers"
    preview = await _start(web, page, {**MAPPING, "action": "preview"})
    assert preview.status_code == 200 and people[1]["date_of_birth"] in preview.text, "UK dates read as such"
    nothing = await _start(web, page, {"action": "start"})
    assert nothing.status_code == 422 and "Choose, for at least one" in nothing.text
    started = await _start(web, page, {**MAPPING, "action": "start"})
    assert started.status_code == 303
    waiting = (await web.get(page)).text
    assert "Waiting to start" in waiting and "import-progress.js" in waiting

    assert await imports.run_next(portal_app.state.db)  # the worker's turn
    done = (await web.get(page)).text
    assert "12 created" in done and "1 rejected" in done
    report = await web.get(f"{page}/report.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    [bad] = [r for r in rows if r["status"] == "rejected"]
    assert bad["line"] == "14" and "date_of_birth" in bad["reason"]

    again = await _upload(web, data)
    await _start(web, again, {**MAPPING, "action": "start"})
    assert await imports.run_next(portal_app.state.db)
    second = (await web.get(again)).text
    assert "0 created" in second and "12 matched" in second


async def test_a_viewer_may_not_import_and_no_one_sees_another_organisations(platform, web, portal_app):
    ours, theirs = await platform.make_org(), await platform.make_org()
    _, their_staff = await invite(portal_app, theirs.id, "caseworker")
    await staff_sign_in(web, their_staff)
    their_page = await _upload(web, b"Forename,Surname\nAda,Lovelace\n")
    _, ours_staff = await invite(portal_app, ours.id, "caseworker")
    await staff_sign_in(web, ours_staff)
    assert (await web.get(their_page)).status_code == 404
    assert (await web.get(f"{their_page}/report.csv")).status_code == 404
    _, viewer = await invite(portal_app, ours.id, "viewer")
    await staff_sign_in(web, viewer)
    assert (await web.get("/console/import")).status_code == 403


async def test_a_file_never_started_is_dropped_after_a_day(platform, web, portal_app, owner_conn):
    org = await platform.make_org()
    _, staff_email = await invite(portal_app, org.id, "caseworker")
    await staff_sign_in(web, staff_email)
    page = await _upload(web, b"Forename,Surname\nAda,Lovelace\n")
    import_id = page.rsplit("/", 1)[1]
    await owner_conn.execute(
        "UPDATE imports SET created_at = now() - interval '25 hours' WHERE id = $1::uuid", import_id
    )
    await imports.run_next(portal_app.state.db)
    status, content = await owner_conn.fetchrow(
        "SELECT status, content FROM imports WHERE id = $1::uuid", import_id
    )
    assert (status, content) == ("failed", None)
    assert "not started within a day" in (await web.get(page)).text


async def test_contacts_imported_in_the_console(platform, web, portal_app):
    org = await platform.make_org()
    _, staff_email = await invite(portal_app, org.id, "caseworker")
    await staff_sign_in(web, staff_email)
    data, _ = _case_system_file(2)
    page = await _upload(web, data)
    await _start(web, page, {**MAPPING, "action": "start"})
    assert await imports.run_next(portal_app.state.db)
    ref = data.decode("cp1252").splitlines()[1].split(";")[-1]
    form = await web.get("/console/import")
    sent = await web.post(
        "/console/import",
        data={"csrf_token": csrf_of(form.text), "kind": "interactions"},
        files={
            "file": (
                "contacts.csv",
                f"Case No,Type,Date\n{ref},Visit,02/11/2026 10:30\n".encode(),
                "text/csv",
            )
        },
    )
    contacts = sent.headers["location"]
    draft = (await web.get(contacts)).text
    assert "Your reference for the person" in draft and re.search(r'<option value="Case No" selected>', draft)
    started = await _start(
        web,
        contacts,
        {"map.person_ref": "Case No", "map.kind": "Type", "map.occurred_at": "Date", "action": "start"},
    )
    assert started.status_code == 303, started.text
    assert await imports.run_next(portal_app.state.db)
    assert "1 contact stored, 0 stored before" in (await web.get(contacts)).text
