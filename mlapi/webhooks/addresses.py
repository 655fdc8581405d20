"""Where a hook may point: http(s) URLs whose host resolves to public addresses only
(docs/webhooks.md#address-checks-ssrf).

Resolution goes through ``app.extensions[RESOLVER_KEY]`` (``socket.getaddrinfo``'s
signature), so tests and operators can put another resolver in its place.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app

RESOLVER_KEY = "mlapi.webhooks.resolver"
SCHEMES = {"http": 80, "https": 443}
METADATA_HOSTS = {"metadata.google.internal", "metadata.goog", "metadata"}
METADATA_ADDRESSES = {
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]


class UnsafeUrl(ValueError):
    """The URL may not receive deliveries; the message says why, for the client."""


class Unresolvable(UnsafeUrl):
    """The host did not resolve (perhaps for now only)."""


def resolver() -> Resolver:
    return current_app.extensions.get(RESOLVER_KEY, socket.getaddrinfo)


def static_resolver(table: dict[str, list[str]]) -> Resolver:
    """A resolver answering from ``{host: [addresses]}``, and failing for other hosts."""

    def resolve(host, port, *_args, **_kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    return resolve


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def unsafe_reason(address: Address) -> str | None:
    """Why ``address`` must not receive deliveries, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return unsafe_reason(embedded)
    checks = (
        (address in METADATA_ADDRESSES, "a cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in CGNAT,
            "a shared (carrier-grade NAT) address",
        ),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for unsafe, reason in checks if unsafe), None)


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("Not a valid URL.") from exc
    if parts.scheme not in SCHEMES:
        raise UnsafeUrl("Use an http or https URL.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Leave credentials out of the URL: check the signature instead.")
    return parts.hostname, port or SCHEMES[parts.scheme]


def _addresses(host: str, port: int, resolve: Resolver) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"The host {host} does not resolve.") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in answers]
    if not addresses:
        raise Unresolvable(f"The host {host} does not resolve.")
    return addresses


def check_url(url: str, *, allow_private: bool, resolve: Resolver) -> None:
    """Raise ``UnsafeUrl`` unless ``url`` may receive deliveries."""
    host, port = _host_and_port(url)
    if not allow_private and host.rstrip(".").lower() in METADATA_HOSTS:
        raise UnsafeUrl(f"{host} is a cloud metadata service.")
    for address in _addresses(host, port, resolve):
        reason = None if allow_private else unsafe_reason(address)
        if reason:
            raise UnsafeUrl(
                f"{host} resolves to {address}, {reason}; hooks may only call public addresses."
            )


def check_configured(url: str) -> None:
    """``check_url`` with the app's setting and resolver."""
    check_url(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"], resolve=resolver())
