"""Mail reaches a mail server over STARTTLS or TLS, only when its certificate is trusted."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from events_store.outbox import Delivery
from service.mail import SMTPTransport
from tests.smtp import SMTPServer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def mail_server(security: str, certificate: tuple[Path, Path]) -> SMTPServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    if security == "starttls":
        return SMTPServer(tls_context=context, require_starttls=True)
    return SMTPServer(ssl_context=context)


def deliveries(count: int) -> list[Delivery]:
    return [
        Delivery(f"message-{n}", f"owner{n}@example.org", "A footage request", "Hello.")
        for n in range(count)
    ]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_transport_sends_every_message_with_the_trust_it_was_built_with(
    security, certificate, tmp_path, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with mail_server(security, certificate) as server:
        transport = SMTPTransport(
            "127.0.0.1", server.port, "registry@example.org", None, None, security
        )
        # Read once when the transport is built: the trust store is not read again per message.
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-file.pem"))
        for delivery in deliveries(3):
            transport.send(delivery)
        assert [m["To"] for m in server.mailbox.messages] == [
            "owner0@example.org",
            "owner1@example.org",
            "owner2@example.org",
        ]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_mail_server_whose_certificate_is_not_trusted_gets_nothing(
    security, certificate, tmp_path, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-file.pem"))
    with mail_server(security, certificate) as server:
        transport = SMTPTransport(
            "127.0.0.1", server.port, "registry@example.org", None, None, security
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            transport.send(deliveries(1)[0])
        assert server.mailbox.messages == []
