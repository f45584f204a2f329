"""Self-made TLS certificates: their fields, and real TLS handshakes on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from strongroom.crypto.certs import make_ca, make_server_cert

NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)


def fixed_clock() -> float:
    return NOW.timestamp()


@pytest.fixture(scope="module")
def ca() -> tuple[bytes, bytes]:
    return make_ca("Strongroom test CA", clock=fixed_clock)


@pytest.fixture(scope="module")
def ca_now() -> tuple[bytes, bytes]:
    return make_ca("Strongroom live CA")


def _sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return dns, ips


# --- fields ------------------------------------------------------------------------


def test_ca_is_a_p256_ca_valid_ten_years(ca: tuple[bytes, bytes]) -> None:
    cert = x509.load_pem_x509_certificate(ca[0])
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(cert.public_key().curve, ec.SECP256R1)  # type: ignore[union-attr]
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert cert.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=3650)
    assert cert.subject == cert.issuer
    cert.verify_directly_issued_by(cert)
    assert ca[1].startswith(b"-----BEGIN PRIVATE KEY-----")


def test_server_cert_names_defaults_and_given_hosts(ca: tuple[bytes, bytes]) -> None:
    cert_pem, key_pem = make_server_cert(
        ca[0],
        ca[1],
        hostnames=["vault.example.test", "localhost", "10.1.2.3"],
        ip_addresses=["192.0.2.7", "::1"],
        clock=fixed_clock,
    )
    cert = x509.load_pem_x509_certificate(cert_pem)
    dns, ips = _sans(cert)
    assert dns == ["localhost", "vault.example.test"]
    assert ips == ["127.0.0.1", "::1", "10.1.2.3", "192.0.2.7"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=825)
    ca_cert = x509.load_pem_x509_certificate(ca[0])
    cert.verify_directly_issued_by(ca_cert)
    assert cert.issuer == ca_cert.subject
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_server_cert_without_extra_names_still_covers_loopback(ca: tuple[bytes, bytes]) -> None:
    cert = x509.load_pem_x509_certificate(make_server_cert(ca[0], ca[1], [], [])[0])
    dns, ips = _sans(cert)
    assert dns == ["localhost"]
    assert ips == ["127.0.0.1", "::1"]


def test_server_cert_refuses_a_key_that_is_not_the_cas(
    ca: tuple[bytes, bytes], ca_now: tuple[bytes, bytes]
) -> None:
    with pytest.raises(ValueError, match="does not match"):
        make_server_cert(ca[0], ca_now[1], [], [])


def test_server_cert_refuses_a_leaf_as_ca(ca: tuple[bytes, bytes]) -> None:
    leaf_pem, leaf_key = make_server_cert(ca[0], ca[1], [], [])
    with pytest.raises(ValueError, match="not a CA"):
        make_server_cert(leaf_pem, leaf_key, [], [])


def test_bad_ip_address_is_a_value_error(ca: tuple[bytes, bytes]) -> None:
    with pytest.raises(ValueError):
        make_server_cert(ca[0], ca[1], [], ["not-an-ip"])


def test_clock_fractions_are_dropped() -> None:
    cert_pem, _ = make_ca("x", clock=lambda: NOW.timestamp() + 0.75)
    cert = x509.load_pem_x509_certificate(cert_pem)
    assert cert.not_valid_before_utc == NOW - timedelta(minutes=5)


# --- real TLS ----------------------------------------------------------------------


def _server_context(tmp_path: Path, cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    cert_file, key_file = tmp_path / "server.crt", tmp_path / "server.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def _client_context(ca_pem: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    return context


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str) -> bytes:
    """Run one TLS connection over 127.0.0.1; return what the server sent."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]
        server_errors: list[BaseException] = []

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(10)
                    with server.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"strongroom")
            except OSError as exc:  # ssl.SSLError is an OSError
                server_errors.append(exc)

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                client.wrap_socket(raw, server_hostname=server_hostname) as tls,
            ):
                received = tls.recv(64)
        finally:
            thread.join(timeout=10)
        assert not thread.is_alive()
        return received


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost", "strongroom.example.test"])
def test_tls_handshake_succeeds_trusting_only_the_ca(
    tmp_path: Path, ca_now: tuple[bytes, bytes], hostname: str
) -> None:
    cert_pem, key_pem = make_server_cert(ca_now[0], ca_now[1], ["strongroom.example.test"], [])
    server = _server_context(tmp_path, cert_pem, key_pem)
    assert _handshake(server, _client_context(ca_now[0]), hostname) == b"strongroom"


def test_tls_refuses_a_name_the_cert_does_not_carry(
    tmp_path: Path, ca_now: tuple[bytes, bytes]
) -> None:
    server = _server_context(tmp_path, *make_server_cert(ca_now[0], ca_now[1], [], []))
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(server, _client_context(ca_now[0]), "other.example.test")


def test_tls_refuses_a_cert_from_another_ca(tmp_path: Path, ca_now: tuple[bytes, bytes]) -> None:
    other_ca = make_ca("Someone else")
    server = _server_context(tmp_path, *make_server_cert(other_ca[0], other_ca[1], [], []))
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(server, _client_context(ca_now[0]), "127.0.0.1")


def test_tls_refuses_a_cert_made_by_a_clock_long_ago(tmp_path: Path) -> None:
    def long_ago() -> float:
        return time.time() - timedelta(days=900).total_seconds()

    old_ca = make_ca("Old CA", clock=long_ago)
    server = _server_context(
        tmp_path, *make_server_cert(old_ca[0], old_ca[1], [], [], clock=long_ago)
    )
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        _handshake(server, _client_context(old_ca[0]), "127.0.0.1")


def test_ipv6_loopback_san_is_an_ip_not_a_name(ca: tuple[bytes, bytes]) -> None:
    cert = x509.load_pem_x509_certificate(make_server_cert(ca[0], ca[1], ["::1"], [])[0])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("::1") in san.get_values_for_type(x509.IPAddress)
    assert "::1" not in san.get_values_for_type(x509.DNSName)
