"""Grafana over its HTTP API (``grafana-client``): the token, the error translation and
``grafana push`` (boards into a folder, the Prometheus datasource, the PostgreSQL
datasource when ``grafana.postgres_password_file`` is set, an annotation).

Push is idempotent: the folder, the datasources and every board are addressed by uid and
overwritten; ``--dry-run`` only reads and says what it would create or update. The
PostgreSQL password goes to Grafana in ``secureJsonData`` only: never in a plan line.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from exporter.config import Config
from exporter.errors import ConfigError, ServiceError

TOKEN_ENV = "EXECMETRICS_GRAFANA_TOKEN"
PROMETHEUS_UID = "execmetrics-prometheus"
# The PostgreSQL datasource the boards' SQL panels default to (dashboards/datasources.py).
POSTGRES_UID = "execmetrics-postgres"
POSTGRES_TYPE = "grafana-postgresql-datasource"
POSTGRES_NAME = "PostgreSQL (execmetrics)"
READER = "grafana_reader"
# Grafana's sslmode values; a URL without one: disable on this host, else require.
_SSLMODES = ("disable", "require", "verify-ca", "verify-full")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
ANNOTATION_TAGS = ["execmetrics", "deploy"]

# The built boards: inside the wheel (exporter/grafana/boards), else the repository's.
_PACKAGED_BOARDS = Path(__file__).resolve().parent / "boards"
_REPOSITORY_BOARDS = Path(__file__).resolve().parent.parent.parent / "dashboards"


def token(config: Config, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get(TOKEN_ENV):
        return env[TOKEN_ENV].strip()
    path = config.grafana.token_file
    if path is None:
        raise ConfigError(f"no Grafana token: set {TOKEN_ENV} or grafana.token_file")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"grafana.token_file: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ConfigError(f"grafana.token_file: {path} is empty")
    return text


def grafana_url(config: Config) -> str:
    if not config.grafana.url:
        raise ConfigError("grafana.url is not set")
    return config.grafana.url.rstrip("/")


def client(config: Config) -> Any:
    from grafana_client import GrafanaApi

    return GrafanaApi.from_url(
        grafana_url(config), credential=token(config), timeout=config.grafana.timeout_seconds
    )


@contextlib.contextmanager
def translated(what: str, where: str) -> Iterator[None]:
    """Grafana's and the transport's exceptions as one line naming ``what`` failed."""
    import niquests
    from grafana_client.client import GrafanaException, GrafanaUnauthorizedError

    try:
        yield
    except GrafanaUnauthorizedError:
        raise ServiceError(f"{what}: Grafana at {where} refused the token (HTTP 401)") from None
    except GrafanaException as exc:
        if exc.status_code == 0:
            raise ServiceError(f"{what}: Grafana at {where} is unreachable") from None
        detail = exc.message if isinstance(exc.message, str) else ""
        raise ServiceError(
            f"{what}: Grafana at {where} answered HTTP {exc.status_code}"
            + (f": {detail.splitlines()[0][:200]}" if detail else "")
        ) from None
    except niquests.exceptions.RequestException as exc:
        raise ServiceError(
            f"{what}: Grafana at {where} is unreachable ({type(exc).__name__})"
        ) from None


def boards_dir(explicit: Path | None = None) -> Path:
    folder = explicit or next(
        (f for f in (_PACKAGED_BOARDS, _REPOSITORY_BOARDS) if f.is_dir()), _PACKAGED_BOARDS
    )
    if not folder.is_dir() or not list(folder.glob("*.json")):
        raise ConfigError(f"--boards: no board JSON files in {folder}")
    return folder


def load_boards(folder: Path) -> list[dict[str, Any]]:
    boards = []
    for path in sorted(folder.glob("*.json")):
        try:
            board = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a readable board: {exc}") from None
        if not isinstance(board, dict) or not board.get("uid"):
            raise ConfigError(f"{path}: a board needs a uid")
        boards.append(board)
    return boards


def prometheus_datasource(config: Config) -> dict[str, Any]:
    return {
        "uid": PROMETHEUS_UID,
        "name": "Prometheus",
        "type": "prometheus",
        "access": "proxy",
        "url": config.grafana.datasource_url or config.grafana.prometheus_url,
        "isDefault": True,
        "jsonData": {"httpMethod": "POST", "timeInterval": "30s"},
    }


def postgres_password(config: Config) -> str | None:
    """grafana_reader's password from ``grafana.postgres_password_file`` (one trailing
    newline dropped); None when the key is not set."""
    path = config.grafana.postgres_password_file
    if path is None:
        return None
    what = "grafana.postgres_password_file"
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what}: {path} is not UTF-8 text (byte {exc.start})") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise ConfigError(f"{what}: {path} is empty")
    return text


@dataclass(frozen=True)
class PostgresTarget:
    """Where Grafana's PostgreSQL datasource logs in: no password here."""

    host: str  # host:port
    database: str
    sslmode: str

    def __str__(self) -> str:
        return f"{READER}@{self.host}/{self.database}"


