"""The organisation admin's pages: the organisation's API clients, staff, webhook subscriptions with
their recent deliveries, and the data protection officer's report. Each action is the
organisation's own (row-level security keeps it to its own objects) and audited by its service."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.audit import service as audit
from app.auth.principal import ROLES, SCOPES
from app.consent import repository as consent_repo
from app.console import service
from app.console.deps import ROLE_NAMES, Page, RoleForbids, signed_in
from app.core.errors import ValidationFailed
from app.core.pagination import PageRequest
from app.identity.normalise import FieldError
from app.identity.normalise import email as normalise_email
from app.organisations import service as organisations
from app.webhooks import service as webhooks

router = APIRouter(prefix="/console/admin", include_in_schema=False)
LONDON = ZoneInfo("Europe/London")
NOTICES = {
    "client-disabled": "The API client has been disabled: its tokens stop working now.",
    "staff-invited": "Invited. They sign in at /console with a code sent to their address.",
    "role-changed": "Role changed.",
    "staff-disabled": "Disabled. They are signed out at their next step.",
}


async def org_admin(page: Page = Depends(signed_in)) -> Page:
    """A signed-in staff member whose role is the organisation's admin."""
    if page.staff.role != "org_admin":
        raise RoleForbids("Only your organisation's admin can manage its clients, staff and webhooks.")
    return page


async def _grantable(page: Page) -> dict[str, str]:
    """The scopes an organisation's admin may give a client: what the platform set for the
    organisation, or else what their own role may do."""
    async with page.as_staff() as session:
        allowed = await organisations.client_scopes_allowed(session, page.principal)
    return {scope: label for scope, label in SCOPES.items() if scope in allowed}


async def _render(page: Page, status: int = 200, **extra: Any) -> Response:
    org_id = page.principal.org_id
    grantable = await _grantable(page)
    async with page.as_staff() as session:
        organisation = await organisations.get_organisation(session, org_id)
        clients = await organisations.list_clients(session, org_id)
        staff = await organisations.list_staff(session, org_id)
        subscriptions = await webhooks.subscriptions(session, page.principal)
        for sub in subscriptions:
            sub["recent"], _ = await webhooks.deliveries(
                session, page.principal, sub["id"], PageRequest(limit=5, after=None)
            )
    return page.render(
        "admin.html",
        status=status,
        active="admin",
        organisation=organisation,
        clients=clients,
        members=staff,
        subscriptions=subscriptions,
        client_scopes=grantable,
        manageable={c.client_id for c in clients if set(c.scopes) <= set(grantable)},
        roles=ROLES,
        notice=NOTICES.get(page.request.query_params.get("notice", "")),
        **extra,
    )


@router.get("")
async def admin(page: Page = Depends(org_admin)):
    return await _render(page)


@router.post("/clients")
async def create_client(page: Page = Depends(org_admin)):
    """A new API client of the organisation's; its secret is shown once, on this page."""
    name = page.field("name") or "API client"
    scopes = [str(s) for s in page.form.getlist("scopes")] if page.form is not None else []
    grantable = await _grantable(page)
    if not scopes or any(s not in grantable for s in scopes):
        errors = [{"field": "scopes", "id": "scopes", "message": "Choose what the client may do"}]
        return await _render(page, status=422, errors=errors)
    async with page.as_staff() as session:
        client, secret = await organisations.create_client(
            session, page.principal, page.principal.org_id, name=name[:100], scopes=scopes
        )
    return await _render(page, created={"client_id": client.client_id, "secret": secret, "name": client.name})


@router.post("/clients/{client_id}/rotate")
async def rotate_client(client_id: str, page: Page = Depends(org_admin)):
    """A new secret for the client, shown once; the old one stops working now."""
    async with page.as_staff() as session:
        secret = await organisations.rotate_client_secret(session, page.principal, client_id)
    return await _render(page, created={"client_id": client_id, "secret": secret, "rotated": True})


