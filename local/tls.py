"""HTTPS and WSS for the local endpoints, with a certificate authority made on this machine.

Amplify JS always opens `wss://` for subscriptions, and browsers treat `https://` pages and
`wss://` sockets as they would in AWS, so the local endpoints can serve TLS. The CA is created
once per state directory (`.local/tls/` for `make up`) and kept, so a client trusts it once:

    NODE_EXTRA_CA_CERTS=.local/tls/ca.pem node app.js      # Node (Amplify, Apollo)
    SSL_CERT_FILE=.local/tls/ca.pem REQUESTS_CA_BUNDLE=...  # Python
    (a browser: import ca.pem as a trusted authority)

The server certificate is issued anew at each start for 127.0.0.1 and localhost only. The CA's
private key never leaves the directory (mode 0600) and signs nothing else.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 365
SERVER_DAYS = 30
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1",)


@dataclass(frozen=True)
class LocalTls:
    """The files of one local CA and the server certificate it issued."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server-key.pem"

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA (for tests and tools in this process)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def ensure_tls(directory: Path) -> LocalTls:
    """Create the CA if the directory has none (or it expired); issue a fresh server certificate."""
    tls = LocalTls(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_cert = _load_ca(tls, now) or _create_ca(tls, now)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(tls.key_file, key)
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return tls


def _load_ca(
    tls: LocalTls, now: datetime.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    if not (tls.ca_file.exists() and tls.ca_key_file.exists()):
        return None
    cert = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    key = serialization.load_pem_private_key(tls.ca_key_file.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if cert.not_valid_after_utc < now + datetime.timedelta(days=SERVER_DAYS):
        return None  # would expire before the server certificate: make a new one
    return key, cert


def _create_ca(
    tls: LocalTls, now: datetime.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "python -m local (local stack)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Local stack CA {now:%Y-%m-%d %H:%M}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(tls.ca_key_file, key)
    tls.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
