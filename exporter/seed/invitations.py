"""World stage: invitations — per-supplier Poisson streams, channels and acceptance."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import Any

from exporter.seed.clock import DAY, _month_bounds, _utc, _utc_or_none
from exporter.seed.randomness import Stream, Weighted, poisson_events
from exporter.seed.records import InvitationRow
from exporter.seed.shapes import ACCEPT_LAG, ACCEPTING_COUPLE_AGE, CHANNELS, INVITES_PER_DAY
from exporter.seed.state import WorldState


class InvitationStage(WorldState):
    """Builds the invitation streams and generates ``invitations`` month by month."""

    # Activity streams -----------------------------------------------------------------

    def _build_invite_streams(self) -> tuple[list[Stream], int]:
        streams: list[Stream] = []
        expected = 0.0
        for supplier in self.suppliers:
            per_second = INVITES_PER_DAY * math.sqrt(supplier.activity) / DAY
            for a, b in supplier.engaged:
                streams.append(Stream(a, b, per_second, supplier.id, self.invite_factor))
                expected += per_second * self.invite_factor.integral(a, b)
        streams.sort(key=lambda stream: (stream.start, stream.actor))
        return streams, round(expected)

    # Rows -----------------------------------------------------------------------------

    def invitation_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("invitations")
        channels = Weighted([(index, weight) for index, (_, weight, _) in enumerate(CHANNELS)])
        end = self.end
        created = self.couple_created
        lag_mu, lag_sigma = ACCEPT_LAG
        bad = self._bad["invitations"]
        bounds = _month_bounds(self.start, end + 1)
        next_id = 1
        for lo, hi, events in poisson_events(self._invite_streams, bounds, rng):
            rows: list[InvitationRow] = []
            for sent, supplier in events:
                channel, _, accept_share = CHANNELS[channels.draw(rng)]
                accepted: int | None = None
                couple: int | None = None
                if rng.random() < accept_share:
                    at = sent + 1 + int(math.exp(lag_mu + lag_sigma * rng.gauss()))
                    newest = bisect.bisect_right(created, at)
                    oldest = bisect.bisect_left(created, at - ACCEPTING_COUPLE_AGE)
                    if at <= end and newest > 0:
                        accepted = at
                        couple = 1 + rng.randrange(min(oldest, newest - 1), newest)
                rows.append((sent, supplier, couple, channel, accepted))
            extra = [row for row in bad if lo <= row[0] < hi]
            if extra:
                rows.extend(extra)
                rows.sort(key=lambda row: row[0])
            for sent, supplier, couple, channel, accepted in rows:
                yield (next_id, supplier, couple, channel, _utc(sent), _utc_or_none(accepted))
                next_id += 1
        for sent, supplier, couple, channel, accepted in (row for row in bad if row[0] > end):
            yield (next_id, supplier, couple, channel, _utc(sent), _utc_or_none(accepted))
            next_id += 1
