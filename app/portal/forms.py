"""What the portal's pages say and how their forms are read: notices, labels, field errors, and the
filters the templates use."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from fastapi import Request
from pydantic import ValidationError

NOTICES = {
    "code-sent": "We have sent a code to your email address.",
    "details-saved": "Your details have been saved. Organisations you let see them will use your version.",
    "granted": "Permission given.",
    "withdrawn": "Permission withdrawn. The organisation can no longer see this.",
    "confirmed": "Permission confirmed. The organisation can now see what you agreed to.",
    "refused": "Permission refused. The organisation sees nothing more than before.",
    "card-renewed": "Your new card is ready. Your old card no longer works.",
    "objected": "You have objected to research. You are left out of community statistics from now on.",
    "objection-lifted": "Your objection to research has been lifted.",
    "signed-out": "You have signed out.",
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
ADDRESS_FIELDS = ("line1", "line2", "town", "postcode")


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


def display(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ADDRESS_FIELDS if value.get(k))
    return "" if value is None else str(value)


def labels(codes: list[str], catalogue: dict[str, str], separator: str = ", ") -> str:
    return separator.join(catalogue.get(c, c) for c in codes)


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]