def postgres_target(config: Config) -> PostgresTarget:
    """Host, port, database and sslmode of the configured database URL (or
    ``grafana.postgres_host``), as Grafana's datasource takes them."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(config.database_url())
    except ProgrammingError:  # its message may quote the URL, password and all
        raise ConfigError("database URL: not a PostgreSQL connection URL") from None
    host = str(params.get("host") or "localhost").split(",")[0]
    port = str(params.get("port") or "5432").split(",")[0]
    database = str(params.get("dbname") or params.get("user") or "postgres")
    sslmode = str(params.get("sslmode") or "")
    if sslmode not in _SSLMODES:
        sslmode = "disable" if host in _LOCAL_HOSTS or host.startswith("/") else "require"
    if config.grafana.postgres_host is not None:
        address = config.grafana.postgres_host
        if ":" not in address:
            address = f"{address}:5432"
    elif host.startswith("/"):
        raise ConfigError(
            "grafana.postgres_host: needed when the database URL connects through a "
            f"socket ({host}), which Grafana cannot reach"
        )
    else:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return PostgresTarget(address, database, sslmode)


def postgres_datasource(target: PostgresTarget, password: str) -> dict[str, Any]:
    return {
        "uid": POSTGRES_UID,
        "name": POSTGRES_NAME,
        "type": POSTGRES_TYPE,
        "access": "proxy",
        "url": target.host,
        "user": READER,
        "isDefault": False,
        "jsonData": {
            "database": target.database,
            "sslmode": target.sslmode,
            "postgresVersion": 1500,
            "timescaledb": False,
            "maxOpenConns": 5,
            "maxIdleConns": 2,
            "connMaxLifetime": 14400,
        },
        "secureJsonData": {"password": password},
    }


@dataclass
class PushPlan:
    """What a push does (or, dry, would do): one line per object."""

    actions: list[str] = field(default_factory=list)
    # Set when a dry run could not read Grafana: the plan is a push into an empty one.
    offline: str | None = None

    def add(self, verb: str, kind: str, name: str, detail: str = "") -> None:
        self.actions.append(f"{verb} {kind} {name}" + (f" {detail}" if detail else ""))


def _exists(call: Any, *args: Any) -> Any | None:
    from grafana_client.client import GrafanaClientError

    try:
        return call(*args)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return None
        raise


@dataclass(frozen=True)
class Existing:
    """What a push finds in Grafana: the folder's title, the datasources, the boards."""

    folder_title: str | None = None
    datasource: bool = False
    boards: frozenset[str] = frozenset()
    postgres_datasource: bool = False


