"""A stand-in for Grafana's HTTP API on 127.0.0.1 (grafana-client speaks niquests, so
request mocks do not intercept it): it checks the bearer token, keeps folders,
datasources, boards, annotations and snapshots by uid, and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGrafana:
    token: str
    url: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    boards: dict[str, dict[str, Any]] = field(default_factory=dict)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["api", "folders"]:
            if method == "GET" and len(parts) == 3:
                f = self.folders.get(parts[2])
                return (200, f) if f else (404, {"message": "folder not found"})
            if method == "POST":
                self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"]}
                return 200, self.folders[body["uid"]]
            if method == "PUT":
                self.folders[parts[2]]["title"] = body["title"]
                return 200, self.folders[parts[2]]
        if parts[:3] == ["api", "datasources", "uid"]:
            if method == "GET":
                d = self.datasources.get(parts[3])
                return (200, d) if d else (404, {"message": "Data source not found"})
            if method == "PUT":
                self.datasources[parts[3]] = body
                return 200, {"message": "Datasource updated"}
        if parts == ["api", "datasources"] and method == "POST":
            self.datasources[body["uid"]] = body
            return 200, {"message": "Datasource added"}
        if parts[:3] == ["api", "dashboards", "uid"] and method == "GET":
            b = self.boards.get(parts[3])
            return (200, {"dashboard": b, "meta": {}}) if b else (404, {"message": "not found"})
        if parts == ["api", "dashboards", "db"] and method == "POST":
            board = body["dashboard"]
            self.boards[board["uid"]] = {**board, "folderUid": body.get("folderUid")}
            return 200, {"status": "success", "uid": board["uid"]}
        if parts == ["api", "annotations"] and method == "POST":
            self.annotations.append(body)
            return 200, {"id": len(self.annotations), "message": "Annotation added"}
        if parts == ["api", "snapshots"] and method == "POST":
            self.snapshots.append(body)
            key = f"snap{len(self.snapshots)}"
            return 200, {
                "key": key,
                "deleteKey": "d" + key,
                "url": f"{self.url}/dashboard/snapshot/{key}",
            }
        return 404, {"message": f"no route {method} {path}"}


@contextmanager
def fake_grafana(token: str) -> Iterator[FakeGrafana]:
    state = FakeGrafana(token)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.requests.append((self.command, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                status, answer = 401, {"message": "Unauthorized"}
            else:
                status, answer = state.handle(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
