"""Where webhooks may be sent: not to private, loopback, link-local or otherwise internal
addresses (after DNS resolution), so that a subscription cannot make Kith reach into its own
network. ``KITH_ENV=dev`` lifts the rule for local development."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

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


async def public_address(host: str, port: int) -> str:
    """An address to connect to ``host`` at: resolved now, refused (UnsafeTarget) unless every
    address it resolves to is public. Called at connect time (:class:`CheckedBackend`), so a name
    that resolved to a public address when checked and to an internal one since (DNS rebinding)
    is refused."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _refuse(f"host {host} does not resolve") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses or any(_internal(a) for a in addresses):
        raise _refuse(f"host {host} resolves to a private, loopback or link-local address")
    return addresses[0]


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend for webhook attempts: each connection is made to an address
    checked as public when it is made (not only when the URL was checked), by address; TLS still
    names the host (httpcore passes it for SNI and certificate checks), and so does the Host
    header. ``allow_internal``: any address (KITH_ENV=dev)."""

    def __init__(self, *, allow_internal: bool) -> None:
        self._backend = httpcore.AnyIOBackend()
        self._allow_internal = allow_internal

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = host if self._allow_internal else await public_address(host, port)
        return await self._backend.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise _refuse("must be an http or https URL")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def checked_transport(limits: httpx.Limits, *, allow_internal: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a pool whose connections go only to public addresses (see
    :class:`CheckedBackend`). httpx offers no way to give its pool a network backend, so the
    transport's pool is made again with one, as httpx makes it."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=CheckedBackend(allow_internal=allow_internal),
    )
    return transport


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
