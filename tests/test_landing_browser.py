"""The landing page of a real ``execmetrics serve``, read by headless Chromium.

A small hand-made dataset around now (the server evaluates at now):

- suppliers 1-4 exist; suppliers 1 and 2 had sessions in the last day, supplier 3
  ten days ago: active suppliers (30 d) = 3 "of 4 total"            -> good
- MRR: supplier 1 pays 50.00 since 90 days ago, supplier 2 pays 30.00 since 10 days
  ago: MRR(T) = 80.00, MRR(M1) = 50.00, growth = +60.0 %             -> good
- invitations in the last 30 days: 4 sent, 2 accepted; K = 2 / 3 active = 0.67
  against the 1.0 target                                             -> bad
- couples: couple 1 active in the last day, couples 2 and 3 twenty days ago;
  DAU = 2 + 1 = 3, MAU = 3 + 3 = 6, DAU / MAU = 50.0 % (benchmark 40 %) -> good
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from exporter.config import GROUP_NAMES, Config
from exporter.migrate import migrate
from tests.cli_support import serving
from tests.conftest import require_tool

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def load_dataset(url: str, now: datetime) -> None:
    d = timedelta(days=1)
    h = timedelta(hours=1)
    old = now - 200 * d
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO suppliers (id, created_at, category, country) VALUES (%s, %s, %s, 'GB')",
            [(i, old, "photography") for i in (1, 2, 3, 4)],
        )
        cur.executemany(
            "INSERT INTO couples (id, created_at, country) VALUES (%s, %s, 'GB')",
            [(i, old) for i in (1, 2, 3)],
        )
        cur.executemany(
            "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor, currency,"
            " interval_months, started_at) VALUES (%s, %s, 'pro', 'active', %s, 'GBP', 1, %s)",
            [(1, 1, 5000, now - 90 * d), (2, 2, 3000, now - 10 * d)],
        )
        cur.executemany(
            "INSERT INTO user_sessions (id, supplier_id, couple_id, created_at, session_duration)"
            " VALUES (%s, %s, %s, %s, 300)",
            [
                (1, 1, None, now - h),
                (2, 2, None, now - 2 * h),
                (3, 3, None, now - 10 * d),
                (4, None, 1, now - 2 * h),
                (5, None, 2, now - 20 * d),
                (6, None, 3, now - 20 * d),
            ],
        )
        cur.executemany(
            "INSERT INTO invitations (id, supplier_id, couple_id, channel, sent_at, accepted_at)"
            " VALUES (%s, %s, %s, 'email', %s, %s)",
            [
                (1, 1, 1, now - 5 * d, now - 4 * d),
                (2, 1, 2, now - 5 * d, now - 3 * d),
                (3, 2, None, now - 2 * d, None),
                (4, 2, None, now - h, None),
            ],
        )


class _Cards(HTMLParser):
    """Collects each card's data-status, and the text of its h2, value and detail."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self._card: dict[str, str] | None = None
        self._depth = 0
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._card is None:
            if tag == "div" and a.get("id", "").startswith("card-"):
                self._card = {"status": a.get("data-status", ""), "class": a.get("class", "")}
                self.cards[a["id"].removeprefix("card-")] = self._card
                self._depth = 1
            return
        if tag == "div":
            self._depth += 1
        if tag == "h2":
            self._field = "title"
        elif tag == "div" and a.get("class") in ("value", "detail"):
            self._field = a["class"]

    def handle_endtag(self, tag: str) -> None:
        if self._card is None:
            return
        self._field = None
        if tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._card = None

    def handle_data(self, data: str) -> None:
        if self._card is not None and self._field is not None:
            self._card[self._field] = (self._card.get(self._field, "") + data).strip()


def card(dom: str, key: str) -> dict[str, str]:
    parser = _Cards()
    parser.feed(dom)
    assert key in parser.cards, f"card-{key} not in the page: {sorted(parser.cards)}"
    got = parser.cards[key]
    assert {"status", "title", "value", "detail"} <= set(got), got
    assert got["status"] in got["class"].split()  # the colour follows the status
    return got


