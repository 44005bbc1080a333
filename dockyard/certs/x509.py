"""Pure X.509 operations with `cryptography`: cluster CAs, node certificates, signing CSRs.

Keys are EC P-256 (instant to generate); user CSRs of any common key type are signed.
Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dockyard.common import exceptions
from dockyard.domain.certificates import BACKDATE, CertificateInfo

MAX_CSR_BYTES = 16 * 1024
MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc


def describe(cert_pem: bytes, kind: str, name: str | None = None) -> CertificateInfo:
    """The CertificateInfo of a PEM certificate."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return CertificateInfo(
        kind=kind,
        name=name or kind,
        subject=cert.subject.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _validity(days: int) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - BACKDATE, now + dt.timedelta(days=days)


def generate_ca(common_name: str, validity_days: int = 1825) -> KeyPair:
    """A self-signed CA that may sign leaf certificates only (path length 0)."""
    key = _new_key()
    name = _name(common_name)
    not_before, not_after = _validity(validity_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(uuid.uuid4().int)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _load_ca(ca: KeyPair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TypeError("unsupported CA key type")
    return ca.certificate, key  # type: ignore[return-value]


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def issue(
    ca: KeyPair,
    common_name: str,
    *,
    server: bool = False,
    client: bool = False,
    sans: list[str] | None = None,
    organization: str | None = None,
    validity_days: int = 1825,
) -> KeyPair:
    """A new key and a certificate for it, signed by `ca` (server and/or client usage)."""
    ca_cert, ca_key = _load_ca(ca)
    key = _new_key()
    usages = [
        u
        for u, wanted in (
            (ExtendedKeyUsageOID.SERVER_AUTH, server),
            (ExtendedKeyUsageOID.CLIENT_AUTH, client),
        )
        if wanted
    ]
    not_before, not_after = _validity(validity_days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(uuid.uuid4().int)
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if sans:
        builder = builder.add_extension(_san(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def sign_csr(ca: KeyPair, csr_pem: str | bytes, validity_days: int = 1825) -> bytes:
    """Sign a user's CSR as a client certificate, keeping its subject (400 for bad CSRs).

    Refused: unparsable or oversize CSRs, bad signatures, weak or unsupported keys, and any
    request for CA rights or certificate signing.
    """
    raw = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
    if len(raw) > MAX_CSR_BYTES:
        raise exceptions.Invalid(f"The CSR is larger than {MAX_CSR_BYTES} bytes.")
    try:
        csr = x509.load_pem_x509_csr(raw)
    except ValueError:
        raise exceptions.Invalid(
            "The CSR is not a valid PEM certificate signing request."
        ) from None
    try:
        valid = csr.is_signature_valid
    except InvalidSignature:
        valid = False
    if not valid:
        raise exceptions.Invalid("The CSR's signature does not match its key.")
    public_key = csr.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise exceptions.Invalid(
                f"The CSR's RSA key has {public_key.key_size} bits; at least {MIN_RSA_BITS} "
                "are required."
            )
    elif isinstance(public_key, dsa.DSAPublicKey) or not isinstance(
        public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    ):
        raise exceptions.Invalid("The CSR's key type is not supported; use RSA or EC.")
    for extension in csr.extensions:
        value = extension.value
        if isinstance(value, x509.BasicConstraints) and value.ca:
            raise exceptions.Invalid("The CSR asks for CA rights (CA:true); that is not allowed.")
        if isinstance(value, x509.KeyUsage) and (value.key_cert_sign or value.crl_sign):
            raise exceptions.Invalid(
                "The CSR asks for certificate or CRL signing key usage; that is not allowed."
            )
    if not csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise exceptions.Invalid("The CSR's subject has no common name (CN).")
    ca_cert, ca_key = _load_ca(ca)
    not_before, not_after = _validity(validity_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(uuid.uuid4().int)
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)  # type: ignore[arg-type]
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
