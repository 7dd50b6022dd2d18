"""History: the metrics at many past instants, as backfill files and board reports."""
