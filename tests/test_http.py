"""HTTP: /metrics from the cache, /-/ready, /-/healthy, the landing page, and a real server."""

from __future__ import annotations

import gzip
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 but still supports httpx
    warnings.filterwarnings("ignore", message=r".*httpx2")
    from starlette.testclient import TestClient

import exporter.serve.exposition
from exporter.config import GROUP_NAMES, SQL_GROUP_NAMES, Config
from exporter.serve.http import create_app
from exporter.snapshot import Sample, Snapshot, labels_of
from exporter.store import Store
from exporter.vocabulary import GroupName
from tests.cli_support import load_small_dataset, serving

T = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def sample(name: str, value: float, **labels: str) -> Sample:
    return Sample("execmetrics_" + name, labels_of(**labels), value)


def snap(group: str, *samples: Sample, error: str | None = None, minutes: int = 0) -> Snapshot:
    return Snapshot(
        group=group,
        at=T + timedelta(minutes=minutes),
        started_at=T + timedelta(minutes=minutes, seconds=1),
        duration_seconds=0.5,
        samples=samples,
        error=error,
    )


def good_revenue(mrr: float = 80.0, minutes: int = 0) -> Snapshot:
    return snap(
        "revenue",
        sample("mrr", mrr, currency="GBP"),
        sample("paying_suppliers", 2),
        minutes=minutes,
    )


def values(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
def store() -> Store:
    return Store(GROUP_NAMES)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, Config())) as c:
        yield c


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls of our rendering function (exporter.serve.exposition.render)."""
    calls: list[int] = []
    real = exporter.serve.exposition.render

    def counting(state, config):  # type: ignore[no-untyped-def]
        calls.append(state.generation)
        return real(state, config)

    monkeypatch.setattr(exporter.serve.exposition, "render", counting)
    return calls


def plain(client: TestClient, path: str = "/metrics") -> httpx.Response:
    return client.get(path, headers={"Accept-Encoding": "identity"})


# --------------------------------------------------------------------------- in-process


def test_healthy(client: TestClient) -> None:
    r = client.get("/-/healthy")
    assert r.status_code == 200
    assert r.text == "Healthy\n"
    assert client.head("/-/healthy").status_code == 200


def test_ready_is_503_until_every_group_has_a_good_snapshot(
    client: TestClient, store: Store
) -> None:
    r = client.get("/-/ready")
    assert r.status_code == 503
    assert r.text.startswith("Not ready: waiting for the first success of ")
    for group in SQL_GROUP_NAMES:
        assert group in r.text
    # The forecast, refit on a slow schedule, is not waited for.
    assert GroupName.FORECAST not in SQL_GROUP_NAMES and GroupName.FORECAST not in r.text
    for group in SQL_GROUP_NAMES[:-1]:
        store.publish_group(snap(group))
        assert client.get("/-/ready").status_code == 503
    last = SQL_GROUP_NAMES[-1]
    store.publish_group(snap(last, error="database error: boom"))  # a failure is not enough
    r = client.get("/-/ready")
    assert r.status_code == 503 and r.text.rstrip().endswith(last)
    store.publish_group(snap(last))
    r = client.get("/-/ready")
    assert (r.status_code, r.text) == (200, "Ready\n")
    assert client.head("/-/ready").status_code == 200
    # A later failure keeps the exporter ready: it serves the previous values.
    store.publish_group(snap("revenue", error="database unreachable"))
    assert client.get("/-/ready").status_code == 200


def test_metrics_content_type_and_body(client: TestClient, store: Store) -> None:
    store.publish_group(good_revenue())
    r = plain(client)
    assert r.status_code == 200
    assert r.headers["content-type"] == exporter.serve.exposition.CONTENT_TYPE
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert "content-encoding" not in r.headers
    got = values(r.content)
    assert got[("execmetrics_mrr", (("currency", "GBP"),))] == 80.0
    assert got[("execmetrics_paying_suppliers", ())] == 2.0
    assert got[("execmetrics_group_last_run_success", (("group", "revenue"),))] == 1.0
    assert ("execmetrics_group_last_run_success", (("group", "users"),)) not in got
    assert got[("execmetrics_group_failures_total", (("group", "users"),))] == 0.0
    assert b"# HELP execmetrics_mrr " in r.content
    assert b"Computed every 300s." in r.content


def test_metrics_before_anything_was_computed(client: TestClient) -> None:
    r = plain(client)
    assert r.status_code == 200
    got = values(r.content)
    assert not any(name == "execmetrics_mrr" for name, _ in got)
    assert got[("execmetrics_group_failures_total", (("group", "revenue"),))] == 0.0


def test_metrics_gzip_when_accepted(client: TestClient, store: Store) -> None:
    store.publish_group(good_revenue())
    body = plain(client).content
    with client.stream("GET", "/metrics", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["content-type"] == exporter.serve.exposition.CONTENT_TYPE
    assert raw[:2] == b"\x1f\x8b"  # really gzip on the wire
    assert len(raw) < len(body)
    assert gzip.decompress(raw) == body


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP ; Q=1", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("*;q=0.1", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("identity", False),
        ("br", False),
        ("", False),
        ("x-gzip", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_per_token(
    client: TestClient, store: Store, header: str, gzipped: bool
) -> None:
    store.publish_group(good_revenue())
    with client.stream("GET", "/metrics", headers={"Accept-Encoding": header}) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["vary"] == "Accept-Encoding"
        assert ("content-encoding" in r.headers) is gzipped
    assert (raw[:2] == b"\x1f\x8b") is gzipped


def test_metrics_served_from_the_cache(
    client: TestClient, store: Store, render_calls: list[int]
) -> None:
    store.publish_group(good_revenue(80.0))
    first = plain(client).content
    second = plain(client).content
    zipped = client.get("/metrics", headers={"Accept-Encoding": "gzip"}).content
    assert first == second == zipped  # identical bytes (httpx un-gzips the third)
    assert len(render_calls) == 1  # rendered once for three requests
    assert values(first)[("execmetrics_mrr", (("currency", "GBP"),))] == 80.0

    store.publish_group(good_revenue(95.5, minutes=5))  # a publish moves the generation
    third = plain(client).content
    assert len(render_calls) == 2
    assert render_calls == sorted(set(render_calls))
    assert values(third)[("execmetrics_mrr", (("currency", "GBP"),))] == 95.5
    assert plain(client).content == third
    assert len(render_calls) == 2


def test_a_failed_run_keeps_values_and_is_reported(client: TestClient, store: Store) -> None:
    store.publish_group(good_revenue(80.0))
    before = values(plain(client).content)
    assert before[("execmetrics_group_last_run_success", (("group", "revenue"),))] == 1.0
    assert before[("execmetrics_group_failures_total", (("group", "revenue"),))] == 0.0

    store.publish_group(snap("revenue", error="database error: canceling statement", minutes=5))
    after = values(plain(client).content)
    assert after[("execmetrics_mrr", (("currency", "GBP"),))] == 80.0
    assert after[("execmetrics_paying_suppliers", ())] == 2.0
    assert after[("execmetrics_group_last_run_success", (("group", "revenue"),))] == 0.0
    assert after[("execmetrics_group_failures_total", (("group", "revenue"),))] == 1.0
    # The last success is still the first run's.
    key = ("execmetrics_group_last_success_timestamp_seconds", (("group", "revenue"),))
    assert after[key] == before[key]

    store.publish_group(snap("revenue", error="again", minutes=10))
    again = values(plain(client).content)
    assert again[("execmetrics_group_failures_total", (("group", "revenue"),))] == 2.0

    page = client.get("/")
    assert "again" in page.text  # the landing page shows the last error


def test_undefined_ratios_are_absent(client: TestClient, store: Store) -> None:
    store.publish_group(
        snap(
            "revenue",
            sample("mrr", 0.0, currency="GBP"),
            sample("paying_suppliers", 0),
            # growth, churn ratios, NRR and ARPA undefined: the group produced no sample
        )
    )
    store.publish_group(snap("viral", sample("invitations_sent", 0, window="30d")))
    body = plain(client).text
    for name in (
        "execmetrics_mrr_growth_ratio",
        "execmetrics_customer_churn_ratio",
        "execmetrics_revenue_churn_ratio",
        "execmetrics_net_revenue_retention_ratio",
        "execmetrics_arpa",
        "execmetrics_viral_coefficient",
        "execmetrics_invitation_conversion_ratio",
    ):
        assert name not in body
    assert "NaN" not in body
    assert 'execmetrics_invitations_sent{window="30d"} 0.0' in body


def test_landing_page_in_process(client: TestClient, store: Store) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    for card in ("card-mrr", "card-active-suppliers", "card-viral", "card-stickiness"):
        assert f'id="{card}"' in r.text
    assert 'data-status="unknown"' in r.text
    assert "warming up" in r.text
    for group in GROUP_NAMES:
        store.publish_group(snap(group))
    assert "ready" in client.get("/").text


def test_unknown_path_is_404(client: TestClient) -> None:
    assert client.get("/nope").status_code == 404


# --------------------------------------------------------------------------- the real server


def test_real_serve_end_to_end(db_url: str) -> None:
    from exporter.migrate import migrate

    migrate(db_url, Config(), create_source_tables=True)
    now = datetime.now(UTC).replace(microsecond=0)
    load_small_dataset(db_url, now)
    with serving(db_url) as server:
        assert httpx.get(server.base_url + "/-/healthy", timeout=5).status_code == 200
        r = httpx.get(server.base_url + "/metrics", timeout=5)
        assert r.status_code == 200
        assert r.headers["content-type"] == exporter.serve.exposition.CONTENT_TYPE
        got = values(r.content)
        assert got[("execmetrics_mrr", (("currency", "GBP"),))] == pytest.approx(39.99)
        for group in SQL_GROUP_NAMES:
            assert got[("execmetrics_group_last_run_success", (("group", group),))] == 1.0
        assert httpx.get(server.base_url + "/", timeout=5).status_code == 200
        process = server.process
        started = time.monotonic()
    assert process.returncode is not None  # stopped by PID
    assert time.monotonic() - started < 10  # SIGTERM is a prompt, clean stop
    log = server.stderr()
    assert "Traceback" not in log
    assert "serving on http://127.0.0.1:" in log
