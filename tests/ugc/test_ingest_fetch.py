"""The URL fetcher's SSRF guard, limits and redirects, against a real local server."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess

import pytest

from tests.ugc.ingest_support import LocalServer, jpeg_bytes
from ugc.ingest.fetch import FetchError, FetchPolicy, fetch, vet_url

ALLOW_LOCAL = FetchPolicy(allowed_hosts=frozenset({"127.0.0.1"}), max_bytes=10_000)


@pytest.fixture
def server():
    with LocalServer() as local:
        yield local


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://2130706433/", "loopback"),  # decimal
        ("http://0x7f.1/", "loopback"),  # hex, short form
        ("http://0177.0.0.1/", "loopback"),  # octal
        ("http://127.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
        ("http://[::ffff:a9fe:a9fe]/", "link-local"),  # mapped metadata address
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://[fe80::1]/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fd12:3456::1]/", "private"),  # ULA
        ("http://100.64.0.1/", "CGNAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://240.0.0.1/", "not a public address"),
        ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 wrapping 10.0.0.1
        ("ftp://example.com/a.jpg", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:70/", "only http and https"),
        ("http://user:secret@example.com/a.jpg", "credentials"),
        ("http:///a.jpg", "no host"),
        ("http://exa mple.com/", "spaces"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
    ],
)
def test_unsafe_urls_are_refused_before_any_connection(url, why):
    with pytest.raises(FetchError, match=why):
        vet_url(url, FetchPolicy())


def test_the_allow_list_names_hosts_exactly(server):
    # Only the exact name is exempt: the same address spelt otherwise stays refused.
    for url in ("http://2130706433/", "http://localhost/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(FetchError):
            vet_url(url, ALLOW_LOCAL)
    assert vet_url(server.url("/a.jpg"), ALLOW_LOCAL)[1] == "127.0.0.1"


def test_the_local_server_is_refused_by_default(server):
    server.routes["/a.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes())
    with pytest.raises(FetchError, match="loopback"):
        fetch(server.url("/a.jpg"), io.BytesIO(), FetchPolicy())
    assert server.hits == []


def test_download_from_an_allowed_host(server):
    body = jpeg_bytes()
    server.routes["/img/photo"] = (200, {"Content-Type": "image/jpeg; charset=x"}, body)
    sink = io.BytesIO()
    result = fetch(server.url("/img/photo"), sink, ALLOW_LOCAL)
    assert sink.getvalue() == body
    assert result.content_type == "image/jpeg" and result.byte_size == len(body)
    assert result.filename == "photo.jpg"


def test_redirects_are_followed_and_each_hop_vetted(server):
    body = jpeg_bytes()
    server.routes["/start"] = (302, {"Location": "/middle"}, b"")
    server.routes["/middle"] = (301, {"Location": server.url("/final.jpg")}, b"")
    server.routes["/final.jpg"] = (200, {"Content-Type": "image/jpeg"}, body)
    sink = io.BytesIO()
    assert fetch(server.url("/start"), sink, ALLOW_LOCAL).url.endswith("/final.jpg")
    assert sink.getvalue() == body


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.5/internal.jpg",
        "http://localhost:{port}/secret.jpg",  # the same server, by a name not allowed
        "http://2130706433:{port}/secret.jpg",
        "http://[::ffff:127.0.0.1]:{port}/secret.jpg",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_from_an_allowed_host_to_a_private_one_is_refused(server, target):
    server.routes["/hop"] = (302, {"Location": target.format(port=server.port)}, b"")
    server.routes["/secret.jpg"] = (200, {"Content-Type": "image/jpeg"}, b"secret")
    with pytest.raises(FetchError, match=r"refused|only http"):
        fetch(server.url("/hop"), io.BytesIO(), ALLOW_LOCAL)
    assert server.hits == ["/hop"]  # the private target was never contacted


def test_too_many_redirects(server):
    for index in range(7):
        server.routes[f"/r{index}"] = (302, {"Location": f"/r{index + 1}"}, b"")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(server.url("/r0"), io.BytesIO(), ALLOW_LOCAL)
    assert len(server.hits) == 6


def test_content_type_size_and_status_checks(server):
    server.routes["/page"] = (200, {"Content-Type": "text/html"}, b"<script>")
    server.routes["/svg"] = (200, {"Content-Type": "image/svg+xml"}, b"<svg/>")
    server.routes["/big"] = (200, {"Content-Type": "image/jpeg"}, b"x" * 10_001)
    server.routes["/liar"] = (
        200,
        {"Content-Type": "image/jpeg", "Content-Length": "99999999"},
        b"x",
    )
    server.routes["/empty"] = (200, {"Content-Type": "image/jpeg"}, b"")
    for path, why in [
        ("/page", "not an accepted media type"),
        ("/svg", "not an accepted media type"),
        ("/big", "10,000-byte limit"),
        ("/liar", "10,000-byte limit"),
        ("/empty", "empty"),
        ("/missing", "HTTP 404"),
    ]:
        with pytest.raises(FetchError, match=why):
            fetch(server.url(path), io.BytesIO(), ALLOW_LOCAL)


def test_a_dead_port_is_a_clear_error():
    with LocalServer() as local:
        port = local.port
    policy = FetchPolicy(allowed_hosts=frozenset({"127.0.0.1"}), connect_timeout=2)
    with pytest.raises(FetchError, match="could not fetch"):
        fetch(f"http://127.0.0.1:{port}/a.jpg", io.BytesIO(), policy)


@pytest.fixture
def tls_files(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=media.test",
            "-addext",
            "subjectAltName=DNS:media.test",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


def test_https_connects_to_the_vetted_address_with_the_name_for_sni_and_host(
    tls_files, monkeypatch
):
    """DNS rebinding: the name resolves to 127.0.0.1 when vetted and to 127.0.0.2 after.

    The fetcher resolves once and connects to the address it vetted; the TLS
    server name and the Host header are still the URL's name, and the
    certificate is checked against that name.
    """
    cert, key = tls_files
    real = socket.getaddrinfo
    answers = ["127.0.0.1"]

    def rebinding(host, *args, **kwargs):
        if host == "media.test":
            address = answers.pop() if answers else "127.0.0.2"
            return real(address, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    body = jpeg_bytes()
    with LocalServer(tls_cert=cert, tls_key=key) as server:
        server.routes["/a.jpg"] = (200, {"Content-Type": "image/jpeg"}, body)
        policy = FetchPolicy(allowed_hosts=frozenset({"media.test"}), ca_file=cert)
        sink = io.BytesIO()
        fetch(f"https://media.test:{server.port}/a.jpg", sink, policy)
        assert sink.getvalue() == body
        assert server.hosts == [f"media.test:{server.port}"]
        assert server.server_names == ["media.test"]
        # Without trusting the test CA the certificate check fails: no silent downgrade.
        untrusted = FetchPolicy(allowed_hosts=frozenset({"media.test"}))
        answers.append("127.0.0.1")
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch(f"https://media.test:{server.port}/a.jpg", io.BytesIO(), untrusted)


def test_non_ascii_urls_are_sent_percent_encoded(server):
    body = jpeg_bytes()
    server.routes["/caf%C3%A9/cr%C3%A8me.jpg?x=%C3%BC"] = (
        200,
        {"Content-Type": "image/jpeg"},
        body,
    )
    sink = io.BytesIO()
    result = fetch(server.url("/café/crème.jpg?x=ü"), sink, ALLOW_LOCAL)
    assert sink.getvalue() == body and result.filename == "crème.jpg"
    with pytest.raises(FetchError, match="cannot resolve"):
        vet_url("http://bücher.invalid/a.jpg", FetchPolicy())
