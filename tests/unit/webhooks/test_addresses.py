"""Which URLs may receive deliveries: public http(s) hosts only (SSRF protection)."""

import ipaddress

import pytest

from mlapi.webhooks.addresses import (
    Unresolvable,
    UnsafeUrl,
    check_url,
    static_resolver,
    unsafe_reason,
)

DNS = static_resolver(
    {
        "hooks.example.com": ["93.184.215.14"],
        "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
        "mixed.example.com": ["93.184.215.14", "10.0.0.7"],
        "mixed6.example.com": ["2606:2800:220:1:248:1893:25c8:1946", "::1"],
        "rebound.example.com": ["127.0.0.1"],
        "localhost": ["127.0.0.1", "::1"],
    }
)

UNSAFE = [
    ("127.0.0.1", "loopback"),
    ("127.8.8.8", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("169.254.10.10", "link-local"),
    ("fe80::1", "link-local"),
    ("fd00:ec2::254", "metadata"),
    ("fd12:3456::1", "private"),  # IPv6 unique local
    ("100.64.0.1", "carrier-grade"),
    ("100.127.255.254", "carrier-grade"),
    ("0.0.0.0", "unspecified"),  # noqa: S104  (an address to refuse, not to bind)
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation range: not globally reachable
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "metadata"),
    ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo client 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
]


@pytest.mark.parametrize(("address", "reason"), UNSAFE, ids=[a for a, _ in UNSAFE])
def test_unsafe_addresses_are_refused_with_a_reason(address, reason):
    assert reason in unsafe_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.215.14"]
)
def test_public_addresses_are_allowed(address):
    assert unsafe_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/mlapi",
        "http://hooks.example.com:8080/x?y=1",
        "https://v6.example.com/",
        "https://93.184.215.14/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_public_urls_pass(url):
    check_url(url, allow_private=False, resolve=DNS)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://hooks.example.com:99999/", "valid URL"),
        ("http://localhost:5000/", "loopback"),
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://METADATA.google.internal./", "metadata"),
        ("https://mixed.example.com/", "10.0.0.7"),  # one private answer is enough
        ("https://mixed6.example.com/", "::1"),
        ("https://rebound.example.com/", "loopback"),
    ],
)
def test_unsafe_urls_are_refused(url, message):
    with pytest.raises(UnsafeUrl, match=message):
        check_url(url, allow_private=False, resolve=DNS)


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(Unresolvable, match="does not resolve"):
        check_url("https://nowhere.invalid/", allow_private=False, resolve=DNS)


def test_a_resolver_answering_nothing_counts_as_unresolved():
    with pytest.raises(Unresolvable):
        check_url(
            "https://empty.example.com/", allow_private=False, resolve=lambda *_args, **_kwargs: []
        )


def test_the_operator_may_allow_private_addresses():
    for url in (
        "http://localhost:5000/",
        "https://mixed.example.com/",
        "http://169.254.169.254/",
        "http://metadata.google.internal/",
    ):
        check_url(
            url,
            allow_private=True,
            resolve=static_resolver(
                {
                    "localhost": ["127.0.0.1"],
                    "mixed.example.com": ["10.0.0.7"],
                    "metadata.google.internal": ["169.254.169.254"],
                }
            ),
        )


def test_the_scheme_is_checked_even_when_private_addresses_are_allowed():
    with pytest.raises(UnsafeUrl, match="http or https"):
        check_url("gopher://localhost/", allow_private=True, resolve=DNS)
