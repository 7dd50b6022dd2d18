"""Store publish semantics and the collector's families, without a database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalog
from exporter.config import GROUP_NAMES, SQL_GROUP_NAMES, Config, parse_config
from exporter.serve.collector import StateCollector, families
from exporter.serve.exposition import render
from exporter.snapshot import Sample, Snapshot, labels_of
from exporter.store import RunRecord, Store
from exporter.vocabulary import GroupName

T = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
PUBLISHED = (
    catalog.CONTRACT
    + catalog.BREAKDOWNS
    + catalog.GROWTH
    + catalog.TARGET_METRICS
    + catalog.FORECAST
    + catalog.REPLICA
)


def sample(name: str, value: float, **labels: str) -> Sample:
    return Sample(catalog.PREFIX + name, labels_of(**labels), value)


def snap(
    group: str,
    *samples: Sample,
    error: str | None = None,
    at: datetime = T,
    started: datetime | None = None,
    duration: float = 0.25,
) -> Snapshot:
    return Snapshot(
        group=group,
        at=at,
        started_at=started or at + timedelta(seconds=1),
        duration_seconds=duration,
        samples=samples,
        error=error,
    )


def full_sample_set(group: str) -> tuple[Sample, ...]:
    """One sample of every published metric of a group, with made-up label values."""
    out = []
    for i, m in enumerate(m for m in PUBLISHED if m.group == group):
        labels = {name: f"{name}-value" for name in m.labels}
        out.append(Sample(m.name, labels_of(**labels), float(i + 1)))
    return tuple(out)


def parsed(state, config: Config | None = None) -> dict[str, object]:
    text = render(state, config or Config()).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


# --------------------------------------------------------------------------- store


def test_new_store_is_empty_and_not_ready() -> None:
    store = Store(GROUP_NAMES)
    state = store.current
    assert state.generation == 0
    assert list(state.groups) == list(GROUP_NAMES)
    assert all(
        g.good is None and g.last_run is None and g.failures == 0 for g in state.groups.values()
    )
    assert not state.ready


def test_generation_increases_with_every_publish_and_ready_needs_every_group() -> None:
    """Ready once every SQL group has succeeded: the forecast, refit daily from their
    history, is not waited for."""
    store = Store(GROUP_NAMES)
    seen = [store.current.generation]
    for i, group in enumerate(SQL_GROUP_NAMES):
        assert not store.current.ready
        state = store.publish_group(snap(group, sample("paying_suppliers", i)))
        seen.append(state.generation)
        assert store.current is state
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert store.current.ready
    assert store.current.groups[GroupName.FORECAST].good is None
    store.publish_refresh(RunRecord(T, 0.1, None))
    assert store.current.generation == seen[-1] + 1


def test_published_state_is_immutable_and_old_states_are_untouched() -> None:
    store = Store(("revenue",))
    before = store.current
    store.publish_group(snap("revenue", sample("paying_suppliers", 3)))
    assert before.groups["revenue"].good is None  # a reader's state never changes under it
    with pytest.raises(TypeError):
        store.current.groups["revenue"] = before.groups["revenue"]  # type: ignore[index]


def test_failure_keeps_the_good_snapshot_and_counts() -> None:
    store = Store(("revenue",))
    good = snap("revenue", sample("paying_suppliers", 7))
    store.publish_group(good)
    assert store.current.groups["revenue"].good is good
    assert store.current.groups["revenue"].last_run.error is None

    failed = snap("revenue", error="database error: boom", started=T + timedelta(minutes=5))
    state = store.publish_group(failed)
    g = state.groups["revenue"]
    assert g.good is good  # previous values still served
    assert g.failures == 1
    assert g.last_run is not None
    assert g.last_run.error == "database error: boom"
    assert g.last_run.finished_at == failed.finished_at
    assert state.ready  # readiness is about having succeeded once

    store.publish_group(snap("revenue", error="again"))
    assert store.current.groups["revenue"].failures == 2

    newer = snap("revenue", sample("paying_suppliers", 8), started=T + timedelta(minutes=10))
    g = store.publish_group(newer).groups["revenue"]
    assert g.good is newer
    assert g.failures == 2  # a counter: a success does not reset it
    assert g.last_run.error is None


def test_failure_before_any_success_leaves_the_group_waiting() -> None:
    store = Store(("revenue", "users"))
    store.publish_group(snap("users", sample("paying_suppliers", 1)))
    state = store.publish_group(snap("revenue", error="down"))
    assert state.groups["revenue"].good is None
    assert state.groups["revenue"].failures == 1
    assert not state.ready


def test_refresh_publish_semantics() -> None:
    store = Store(("revenue",))
    ok = RunRecord(T, 0.5, None)
    store.publish_refresh(ok)
    assert store.current.refresh.last_success == T
    bad = RunRecord(T + timedelta(minutes=5), 0.1, "database error: x")
    r = store.publish_refresh(bad).refresh
    assert r.last_success == T and r.failures == 1 and r.last_run is bad


def test_wait_for_wakes_on_publish_and_times_out() -> None:
    store = Store(("revenue",))
    start = store.current.generation
    assert store.wait_for(start, timeout=0.05).generation == start  # nothing published
    timer = threading.Timer(0.05, store.publish_group, args=[snap("revenue")])
    timer.start()
    try:
        state = store.wait_for(start, timeout=5)
    finally:
        timer.join()
    assert state.generation == start + 1


# --------------------------------------------------------------------------- collector


def test_families_follow_catalog_order_and_label_order() -> None:
    store = Store(("revenue", "users"))
    store.publish_group(
        snap(
            "revenue",
            sample("mrr_movement", 5.0, movement="new", currency="GBP"),
            sample("mrr", 80.0, currency="GBP"),
        )
    )
    store.publish_group(
        snap(
            "users",
            sample("active_suppliers_by_category", 2, category="venues", window="30d"),
            sample("registered_users", 4, user_type="supplier"),
        )
    )
    names = [f.name for f in families(store.current, Config())]
    contract = [n for n in names if n in catalog.BY_NAME and catalog.BY_NAME[n].group != "health"]
    order = [m.name for m in PUBLISHED]
    assert contract == sorted(contract, key=order.index)

    # Each family carries its labels in the catalog's order (window before category here,
    # although samples store them sorted by name)...
    by_name = {f.name: f for f in families(store.current, Config())}
    assert by_name["execmetrics_active_suppliers_by_category"].samples[0].labels == {
        "window": "30d",
        "category": "venues",
    }
    assert list(by_name["execmetrics_active_suppliers_by_category"].samples[0].labels) == [
        "window",
        "category",
    ]
    for family in by_name.values():
        metric = catalog.BY_NAME.get(family.name) or catalog.BY_NAME[family.name + "_total"]
        for s in family.samples:
            assert tuple(s.labels) == metric.labels
    # ... and every value lands under the right label name (the text format sorts them).
    text = render(store.current, Config()).decode()
    assert 'execmetrics_mrr_movement{currency="GBP",movement="new"} 5.0' in text
    assert 'execmetrics_active_suppliers_by_category{category="venues",window="30d"} 2.0' in text


def test_counters_are_exposed_with_total() -> None:
    store = Store(("revenue",))
    store.publish_group(snap("revenue", error="x"))
    store.publish_refresh(RunRecord(T, 0.1, "y"))
    fams = parsed(store.current)
    failures = fams["execmetrics_group_failures"]
    assert failures.type == "counter"
    assert [(s.name, s.labels, s.value) for s in failures.samples] == [
        ("execmetrics_group_failures_total", {"group": "revenue"}, 1.0)
    ]
    refresh = fams["execmetrics_refresh_failures"]
    assert refresh.type == "counter"
    assert [(s.name, s.value) for s in refresh.samples] == [
        ("execmetrics_refresh_failures_total", 1.0)
    ]
    text = render(store.current, Config()).decode()
    assert "# TYPE execmetrics_group_failures_total counter" in text
    assert 'execmetrics_group_failures_total{group="revenue"} 1.0' in text


def test_gauges_are_gauges() -> None:
    store = Store(GROUP_NAMES)
    for group in GROUP_NAMES:
        store.publish_group(snap(group, *full_sample_set(group)))
    for name, family in parsed(store.current).items():
        metric = catalog.BY_NAME.get(name) or catalog.BY_NAME[name + "_total"]
        assert family.type == ("counter" if metric.kind == "counter" else "gauge"), name


def test_help_says_how_often_values_are_computed() -> None:
    store = Store(GROUP_NAMES)
    for group in GROUP_NAMES:
        store.publish_group(snap(group, *full_sample_set(group)))
    fams = parsed(store.current)
    for metric in PUBLISHED:
        help_text = fams[metric.name].documentation
        assert help_text.startswith(metric.definition)
        every = Config().groups.schedule(metric.group).interval_seconds
        assert help_text.endswith(f"Computed every {every:g}s."), metric.name

    config = parse_config({"groups": {"revenue": {"interval_seconds": 60}}})
    fams = parsed(store.current, config)
    assert "Computed every 60s" in fams["execmetrics_mrr"].documentation
    assert "Computed every 300s" in fams["execmetrics_registered_users"].documentation


def test_every_exported_name_starts_with_the_prefix_and_every_metric_is_exported() -> None:
    store = Store(GROUP_NAMES)
    for group in GROUP_NAMES:
        store.publish_group(snap(group, *full_sample_set(group)))
    store.publish_refresh(RunRecord(T, 0.1, None))
    fams = parsed(store.current)
    sample_names = {s.name for f in fams.values() for s in f.samples}
    assert sample_names
    assert all(n.startswith("execmetrics_") for n in sample_names), sorted(sample_names)
    assert all(n.startswith("execmetrics_") for n in fams)
    assert sample_names == {m.name for m in catalog.ALL}


def test_health_families_per_group() -> None:
    store = Store(("revenue", "users"))
    good = snap("revenue", sample("paying_suppliers", 1), duration=0.5)
    store.publish_group(good)
    store.publish_group(snap("revenue", error="boom", duration=0.75))
    fams = parsed(store.current)

    def values(name: str) -> dict[str, float]:
        return {s.labels.get("group", ""): s.value for s in fams[name].samples}

    assert values("execmetrics_group_last_run_success") == {"revenue": 0.0}
    assert values("execmetrics_group_last_run_duration_seconds") == {"revenue": 0.75}
    assert values("execmetrics_group_last_success_timestamp_seconds") == {
        "revenue": pytest.approx(good.finished_at.timestamp())
    }
    assert values("execmetrics_group_evaluation_timestamp_seconds") == {
        "revenue": pytest.approx(T.timestamp())
    }
    assert values("execmetrics_group_failures") == {"revenue": 1.0, "users": 0.0}
    # The failed group's previous value is still exported.
    assert fams["execmetrics_paying_suppliers"].samples[0].value == 1.0


def test_undefined_ratios_are_absent() -> None:
    store = Store(("revenue",))
    store.publish_group(snap("revenue", sample("mrr", 0.0, currency="GBP")))
    text = render(store.current, Config()).decode()
    assert "execmetrics_mrr{" in text
    assert "execmetrics_mrr_growth_ratio" not in text
    assert "execmetrics_arpa" not in text


def test_state_collector_is_a_registry_collector() -> None:
    store = Store(("revenue",))
    store.publish_group(snap("revenue", sample("mrr", 12.5, currency="EUR")))
    collector = StateCollector(store.current, Config())
    names = [f.name for f in collector.collect()]
    assert names[0] == "execmetrics_mrr"
    assert "execmetrics_group_failures" in names


def test_help_follows_the_configured_windows() -> None:
    store = Store(GROUP_NAMES)
    for group in GROUP_NAMES:
        store.publish_group(snap(group, *full_sample_set(group)))
    config = parse_config({"engagement": {"window": "14d"}, "viral": {"window": "12h"}})
    fams = parsed(store.current, config)
    for name in (
        "execmetrics_session_duration_average_seconds",
        "execmetrics_session_duration_average_by_user_type_seconds",
    ):
        assert "the last 14 days" in fams[name].documentation, name
        assert "7 days" not in fams[name].documentation, name
    assert "the last 12 hours" in fams["execmetrics_invitations_sent"].documentation
    default = parsed(store.current)
    assert (
        "the last 7 days" in default["execmetrics_session_duration_average_seconds"].documentation
    )


def test_label_values_pair_with_their_names_in_any_order() -> None:
    metric = catalog.BY_NAME["execmetrics_registered_users_by_country"]
    assert metric.labels == ("user_type", "country")
    store = Store(GROUP_NAMES)
    reordered = Sample(metric.name, (("country", "FR"), ("user_type", "couple")), 3.0)
    in_order = Sample(metric.name, (("user_type", "supplier"), ("country", "GB")), 4.0)
    store.publish_group(snap("users", reordered, in_order))
    family = parsed(store.current)[metric.name]
    got = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
    assert got == {
        (("country", "FR"), ("user_type", "couple")): 3.0,
        (("country", "GB"), ("user_type", "supplier")): 4.0,
    }


def test_counters_keep_one_total_suffix() -> None:
    store = Store(GROUP_NAMES)
    text = render(store.current, Config()).decode()
    assert 'execmetrics_group_failures_total{group="revenue"} 0.0' in text
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    assert fams["execmetrics_group_failures"].type == "counter"
    assert "_total_total" not in text