def chromium(binary: str, profile: Path, *args: str, timeout: float = 60) -> str:
    """Run headless Chromium in a process group of its own; always kill that group."""
    process = subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its zygote and renderers join this group
    )
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group we started, by its id
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0 or out, err.decode(errors="replace")[-2000:]
    return out.decode("utf-8", errors="replace")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_landing_page_in_headless_chromium(db_url: str, tmp_path: Path) -> None:
    binary = require_tool("chromium")
    migrate(db_url, Config(), create_source_tables=True)
    load_dataset(db_url, datetime.now(UTC).replace(microsecond=0))

    with serving(db_url) as server:
        url = server.base_url + "/"
        dom = chromium(binary, tmp_path / "profile-dom", "--dump-dom", url)
        shot = tmp_path / "landing.png"
        chromium(
            binary,
            tmp_path / "profile-shot",
            f"--screenshot={shot}",
            "--window-size=1280,900",
            "--hide-scrollbars",
            url,
        )

    assert 'id="readiness"' in dom and ">ready<" in dom

    mrr = card(dom, "mrr")
    assert mrr["value"] == "£80.00"
    assert mrr["detail"] == "+60.0% month over month"
    assert mrr["status"] == "good"

    active = card(dom, "active-suppliers")
    assert (active["value"], active["detail"], active["status"]) == ("3", "of 4 total", "good")

    viral = card(dom, "viral")
    assert viral["title"] == "Viral coefficient (30d)"
    assert viral["value"] == "0.67"
    assert viral["detail"] == "target 1.0: below"
    assert viral["status"] == "bad"

    sticky = card(dom, "stickiness")
    assert (sticky["value"], sticky["detail"], sticky["status"]) == (
        "50.0%",
        "benchmark 40%",
        "good",
    )

    # Every group computed, none failed.
    for group in ("revenue", "users", "viral", "engagement", "quality"):
        assert re.search(rf"<td>{group}</td>\s*<td>300 s</td>", dom), group
    assert 'class="error"' not in dom
    assert 'href="/metrics"' in dom

    data = shot.read_bytes()
    assert len(data) > 10_000
    assert png_size(data) == (1280, 900)


def test_card_parser_reads_the_template() -> None:
    """The regexes above match what the template renders (no browser needed)."""
    from exporter.serve.landing import render_landing
    from exporter.store import Store

    page = render_landing(Store(("revenue",)).current, Config())
    got = card(page, "mrr")
    assert got["status"] == "unknown" and got["value"] == "–"
    assert got["title"] == "Recurring revenue (MRR)"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(39.99, "£39.99"), (0.0, "£0.00"), (1234.5, "£1,234"), (2_500_000.0, "£2,500,000")],
)
def test_money_on_the_cards(value: float, shown: str) -> None:
    from exporter.serve.landing import _money

    assert _money(value, "GBP") == shown


def test_times_are_shown_in_the_reporting_time_zone() -> None:
    from exporter.config import parse_config
    from exporter.serve.landing import render_landing
    from exporter.snapshot import Snapshot
    from exporter.store import Store

    at = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
    store = Store(("revenue",))
    store.publish_group(Snapshot("revenue", at, at, 0.5))
    london = parse_config({"reporting": {"timezone": "Europe/London"}})
    page = render_landing(store.current, london, now=at + timedelta(minutes=3))
    assert "Times in Europe/London" in page
    assert "2024-06-15T13:00:00+01:00" in page  # T, in BST
    assert "2 min ago" in page  # finished 2 min 59.5 s before now


