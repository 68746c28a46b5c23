"""Outbound requests to URLs that users supply (webhooks today, an SMS gateway later).

A user-supplied URL is hostile: it may name the API's own network (loopback, the cloud
metadata address, `redis.railway.internal`), hide an address in a form only some parsers
understand (`127.1`, `2130706433`, `0x7f000001`, `::ffff:127.0.0.1`), or resolve to a public
address when registered and to a private one when used (DNS rebinding). So:

- the URL is parsed strictly: http(s) only, no credentials, a port from the allowed set;
- the host is resolved and *every* address must be globally routable; host literals are read
  the way resolvers and browsers read them (WHATWG IPv4 rules) before that check;
- the request connects to the address that was vetted (the name is sent as `Host` and as the TLS
  server name, so certificates are still checked against the name), never to a second lookup;
- redirects are never followed, and failures are reported as a few generic categories, so the
  feature cannot be used to map which internal addresses and ports answer.

`OutboundPolicy.allow_private` lifts the address rule for development and tests only (the
settings refuse it in production).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.core.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Refused even where `is_global` would say yes (Python's tables change between versions and
# several special-purpose ranges are marked global), so the rule does not depend on the runtime.
_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT, used for internal networks by some clouds
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, the cloud metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped: the IPv4 stack would carry it
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",
        "2002::/16",  # 6to4: wraps an arbitrary IPv4 address
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL may not be used; the message is safe to show to the user who sent it."""


def is_public_address(ip: IPAddress) -> bool:
    """Globally routable unicast, by the stdlib's tables and by the explicit list above."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip in _NAT64:  # well-known NAT64 prefix: judge the IPv4 address it carries
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in _BLOCKED if net.version == ip.version):
        return False
    return bool(
        ip.is_global
        and not (ip.is_multicast or ip.is_private or ip.is_reserved)
        and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)
    )


def _ipv4_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part[1:], 8)
    if not part.isdigit():
        raise ValueError(part)
    return int(part)


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2].lower() == "0x" and all(c in "0123456789abcdefABCDEF" for c in last[2:])


def parse_host_address(host: str) -> IPAddress | None:
    """The address a host literal stands for, or None for a name.

    IPv4 follows the WHATWG URL standard (what browsers and `inet_aton` accept): one to four
    dot-separated parts in decimal, octal (leading 0) or hex (0x), the last filling the
    remaining bytes, so `127.1`, `2130706433`, `0x7f000001` and `0177.0.0.1` are all 127.0.0.1.
    A host whose last label is numeric but is not such an address is refused, as browsers do.
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UnsafeURL("The URL's host is not a valid address") from exc
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not labels or not _ends_in_number(labels):
        return None
    try:
        if len(labels) > 4 or any(not p for p in labels):
            raise ValueError(host)
        numbers = [_ipv4_number(p) for p in labels]
        *head, last = numbers
        if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
            raise ValueError(host)
        value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
        return ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise UnsafeURL("The URL's host is not a valid address") from exc


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def static_resolver(table: Mapping[str, Iterable[str]]) -> Resolver:
    """Answers names from a table (a stand-in for DNS where a test must control it)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(table[host])

    return resolve


@dataclass(frozen=True)
class OutboundPolicy:
    """What a user-supplied URL may point at. The defaults are production's."""

    allow_private: bool = False
    require_https: bool = True
    # None: any port (development and tests, where receivers listen on random ports).
    allowed_ports: frozenset[int] | None = frozenset({80, 443})
    resolver: Resolver = field(default=system_resolver, compare=False)
    resolve_timeout_s: float = 5.0


