"""Self-signed certificates made in the tests: for the local TLS servers (identity platform,
SMTP) and for an app's certificate credential."""

from __future__ import annotations

import datetime as dt
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed(
    common_name: str, ip: str | None = None, dns: tuple[str, ...] = ()
) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM): a fresh 2048-bit RSA key and a certificate for it;
    with ``ip`` (and ``dns`` names) a server certificate that is its own CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [*map(x509.DNSName, dns), x509.IPAddress(ipaddress.ip_address(ip))]
            ),
            critical=False,
        ).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
