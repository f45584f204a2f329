"""TLS certificates Strongroom makes for itself: a private CA and server certificates.

Used when the operator gives no certificate: `operator init` makes a CA, then a server
certificate signed by it; clients trust the CA's certificate.

Invariants:
- Keys are ECDSA P-256, signatures ECDSA with SHA-256; keys are PEM PKCS#8, unencrypted
  (the caller decides where they live and protects the files).
- The CA is valid 10 years, basicConstraints CA (path length 0), may only sign
  certificates and CRLs. A server certificate is valid 825 days (the most Apple clients
  accept), serverAuth only, and always names localhost, 127.0.0.1 and ::1.
- Both carry key identifiers, so OpenSSL's strict X.509 checks accept them.
- Validity starts 5 minutes before the injected clock's now (whole seconds), so a client
  whose clock is a little behind still accepts a certificate made a moment ago.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_VALIDITY",
    "CLOCK_SKEW_ALLOWANCE",
    "SERVER_VALIDITY",
    "make_ca",
    "make_server_cert",
]

CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=825)
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)

_DEFAULT_HOSTNAMES = ("localhost",)
_DEFAULT_IPS = ("127.0.0.1", "::1")
_MAX_CN = 64  # X.520 upper bound for a common name

Clock = Callable[[], float]
"""Seconds since the epoch, like `strongroom.clock.Clock.now` (pass that bound method)."""


def _not_before(clock: Clock) -> datetime:
    now = datetime.fromtimestamp(int(clock()), UTC)
    return now - CLOCK_SKEW_ALLOWANCE


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(common_name: str, clock: Clock = time.time) -> tuple[bytes, bytes]:
    """Make a self-signed CA; return (certificate PEM, private key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    not_before = _not_before(clock)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def _subject_alt_names(
    hostnames: Sequence[str], ip_addresses: Sequence[str]
) -> list[x509.GeneralName]:
    """localhost, 127.0.0.1, ::1 and the given names, deduplicated, in order.

    A "hostname" that parses as an IP address becomes an IP SAN, which is what TLS clients
    match an address against.
    """
    dns_names: list[str] = []
    ip_texts: list[str] = list(_DEFAULT_IPS)
    for host in (*_DEFAULT_HOSTNAMES, *hostnames):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            dns_names.append(host.lower())
        else:
            ip_texts.append(host)
    ip_texts.extend(ip_addresses)
    ips = [ipaddress.ip_address(text) for text in ip_texts]  # ValueError if not an address
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in dict.fromkeys(dns_names)]
    sans.extend(x509.IPAddress(ip) for ip in dict.fromkeys(ips))
    return sans


def make_server_cert(
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    hostnames: Sequence[str],
    ip_addresses: Sequence[str],
    clock: Clock = time.time,
) -> tuple[bytes, bytes]:
    """Make a server certificate signed by the CA; return (certificate PEM, key PEM).

    The certificate PEM holds the leaf only. Raises ValueError if the CA key does not
    match the CA certificate, or the CA certificate is not a P-256 ECDSA CA.
    """
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey) or not isinstance(
        ca_key.curve, ec.SECP256R1
    ):
        raise ValueError("the CA key is not an ECDSA P-256 key")
    if ca_key.public_key() != ca_cert.public_key():
        raise ValueError("the CA key does not match the CA certificate")
    try:
        is_ca = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValueError("the CA certificate is not a CA")

    key = ec.generate_private_key(ec.SECP256R1())
    public_key = key.public_key()
    sans = _subject_alt_names(hostnames, ip_addresses)
    # The CN is for people reading the certificate; clients match the SANs only.
    first = hostnames[0] if hostnames and len(hostnames[0]) <= _MAX_CN else "localhost"
    not_before = _not_before(clock)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + SERVER_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)
