"""The /metrics body, rendered once per published state and then served from memory."""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from exporter.config import Config
from exporter.serve.cache import PerState
from exporter.serve.collector import StateCollector
from exporter.store import State, Store

# The classic text format, which every Prometheus 2.x parses.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def render(state: State, config: Config) -> bytes:
    """The text exposition of one state: the collector is rendered directly, no registry."""
    return generate_latest(StateCollector(state, config))


@dataclass(frozen=True)
class Rendered:
    generation: int
    body: bytes
    gzipped: bytes


class ExpositionCache(PerState[Rendered]):
    """Renders the exposition when the store's generation moves; otherwise reuses it."""

    def __init__(self, store: Store, config: Config) -> None:
        def build(state: State) -> Rendered:
            body = render(state, config)
            return Rendered(state.generation, body, gzip.compress(body, 5))

        super().__init__(store, build)
