"""The real ``execmetrics`` console script, run as a subprocess.

Bad input of any kind ends with exactly one line on stderr starting
``execmetrics: error:``, a non-zero exit code and no traceback; the good paths
(migrate, collect) print what SPEC §5 promises.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.cli_support import (
    EXPECTED_MRR,
    EXPECTED_MRR_M1,
    SECRET,
    T,
    assert_one_line_error,
    cli_env,
    dead_url,
    exposition_values,
    load_small_dataset,
    run_cli,
)
from tests.support import MIGRATIONS, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sql_exec(url: str, statement: str, params: tuple[object, ...] | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]


@contextmanager
def fake_postgres_refusing_password() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server speaking just enough of the PostgreSQL protocol to ask for a password
    and refuse it, as a server with password authentication does (SQLSTATE 28P01)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = int(server.getsockname()[1])
    received: list[bytes] = []
    stop = threading.Event()

    def recv_exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            while True:
                length, code = struct.unpack("!ii", recv_exact(conn, 8))
                recv_exact(conn, length - 8)
                if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: not here
                    conn.sendall(b"N")
                    continue
                break  # the startup message
            conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            recv_exact(conn, 1)
            (length,) = struct.unpack("!i", recv_exact(conn, 4))
            received.append(recv_exact(conn, length - 4))
            fields = (
                b"SFATAL\0VFATAL\0C28P01\0"
                b'Mpassword authentication failed for user "execmetrics"\0\0'
            )
            conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with suppress(OSError, ConnectionError, struct.error):
                handle(conn)

    thread = threading.Thread(target=serve, name="fake-postgres", daemon=True)
    thread.start()
    try:
        yield port, received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


# --------------------------------------------------------------------------- bad input


def test_bad_config_path(tmp_path: Path) -> None:
    proc = run_cli("--config", str(tmp_path / "missing.yml"), "collect")
    line = assert_one_line_error(proc, 2)
    assert "missing.yml: cannot read config" in line


def test_invalid_yaml(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yml", "reporting:\n  timezone: [UTC\n")
    line = assert_one_line_error(run_cli("--config", str(config), "migrate"), 2)
    assert "not valid YAML at line" in line


def test_unknown_key(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yml", "reporting:\n  timzone: Europe/London\n")
    line = assert_one_line_error(run_cli("--config", str(config), "collect"), 2)
    assert line.endswith("reporting.timzone: unknown key")


def test_bad_time_zone(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yml", "reporting:\n  timezone: Europe/Londn\n")
    line = assert_one_line_error(run_cli("--config", str(config), "serve"), 2)
    assert line.endswith("reporting.timezone: unknown time zone 'Europe/Londn'")


def test_missing_url_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yml", f"database:\n  url_file: {tmp_path / 'secret'}\n")
    env = cli_env()
    del env["EXECMETRICS_DATABASE_URL"]
    line = assert_one_line_error(run_cli("--config", str(config), "migrate", env=env), 2)
    assert "database.url_file: cannot read" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("collect", "--at", "yesterday"), "--at: not an ISO 8601 instant: 'yesterday'"),
        (("collect", "--at", "2024-13-01T00:00:00Z"), "--at"),
        (("serve", "--listen", "nonsense"), "--listen: expected HOST:PORT"),
        (("serve", "--listen", "127.0.0.1:70000"), "--listen"),
        (("frobnicate",), "No such command 'frobnicate'"),
        (("collect", "--frobnicate"), "No such option"),
        (("seed", "--scale", "huge"), "huge"),
    ],
    ids=["at-words", "at-month-13", "listen-words", "listen-port", "command", "option", "scale"],
)
def test_bad_arguments(args: tuple[str, ...], needle: str) -> None:
    line = assert_one_line_error(run_cli(*args), 2)
    assert needle in line


# serve does not exit on a database that is down: it waits and retries
# (tests/test_faults.py).
@pytest.mark.parametrize("command", ["migrate", "collect"])
def test_database_down(command: str) -> None:
    url = dead_url()
    args = [command]
    line = assert_one_line_error(run_cli(*args, env=cli_env(url)), 3)
    assert line.startswith("execmetrics: error: database unreachable: ")
    assert "Connection refused" in line
    assert SECRET not in line


def test_wrong_password() -> None:
    with fake_postgres_refusing_password() as (port, received):
        url = f"postgresql://execmetrics:{SECRET}@127.0.0.1:{port}/platform?sslmode=disable"
        proc = run_cli("migrate", env=cli_env(url))
        debug = run_cli("--log-level", "debug", "collect", env=cli_env(url))
    line = assert_one_line_error(proc, 3)
    assert "password authentication failed" in line
    assert received and SECRET.encode() in received[0]  # the server did get the password...
    assert SECRET not in proc.stderr + proc.stdout  # ... and the user never sees it
    assert SECRET not in debug.stderr + debug.stdout  # not even in debug logs
    assert debug.returncode == 3


def test_unknown_role(db_url: str) -> None:
    url = psycopg.conninfo.make_conninfo(db_url, user="no_such_role", password=SECRET)
    line = assert_one_line_error(run_cli("collect", env=cli_env(url)), 3)
    assert 'role "no_such_role" does not exist' in line
    assert SECRET not in line


def test_unknown_database(db_url: str) -> None:
    url = psycopg.conninfo.make_conninfo(db_url, dbname="no_such_db")
    line = assert_one_line_error(run_cli("migrate", env=cli_env(url)), 3)
    assert 'database "no_such_db" does not exist' in line


@pytest.mark.parametrize("command", ["migrate", "collect"])
def test_partial_source_schema_names_the_missing_tables(db_url: str, command: str) -> None:
    sql_exec(db_url, "CREATE TABLE suppliers (id bigint PRIMARY KEY, created_at timestamptz)")
    line = assert_one_line_error(run_cli(command, env=cli_env(db_url)), 4)
    assert "lacks the table(s) couples, subscriptions, fx_rates, user_sessions, invitations" in line
    assert "(it has suppliers)" in line
    with psycopg.connect(db_url) as conn:  # nothing was created, nothing was altered
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
    assert tables == {"suppliers"}
    assert "execmetrics" not in schemas


def test_listen_address_in_use(db_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        proc = run_cli("serve", "--listen", f"127.0.0.1:{port}", env=cli_env(db_url))
    line = assert_one_line_error(proc, 2)
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "in use" in line


# --------------------------------------------------------------------------- good paths


def test_migrate_twice_is_idempotent(db_url: str) -> None:
    env = cli_env(db_url)
    first = run_cli("migrate", "--create-source-tables", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert "created the reference source tables in 'public'" in first.stdout
    assert "applied V001__settings.sql" in first.stdout
    assert "rebuilt the view layer" in first.stdout

    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == (
        f"migrate: schema version {SCHEMA_VERSION}; view layer current"
    )
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT version, name FROM execmetrics.schema_migrations").fetchall()
    assert rows == MIGRATIONS

    notify = run_cli("migrate", "--notify", env=env)
    assert notify.returncode == 0, notify.stderr
    assert notify.stdout.strip() == (
        f"migrate: schema version {SCHEMA_VERSION}; view layer current; change triggers on "
        "couples, fx_rates, invitations, subscriptions, suppliers, user_sessions"
    )
    removed = run_cli("migrate", "--no-notify", env=env)
    assert removed.stdout.strip().endswith("; no change triggers"), removed.stdout


def test_collect_on_a_freshly_loaded_database(db_url: str) -> None:
    env = cli_env(db_url)
    assert run_cli("migrate", "--create-source-tables", env=env).returncode == 0
    load_small_dataset(db_url)
    proc = run_cli("collect", "--at", "2024-06-15T12:00:00Z", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    values = exposition_values(proc.stdout)

    def v(name: str, **labels: str) -> float:
        return values[("execmetrics_" + name, tuple(sorted(labels.items())))]

    assert v("mrr", currency="GBP") == pytest.approx(EXPECTED_MRR)
    assert v("arr", currency="GBP") == pytest.approx(12 * EXPECTED_MRR)
    assert v("mrr_growth_ratio") == pytest.approx(
        (EXPECTED_MRR - EXPECTED_MRR_M1) / EXPECTED_MRR_M1
    )
    assert v("customer_churn_ratio") == pytest.approx(0.5)
    assert v("mrr_movement", currency="GBP", movement="churn") == pytest.approx(50.0)
    assert v("mrr_movement", currency="GBP", movement="new") == pytest.approx(10.0)
    assert v("paying_suppliers") == 2
    assert v("registered_users", user_type="supplier") == 2
    assert v("registered_users", user_type="couple") == 2
    assert v("signups_today", user_type="supplier") == 1
    assert v("active_users", user_type="couple", window="1d") == 1
    assert v("active_users", user_type="couple", window="7d") == 2
    assert v("viral_coefficient", window="30d") == pytest.approx(1.0)
    assert v("invitation_conversion_ratio", window="30d") == pytest.approx(0.5)
    assert v("session_duration_average_seconds") == pytest.approx(900.0)
    for group in ("revenue", "users", "viral", "engagement", "quality"):
        assert v("group_last_run_success", group=group) == 1.0
        assert v("group_evaluation_timestamp_seconds", group=group) == T.timestamp()


def test_collect_at_a_past_instant_counts_no_row_stamped_since(db_url: str) -> None:
    # SPEC §3: collect --at reads the wall clock of its run (now); a row stamped after a
    # past T but before now is no issue, one stamped more than 5 minutes from now is.
    env = cli_env(db_url)
    assert run_cli("migrate", "--create-source-tables", env=env).returncode == 0
    load_small_dataset(db_url)
    future = ("execmetrics_data_quality_issues", (("check", "timestamp_in_future"),))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO suppliers (id, created_at) VALUES (90, %s)", (T + timedelta(days=1),)
        )
    proc = run_cli("collect", "--at", T.isoformat(), env=env)
    assert proc.returncode == 0, proc.stderr
    assert exposition_values(proc.stdout)[future] == 0
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO suppliers (id, created_at) VALUES (91, %s)",
            (datetime.now(UTC) + timedelta(days=1),),
        )
    proc = run_cli("collect", "--at", T.isoformat(), env=env)
    assert proc.returncode == 0, proc.stderr
    assert exposition_values(proc.stdout)[future] == 1


def test_collect_never_migrates_it_says_to_run_migrate(db_url: str) -> None:
    reference = (ROOT / "sql" / "reference" / "source_tables.sql").read_text(encoding="utf-8")
    with psycopg.connect(db_url) as conn:
        conn.execute(reference)  # type: ignore[arg-type]
    load_small_dataset(db_url)
    refused = run_cli("collect", "--at", "2024-06-15T12:00:00+00:00", env=cli_env(db_url))
    line = assert_one_line_error(refused, 4)
    assert "is not migrated: run `execmetrics migrate`" in line
    with psycopg.connect(db_url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
    assert "execmetrics" not in schemas
    assert run_cli("migrate", env=cli_env(db_url)).returncode == 0
    proc = run_cli("collect", "--at", "2024-06-15T12:00:00+00:00", env=cli_env(db_url))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    values = exposition_values(proc.stdout)
    assert values[("execmetrics_mrr", (("currency", "GBP"),))] == pytest.approx(EXPECTED_MRR)
    with psycopg.connect(db_url) as conn:
        version = conn.execute("SELECT max(version) FROM execmetrics.schema_migrations").fetchone()
    assert version == (SCHEMA_VERSION,)


def test_collect_with_the_shipped_example_config(db_url: str) -> None:
    env = cli_env(db_url)
    example = str(ROOT / "examples" / "config.yml")
    assert (
        run_cli("--config", example, "migrate", "--create-source-tables", env=env).returncode == 0
    )
    load_small_dataset(db_url)
    proc = run_cli("--config", example, "collect", "--at", "2024-06-15T13:00:00+01:00", env=env)
    assert proc.returncode == 0, proc.stderr
    values = exposition_values(proc.stdout)
    assert values[("execmetrics_mrr", (("currency", "GBP"),))] == pytest.approx(EXPECTED_MRR)


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and "execmetrics" in version.stdout
    help_text = run_cli("--help")
    assert help_text.returncode == 0
    for command in ("migrate", "seed", "collect", "serve"):
        assert command in help_text.stdout
