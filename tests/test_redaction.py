"""One redaction for every message: each shape libpq echoes a connection string in."""

from __future__ import annotations

import logging

import psycopg
import pytest

from exporter.cli import _RedactingFormatter
from exporter.db import check_url, describe
from exporter.errors import ConfigError
from exporter.redaction import redact, remember_url

PW = "s3cr%t-Pass"  # percent sign: not valid percent-encoding


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://user:{PW}@127.0.0.1:1/db",  # bad percent-encoding
        "postgresql://user:with space@127.0.0.1:1/db",  # a space
        "postgresql//user:nocolon-pw@127.0.0.1:1/db",  # no colon after the scheme
        "host=127.0.0.1 port=1 password=kv-secret bogus=1",  # key=value, bad option
        "host=127.0.0.1 port=1 password='quoted secret",  # key=value, unterminated quote
        "postgresql://user:ipv6-secret@[::1:1/db",  # unterminated IPv6 address
        "postgresql://user:q-secret@127.0.0.1:1/db?password=other-secret&bogus=1",
    ],
)
def test_parse_errors_never_show_the_password(url: str) -> None:
    secrets = {
        "s3cr%t-Pass",
        "with space",
        "nocolon-pw",
        "kv-secret",
        "quoted secret",
        "ipv6-secret",
        "q-secret",
        "other-secret",
    }
    remember_url(url)
    with pytest.raises(Exception) as raw:
        psycopg.connect(url, connect_timeout=1)
    shown = [redact(str(raw.value)), describe(raw.value)]
    try:
        check_url(url)
    except ConfigError as exc:
        shown.append(str(exc))
    for text in shown:
        for secret in secrets:
            assert secret not in text, text


def test_connection_errors_and_logs_are_redacted() -> None:
    url = "postgresql://user:log-secret@127.0.0.1:1/db"
    remember_url(url)
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(url, connect_timeout=1)
    assert "log-secret" not in describe(caught.value)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "connecting to %s", (url,), None)
    line = _RedactingFormatter("%(message)s").format(record)
    assert "log-secret" not in line and "user:***@" in line


def test_a_short_password_standing_alone_is_masked() -> None:
    url = "postgresql://u:%z@127.0.0.1:1/db"
    with pytest.raises(ConfigError) as caught:
        check_url(url)
    assert '"***"' in str(caught.value) and "%z" not in str(caught.value)
