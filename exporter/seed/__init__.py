"""Deterministic synthetic demo data for the six reference source tables (SPEC §1).

``seed`` fills ``suppliers``, ``couples``, ``subscriptions``, ``fx_rates``,
``user_sessions`` and ``invitations`` in the source schema with a history that ends at
``end``, loaded with binary COPY in one transaction. The same ``end`` and ``random_seed``
always produce byte-identical tables: every draw comes from ``random.Random`` instances
seeded from ``random_seed`` (one stream per stage), and every timestamp is a whole second.

Shapes: a growing platform with spring/summer seasonality in sign-ups and sessions;
weddings mostly May–September, 6–18 months after a couple signs up; weighted supplier
categories; a GBP-heavy currency mix with monthly EUR and USD rates; basic/pro/premium
plans billed monthly, quarterly or annually plus a free plan; 14-day trials, plan
changes, churn and reactivations; long-tailed session durations; invitations tuned so the
viral coefficient at ``end`` sits around 1.1–1.4. A fixed handful of the SPEC §3
data-quality rows is mixed in (``BAD_ROWS``), including a few rows stamped 1–3 days after
``end``. Apart from those, nothing happens after ``end``: sessions still running at
``end`` are open (NULL duration), invitations not yet accepted have no ``accepted_at``.
The only later instants are planned ones: wedding dates and the trial end of a
subscription started in the last 14 days.

Sessions and invitations are generated month by month (a Poisson process per user whose
intensity follows an hourly seasonality table) and streamed to COPY, so memory stays
bounded at every scale; ids are sequential per table in time order.

Modules, in the order the data flows: ``shapes`` (the scales, the bad-row counts named
by the data-quality check they trip, and the tuned distributions), ``sampling`` (time and
random helpers), ``people`` (suppliers with their subscriptions, and couples),
``bad_rows``, ``activity`` (fx rates, sessions, invitations) and ``load`` (``world``,
which composes them into each table's rows, and ``seed`` itself). Every stage is a
function of its inputs that returns rows (NamedTuples); none shares state.
"""

from exporter.seed.load import SeedResult, TableRows, default_end, seed, world
from exporter.seed.shapes import BAD_ROWS, SCALES, UNRATED_CURRENCY, Scale, bad_row_count

__all__ = [
    "BAD_ROWS",
    "SCALES",
    "UNRATED_CURRENCY",
    "Scale",
    "SeedResult",
    "TableRows",
    "bad_row_count",
    "default_end",
    "seed",
    "world",
]
