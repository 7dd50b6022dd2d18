"""The HTTP listener: Nagle off (keep-alive scrapes would wait on delayed ACKs), and a
refused address is one line."""

from __future__ import annotations

import socket

import pytest

from exporter.errors import ConfigError
from exporter.serve.http import listen_socket


def test_listener_disables_nagle_for_accepted_connections() -> None:
    sock = listen_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        finally:
            accepted.close()
            client.close()
    finally:
        sock.close()


def test_address_in_use_is_one_line() -> None:
    first = listen_socket("127.0.0.1", 0)
    try:
        with pytest.raises(ConfigError) as caught:
            listen_socket("127.0.0.1", first.getsockname()[1])
        assert "\n" not in str(caught.value)
        assert "cannot listen on 127.0.0.1:" in str(caught.value)
    finally:
        first.close()
