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

_REPOSITORY_BOARDS = Path(__file__).resolve().parent.parent / "dashboards"


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
    folder = explicit or _REPOSITORY_BOARDS
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


def push(
    config: Config, folder: Path | None = None, *, dry_run: bool = False, api: Any = None
) -> PushPlan:
    boards = load_boards(boards_dir(folder))
    where = grafana_url(config)
    api = api or client(config)
    plan = PushPlan()
    g = config.grafana
    with translated("grafana push", where):
        existing_folder = _exists(api.folder.get_folder, g.folder_uid)
        if existing_folder is None:
            plan.add("create", "folder", g.folder_uid)
            if not dry_run:
                api.folder.create_folder(g.folder_title, uid=g.folder_uid)
        elif existing_folder.get("title") != g.folder_title:
            plan.add("update", "folder", g.folder_uid)
            if not dry_run:
                api.folder.update_folder(g.folder_uid, title=g.folder_title, overwrite=True)
        else:
            plan.add("keep", "folder", g.folder_uid)

        ds = prometheus_datasource(config)
        if _exists(api.datasource.get_datasource_by_uid, PROMETHEUS_UID) is None:
            plan.add("create", "datasource", PROMETHEUS_UID)
            if not dry_run:
                api.datasource.create_datasource(ds)
        else:
            plan.add("update", "datasource", PROMETHEUS_UID)
            if not dry_run:
                api.datasource.update_datasource_by_uid(PROMETHEUS_UID, ds)

        for board in boards:
            uid = board["uid"]
            verb = "update" if _exists(api.dashboard.get_dashboard, uid) else "create"
            plan.add(verb, "dashboard", uid)
            if not dry_run:
                body = {k: v for k, v in board.items() if k not in ("id", "version")}
                api.dashboard.update_dashboard(
                    {
                        "dashboard": body,
                        "folderUid": g.folder_uid,
                        "overwrite": True,
                        "message": "execmetrics grafana push",
                    }
                )
        plan.add("add", "annotation", "exporter deployed")
        if not dry_run:
            api.annotations.add_annotation(
                time_from=int(datetime.now(UTC).timestamp() * 1000),
                tags=ANNOTATION_TAGS,
                text=f"exporter deployed (execmetrics {version('execmetrics')})",
            )
    return plan