def existing(config: Config, api: Any, boards: list[dict[str, Any]]) -> Existing:
    g = config.grafana
    folder = _exists(api.folder.get_folder, g.folder_uid)
    return Existing(
        folder_title=None if folder is None else str(folder.get("title")),
        datasource=_exists(api.datasource.get_datasource_by_uid, PROMETHEUS_UID) is not None,
        boards=frozenset(
            b["uid"] for b in boards if _exists(api.dashboard.get_dashboard, b["uid"])
        ),
        postgres_datasource=g.postgres_password_file is not None
        and _exists(api.datasource.get_datasource_by_uid, POSTGRES_UID) is not None,
    )


def plan_push(
    config: Config,
    boards: list[dict[str, Any]],
    found: Existing,
    postgres: PostgresTarget | None = None,
) -> PushPlan:
    """The objects a push creates, updates or keeps, given what Grafana holds;
    ``postgres`` is where the PostgreSQL datasource logs in (None: it is left alone)."""
    g = config.grafana
    plan = PushPlan()
    if found.folder_title is None:
        plan.add("create", "folder", g.folder_uid)
    elif found.folder_title != g.folder_title:
        plan.add("update", "folder", g.folder_uid)
    else:
        plan.add("keep", "folder", g.folder_uid)
    plan.add("update" if found.datasource else "create", "datasource", PROMETHEUS_UID)
    if postgres is None:
        plan.add(
            "leave",
            "datasource",
            POSTGRES_UID,
            "alone (grafana.postgres_password_file is not set)",
        )
    else:
        verb = "update" if found.postgres_datasource else "create"
        plan.add(verb, "datasource", POSTGRES_UID, f"({postgres})")
    for board in boards:
        plan.add("update" if board["uid"] in found.boards else "create", "dashboard", board["uid"])
    plan.add("add", "annotation", "exporter deployed")
    return plan


def push(
    config: Config, folder: Path | None = None, *, dry_run: bool = False, api: Any = None
) -> PushPlan:
    """Push the boards, the datasource and an annotation; a dry run only reads.

    A dry run needs nothing outside: when Grafana cannot be read (no URL or token,
    unreachable, refused) it shows a push into an empty Grafana and says why.
    """
    boards = load_boards(boards_dir(folder))
    # The password file and the database URL are the config's own: a problem with
    # either is a config error, dry or not.
    password = postgres_password(config)
    postgres = postgres_target(config) if password is not None else None
    if dry_run:
        try:
            where = grafana_url(config)
            api = api or client(config)
            with translated("grafana push", where):
                return plan_push(config, boards, existing(config, api, boards), postgres)
        except (ConfigError, ServiceError) as exc:
            plan = plan_push(config, boards, Existing(), postgres)
            plan.offline = str(exc)
            return plan
    where = grafana_url(config)
    api = api or client(config)
    g = config.grafana
    with translated("grafana push", where):
        found = existing(config, api, boards)
        plan = plan_push(config, boards, found, postgres)
        if found.folder_title is None:
            api.folder.create_folder(g.folder_title, uid=g.folder_uid)
        elif found.folder_title != g.folder_title:
            api.folder.update_folder(g.folder_uid, title=g.folder_title, overwrite=True)
        ds = prometheus_datasource(config)
        if found.datasource:
            api.datasource.update_datasource_by_uid(PROMETHEUS_UID, ds)
        else:
            api.datasource.create_datasource(ds)
        if postgres is not None and password is not None:  # before the boards that read it
            pg = postgres_datasource(postgres, password)
            if found.postgres_datasource:
                api.datasource.update_datasource_by_uid(POSTGRES_UID, pg)
            else:
                api.datasource.create_datasource(pg)
        for board in boards:
            body = {k: v for k, v in board.items() if k not in ("id", "version")}
            api.dashboard.update_dashboard(
                {
                    "dashboard": body,
                    "folderUid": g.folder_uid,
                    "overwrite": True,
                    "message": "execmetrics grafana push",
                }
            )
        api.annotations.add_annotation(
            time_from=int(datetime.now(UTC).timestamp() * 1000),
            tags=ANNOTATION_TAGS,
            text=f"exporter deployed (execmetrics {version('execmetrics')})",
        )
    return plan
