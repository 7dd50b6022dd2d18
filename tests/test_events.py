"""/events: the landing page's cards as Server-Sent Events, from a real ``serve``.

The stream starts with a retry hint and the current values, sends an event when the
values change, is capped by http.max_event_streams (503 beyond), and ends when the
server stops, which then exits 0 without waiting on its open streams. The landing page
loads its one script from the exporter itself, with no inline script.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from starlette.testclient import TestClient

from exporter.config import Config
from exporter.migrate import migrate
from exporter.serve.http import create_app
from exporter.store import Store
from tests.cli_support import load_small_dataset, serving


def events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """The fields of each event of an SSE stream, as they arrive."""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def test_the_page_loads_its_own_script_and_nothing_inline() -> None:
    with TestClient(create_app(Store(("revenue",)), Config())) as client:
        page = client.get("/")
        script = client.get("/live.js")
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert re.findall(r"<script\b[^>]*>", page.text) == ['<script src="/live.js" defer>']
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S) == [""]  # no inline code
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert 'new EventSource("/events")' in script.text


def test_a_stream_follows_the_cards_is_capped_and_ends_at_shutdown(
    db_url: str, tmp_path: Path
) -> None:
    migrate(db_url, Config(), create_source_tables=True, notify=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    config = tmp_path / "execmetrics.yml"
    config.write_text("http:\n  max_event_streams: 1\n", encoding="utf-8")
    with (
        serving(db_url, "--config", str(config)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
        client.stream("GET", "/events") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-cache"
        received = events(stream.iter_lines())
        assert next(received) == {"retry": "3000"}
        first = next(received)
        values = json.loads(first["data"])
        assert values["ready"] is True
        assert set(values["cards"]) == {"mrr", "active-suppliers", "viral", "stickiness"}
        mrr = values["cards"]["mrr"]["value"]

        refused = httpx.get(server.base_url + "/events", timeout=10)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "15"

        with psycopg.connect(db_url) as conn:
            conn.execute(
                "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                " currency, interval_months, started_at)"
                " VALUES (777, 1, 'pro', 'active', 1000, 'GBP', 1, now() - interval '1 day')"
            )
        changed = next(e for e in received if json.loads(e["data"])["cards"]["mrr"]["value"] != mrr)
        assert int(changed["id"]) > int(first["id"])

        server.process.terminate()  # with the stream still open
        started = time.monotonic()
        for _ in received:  # events of runs still finishing, then the stream ends
            pass
        assert server.process.wait(timeout=15) == 0
        assert time.monotonic() - started < 15
    assert "Traceback" not in server.stderr()
