"""Download a media URL without letting it reach inside our network (SSRF guard).

- Only http and https, no user:password in the URL.
- The host is resolved here, every address is vetted (loopback, private incl.
  RFC 1918 and ULA, link-local incl. 169.254.169.254, multicast, unspecified,
  reserved, CGNAT 100.64/10, and IPv4 hidden in IPv6: mapped, 6to4, Teredo,
  NAT64), and the connection goes to the vetted address. The Host header and
  TLS SNI/certificate check use the name, so DNS rebinding between the check
  and the connection cannot swap the address.
- Numeric host tricks (2130706433, 0x7f.1, 0177.0.0.1) are read the way the C
  resolver would read them, then vetted like any address.
- Redirects are followed by hand, at most `max_redirects`, each hop vetted again.
- Connect and read timeouts, an overall deadline, a size cap (Content-Length
  and counted bytes), and a content-type allow-list.

`allowed_hosts` exempts exact host names from the address check; it exists for
tests that serve files from 127.0.0.1 and is empty in every real setting.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO
from urllib.parse import quote, unquote, urljoin, urlsplit

CHUNK = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}
DEFAULT_CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/heic",
        "image/heif",
        "image/avif",
        "video/mp4",
        "video/quicktime",
        "video/webm",
    }
)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/avif": ".avif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """The URL was refused or the download failed; str() is the reason."""


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 200 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 300.0
    max_redirects: int = 5
    allowed_content_types: frozenset[str] = DEFAULT_CONTENT_TYPES
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    # Extra certificate authorities to trust (a private CA; tests use their own).
    ca_file: str | None = None


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    content_type: str
    byte_size: int
    filename: str


def address_problem(ip: Address) -> str | None:
    """Why an address must not be fetched from, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"{inner} (inside the IPv6 address {ip})" if inner else None
    for test, name in (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "shared (CGNAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    ):
        if test:
            return f"{ip} is not a public address ({name})"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address the host stands for, reading numeric forms as the C resolver does."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if NUMERIC_HOST.match(host):
        try:
            return [ipaddress.IPv4Address(socket.inet_aton(host))]
        except OSError:
            pass  # a name made of hex letters ("cafe.be"): resolve it
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    seen: dict[Address, None] = {}
    for info in infos:
        seen.setdefault(ipaddress.ip_address(info[4][0].split("%")[0]), None)
    if not seen:
        raise FetchError(f"cannot resolve {host}")
    return list(seen)


def vet_url(url: str, policy: FetchPolicy) -> tuple[str, str, int, Address]:
    """(scheme, host, port, address to connect to) or FetchError saying why not."""
    if any(ch in url for ch in "\r\n\t ") or not url.isprintable():
        raise FetchError("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {scheme or 'no scheme'!r}")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with credentials (user:password@) are refused")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError("the URL has no host")
    try:
        # The ASCII (punycode) form is what DNS, the Host header and SNI carry.
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(f"not a valid host name: {host!r}") from None
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if host.lower() not in policy.allowed_hosts:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise FetchError(f"refused {host}: {problem}")
    return scheme, host, port, addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """Talks to `address` while naming `host` in the Host header."""

    def __init__(self, host, port, address, policy: FetchPolicy):
        super().__init__(host, port, timeout=policy.connect_timeout)
        self._address, self._read_timeout = str(address), policy.read_timeout
        self._ca_file = policy.ca_file

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    default_port = 443

    def connect(self):
        # SNI and the certificate check use the name, not the pinned address.
        context = ssl.create_default_context()
        if self._ca_file:
            context.load_verify_locations(cafile=self._ca_file)
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def _path(url: str) -> str:
    """The request target, percent-encoded where the URL was not (HTTP needs ASCII)."""
    parts = urlsplit(url)
    safe = "/%:@!$&'()*+,;=-._~"
    path = quote(parts.path or "/", safe=safe)
    return path + (f"?{quote(parts.query, safe=safe + '?')}" if parts.query else "")


def _filename(url: str, content_type: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name[:200]
    extension = EXTENSIONS.get(content_type, "")
    if not name:
        name = f"download{extension}"
    elif extension and "." not in name:
        name += extension
    return name


def fetch(url: str, sink: BinaryIO, policy: FetchPolicy) -> Fetched:
    """Download `url` into `sink` (anything with write()); FetchError says why not."""
    deadline = time.monotonic() + policy.total_timeout
    current = url
    for _hop in range(policy.max_redirects + 1):
        scheme, host, port, address = vet_url(current, policy)
        connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        conn = connection_class(host, port, address, policy)
        try:
            try:
                conn.request(
                    "GET",
                    _path(current),
                    headers={
                        "User-Agent": "ugc-platform-fetcher/1.0",
                        "Accept": ", ".join(sorted(policy.allowed_content_types)),
                        "Accept-Encoding": "identity",
                    },
                )
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"could not fetch {host}: {exc}") from None
            if response.status in REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"HTTP {response.status} redirect without a Location")
                current = urljoin(current, location.strip())
                continue
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} from {host}")
            return _read_body(response, current, sink, policy, deadline)
        finally:
            conn.close()
    raise FetchError(f"more than {policy.max_redirects} redirects")


def _read_body(response, url: str, sink: BinaryIO, policy: FetchPolicy, deadline: float):
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in policy.allowed_content_types:
        raise FetchError(f"content type {content_type or 'none'!r} is not an accepted media type")
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > policy.max_bytes:
        raise FetchError(f"{int(length):,} bytes is over the {policy.max_bytes:,}-byte limit")
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"download took longer than {policy.total_timeout:g} s")
        try:
            # read1: one recv at most, so a trickling server meets the deadline check.
            chunk = response.read1(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"download interrupted: {exc}") from None
        if not chunk:
            break
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"over the {policy.max_bytes:,}-byte limit")
        sink.write(chunk)
    if size == 0:
        raise FetchError("the download is empty")
    return Fetched(
        url=url, content_type=content_type, byte_size=size, filename=_filename(url, content_type)
    )