class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe):
    JSON messages ending in NUL, read by Chromium on its fd 3 and written on its fd 4.
    No websocket, no library; one page target, attached in flat mode."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child, before exec: fds 3 and 4 are the pipe ends
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,
            start_new_session=True,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def call(self, method: str, timeout: float = 30, **params: object) -> dict[str, object]:
        import json
        import select

        self._next_id += 1
        message: dict[str, object] = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next_id:
                    assert "error" not in reply, reply
                    return reply.get("result", {})  # type: ignore[no-any-return]
            left = deadline - time.monotonic()
            assert left > 0, f"no reply to {method}"
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 65536)
                assert chunk, "Chromium closed the DevTools pipe"
                self._buffer += chunk

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self.session = str(attached["sessionId"])
        self.call("Page.enable")
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")  # type: ignore[attr-defined]

    def wait_for(self, expression: str, timeout: float) -> float:
        """Seconds until ``expression`` is true in the page (fails after ``timeout``)."""
        started = time.monotonic()
        while self.evaluate(expression) is not True:
            assert time.monotonic() - started < timeout, f"not true after {timeout}s: {expression}"
            time.sleep(0.02)
        return time.monotonic() - started

    def close(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the group we started, by its id
        self.process.wait(timeout=10)
        os.close(self._to_chrome)
        os.close(self._from_chrome)


MRR_TEXT = "document.querySelector('#card-mrr .value').textContent"


def test_the_cards_follow_a_commit_without_a_reload(db_url: str, tmp_path: Path) -> None:
    """With the change triggers installed, a subscription committed in the database shows
    on the open page's MRR card through /events, with no reload. Every group's schedule
    is an hour, so only the change feed can have moved it; the seconds it took are
    printed (bench/freshness.py measures them)."""
    binary = require_tool("chromium")
    migrate(db_url, Config(), create_source_tables=True, notify=True)
    now = datetime.now(UTC).replace(microsecond=0)
    load_dataset(db_url, now)
    config = tmp_path / "execmetrics.yml"
    config.write_text(
        "groups:\n"
        + "".join(f"  {g}:\n    interval_seconds: 3600\n" for g in GROUP_NAMES)
        + "refresh:\n  interval_seconds: 3600\n",
        encoding="utf-8",
    )
    with serving(db_url, "--config", str(config)) as server:
        browser = DevTools(binary, tmp_path / "profile-live")
        try:
            browser.open(server.base_url + "/")
            browser.wait_for(f"{MRR_TEXT} === '£80.00'", timeout=30)
            browser.wait_for("document.getElementById('live').textContent === 'live'", 30)
            browser.evaluate("window.sameDocument = true")
            evaluated = "document.querySelector('#group-revenue td.evaluated').textContent"
            before = browser.evaluate(evaluated)
            time.sleep(1.1)  # the recompute's instant T is a later second than the first's
            with psycopg.connect(db_url) as conn:
                conn.execute(
                    "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                    " currency, interval_months, started_at)"
                    " VALUES (3, 3, 'pro', 'active', 2000, 'GBP', 1, %s)",
                    (now - timedelta(days=1),),
                )
            took = browser.wait_for(f"{MRR_TEXT} === '£100.00'", timeout=20)
            assert browser.evaluate("window.sameDocument") is True  # no reload
            detail = browser.evaluate("document.querySelector('#card-mrr .detail').textContent")
            assert detail == "+100.0% month over month"
            # The computation table follows too: revenue was evaluated again just now.
            browser.wait_for(f"{evaluated} !== {before!r}", timeout=10)
            assert re.fullmatch(
                r"\d+s ago",
                str(
                    browser.evaluate(
                        "document.querySelector('#group-revenue td.success').textContent"
                    )
                ),
            )
            print(f"MRR card changed {took:.2f}s after the commit")

            # The server restarts on the same port: the page's EventSource reconnects
            # and the cards keep following commits.
            port = server.base_url.rsplit(":", 1)[1]
            server.process.terminate()
            server.process.wait(timeout=15)
            browser.wait_for("document.getElementById('live').textContent !== 'live'", 10)
            with serving(db_url, "--config", str(config), port=int(port)):
                browser.wait_for("document.getElementById('live').textContent === 'live'", 30)
                with psycopg.connect(db_url) as conn:
                    conn.execute("UPDATE subscriptions SET amount_minor = 4000 WHERE id = 3")
                browser.wait_for(f"{MRR_TEXT} === '£120.00'", timeout=20)
            assert browser.evaluate("window.sameDocument") is True
        finally:
            browser.close()