def policy_from_settings(settings: Settings) -> OutboundPolicy:
    production = settings.environment == "production"
    return OutboundPolicy(
        allow_private=settings.webhook_allow_private,
        require_https=production,
        allowed_ports=frozenset({80, 443}) if production else None,
    )


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect and what to send as the name."""

    url: str
    scheme: str
    host: str  # as written in the URL (IDNA-encoded), for Host and TLS server name
    port: int
    addresses: tuple[IPAddress, ...]
    literal: bool  # the host was an address, not a name

    def request_url(self, address: IPAddress) -> str:
        """The URL with the vetted address in place of the name (what the client dials)."""
        parts = urlsplit(self.url)
        ip = f"[{address}]" if address.version == 6 else str(address)
        default = 443 if self.scheme == "https" else 80
        netloc = ip if self.port == default else f"{ip}:{self.port}"
        return urlunsplit((self.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def check_syntax(url: str, policy: OutboundPolicy) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, or UnsafeURL."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UnsafeURL("The URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL("The URL is not a valid absolute http(s) URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("The URL must be an absolute http(s) URL")
    if policy.require_https and scheme != "https":
        raise UnsafeURL("The URL must use https")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL must not contain credentials")
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 0 < port < 65536:
        raise UnsafeURL("The URL's port must be between 1 and 65535")
    if policy.allowed_ports is not None and port not in policy.allowed_ports:
        allowed = ", ".join(str(p) for p in sorted(policy.allowed_ports))
        raise UnsafeURL(f"The URL's port must be one of {allowed}")
    host = parts.hostname.rstrip(".") if parts.hostname != "." else ""
    if not host:
        raise UnsafeURL("The URL must be an absolute http(s) URL")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise UnsafeURL("The URL's host name is not valid") from exc
    return scheme, host, port


_NOT_PUBLIC = "The URL's host does not resolve to a public address"


async def vet(url: str, policy: OutboundPolicy) -> Target:
    """Parses `url`, resolves its host and checks every address; raises UnsafeURL.

    Called when a URL is registered and again before every request, so a name that later
    resolves elsewhere (DNS rebinding) is caught at the moment of use. The same message is
    given for a name that does not resolve and one that resolves to a private address, so the
    answer does not reveal which internal names exist.
    """
    scheme, host, port = check_syntax(url, policy)
    literal = parse_host_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            found = await asyncio.wait_for(policy.resolver(host, port), policy.resolve_timeout_s)
        except (OSError, UnicodeError, TimeoutError) as exc:
            raise UnsafeURL(_NOT_PUBLIC) from exc
        try:
            addresses = [ipaddress.ip_address(a) for a in found]
        except ValueError as exc:
            raise UnsafeURL(_NOT_PUBLIC) from exc
    if not addresses:
        raise UnsafeURL(_NOT_PUBLIC)
    if not policy.allow_private and not all(is_public_address(a) for a in addresses):
        raise UnsafeURL(_NOT_PUBLIC)
    shown = str(literal) if literal is not None else host
    return Target(url, scheme, shown, port, tuple(addresses), literal is not None)


@dataclass(frozen=True)
class Outcome:
    """What happened to a request, in terms that are safe to show the URL's owner."""

    ok: bool
    status_code: int | None = None
    error: str | None = None


async def post(
    client: httpx.AsyncClient,
    url: str,
    policy: OutboundPolicy,
    *,
    content: bytes,
    headers: Mapping[str, str],
) -> Outcome:
    """POSTs to a freshly vetted address of `url`, without following redirects.

    The connection goes to the address that passed `vet` (the first that accepts it), so a
    second lookup by the HTTP client cannot land elsewhere. Each request closes its
    connection: a pooled connection to one address must not carry a request for another name.
    """
    try:
        target = await vet(url, policy)
    except UnsafeURL as exc:
        return Outcome(ok=False, error=str(exc))
    extensions: dict[str, str] = {}
    if target.scheme == "https" and not target.literal:
        extensions["sni_hostname"] = target.host
    send_headers = {**headers, "Host": target.host_header, "Connection": "close"}
    error = "connection failed"
    for address in target.addresses:
        request = client.build_request(
            "POST",
            target.request_url(address),
            content=content,
            headers=send_headers,
            extensions=extensions,
        )
        try:
            # Streamed and closed unread: a receiver's body is of no interest and may be huge.
            response = await client.send(request, follow_redirects=False, stream=True)
        except httpx.TimeoutException:
            return Outcome(ok=False, error="timeout")
        except httpx.ConnectError:
            error = "connection failed"
            continue  # the next vetted address, as a resolver-driven client would
        except httpx.HTTPError:
            return Outcome(ok=False, error="request failed")
        await response.aclose()
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(ok=True, status_code=status)
        if 300 <= status < 400:
            return Outcome(ok=False, status_code=status, error=f"redirect not followed ({status})")
        return Outcome(ok=False, status_code=status, error=f"non-2xx status {status}")
    return Outcome(ok=False, error=error)
