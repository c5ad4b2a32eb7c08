"""The local CA: made once per directory and kept, a fresh server certificate per start that a
client trusting only that CA accepts for 127.0.0.1 and localhost, and nothing else."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from local.tls import ensure_tls


def handshake(server_context: ssl.SSLContext, client_context: ssl.SSLContext, name: str) -> str:
    """One TLS handshake over loopback; returns the negotiated version."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client_context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            version = str(tls.version())
            tls.sendall(b"x")
            return version
    finally:
        thread.join(5)
        listener.close()


def test_the_ca_is_kept_and_the_server_certificate_is_renewed(tmp_path: Path):
    first = ensure_tls(tmp_path)
    ca, server = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    second = ensure_tls(tmp_path)
    assert second.ca_file.read_bytes() == ca
    assert second.cert_file.read_bytes() != server
    assert first.ca_key_file.stat().st_mode & 0o077 == 0  # the CA key is the owner's only


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_a_client_trusting_the_ca_accepts_the_server_for_loopback_names(tmp_path: Path, name: str):
    tls = ensure_tls(tmp_path)
    assert handshake(tls.server_context(), tls.client_context(), name).startswith("TLSv1.")


def test_a_client_with_only_public_roots_refuses_the_local_server(tmp_path: Path):
    tls = ensure_tls(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls.server_context(), ssl.create_default_context(), "127.0.0.1")


def test_the_certificate_names_no_other_host(tmp_path: Path):
    tls = ensure_tls(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls.server_context(), tls.client_context(), "example.com")