@router.post("/clients/{client_id}/disable")
async def disable_client(client_id: str, page: Page = Depends(org_admin)):
    async with page.as_staff() as session:
        await organisations.disable_client(session, page.principal, client_id)
    return page.redirect("/console/admin?notice=client-disabled")


@router.post("/staff")
async def invite_staff(page: Page = Depends(org_admin)):
    try:
        email = normalise_email("email", page.field("email"))
    except FieldError:
        errors = [{"field": "email", "id": "invite-email", "message": "Enter their work email address"}]
        return await _render(page, status=422, errors=errors)
    try:
        async with page.as_staff() as session:
            await organisations.invite_staff(
                session, page.principal, page.principal.org_id, email=email, role=page.field("role")
            )
    except ValidationFailed:
        errors = [{"field": "role", "id": "invite-role", "message": "Choose a role"}]
        return await _render(page, status=422, errors=errors)
    return page.redirect("/console/admin?notice=staff-invited")


@router.post("/staff/{staff_id}/role")
async def change_role(staff_id: uuid.UUID, page: Page = Depends(org_admin)):
    async with page.as_staff() as session:
        await organisations.set_staff_role(
            session, page.principal, page.principal.org_id, staff_id, page.field("role")
        )
    return page.redirect("/console/admin?notice=role-changed")


@router.post("/staff/{staff_id}/disable")
async def disable_staff(staff_id: uuid.UUID, page: Page = Depends(org_admin)):
    async with page.as_staff() as session:
        await organisations.disable_staff(session, page.principal, page.principal.org_id, staff_id)
    await service.end_sessions_of(page.session, staff_id)  # now, not only at their next step
    return page.redirect("/console/admin?notice=staff-disabled")


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Give the period as two dates.",
            errors=[{"field": field, "message": "must be a date, like 2026-11-01"}],
        ) from None


def _cell(value: object) -> str:
    """A value as a spreadsheet will not run it as a formula (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/report.csv")
async def report(start: str = "", end: str = "", page: Page = Depends(org_admin)):
    """For the data protection officer: which staff member read or changed which residents' records,
    when and for which purpose, in the period (dates inclusive, UK time), as CSV."""
    first, last = _day(start, "start"), _day(end, "end")
    if last < first or (last - first).days > 366:
        raise ValidationFailed(
            "The period must run forwards and be at most a year.",
            errors=[{"field": "end", "message": "must be on or after the start, within a year"}],
        )
    since = datetime.combine(first, time(), LONDON)
    until = datetime.combine(last + timedelta(days=1), time(), LONDON)
    org_id = page.principal.org_id
    async with page.as_staff() as session:
        emails = await organisations.staff_emails(session, org_id)
        reads = await consent_repo.staff_reads(session, org_id, since, until)
        changes = await audit.staff_entries(session, org_id, since, until)

    def who(caller: str) -> tuple[str, str]:
        _, role, staff_id = [*caller.split(":"), "", ""][:3]
        try:
            return emails.get(uuid.UUID(staff_id), staff_id), ROLE_NAMES.get(role, role)
        except ValueError:
            return staff_id, ROLE_NAMES.get(role, role)

    rows: list[tuple] = []
    for r in reads:
        rows.append(
            (r.read_at, *who(r.client_id), "read", str(r.org_person_id), r.purpose, " ".join(r.categories))
        )
    for c in changes:
        if c.actor.startswith("staff:reviewer:"):
            continue  # the platform's reviewers work for the platform, not for this organisation
        rows.append((c.occurred_at, *who(c.actor), c.action, f"{c.subject_type} {c.subject_id}", "", ""))
    rows.sort(key=lambda r: r[0])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when", "staff member", "role", "what", "record", "purpose", "categories"])
    for when, *rest in rows:
        writer.writerow([when.astimezone(LONDON).isoformat(timespec="seconds"), *map(_cell, rest)])
    name = f"kith-staff-activity-{first.isoformat()}-to-{last.isoformat()}.csv"
    return page.finish(
        Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )
