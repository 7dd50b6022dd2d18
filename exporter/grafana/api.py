"""Grafana over its HTTP API (``grafana-client``): the token, the error translation and
``grafana push`` (boards into a folder, the Prometheus datasource, an annotation).

Push is idempotent: the folder, the datasource and every board are addressed by uid and
overwritten; ``--dry-run`` only reads and says what it would create or update.
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


@dataclass
class PushPlan:
    """What a push does (or, dry, would do): one line per object."""

    actions: list[str] = field(default_factory=list)
    # Set when a dry run could not read Grafana: the plan is a push into an empty one.
    offline: str | None = None

    def add(self, verb: str, kind: str, name: str) -> None:
        self.actions.append(f"{verb} {kind} {name}")


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
    """What a push finds in Grafana: the folder's title, the datasource, the boards."""

    folder_title: str | None = None
    datasource: bool = False
    boards: frozenset[str] = frozenset()


def existing(config: Config, api: Any, boards: list[dict[str, Any]]) -> Existing:
    g = config.grafana
    folder = _exists(api.folder.get_folder, g.folder_uid)
    return Existing(
        folder_title=None if folder is None else str(folder.get("title")),
        datasource=_exists(api.datasource.get_datasource_by_uid, PROMETHEUS_UID) is not None,
        boards=frozenset(
            b["uid"] for b in boards if _exists(api.dashboard.get_dashboard, b["uid"])
        ),
    )


def plan_push(config: Config, boards: list[dict[str, Any]], found: Existing) -> PushPlan:
    """The objects a push creates, updates or keeps, given what Grafana holds."""
    g = config.grafana
    plan = PushPlan()
    if found.folder_title is None:
        plan.add("create", "folder", g.folder_uid)
    elif found.folder_title != g.folder_title:
        plan.add("update", "folder", g.folder_uid)
    else:
        plan.add("keep", "folder", g.folder_uid)
    plan.add("update" if found.datasource else "create", "datasource", PROMETHEUS_UID)
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
    if dry_run:
        try:
            where = grafana_url(config)
            api = api or client(config)
            with translated("grafana push", where):
                return plan_push(config, boards, existing(config, api, boards))
        except (ConfigError, ServiceError) as exc:
            plan = plan_push(config, boards, Existing())
            plan.offline = str(exc)
            return plan
    where = grafana_url(config)
    api = api or client(config)
    g = config.grafana
    with translated("grafana push", where):
        found = existing(config, api, boards)
        plan = plan_push(config, boards, found)
        if found.folder_title is None:
            api.folder.create_folder(g.folder_title, uid=g.folder_uid)
        elif found.folder_title != g.folder_title:
            api.folder.update_folder(g.folder_uid, title=g.folder_title, overwrite=True)
        ds = prometheus_datasource(config)
        if found.datasource:
            api.datasource.update_datasource_by_uid(PROMETHEUS_UID, ds)
        else:
            api.datasource.create_datasource(ds)
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
