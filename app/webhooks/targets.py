"""Where webhooks may be sent: not to private, loopback, link-local or otherwise internal
addresses (after DNS resolution), so that a subscription cannot make Kith reach into its own
network. ``KITH_ENV=dev`` lifts the rule for local development."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.core.errors import ValidationFailed


class UnsafeTarget(ValidationFailed):
    code = "unsafe_webhook_target"


def _refuse(message: str) -> UnsafeTarget:
    return UnsafeTarget(f"Webhook URL refused: {message}.", errors=[{"field": "url", "message": message}])


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check(url: str, *, allow_internal: bool) -> None:
    """Raise UnsafeTarget unless ``url`` is an http(s) URL whose host resolves only to public
    addresses (any host at all when ``allow_internal``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse("must be an absolute http or https URL")
    if parts.username or parts.password:
        raise _refuse("must not carry credentials")
    if allow_internal:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _refuse("has an invalid port") from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _refuse(f"host {parts.hostname} does not resolve") from exc
    addresses = {info[4][0] for info in infos}
    if not addresses or any(_internal(a) for a in addresses):
        raise _refuse(f"host {parts.hostname} resolves to a private, loopback or link-local address")
