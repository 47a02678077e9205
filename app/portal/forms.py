"""What the portal's pages say and how their forms are read: notices, labels, field errors, and the
filters the templates use."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

NOTICES = {
    "code-sent": "We have sent a code to your email address.",
    "details-saved": "Your details have been saved. Organisations you let see them will use your version.",
    "granted": "Permission given.",
    "withdrawn": "Permission withdrawn. The organisation can no longer see this.",
    "confirmed": "Permission confirmed. The organisation can now see what you agreed to.",
    "refused": "Permission refused. The organisation sees nothing more than before.",
    "card-ready": "Your card is ready. Show it at the till, or read out its code.",
    "card-renewed": "Your new card is ready. Your old card no longer works.",
    "card-confirmed": "The card you were given now works. Any card you had before no longer does.",
    "card-refused": "That card will never work. Nothing else has changed.",
    "pin-changed": "Your card has its new PIN, and works with it now.",
    "objected": "You have objected to research. You are left out of community statistics from now on.",
    "objection-lifted": "Your objection to research has been lifted.",
    "signed-out": "You have signed out.",
    "its-you": "Thank you. Kith's reviewers will check, and join that record to yours.",
    "not-you": "Thank you: that record will never be joined to yours.",
}
ATTRIBUTE_LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "preferred_name": "Name you like to be called",
    "date_of_birth": "Date of birth",
    "email": "Email address",
    "phone": "Phone number",
    "address": "Address",
    "uprn": "Property reference (UPRN)",
}
TEXT_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "phone")


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def form_errors(exc: Exception) -> list[dict[str, str]]:
    """Form errors, each naming its field (with the id of its input, for the error summary)."""
    if isinstance(exc, ValidationError):
        raw = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    else:
        raw = getattr(exc, "errors", None) or [{"field": "", "message": str(exc)}]
    out = []
    for e in raw:
        name = e.get("field") or ""
        label = ATTRIBUTE_LABELS.get(name.split(".")[-1]) or ATTRIBUTE_LABELS.get(name.split(".")[0], "")
        if name.startswith("address."):
            label = {
                "line1": "Address line 1",
                "line2": "Address line 2",
                "town": "Town",
                "postcode": "Postcode",
            }.get(name.split(".")[1], "Address")
        message = e["message"]
        if name == "address":  # the address as a whole: point at its first line
            name = "address.line1"
        out.append(
            {
                "field": name,
                "id": name.replace(".", "-") or "main",
                "message": f"{label}: {message}" if label else message,
            }
        )
    return out


# Each kind of contact an organisation records, as the resident reads it.
CONTACT_KINDS = {
    "visit": "A visit",
    "service_contact": "A call, message or appointment",
    "volunteering": "Volunteering",
    "event": "An event",
    "referral": "A referral",
    "purchase": "A purchase",
    "other": "A contact",
}


def labels(codes: list[str], catalogue: dict[str, str], separator: str = ", ") -> str:
    return separator.join(catalogue.get(c, c) for c in codes)
