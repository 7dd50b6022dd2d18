"""The open network: TLS and basic auth from a web-config file, half-open connections,
security headers and safe links on the landing page."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 but still supports httpx
    warnings.filterwarnings("ignore", message=r".*httpx2")
    from starlette.testclient import TestClient

from exporter.config import parse_config
from exporter.errors import ConfigError
from exporter.migrate import migrate
from exporter.serve.http import create_app
from exporter.serve.landing import http_link
from exporter.serve.webconfig import load_web_config
from exporter.store import Store
from tests.cli_support import assert_one_line_error, cli_env, load_small_dataset, run_cli
from tests.processes import Serve, eventually, serve_process, write_config

PASSWORD = "correct horse battery staple"


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="execmetrics-security-") as tmp:
        yield Path(tmp)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written into ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "execmetrics test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "tls.crt", folder / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def web_config(folder: Path, *, tls: bool = True, users: bool = True) -> Path:
    settings: dict[str, object] = {}
    if tls:
        self_signed(folder)
        settings["tls_server_config"] = {"cert_file": "tls.crt", "key_file": "tls.key"}
    if users:
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        settings["basic_auth_users"] = {"prometheus": hashed.replace("$2b$", "$2y$", 1)}
    path = folder / "web.yml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- web config


def test_web_config_reads_the_exporter_toolkit_format(folder: Path) -> None:
    web = load_web_config(web_config(folder))
    assert web.tls_server_config is not None
    assert web.tls_server_config.cert_file == folder / "tls.crt"
    assert web.check_password("prometheus", PASSWORD)
    assert not web.check_password("prometheus", "wrong")
    assert not web.check_password("nobody", PASSWORD)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: x\n",
            "tls_server_config.client_auth_type: unknown or unsupported key",
        ),
        ("http_server_config:\n  http2: true\n", "http_server_config: unknown or unsupported"),
        ("basic_auth_users:\n  alice: plaintext\n", "must be a bcrypt hash"),
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
            "cannot load the certificate or key",
        ),
        ("- a list\n", "expected a mapping"),
        ("basic_auth_users: {a: [\n", "not valid YAML"),
    ],
    ids=["unsupported-key", "unknown-section", "plain-password", "missing-files", "list", "yaml"],
)
def test_bad_web_config_is_one_line_exit_2(folder: Path, text: str, needle: str) -> None:
    path = folder / "web.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_web_config(path)
    assert needle in str(caught.value)
    line = assert_one_line_error(run_cli("serve", "--web-config", str(path), env=cli_env()), 2)
    assert needle in line


# --------------------------------------------------------------------------- real server


@pytest.fixture
def dataset(db_url: str) -> str:
    migrate(db_url, parse_config({}), create_source_tables=True)
    load_small_dataset(db_url)
    return db_url


def _ready(server: Serve, **kw: object) -> None:
    eventually(lambda: server.get("/-/ready", **kw).status_code == 200, 40, "ready")


def test_tls_and_basic_auth(dataset: str, folder: Path) -> None:
    path = web_config(folder)
    ca = ssl.create_default_context(cafile=str(folder / "tls.crt"))
    with serve_process(dataset, folder, "--web-config", str(path)) as server:
        assert server.base_url.startswith("https://")
        _ready(server, verify=ca)  # the probes need no password
        right = server.get("/metrics", verify=ca, auth=("prometheus", PASSWORD))
        assert right.status_code == 200
        assert "execmetrics_mrr" in right.text
        wrong = server.get("/metrics", verify=ca, auth=("prometheus", "wrong"))
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith("Basic ")
        assert server.get("/metrics", verify=ca).status_code == 401
        assert server.get("/", verify=ca, auth=("nobody", PASSWORD)).status_code == 401
        assert server.get("/", verify=ca, auth=("prometheus", PASSWORD)).status_code == 200
        # The live cards' script and stream need the password too, and stream over TLS.
        assert server.get("/events", verify=ca).status_code == 401
        assert server.get("/live.js", verify=ca).status_code == 401
        with httpx.stream(
            "GET", server.base_url + "/events", verify=ca, auth=("prometheus", PASSWORD)
        ) as stream:
            assert stream.status_code == 200
            assert next(stream.iter_lines()) == "retry: 3000"
        # Plain HTTP to the TLS port gets no answer.
        plain = server.base_url.replace("https://", "http://")
        with pytest.raises(httpx.TransportError):
            httpx.get(plain + "/metrics", timeout=5)
        # An unverified client still gets TLS, and still needs the password.
        assert server.get("/metrics", verify=False).status_code == 401
        status = server.stop()
    assert status == 0
    assert "Traceback" not in server.stderr()
    assert PASSWORD not in server.stderr()


def _half_open(address: tuple[str, int], count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        s = socket.create_connection(address, timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
        held.append(s)
    return held


def test_half_open_connections_neither_stop_scrapes_nor_flood_the_log(
    dataset: str, folder: Path
) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2600:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    config = write_config(folder, {"http": {"header_timeout_seconds": 3}})
    with serve_process(dataset, folder, config=config) as server:
        _ready(server)
        port = int(server.base_url.rsplit(":", 1)[1])
        held = _half_open(("127.0.0.1", port), 2000)
        try:
            started = time.monotonic()
            scrapes = [server.get("/metrics", timeout=5).status_code for _ in range(20)]
            assert scrapes == [200] * 20
            assert time.monotonic() - started < 15
            # The header timeout closes every one of them (bounded wait).
            deadline = time.monotonic() + 20
            closed = 0
            for s in held:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    if s.recv(1) == b"":
                        closed += 1
                except ConnectionResetError:
                    closed += 1  # closed by the server with a reset
                except TimeoutError:
                    pass
            assert closed >= 1900, closed
        finally:
            for s in held:
                s.close()
        assert server.get("/metrics").status_code == 200
        server.stop()
    log = server.stderr().splitlines()
    assert "Traceback" not in "\n".join(log)
    assert len(log) < 40, log[-20:]


# --------------------------------------------------------------------------- landing page


def test_landing_page_security_headers() -> None:
    config = parse_config({"http": {"grafana_url": "https://grafana.example.com/d/x"}})
    with TestClient(create_app(Store(("revenue",)), config)) as client:
        r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert 'href="https://grafana.example.com/d/x"' in r.text


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "//evil", "ftp://x"]
)
def test_only_http_links(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"http": {"grafana_url": url}})
    assert "http.grafana_url" in str(caught.value)
    assert http_link(url) is None
    assert http_link("http://grafana:3000/") == "http://grafana:3000/"
