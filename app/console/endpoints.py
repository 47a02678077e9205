"""The console's pages: sign-in (single sign-on: ``sso.py``), find a resident, a resident's page with
its actions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.consent import access as consent_access
from app.consent import service as consent_service
from app.consent.catalogue import ATTRIBUTE_CATEGORY, CATEGORIES
from app.consent.schemas import GrantIn
from app.console import admin, imports, reviews, service, sso
from app.console.deps import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    TEMPLATES,
    Page,
    count_sign_in_attempt,
    signed_in,
    visitor,
)
from app.core.errors import AppError, ValidationFailed
from app.core.pagination import PageRequest
from app.core.schemas import holds_nul
from app.identity import merges
from app.identity import service as identity_service
from app.interactions import service as interactions_service
from app.interactions.schemas import InteractionIn
from app.ledger import service as ledger_service
from app.people import service as people_service
from app.people.schemas import AttributesIn
from app.relationships import service as relationships_service
from app.rewards import cards, earning, wallets
from app.rewards.schemas import EarnIn
from app.web.qr import qr_svg

router = APIRouter(prefix="/console", include_in_schema=False)
LONDON = ZoneInfo("Europe/London")

NOTICES = {
    "code-sent": "If this address belongs to an organisation's staff, a code is on its way.",
    "signed-out": "You have signed out.",
    "logged": "The visit has been logged.",
    "consent-recorded": "The consent has been recorded.",
    "consent-withdrawn": "The consent has been withdrawn.",
    "details-saved": "The details have been saved as your organisation's.",
    "credits-earned": "The credits are in the resident's wallet.",
    "switched": "You are now using Kith for this organisation.",
    "separated": "The records are set apart again, each with what it held, and will not be joined again automatically.",
    "undo-asked": "Kith's reviewers have been asked to set them apart; the records stay joined until they decide.",
}
KINDS = {
    "visit": "A visit",
    "service_contact": "A contact (call, message, appointment)",
    "volunteering": "Volunteering",
    "event": "An event",
    "referral": "A referral",
    "purchase": "A purchase",
    "other": "Something else",
}


def _local_time(value: str) -> str:
    """A time from the form (the browser's local ``2026-12-07T10:30``), in the UK's time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the model names it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.isoformat()


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def _errors(exc: Exception, fields: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Form errors, each naming its field (and the id of its input, for the error summary)."""
    if isinstance(exc, ValidationError):
        raw = [{"field": str(e["loc"][0]) if e["loc"] else "", "message": e["msg"]} for e in exc.errors()]
    else:
        raw = getattr(exc, "errors", None) or [{"field": "", "message": str(exc)}]
    out = []
    for e in raw:
        name = str(e.get("field") or "").split(".")[0]
        label = (fields or {}).get(name, "")
        out.append(
            {
                "field": name,
                "id": name or "main",
                "message": f"{label}: {e['message']}" if label else e["message"],
            }
        )
    return out


@router.get("/sign-in")
async def sign_in_form(page: Page = Depends(visitor)):
    if page.staff is not None:
        return page.redirect("/console")
    return page.render("sign_in.html", notice=_notice(page.request), email="")


@router.post("/sign-in")
async def sign_in(request: Request, page: Page = Depends(visitor)):
    await count_sign_in_attempt(request)
    email = page.field("email")
    try:
        code_id = await service.request_code(page.session, email)
    except ValidationFailed as exc:
        return page.render("sign_in.html", status=422, errors=_errors(exc), email=email)
    page.cookies[SIGNIN_COOKIE] = str(code_id)
    return page.redirect("/console/sign-in/code?notice=code-sent")


@router.get("/sign-in/code")
async def code_form(page: Page = Depends(visitor)):
    if not page.request.cookies.get(SIGNIN_COOKIE):
        return page.redirect("/console/sign-in")
    return page.render("code.html", notice=_notice(page.request))


@router.post("/sign-in/code")
async def check_code(request: Request, page: Page = Depends(visitor)):
    await count_sign_in_attempt(request)
    try:
        code_id = uuid.UUID(request.cookies.get(SIGNIN_COOKIE, ""))
    except ValueError:
        return page.redirect("/console/sign-in")
    result = await service.verify_code(page.session, code_id, page.field("code"))
    if result.token is None:
        errors = [{"field": "code", "id": "code", "message": result.problem}]
        return page.render("code.html", status=400, errors=errors, tries_left=result.tries_left)
    page.cookies[SESSION_COOKIE] = result.token
    page.cookies[SIGNIN_COOKIE] = None
    return page.redirect("/console/organisations" if result.several else "/console")


@router.get("/organisations")
async def organisations_page(page: Page = Depends(signed_in)):
    """The organisations the staff member works for, to choose which one they use Kith as."""
    choices = await service.memberships(page.session, page.staff)
    return page.render("organisations.html", choices=choices, notice=_notice(page.request))


@router.post("/organisations")
async def switch_organisation(page: Page = Depends(signed_in)):
    try:
        staff_id = uuid.UUID(page.field("staff_id"))
    except ValueError:
        raise service.MembershipNotFound("Choose one of your organisations.") from None
    page.cookies[SESSION_COOKIE] = await service.switch(page.session, page.staff, staff_id)
    return page.redirect("/console?notice=switched")


@router.post("/sign-out")
async def sign_out(page: Page = Depends(visitor)):
    if page.staff is not None:
        await service.sign_out(page.session, page.staff)
    page.cookies[SESSION_COOKIE] = None
    return page.redirect("/console/sign-in?notice=signed-out")


@router.get("")
async def find(q: str = "", page: Page = Depends(signed_in)):
    """Find a resident among the organisation's own people."""
    if page.staff.role == "analyst":
        return page.render("analyst.html")
    if page.staff.role == "reviewer":  # the platform's reviewers read no organisation's people
        return page.redirect("/console/platform-reviews")
    page.require("people:read")
    results, errors = None, None
    if q.strip():
        try:
            async with page.as_staff() as session:
                results = await service.find(session, page.staff, q[:200])
        except ValidationFailed as exc:
            errors = _errors(exc)
    return page.render("find.html", q=q, results=results, errors=errors, notice=_notice(page.request))


@router.post("/purpose")
async def choose_purpose(page: Page = Depends(signed_in)):
    """Choose the purpose to read for (remembered for the session)."""
    await service.choose_purpose(page.session, page.staff, page.field("purpose"))
    back = page.field("next")
    return page.redirect(back if back.startswith("/console/") and "//" not in back else "/console")


async def _person_page(page: Page, person_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    """A resident's page: what the organisation may see of them for the session's purpose."""
    page.require("people:read")
    purpose = page.staff.purpose
    db = page.request.app.state.db
    async with page.as_staff() as session:
        canonical = await identity_service.person_of_org(session, person_id)  # 404 unless the organisation's
        grants = await consent_service.grants_for_org(session, page.principal, person_id)
        if page.may("people:write"):
            extra["merges"] = await merges.merges_known_to(session, page.principal.org_id, canonical)
    context: dict[str, Any] = {
        "person_id": person_id,
        "grants": grants,
        "kinds": KINDS,
        "shown_at": datetime.now(UTC).isoformat(),
        **extra,
    }
    if purpose is not None:
        profile = await people_service.read(db, page.principal, person_id, purpose)
        granted = {
            c for g in grants if g["status"] == "active" and g["purpose"] == purpose for c in g["categories"]
        }
        shown = {ATTRIBUTE_CATEGORY.get(a) for a in profile["attributes"]}
        context["profile"] = profile
        context["hidden"] = [
            CATEGORIES[c] for c in ("identity", "contact", "address") if c not in granted and c not in shown
        ]
        try:
            read = await consent_access.timeline_read(db, page.principal, person_id, purpose, None, 50)
            context["timeline"] = orjson.loads(read.items)
        except consent_service.ConsentRequired:
            context["timeline"] = None
        if page.may("relationships:read"):
            async with page.as_staff() as session:
                context["relationships"], _ = await relationships_service.of_person(
                    session, page.principal, person_id, purpose, PageRequest(limit=50, after=None)
                )
        if page.may("rewards:earn"):
            async with page.as_staff() as session:
                context["pools"] = [
                    ledger_service.account_view(p)
                    for p in await ledger_service.pools_of(session, page.principal.org_id)
                ]
        if page.may("ledger:read") and purpose == "rewards":  # read only for the purpose it serves
            try:
                async with page.as_staff() as session:
                    context["wallet"] = await wallets.wallet(
                        session, page.principal, person_id, PageRequest(limit=10, after=None)
                    )
            except consent_service.ConsentRequired:
                context["wallet"] = None  # not granted rewards: nothing shown, nothing logged
    return page.render("person.html", status=status, **context)


@router.get("/people/{person_id}")
async def person(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    return await _person_page(page, person_id, notice=_notice(page.request))


@router.post("/people/{person_id}/interactions")
async def log_interaction(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Log a contact with the resident (the organisation's own interaction)."""
    page.require("interactions:write")
    values = {f: page.field(f) for f in ("kind", "occurred_at", "duration_minutes", "note")}
    body: dict[str, Any] = {
        "person_id": person_id,
        "kind": values["kind"],
        "occurred_at": _local_time(values["occurred_at"]),
        "channel": "in_person",
        "external_id": f"console:{uuid.uuid4()}",
    }
    if values["duration_minutes"]:
        body["duration_minutes"] = values["duration_minutes"]
    if values["note"]:
        body["attributes"] = {"note": values["note"][:1000]}
    try:
        item = InteractionIn.model_validate(body)
        async with page.as_staff() as session:
            await interactions_service.log_one(session, page.principal, item)
    except (ValidationError, ValidationFailed) as exc:
        fields = {"kind": "What happened", "occurred_at": "When", "duration_minutes": "Minutes"}
        return await _person_page(page, person_id, status=422, errors=_errors(exc, fields), values=values)
    return page.redirect(f"/console/people/{person_id}?notice=logged")


@router.post("/people/{person_id}/consents")
async def record_consent(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Record consent the resident gave the organisation, with its evidence."""
    page.require("consent:write")
    form = page.form
    categories = [str(c) for c in form.getlist("categories")] if form is not None else []
    body = {
        "purpose": page.field("consent_purpose"),
        "categories": categories,
        "method": "recorded_by_org",
        "evidence": {"kind": page.field("evidence_kind"), "reference": page.field("evidence_reference")},
    }
    try:
        grant = GrantIn.model_validate(body)
        async with page.as_staff() as session:
            await consent_service.grant_by_org(session, page.principal, person_id, grant)
    except (ValidationError, ValidationFailed) as exc:
        fields = {"purpose": "Agreed for", "categories": "What they agreed to share", "evidence": "Evidence"}
        return await _person_page(page, person_id, status=422, errors=_errors(exc, fields))
    return page.redirect(f"/console/people/{person_id}?notice=consent-recorded")


DETAIL_FIELDS = {
    "given_name": "First name",
    "family_name": "Last name",
    "preferred_name": "Name they like to be called",
    "date_of_birth": "Date of birth",
    "email": "Email address",
    "phone": "Phone number",
    "postcode": "Postcode",
}


@router.post("/people/{person_id}/details")
async def correct_details(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Add or correct values as the organisation's own claims (the resident's own word still wins
    where they gave one)."""
    page.require("people:write")
    values = {f: page.field(f) for f in DETAIL_FIELDS}
    body: dict[str, Any] = {k: v for k, v in values.items() if v and k != "postcode"}
    if values["postcode"]:
        body["address"] = {"postcode": values["postcode"]}
    try:
        if not body:
            raise ValidationFailed(
                "Fill in at least one detail.",
                errors=[{"field": "given_name", "message": "Fill in at least one detail"}],
            )
        attributes = AttributesIn.model_validate(body)
        async with page.as_staff() as session:
            await people_service.assert_claims(session, page.principal, person_id, attributes)
    except (ValidationError, ValidationFailed) as exc:
        return await _person_page(
            page, person_id, status=422, errors=_errors(exc, DETAIL_FIELDS), details=values
        )
    return page.redirect(f"/console/people/{person_id}?notice=details-saved")


@router.post("/people/{person_id}/merges/{merge_id}/undo")
async def undo_merge(person_id: uuid.UUID, merge_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Set apart two of the organisation's records that were joined as one person, saying why: at
    once where the merge was the organisation's own decision, otherwise asked of the platform's
    reviewers (``merges.undo_for_organisation``)."""
    page.require("people:write")
    reason = page.field("reason").strip()
    if not reason or len(reason) > 500 or holds_nul(reason):
        message = (
            "Say why they are different people"
            if not reason
            else "Keep the reason under 500 characters"
            if len(reason) > 500
            else "The reason holds a character that cannot be stored"
        )
        return await _person_page(
            page,
            person_id,
            status=422,
            errors=[{"field": f"reason-{merge_id}", "id": f"reason-{merge_id}", "message": message}],
            reason=reason,
        )
    async with page.as_staff() as session:
        canonical = await identity_service.person_of_org(session, person_id)
        done = await merges.undo_for_organisation(session, page.principal, canonical, merge_id, reason)
    return page.redirect(
        f"/console/people/{person_id}?notice={'separated' if done == 'separated' else 'undo-asked'}"
    )


@router.post("/people/{person_id}/consents/{consent_id}/withdraw")
async def withdraw_consent(person_id: uuid.UUID, consent_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Withdraw a grant on the resident's instruction."""
    page.require("consent:write")
    async with page.as_staff() as session:
        await consent_service.withdraw_by_org(session, page.principal, person_id, consent_id)
    return page.redirect(f"/console/people/{person_id}?notice=consent-withdrawn")


@router.post("/people/{person_id}/credits")
async def earn_credits(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Credits from one of the organisation's pools for the resident's volunteering, by the hour
    (the resident must have granted the organisation ``rewards``)."""
    page.require("rewards:earn")
    body = {
        "id": str(uuid.uuid4()),
        "person_id": person_id,
        "pool_id": page.field("pool_id"),
        "hours": page.field("hours"),
    }
    try:
        earn = EarnIn.model_validate(body)
        async with page.as_staff() as session:
            await earning.earn(session, page.principal, earn)
    except (ValidationError, ValidationFailed) as exc:
        fields = {"pool_id": "Pool", "hours": "Hours"}
        return await _person_page(page, person_id, status=422, errors=_errors(exc, fields))
    return page.redirect(f"/console/people/{person_id}?notice=credits-earned")


@router.post("/people/{person_id}/card")
async def issue_card(person_id: uuid.UUID, page: Page = Depends(signed_in)):
    """Issue the resident a rewards card to hand them, its code shown on this answer only (it is
    never written out again here). It works once the resident confirms it in the portal and
    chooses its PIN, and never at this organisation (decision 0007)."""
    page.require("rewards:earn")
    try:  # the time the page with the button was shown: a reloaded answer sends it again
        shown = datetime.fromisoformat(page.field("shown_at"))
    except ValueError:
        shown = None
    if shown is None or shown.tzinfo is None:
        return await _person_page(
            page,
            person_id,
            status=422,
            errors=[
                {"id": "card-title", "message": "Open the resident's page again and choose Issue a card."}
            ],
        )
    async with page.as_staff() as session:
        issued = await cards.issue_card_for_org(session, page.principal, person_id, not_since=shown)
    return await _person_page(page, person_id, issued_card=issued, issued_qr=qr_svg(issued.code))


def error_page(request: Request, exc: AppError) -> Response:
    """An AppError on a console page, as a page rather than problem+json."""
    response = TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {"title": exc.title, "detail": exc.detail, "staff": None},
        status_code=exc.status,
    )
    response.headers.update(exc.headers)
    return response


def install(app: FastAPI) -> None:
    """Mount the console on the app."""
    app.include_router(admin.router)
    app.include_router(reviews.router)
    app.include_router(reviews.platform_router)
    app.include_router(imports.router)
    app.include_router(router)
    app.include_router(sso.router)
