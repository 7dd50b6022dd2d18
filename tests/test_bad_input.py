"""The bad-input corpus: configs, arguments, database states and rows, each run through
the real ``execmetrics`` script.

A failure is one line on stderr naming the problem (``execmetrics: error: …``), the
documented exit code (README "Operations": 2 config/arguments, 3 database, 4 schema,
1 a group failed) and no traceback; a password never appears. A bad *row* is no failure:
collect exits 0 and counts it under its data-quality check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from exporter.migrate import migrate
from exporter.sqlfiles import read_sql
from exporter.vocabulary import Check
from tests.cli_support import (
    SECRET,
    assert_one_line_error,
    cli_env,
    dead_url,
    exposition_values,
    free_port,
    load_small_dataset,
    run_cli,
)
from tests.support import config as make_config
from tests.support import schema_objects

AT = "2024-06-15T12:00:00Z"


@dataclass(frozen=True)
class Case:
    """A config (YAML text or bytes), arguments, and the line the run must end with."""

    args: tuple[str, ...]
    code: int
    needle: str
    config: str | bytes | None = None
    files: dict[str, str | bytes] = field(default_factory=dict)  # name -> content in tmp
    url: str | None = None  # EXECMETRICS_DATABASE_URL; None: a closed port


def _yaml(text: str, *args: str, needle: str, code: int = 2) -> Case:
    return Case(args or ("collect",), code, needle, config=text)


def _setting(path: str, value: str, detail: str = "") -> Case:
    """One setting (a dotted path) given a YAML ``value``: the error names the path."""
    *parents, leaf = path.split(".")
    lines = [f"{'  ' * depth}{name}:" for depth, name in enumerate(parents)]
    text = "\n".join([*lines, f"{'  ' * len(parents)}{leaf}: {value}"]) + "\n"
    return _yaml(text, needle=path + detail)


AT_LEAST_1MS = ": Input should be greater than or equal to 0.001"
INT4 = ": Input should be less than or equal to 2147483647"

CONFIGS = {
    "target-date-past": _yaml(
        "targets:\n  date: 2020-01-31\n", needle="targets.date: 2020-01-31 is in the past"
    ),
    "target-date-malformed": _yaml(
        "targets:\n  date: 2027-13-01\n", needle="targets.date: not a date"
    ),
    "target-mrr-negative": _setting("targets.mrr", "-5"),
    "unknown-key": _setting("reporting.currncy", "GBP", ": unknown key"),
    "currency-not-iso": _yaml("reporting:\n  currency: XYZ\n", needle="'XYZ'"),
    "currency-lower-case": _yaml("reporting:\n  currency: gbp\n", needle="ISO 4217"),
    "currency-no-currency": _yaml("reporting:\n  currency: XXX\n", needle="'XXX'"),
    "currency-number": _setting("reporting.currency", "826"),
    "time-zone": _yaml("reporting:\n  timezone: Europe/Londn\n", needle="unknown time zone"),
    "interval-bool": _setting("groups.revenue.interval_seconds", "true"),
    "interval-string": _setting("refresh.interval_seconds", "'300'"),
    "timeout-under-1ms": _setting("groups.viral.timeout_seconds", "0.0004", AT_LEAST_1MS),
    "timeout-zero": _setting("groups.users.timeout_seconds", "0"),
    "statement-timeout-under-1ms": _setting("database.statement_timeout_seconds", "0.0001"),
    "session-cap-above-int4": _setting("engagement.session_cap", "3000000000", INT4),
    "session-cap-zero": _setting("engagement.session_cap", "0"),
    "session-cap-float": _setting("engagement.session_cap", "60.5"),
    "duplicate-top-level-key": _yaml(
        "reporting:\n  currency: GBP\nreporting:\n  currency: EUR\n",
        needle="duplicate key 'reporting' at line 3",
    ),
    "duplicate-nested-key": _yaml(
        "reporting:\n  currency: GBP\n  currency: EUR\n",
        needle="duplicate key 'currency' at line 3",
    ),
    "not-yaml": _yaml("reporting: [GBP\n", needle="not valid YAML"),
    "not-a-mapping": _yaml("- reporting\n", needle="expected a mapping"),
    "same-schema-twice": _yaml(
        "exporter:\n  schema: public\n", needle="exporter.schema and source.schema are both"
    ),
    "schema-not-identifier": _setting("source.schema", "Public"),
    "top-n-word": _setting("breakdowns.top_n", "ten"),
    "window-unit": _setting("viral.window", "30x"),
    "port-range": _setting("http.port", "70000"),
    "url-and-url-file": _yaml(
        "database:\n  url: postgresql:///x\n  url_file: /nonexistent\n",
        needle="either url or url_file",
    ),
    "config-not-utf8": Case(
        ("collect",), 2, "not UTF-8 text", config=b"reporting:\n  currency: \xff\xfe\n"
    ),
}


def _url_file(content: str | bytes, needle: str) -> Case:
    return Case(
        ("collect",),
        2,
        needle,
        config="database:\n  url_file: {tmp}/url\n",
        files={"url": content},
        url="",
    )


URL_FILES = {
    "url-file-not-utf8": _url_file(b"postgresql://u:\xff@127.0.0.1/x", "is not UTF-8 text"),
    "url-file-empty": _url_file("  \n", "is empty"),
}

ARGUMENTS = {
    "at-empty": Case(("collect", "--at", ""), 2, "--at: empty"),
    "at-year-9999": Case(
        ("collect", "--at", "9999-12-31T23:59Z"), 2, "outside the supported range"
    ),
    "at-year-1": Case(("collect", "--at", "0001-01-01"), 2, "outside the supported range"),
    "at-offset": Case(("collect", "--at", "2024-06-15T12:00+25:00"), 2, "--at: not an ISO 8601"),
    "at-words": Case(("collect", "--at", "last tuesday"), 2, "--at: not an ISO 8601"),
    "end-words": Case(("seed", "--end", "soon"), 2, "--end: not an ISO 8601"),
    "end-empty": Case(("seed", "--end", ""), 2, "--end: empty"),
    "end-year-1": Case(("seed", "--end", "0001-01-01"), 2, "--end:"),
    "log-level": Case(("--log-level", "loud", "collect"), 2, "--log-level"),
    "listen-empty": Case(("serve", "--listen", ""), 2, "--listen"),
    "scale": Case(("demo", "--scale", "galactic"), 2, "galactic"),
    "missing-config-file": Case(("--config", "/nonexistent/x.yml", "collect"), 2, "x.yml"),
}

_PW = SECRET
URLS = {
    "url-bad-percent-encoding": Case(
        ("collect",), 2, "invalid percent-encoded token", url=f"postgresql://u:{_PW}%zz@127.0.0.1/x"
    ),
    "url-space-in-password": Case(
        ("migrate",), 2, "unexpected spaces", url=f"postgresql://u:{_PW} x@127.0.0.1/x"
    ),
    "url-without-colon": Case(
        ("collect",), 2, 'missing "="', url=f"postgresql//u:{_PW}@127.0.0.1:5/x"
    ),
    "url-key-value-bad-option": Case(
        ("collect",),
        2,
        'invalid connection option "bogus"',
        url=f"host=127.0.0.1 password={_PW} bogus=1",
    ),
    "url-key-value-unterminated": Case(
        ("collect",), 2, "unterminated quoted string", url=f"host=127.0.0.1 password='{_PW} x"
    ),
    "url-ipv6-unterminated": Case(
        ("collect",), 2, "IPv6 host address", url=f"postgresql://u:{_PW}@[::1:5/x"
    ),
    "database-closed-port": Case(("collect",), 3, "database unreachable"),
    "database-invalid-host": Case(
        ("migrate",), 3, "database unreachable", url=f"postgresql://u:{_PW}@db.invalid:5432/x"
    ),
    "database-key-value-closed-port": Case(
        ("collect",), 3, "Connection refused", url="host=127.0.0.1 port={port} password=" + _PW
    ),
}

ALL = {**CONFIGS, **URL_FILES, **ARGUMENTS, **URLS}


@pytest.mark.parametrize("case", ALL.values(), ids=ALL.keys())
def test_bad_config_or_argument(case: Case, tmp_path: Path) -> None:
    for name, content in case.files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    args: list[str] = []
    if case.config is not None:
        path = tmp_path / "config.yml"
        raw = (
            case.config
            if isinstance(case.config, bytes)
            else case.config.format(tmp=tmp_path).encode()
        )
        path.write_bytes(raw)
        args = ["--config", str(path)]
    url = dead_url() if case.url is None else case.url.replace("{port}", str(free_port()))
    env = (
        cli_env(url)
        if url
        else {k: v for k, v in cli_env().items() if k != "EXECMETRICS_DATABASE_URL"}
    )
    port = str(free_port())
    proc = run_cli(*args, *(a.replace("{port}", port) for a in case.args), env=env)
    line = assert_one_line_error(proc, case.code)
    assert case.needle in line, line
    assert SECRET not in proc.stderr + proc.stdout


# --------------------------------------------------------------------------- database states


def _exec(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[arg-type]


def _reference(url: str) -> None:
    _exec(url, read_sql("reference/source_tables.sql"))


def _migrated(url: str) -> None:
    migrate(url, make_config(), create_source_tables=True)


Setup = Callable[[str], None]


def _nothing(url: str) -> None:
    """An empty database."""


def _then(first: Setup, *statements: str) -> Setup:
    """``first``, then ``statements``."""

    def setup(url: str) -> None:
        first(url)
        _exec(url, *statements)

    return setup


def _retyped(table: str, column: str) -> Setup:
    """Migrated, then the view layer dropped and ``table.column`` turned into text."""

    def setup(url: str) -> None:
        _migrated(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA execmetrics CASCADE")
            conn.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE text").format(
                    sql.Identifier(table), sql.Identifier(column)
                )
            )

    return setup


@dataclass(frozen=True)
class State:
    """A database state, the command run on it (with a file of STATE_CONFIGS as its
    config), the exit code and a fragment of the one-line error."""

    setup: Setup
    command: str
    needle: str
    config: str | None = None
    code: int = 4

    def args(self) -> tuple[str, ...]:
        config = () if self.config is None else ("--config", "{tmp}/" + self.config)
        serve = ("serve", "--listen", "127.0.0.1:{port}")
        return (*config, *(serve if self.command == "serve" else (self.command,)))


NO_SOURCE = "holds none of the source tables"
PUBIC = "source schema 'pubic' does not exist"
NOT_MIGRATED = "is not migrated: run `execmetrics migrate`"
FOREIGN = ("CREATE SCHEMA execmetrics", "CREATE VIEW execmetrics.v AS SELECT 1")
FUTURE = "INSERT INTO execmetrics.schema_migrations VALUES (999, 'future', 'x')"
RETYPED = {  # name: (table, column, command)
    "wrong-type-amount": ("subscriptions", "amount_minor", "migrate"),
    "wrong-type-after-migrate": ("suppliers", "created_at", "collect"),
}

STATES: dict[str, State] = {
    "empty-database-collect": State(_nothing, "collect", NO_SOURCE),
    "empty-database-migrate": State(_nothing, "migrate", NO_SOURCE),
    "empty-database-serve": State(_nothing, "serve", NO_SOURCE),
    "source-schema-typo": State(_reference, "migrate", PUBIC, "pubic.yml"),
    "source-schema-typo-collect": State(_migrated, "collect", PUBIC, "pubic.yml"),
    "partial-source": State(
        _then(_nothing, "CREATE TABLE suppliers (id bigint)"),
        "migrate",
        "lacks the table(s) couples",
    ),
    "missing-column": State(
        _then(_reference, "ALTER TABLE invitations DROP COLUMN channel"),
        "migrate",
        "public.invitations lacks the column(s) channel",
    ),
    **{
        name: State(_retyped(table, column), command, f"public.{table}.{column} has type text")
        for name, (table, column, command) in RETYPED.items()
    },
    "not-migrated": State(_reference, "collect", NOT_MIGRATED),
    "not-migrated-serve": State(_reference, "serve", NOT_MIGRATED),
    "other-currency": State(
        _migrated, "collect", "reporting.currency GBP (config: EUR)", "eur.yml"
    ),
    "other-session-cap": State(
        _migrated, "collect", "engagement.session_cap 14400 (config: 60)", "cap.yml"
    ),
    "behind": State(
        _then(_migrated, "DELETE FROM execmetrics.schema_migrations"), "collect", "is behind"
    ),
    "newer-release": State(_then(_migrated, FUTURE), "collect", "newer release"),
    "outdated-view-layer": State(
        _then(_migrated, "UPDATE execmetrics.view_layer SET checksum = 'old'"),
        "collect",
        "outdated view layer",
    ),
    "foreign-objects": State(
        _then(_reference, *FOREIGN), "migrate", "holds objects migrate did not create (view v)"
    ),
    "unknown-database": State(_nothing, "collect", 'database "no_such_db" does not exist', code=3),
}

STATE_CONFIGS = {
    "pubic.yml": "source:\n  schema: pubic\n",
    "eur.yml": "reporting:\n  currency: EUR\n",
    "cap.yml": "engagement:\n  session_cap: 60\n",
}


@pytest.mark.parametrize("name", STATES.keys())
def test_bad_database_state(name: str, db_url: str, tmp_path: Path) -> None:
    state = STATES[name]
    state.setup(db_url)
    for file, text in STATE_CONFIGS.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    url = db_url
    if name == "unknown-database":
        url = psycopg.conninfo.make_conninfo(db_url, dbname="no_such_db", password=SECRET)
    before = schema_objects(db_url)
    port = str(free_port())
    args = (a.format(tmp=tmp_path, port=port) for a in state.args())
    proc = run_cli(*args, env=cli_env(url))
    line = assert_one_line_error(proc, state.code)
    assert state.needle in line, line
    assert SECRET not in proc.stderr
    assert schema_objects(db_url) == before, "a refused command changed the schema"


def test_a_statement_timeout_is_reported_as_a_timeout(db_url: str, tmp_path: Path) -> None:
    """Groups blocked by a lock past their timeout: exit 1, one line per group that
    reads the locked table, each naming its group and saying 'statement timeout'."""
    _migrated(db_url)
    config = tmp_path / "config.yml"
    config.write_text(
        "groups:\n  revenue:\n    timeout_seconds: 0.5\n  quality:\n    timeout_seconds: 0.5\n"
        "  growth:\n    timeout_seconds: 0.5\n",
        encoding="utf-8",
    )
    locked = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with psycopg.connect(db_url) as conn:
            conn.execute("LOCK TABLE subscriptions IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        proc = run_cli("--config", str(config), "collect", "--at", AT, env=cli_env(db_url))
    finally:
        release.set()
        holder.join()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert {ln.split(":")[2].strip() for ln in lines} == {
        "group revenue",
        "group quality",
        "group growth",
    }
    for line in lines:
        assert "statement timeout" in line and "unreachable" not in line, line


# --------------------------------------------------------------------------- rows


ROWS: dict[str, tuple[str, Check]] = {
    "fx-rate-nan": (
        "INSERT INTO fx_rates VALUES ('EUR', '2020-01-01', 'NaN')",
        Check.FX_RATE_INVALID,
    ),
    "fx-rate-infinity": (
        "INSERT INTO fx_rates VALUES ('EUR', '2020-01-01', 'Infinity')",
        Check.FX_RATE_INVALID,
    ),
    "fx-rate-zero": ("INSERT INTO fx_rates VALUES ('USD', '2020-01-01', 0)", Check.FX_RATE_INVALID),
    "negative-amount": (
        "INSERT INTO subscriptions VALUES (90, 1, 'x', 'active', -5, 'GBP', 1, '2024-01-01', NULL, NULL)",
        Check.SUBSCRIPTION_NEGATIVE_AMOUNT,
    ),
    "ended-before-started": (
        "INSERT INTO subscriptions VALUES (91, 1, 'x', 'active', 5, 'GBP', 1, '2024-01-02', NULL,"
        " '2024-01-01')",
        Check.SUBSCRIPTION_ENDED_BEFORE_STARTED,
    ),
    "interval-zero": (
        "INSERT INTO subscriptions VALUES (92, 1, 'x', 'active', 5, 'GBP', 0, '2024-01-01', NULL, NULL)",
        Check.SUBSCRIPTION_INVALID_INTERVAL,
    ),
    "no-rate": (
        "INSERT INTO subscriptions VALUES (93, 1, 'x', 'active', 5, 'JPY', 1, '2024-01-01', NULL, NULL)",
        Check.SUBSCRIPTION_MISSING_FX_RATE,
    ),
    "session-both-users": (
        "INSERT INTO user_sessions VALUES (90, 1, 10, '2024-06-15 11:00Z', 60)",
        Check.SESSION_USER_NOT_EXACTLY_ONE,
    ),
    "session-negative-duration": (
        "INSERT INTO user_sessions VALUES (91, 1, NULL, '2024-06-15 11:00Z', -60)",
        Check.SESSION_NONPOSITIVE_DURATION,
    ),
    "accepted-before-sent": (
        "INSERT INTO invitations VALUES (90, 1, 10, 'email', '2024-06-10Z', '2024-06-09Z')",
        Check.INVITATION_ACCEPTED_BEFORE_SENT,
    ),
    "created-in-year-9999": (
        "INSERT INTO suppliers VALUES (90, '9999-12-31 23:59Z', NULL, 'x', NULL)",
        Check.TIMESTAMP_IN_FUTURE,
    ),
}


@pytest.mark.parametrize("name", ROWS.keys())
def test_bad_row_is_counted_never_a_failure(name: str, db_url: str) -> None:
    statement, check = ROWS[name]
    _migrated(db_url)
    load_small_dataset(db_url)
    _exec(db_url, statement)
    proc = run_cli("collect", "--at", AT, env=cli_env(db_url))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    values = exposition_values(proc.stdout)
    assert values[("execmetrics_data_quality_issues", (("check", check.value),))] == 1
    assert all(v == v and abs(v) != float("inf") for v in values.values())


def test_corpus_size() -> None:
    assert len(ALL) + len(STATES) + len(ROWS) + 1 >= 40


@pytest.mark.parametrize(("level", "shown"), [(None, True), ("error", False), ("debug", True)])
def test_serve_honours_log_level(db_url: str, level: str | None, shown: bool) -> None:
    import subprocess
    import time

    import httpx

    from tests.cli_support import execmetrics_bin

    _migrated(db_url)
    port = free_port()
    args = [execmetrics_bin(), *(["--log-level", level] if level else []), "serve"]
    proc = subprocess.Popen(
        [*args, "--listen", f"127.0.0.1:{port}"],
        env=cli_env(db_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert ("serving on http://127.0.0.1" in stderr) is shown, stderr
    assert "Traceback" not in stderr
